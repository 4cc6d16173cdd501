"""The matplotlib race written to files: its frames drawn once, through the one frame loop."""
from __future__ import annotations

from pathlib import Path

from scenes.encode import Encoders
from scenes.mpl.race.renderer import RaceRenderer
from scenes.mpl.race.scene import RaceScene
from scenes.writers import write_png

__all__ = ["render_mpl_race"]


def render_mpl_race(race, out_dir: Path, *, formats, stem, size, fps, theme, plan, progress) -> list[Path]:
    """The matplotlib race: each frame drawn once (blitting) and handed to every writer."""
    frame_plan = race.plan(plan)
    renderer = RaceRenderer(RaceScene(race, theme, size), frame_plan)
    written: list[Path] = []
    videos = [f for f in formats if f != "png"]
    if videos:
        n = len(frame_plan)
        opts: dict[str, dict] = {f: {} for f in videos}
        if "gif" in videos:  # the GIF palette from frames across the whole race
            picks = sorted({int(j) for j in (0, n // 4, n // 2, 3 * n // 4, n - 1)})
            opts["gif"]["palette_frames"] = [renderer.frame(j).copy() for j in picks]
        targets = {f: out_dir / f"{stem}.{f}" for f in videos}
        with Encoders(targets, size, plan.fps, options=opts, total=n, progress=progress) as enc:
            enc.feed(renderer.frames())
        written += enc.paths
    if "png" in formats:
        written.append(write_png(out_dir / f"{stem}.png", renderer.frame(len(frame_plan) - 1).copy()))
    return written
