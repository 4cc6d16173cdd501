"""Which backends draw which models. matplotlib draws every model (training.models); the
other backends (Manim, the player page and its presenter mode, the pptx deck, the race of a
comparison) draw the line only, for now, and refuse any other model in one line that names
matplotlib, before anything is recorded or written: the pipeline (render_job) and a
comparison (scenes/compare/run.py prepare) ask here first.
"""
from __future__ import annotations

from training.errors import InputError

__all__ = ["LINE_ONLY_FORMATS", "check_drawable", "check_render_drawable"]

LINE_ONLY_FORMATS = ("html", "slides", "pptx")  # drawn from the story by the page and the deck
MPL_FORMATS = "mp4, webm, gif, png, svg, pdf, frames"


def check_drawable(model: str, where: str = "a comparison's race") -> None:
    """Refuse, in one line, to draw a run of ``model`` (a TrainConfig's ``model``) with
    ``where``, which draws the line only."""
    if model != "line":
        raise InputError(f"--model {model}: {where} draws the line model only; matplotlib draws every "
                         f"model (--backend matplotlib, --format {MPL_FORMATS})")


def check_render_drawable(model: str, render) -> None:
    """One run's render settings (``Job.render``): its backend and its formats."""
    if model == "line":
        return
    if render.backend != "matplotlib":
        check_drawable(model, f"the {render.backend.capitalize()} backend")
    page = [f for f in render.formats if f in LINE_ONLY_FORMATS]
    if page:
        check_drawable(model, f"--format {', '.join(page)}")
    if render.explore:
        check_drawable(model, "--explore")
