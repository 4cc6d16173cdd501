"""Render a Trace with Manim, in this interpreter, through Manim's Python API.

Manim draws; our writers encode. The renderer is built with our ``SceneFileWriter``
subclass (:mod:`scenes.manim.file_writer`), which hands every frame to the job's writers
(:mod:`scenes.writers`, the same MP4, WebM, GIF and PNG encoders as the matplotlib backend)
and writes nothing itself: no media folder, no partial movie files, no second encode.
Each file reaches ``out_dir`` through the writer's atomic rename, so a failed render leaves
no partial file. Typeset Typst and Pango SVGs are cached under the sgd-anim cache folder.

Output names: ``{stem}.{ext}`` for the walkthrough, ``{stem}_{scene}.{ext}`` for the
fit, loss and params scenes; the frames folder is ``{stem}_frames`` (``{stem}_{scene}_frames``).

Formats are validated once, by :func:`scenes.job.check_formats` (the CLI's ``build_job`` and
:func:`scenes.api.render` call it): this module trusts them.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from scenes.outputs import QUALITIES, SCENES
from scenes.story.plan import PlanSettings
from scenes.story.story import Story, as_story
from scenes.story.theme import Theme, load_theme
from scenes.writers import SLIDE_MAX_FPS, SLIDE_MAX_WIDTH, write_png
from scenes.writers.vtt import VIDEO_FORMATS
from training.errors import InputError
from training.trace import Trace

__all__ = ["QUALITIES", "SCENE_NAMES", "render_manim", "output_name", "manim_cache_dir", "run_scene",
           "final_frame"]

SCENE_NAMES = SCENES


def manim_cache_dir() -> Path:
    """Where typeset math and text SVGs are kept between renders (same root as the trace cache).

    ``$SGD_ANIM_MANIM_CACHE`` overrides it: each task of a sweep (``--each``) gets its own,
    since Manim's caches are not safe to share between processes writing at once."""
    if os.environ.get("SGD_ANIM_MANIM_CACHE"):
        return Path(os.environ["SGD_ANIM_MANIM_CACHE"])
    from training.cache import cache_dir
    return cache_dir() / "manim"


def output_name(stem: str, scene: str, fmt: str) -> str:
    base = stem if scene == "walkthrough" else f"{stem}_{scene}"
    return f"{base}_frames" if fmt == "frames" else f"{base}.{fmt}"


def _check(scene: str, quality: str) -> None:
    if scene not in SCENE_NAMES:
        raise InputError(f"unknown scene {scene!r}; accepted: {', '.join(SCENE_NAMES)}")
    if quality not in QUALITIES:
        raise InputError(f"unknown quality {quality!r}; accepted: {', '.join(QUALITIES)}")


def _manim_config(width: int, height: int, fps: int) -> dict:
    cache = manim_cache_dir()
    media = cache / "media"  # never created: Manim runs dry and our file writer writes no file
    return {
        "media_dir": str(media),
        "video_dir": str(media / "videos"),
        "images_dir": str(media / "images"),
        "partial_movie_dir": str(media / "partial"),
        "log_dir": str(media / "logs"),
        "tex_dir": str(cache / "typst"),
        "text_dir": str(cache / "texts"),
        "log_to_file": False,
        "pixel_width": width, "pixel_height": height, "frame_rate": fps,
        "frame_width": 8.0 * width / height,
        "disable_caching": True,
        "flush_cache": False,
        "verbosity": "ERROR",
        "progress_bar": "none",
        "renderer": "cairo",
        "preview": False,
        # Manim's own output is off (its dry run: no movie, no image; 0.19 turns off
        # write_to_movie and the format, 0.22 resolves the format to "none"). Frames are still
        # drawn and reach the file writer, which passes them to ours.
        "dry_run": True,
    }


def run_scene(trace: Trace | Story, *, scene: str = "walkthrough", quality: str = "low",
              theme: str | Theme = "light", plan: PlanSettings | None = None, fmt: str = "none",
              skip_animations: bool = False,
              on_frame: Callable[[np.ndarray, int], None] | None = None, final: bool = False):
    """Build and run one scene under a per-render Manim config; return the scene.

    Manim writes no file: every frame the renderer emits goes to ``on_frame(frame, repeat)``
    (an (H, W, 4) uint8 RGBA array, shown ``repeat`` times). With ``skip_animations`` frames
    are not even rasterised (each play jumps to its end). With ``final`` the final state is
    drawn once more, under the same config, into ``scene.final_frame``. ``fmt`` is ``"none"``,
    the only value: files are written by :func:`render_manim` from ``on_frame``.
    """
    if fmt != "none":
        raise ValueError(f"run_scene writes no file (fmt={fmt!r}); render_manim writes the formats")
    from manim import tempconfig
    from manim.renderer.cairo_renderer import CairoRenderer

    from scenes.manim.file_writer import file_writer_for
    from scenes.manim.scenes import SCENES, plan_for

    width, height, fps = QUALITIES[quality]
    th = theme if isinstance(theme, Theme) else load_theme(theme)
    settings = dataclasses.replace(plan or PlanSettings(), fps=fps)
    frame_plan = plan_for(as_story(trace).trace, settings)
    with tempconfig(_manim_config(width, height, fps)):
        writer_class = file_writer_for(on_frame or (lambda frame, repeat: None))
        renderer = CairoRenderer(file_writer_class=writer_class, skip_animations=skip_animations)
        sc = SCENES[scene](trace, th, frame_plan, renderer=renderer, skip_animations=skip_animations)
        sc.render()
        sc.final_frame = final_frame(sc) if final else None
    sc.frame_plan = frame_plan
    return sc


def final_frame(sc) -> np.ndarray:
    """The scene's final state drawn once, as Manim draws its last-frame PNG (no video needed)."""
    renderer = sc.renderer
    renderer.static_image = None
    renderer.update_frame(sc, ignore_skipping=True)
    return renderer.get_frame()


def render_manim(trace: Trace | Story, out_dir: Path, *, scene: str = "walkthrough", quality: str = "high",
                 formats: Sequence[str] = ("mp4",), stem: str = "sgd", theme: str | Theme = "light",
                 plan: PlanSettings | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 frame_times: list[float] | None = None,
                 writer_options: dict[str, dict] | None = None, captions: bool = True) -> list[Path]:
    """Render ``scene`` of ``trace`` to ``out_dir``; return the files written, in ``formats``
    order (then the captions file).

    Parameters
    ----------
    scene : walkthrough, fit, loss, params or backprop (the recorded autograd graphs).
    quality : low (854x480, 15 fps), medium (1280x720, 30), high (1920x1080, 60), 4k (60).
    formats : any of mp4, webm, gif, png (the last frame, the final fit) and frames (every
        frame as PNG in a folder), pptx (a deck cut at the beats); validated by
        :func:`scenes.job.check_formats`.
    plan : timing; its fps is replaced by the quality's frame rate.
    progress : called as ``progress(frames_done, frames_total)``.
    frame_times : if given, receives the wall-clock seconds spent on each frame (benchmarks).
    writer_options : per-format keyword arguments for the writers, e.g. ``{"mp4": {"crf": 18}}``.
    captions : with a video (mp4, webm, gif), also write the beats' captions as WebVTT beside
        it (``output_name(stem, scene, "vtt")``) and as a soft subtitle track of MP4 and WebM.
        Every segment of the plan is played in exactly its frame count (``TraceScene.frames``)
        and its caption set at its first frame, so the cues are the plan's segments.
    """
    from scenes.encode import Encoders
    from scenes.manim.scenes import plan_for
    from scenes.story.deck import deck_outline

    story = as_story(trace)  # built once: the scene, the captions and the deck share it
    trace = story.trace
    _check(scene, quality)
    if scene == "backprop" and not story.graph.available:  # before any frame or file
        from scenes.story.graph import NO_GRAPHS
        raise InputError(NO_GRAPHS)
    th = theme if isinstance(theme, Theme) else load_theme(theme)  # a bad theme fails before any work
    formats = tuple(dict.fromkeys(formats))
    out_dir = Path(out_dir)
    width, height, fps = QUALITIES[quality]
    frame_plan = plan_for(trace, dataclasses.replace(plan or PlanSettings(), fps=fps))
    total = len(frame_plan)
    targets = {f: out_dir / output_name(stem, scene, f) for f in formats}
    videos = [f for f in formats if f != "png"]
    options = {f: dict((writer_options or {}).get(f, {})) for f in videos}
    if "gif" in options:
        # Manim renders up to 4K at 60 fps; a GIF of that would be huge for no visible gain.
        # The caps are GifWriter options (the one GIF encoder), so they live with it.
        options["gif"].setdefault("max_width", SLIDE_MAX_WIDTH)
        options["gif"].setdefault("max_fps", SLIDE_MAX_FPS)
        # Manim draws frames in order only, so the palette is fitted to the first frames; the
        # theme's colours are added, or what first appears later (residuals, the batch's rings,
        # arrows) would be mapped to the nearest intro colour (pink residuals came out brown).
        options["gif"].setdefault("palette_colors", [c for k, c in th.colors.items() if k != "contour_map"])

    if "pptx" in options:  # the deck cuts the frames at the beats of the plan the scene plays
        frame_plan = plan_for(trace, dataclasses.replace(plan or PlanSettings(), fps=fps))
        options["pptx"] = {"outline": deck_outline(story, frame_plan), "frame_plan": frame_plan, "theme": th,
                           **options["pptx"]}

    out_dir.mkdir(parents=True, exist_ok=True)
    vtt = out_dir / output_name(stem, scene, "vtt") if captions and any(f in VIDEO_FORMATS for f in videos) else None
    cues = (vtt, story.captions(frame_plan)) if vtt is not None else None
    with Encoders({f: targets[f] for f in videos}, (width, height), fps, options=options, captions=cues,
                  total=total, progress=progress, frame_times=frame_times, progress_every=1) as sink:
        # Only a poster: no frame is drawn but the last one, from the final state.
        sc = run_scene(story, scene=scene, quality=quality, theme=th, plan=plan,
                       skip_animations=not videos, on_frame=sink, final=not videos)
    if "png" in formats:
        write_png(targets["png"], sink.last if sink.last is not None else sc.final_frame)
    return [targets[f] for f in formats] + ([vtt] if vtt is not None else [])
