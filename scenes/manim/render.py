"""Render a Trace with Manim, in this interpreter, through Manim's Python API.

Manim's working files (partial movies, the movie it assembles) live in a temporary folder
that is always removed; typeset Typst and Pango SVGs are cached under the sgd-anim cache
folder. Finished files reach ``out_dir`` through :func:`training.atomic.atomic_path`, and
only after every requested format has been produced: a failed render leaves nothing behind.

Output names: ``{stem}.{ext}`` for the walkthrough, ``{stem}_{scene}.{ext}`` for the
fit, loss and params scenes.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from scenes.story.plan import PlanSettings
from scenes.story.theme import load_theme
from training.atomic import atomic_path
from training.errors import InputError
from training.trace import Trace

__all__ = ["QUALITIES", "FORMATS", "SCENE_NAMES", "render_manim", "output_name", "manim_cache_dir",
           "run_scene"]

QUALITIES = {"low": (854, 480, 15), "medium": (1280, 720, 30), "high": (1920, 1080, 60),
             "4k": (3840, 2160, 60)}
FORMATS = ("mp4", "gif", "png")
SCENE_NAMES = ("walkthrough", "fit", "loss", "params")
GIF_MAX_WIDTH = 960
GIF_MAX_FPS = 15


def manim_cache_dir() -> Path:
    """Where typeset math and text SVGs are kept between renders (same root as the trace cache)."""
    if os.environ.get("SGD_ANIM_CACHE"):
        base = Path(os.environ["SGD_ANIM_CACHE"])
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sgd-anim"
    return base / "manim"


def output_name(stem: str, scene: str, fmt: str) -> str:
    return f"{stem}.{fmt}" if scene == "walkthrough" else f"{stem}_{scene}.{fmt}"


def _check(scene: str, quality: str, formats: Sequence[str]) -> list[str]:
    if scene not in SCENE_NAMES:
        raise InputError(f"unknown scene {scene!r}; accepted: {', '.join(SCENE_NAMES)}")
    if quality not in QUALITIES:
        raise InputError(f"unknown quality {quality!r}; accepted: {', '.join(QUALITIES)}")
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",") if f.strip()]
    formats = list(dict.fromkeys(f.lower() for f in formats))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise InputError(f"unknown format {', '.join(bad) or '(none)'} for the manim backend; "
                         f"accepted: {', '.join(FORMATS)}")
    return formats


def _manim_config(tmp: Path, width: int, height: int, fps: int, *, fmt: str) -> dict:
    cache = manim_cache_dir()
    return {
        "media_dir": str(tmp / "media"),
        "video_dir": str(tmp / "media" / "videos"),
        "images_dir": str(tmp / "media" / "images"),
        "partial_movie_dir": str(tmp / "media" / "partial"),
        "tex_dir": str(cache / "typst"),
        "text_dir": str(cache / "texts"),
        "log_dir": str(tmp / "media" / "logs"),
        "log_to_file": False,
        "pixel_width": width, "pixel_height": height, "frame_rate": fps,
        "frame_width": 8.0 * width / height,
        "disable_caching": True,
        "flush_cache": False,
        "verbosity": "ERROR",
        "progress_bar": "none",
        "renderer": "cairo",
        "format": fmt,
        "output_file": "scene",
        "preview": False,
        "write_to_movie": fmt != "none",
    }


def run_scene(trace: Trace, *, scene: str = "walkthrough", quality: str = "low",
              theme: str = "light", plan: PlanSettings | None = None, fmt: str = "none",
              tmp: Path | None = None, skip_animations: bool = False,
              on_frame: Callable[[np.ndarray, int], None] | None = None):
    """Build and run one scene under a per-render Manim config; return the scene.

    ``fmt="none"`` runs ``construct()`` without encoding (Manim's dry run); with
    ``skip_animations`` frames are not even rasterised (each play jumps to its end).
    ``on_frame(frame, repeat)`` sees every frame the renderer emits.
    """
    from manim import tempconfig

    from scenes.manim.scenes import SCENES, plan_for

    width, height, fps = QUALITIES[quality]
    th = load_theme(theme)
    settings = dataclasses.replace(plan or PlanSettings(), fps=fps)
    frame_plan = plan_for(trace, settings)
    own_tmp = tmp is None
    tmpdir = Path(tempfile.mkdtemp(prefix="sgd-anim-manim-")) if own_tmp else tmp
    try:
        cfg = _manim_config(tmpdir, width, height, fps, fmt=fmt)
        if fmt == "none":
            cfg["dry_run"] = True
        with tempconfig(cfg):
            sc = SCENES[scene](trace, th, frame_plan, skip_animations=skip_animations)
            renderer = sc.renderer
            add_frame = renderer.add_frame

            def hooked(frame, num_frames: int = 1):
                add_frame(frame, num_frames)
                if on_frame is not None and not renderer.skip_animations:
                    on_frame(frame, num_frames)
            renderer.add_frame = hooked
            sc.render()
            sc.frame_plan = frame_plan
            if fmt in ("mp4",):
                sc.movie_path = Path(sc.renderer.file_writer.movie_file_path)
        return sc
    finally:
        if own_tmp:
            shutil.rmtree(tmpdir, ignore_errors=True)


def render_manim(trace: Trace, out_dir: Path, *, scene: str = "walkthrough", quality: str = "high",
                 formats: Sequence[str] = ("mp4",), stem: str = "sgd", theme: str = "light",
                 plan: PlanSettings | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 frame_times: list[float] | None = None) -> list[Path]:
    """Render ``scene`` of ``trace`` to ``out_dir``; return the files written.

    Parameters
    ----------
    scene : walkthrough, fit, loss or params.
    quality : low (854x480, 15 fps), medium (1280x720, 30), high (1920x1080, 60), 4k (60).
    formats : any of mp4, gif, png (png: the last frame, the final fit).
    plan : timing; its fps is replaced by the quality's frame rate.
    progress : called as ``progress(frames_done, frames_total)``.
    frame_times : if given, receives the wall-clock seconds spent on each frame (benchmarks).
    """
    formats = _check(scene, quality, formats)
    load_theme(theme)  # an unknown theme is an InputError before any work
    out_dir = Path(out_dir)
    width, height, fps = QUALITIES[quality]
    want_video = "mp4" in formats or "gif" in formats
    tmp = Path(tempfile.mkdtemp(prefix="sgd-anim-manim-"))
    try:
        state = {"done": 0, "last": None, "t": time.perf_counter()}
        total = [0]

        def on_frame(frame, repeat):
            now = time.perf_counter()
            if frame_times is not None:
                dt = (now - state["t"]) / repeat
                frame_times.extend([dt] * repeat)
            state["t"] = now
            state["done"] += repeat
            state["last"] = frame
            if progress is not None:
                progress(state["done"], total[0])

        from scenes.manim.scenes import plan_for
        total[0] = len(plan_for(trace, dataclasses.replace(plan or PlanSettings(), fps=fps)))
        sc = run_scene(trace, scene=scene, quality=quality, theme=theme, plan=plan,
                       fmt="mp4" if want_video else "png", tmp=tmp, on_frame=on_frame)
        staged: dict[str, Path] = {}
        if want_video:
            movie = sc.movie_path
            if "mp4" in formats:
                staged["mp4"] = tmp / "final.mp4"
                _faststart(movie, staged["mp4"])
            if "gif" in formats:
                staged["gif"] = tmp / "final.gif"
                _to_gif(movie, staged["gif"], fps)
        if "png" in formats:
            staged["png"] = tmp / "final.png"
            if state["last"] is not None:
                _save_png(state["last"], staged["png"])
            else:  # png only: Manim skipped to the end and saved the last frame itself
                shutil.copyfile(sc.renderer.file_writer.image_file_path, staged["png"])
        written = []
        for fmt in formats:
            target = out_dir / output_name(stem, scene, fmt)
            with atomic_path(target) as part:
                shutil.copyfile(staged[fmt], part)
            written.append(target)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _save_png(frame: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(np.asarray(frame)[..., :3]).save(path)


def _faststart(src: Path, dst: Path) -> None:
    """Remux Manim's H.264 MP4 with the index up front (+faststart), without re-encoding."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w", options={"movflags": "+faststart"}) as out:
        s_in = inp.streams.video[0]
        s_out = out.add_stream_from_template(s_in)
        for packet in inp.demux(s_in):
            if packet.dts is None:
                continue
            packet.stream = s_out
            out.mux(packet)


def _to_gif(src: Path, dst: Path, fps: int) -> None:
    """MP4 to a looping GIF at most 960 px wide and 15 fps, one palette fitted to the video.

    Two passes over the MP4: ffmpeg's palettegen on a dozen frames spread over the video,
    then paletteuse on every frame as it is decoded, so only one frame is in memory at a time.
    """
    import av

    step = max(1, int(round(fps / GIF_MAX_FPS)))
    gif_fps = max(1, int(round(fps / step)))
    with av.open(str(src)) as inp:
        s = inp.streams.video[0]
        w, h = s.codec_context.width, s.codec_context.height
        n = s.frames or sum(1 for _ in inp.demux(s) if _.size)
    if w > GIF_MAX_WIDTH:
        w, h = GIF_MAX_WIDTH, int(round(h * GIF_MAX_WIDTH / w / 2)) * 2

    def frames():
        with av.open(str(src)) as inp:
            for i, fr in enumerate(inp.decode(video=0)):
                if i % step == 0:
                    yield fr.reformat(width=w, height=h, format="rgb24")

    # pass 1: the palette
    pick = set(np.linspace(0, max(n - 1, 0) // step, 12).round().astype(int).tolist())
    g = av.filter.Graph()
    buf = g.add_buffer(width=w, height=h, format="rgb24", time_base=Fraction(1, gif_fps))
    pal = g.add("palettegen", "max_colors=256:stats_mode=full")
    sink = g.add("buffersink")
    buf.link_to(pal)
    pal.link_to(sink)
    g.configure()
    for i, fr in enumerate(frames()):
        if i in pick:
            fr.pts = i
            buf.push(fr)
    buf.push(None)
    palette = g.pull()

    # pass 2: map every frame onto it and encode
    g = av.filter.Graph()
    vin = g.add_buffer(width=w, height=h, format="rgb24", time_base=Fraction(1, gif_fps))
    pin = g.add_buffer(width=palette.width, height=palette.height, format=palette.format.name,
                       time_base=Fraction(1, gif_fps))
    use = g.add("paletteuse", "dither=none:diff_mode=rectangle")
    sink = g.add("buffersink")
    vin.link_to(use, 0, 0)
    pin.link_to(use, 0, 1)
    use.link_to(sink)
    g.configure()
    palette.pts = 0
    pin.push(palette)
    pin.push(None)
    with av.open(str(dst), "w", format="gif", options={"loop": "0"}) as out:
        st = out.add_stream("gif", rate=gif_fps)
        st.width, st.height, st.pix_fmt = w, h, "pal8"

        def drain():
            while True:
                try:
                    f = g.pull()
                except (av.error.BlockingIOError, av.error.EOFError):
                    return
                out.mux(st.encode(f))
        for i, fr in enumerate(frames()):
            fr.pts = i
            vin.push(fr)
            drain()
        vin.push(None)
        drain()
        out.mux(st.encode(None))
