"""The walkthrough as a manim-slides presentation: one slide per beat.

:class:`WalkthroughSlide` is our :class:`~scenes.manim.scenes.Walkthrough` mixed with
manim-slides' ``Slide``: before each segment of the plan (the intro, each beat of the
detailed steps, the fast-forward, the final fit) it calls ``next_slide()``, with that beat's
speaker notes (:mod:`scenes.story.notes`). So ``manim-slides present`` steps through the
beats and ``manim-slides convert`` makes HTML or PowerPoint of them. It renders through
Manim's own file writer (manim-slides needs the partial movie files), unlike our backend.

With manim-slides' command line: manim builds the scene without arguments, so it reads the
run from ``SGD_ANIM_TRACE`` (a trace.json; without it, the article's run is recorded),
``SGD_ANIM_THEME`` and ``SGD_ANIM_DETAIL_STEPS``. Render it from a file of your own (a file
of this package's folder would let Manim import ``scenes.py`` as ``scenes``)::

    # sgd_slides.py
    from scenes.manim.slides import WalkthroughSlide
    class SGDSlides(WalkthroughSlide):
        pass

    SGD_ANIM_TRACE=out/trace.json manim-slides render -qm sgd_slides.py SGDSlides
    manim-slides present SGDSlides
    manim-slides convert SGDSlides slides.html

From Python: :func:`render_slides`. manim-slides is the optional extra ``slides``
(``pip install 'sgd-anim[slides]'``), imported only here.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from scenes.manim.scenes import Walkthrough
from scenes.story.notes import slide_notes
from scenes.story.plan import PlanSettings, Segment
from scenes.story.theme import Theme, load_theme
from training.errors import InputError
from training.trace import Trace

try:
    from manim_slides import Slide
except ImportError:  # pragma: no cover - the optional extra is missing
    raise InputError("the manim-slides presentation needs manim-slides: pip install 'sgd-anim[slides]'") from None

def _manim_dropped_write_to_movie() -> bool:
    """manim-slides 5.7 (the latest) was written for Manim 0.19-0.21; Manim 0.22 has no
    ``write_to_movie`` or ``flush_cache`` setting. Where they are gone, two methods of
    :class:`WalkthroughSlide` step around the lines of ``Slide`` that set them."""
    from manim._config.utils import ManimConfig
    return not hasattr(ManimConfig, "write_to_movie")


_NEW_MANIM = _manim_dropped_write_to_movie()

__all__ = ["WalkthroughSlide", "render_slides", "TRACE_ENV", "THEME_ENV", "DETAIL_ENV"]

TRACE_ENV = "SGD_ANIM_TRACE"          # a trace.json to present (default: record the article's run)
THEME_ENV = "SGD_ANIM_THEME"          # light, dark or a theme file (default: light)
DETAIL_ENV = "SGD_ANIM_DETAIL_STEPS"  # steps shown beat by beat (default: the plan's)


def _from_environment() -> tuple[Trace, Theme, PlanSettings]:
    """The run, theme and plan of a scene built without arguments (by manim's command line)."""
    from manim import config

    path = os.environ.get(TRACE_ENV)
    if path:
        trace = Trace.from_file(path)
    else:
        from training.recorder import record
        trace = record()
    detail = os.environ.get(DETAIL_ENV)
    try:
        settings = PlanSettings(fps=int(config.frame_rate), detail_steps=int(detail) if detail else None)
    except ValueError:
        raise InputError(f"{DETAIL_ENV} must be a whole number, got {detail!r}") from None
    return trace, load_theme(os.environ.get(THEME_ENV, "light")), settings


class WalkthroughSlide(Slide, Walkthrough):
    """The walkthrough with a slide per beat (see the module docstring)."""

    def __init__(self, trace: Trace | None = None, theme: Theme | None = None,
                 plan: Any = None, **kwargs: Any) -> None:
        if trace is None:
            trace, env_theme, settings = _from_environment()
            theme = theme or env_theme
            plan = plan or settings
        from scenes.manim.scenes import plan_for
        from manim import config
        if plan is None or isinstance(plan, PlanSettings):  # the plan at the frame rate Manim renders
            import dataclasses
            plan = plan_for(trace, dataclasses.replace(plan or PlanSettings(), fps=int(config.frame_rate)))
        args = (trace, theme or load_theme("light"), plan)
        if _NEW_MANIM:  # Slide.__init__ only sets config["write_to_movie"], gone in Manim 0.22
            super(Slide, self).__init__(*args, **kwargs)  # (which writes the partial movies anyway)
        else:
            super().__init__(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> None:
        """Render, then save the slides: Slide.render, less the settings Manim 0.22 dropped
        (``flush_cache``) or changed (``max_files_cached`` takes -1 for unlimited, not inf)."""
        if not _NEW_MANIM:
            return super().render(*args, **kwargs)
        from manim import Scene, config
        cached = config.max_files_cached
        config.max_files_cached = -1  # every partial movie is kept: the slides are cut from them
        try:
            Scene.render(self, *args, **kwargs)
        finally:
            config.max_files_cached = cached
        self._save_slides(use_cache=not (config.disable_caching or self.disable_caching),
                          flush_cache=self.flush_cache, skip_reversing=self.skip_reversing)

    def on_beat(self, seg: Segment) -> None:
        self.next_slide(notes=slide_notes(self.story, seg.beat, int(seg.steps[0]), int(seg.steps[-1])))


def render_slides(trace: Trace, folder: str | Path, *, quality: str = "low", theme: str | Theme = "light",
                  plan: PlanSettings | None = None) -> Path:
    """Render the walkthrough as manim-slides slides into ``folder`` (``WalkthroughSlide.json``
    and ``files/``, what ``manim-slides present --folder`` and ``convert --folder`` read);
    return the JSON file. Manim's media go to a temporary folder, removed afterwards."""
    import dataclasses

    from manim import tempconfig

    from scenes.manim.render import QUALITIES, manim_cache_dir

    if quality not in QUALITIES:
        raise InputError(f"unknown quality {quality!r}; accepted: {', '.join(QUALITIES)}")
    width, height, fps = QUALITIES[quality]
    th = theme if isinstance(theme, Theme) else load_theme(theme)
    folder = Path(folder)
    media = Path(tempfile.mkdtemp(prefix="sgd-anim-slides-"))
    cache = manim_cache_dir()
    try:
        with tempconfig({"media_dir": str(media), "tex_dir": str(cache / "typst"), "text_dir": str(cache / "texts"),
                         "pixel_width": width, "pixel_height": height, "frame_rate": fps,
                         "frame_width": 8.0 * width / height, "disable_caching": True,
                         "progress_bar": "none", "verbosity": "ERROR", "log_to_file": False,
                         "renderer": "cairo", "preview": False}):
            scene = WalkthroughSlide(trace, th, dataclasses.replace(plan or PlanSettings(), fps=fps),
                                     output_folder=folder)
            scene.render()
    finally:
        shutil.rmtree(media, ignore_errors=True)
    return folder / f"{WalkthroughSlide.__name__}.json"
