"""Which backends draw which models. matplotlib draws every model (training.models); a
backend or format still listed in LINE_ONLY draws the line only and refuses any other model
in one line that names matplotlib, before anything is recorded or written: the pipeline
(render_job) and a comparison (scenes/compare/run.py prepare) ask here first. When a backend
learns to draw every model, its entry leaves the table (one entry a line, so that the
backends' changes merge apart).
"""
from __future__ import annotations

from training.errors import InputError

__all__ = ["LINE_ONLY", "LINE_ONLY_FORMATS", "check_drawable", "check_race_drawable", "check_render_drawable"]

MPL_FORMATS = "mp4, webm, gif, png, svg, pdf, frames"

# where -> how the refusal names it. Keys: a backend ("manim"), a format ("html", "slides",
# "pptx"), "explore" (the explorer page) and a comparison's race: "race matplotlib" and
# "race manim" (its video, by backend) and "race html" (its page).
LINE_ONLY: dict[str, str] = {}

LINE_ONLY["manim"] = "the Manim backend"

LINE_ONLY["race manim"] = "a comparison's race in Manim"

LINE_ONLY_FORMATS = ("html", "slides", "pptx")  # the formats that may be in LINE_ONLY


def check_drawable(model: str, where: str) -> None:
    """Refuse, in one line, to draw a run of ``model`` (a TrainConfig's ``model``) with
    ``where`` (a key of LINE_ONLY) while it draws the line only."""
    if model != "line" and where in LINE_ONLY:
        raise InputError(f"--model {model}: {LINE_ONLY[where]} draws the line model only; matplotlib draws "
                         f"every model (--backend matplotlib, --format {MPL_FORMATS})")


def check_render_drawable(model: str, render) -> None:
    """One run's render settings (``Job.render``): its backend and its formats."""
    if model == "line":
        return
    if render.backend != "matplotlib":
        check_drawable(model, render.backend)
    for f in render.formats:
        if f in LINE_ONLY_FORMATS:
            check_drawable(model, f)
    if render.explore:
        check_drawable(model, "explore")


def check_race_drawable(model: str, render) -> None:
    """A comparison's race of runs of ``model``: its backend's video and, when asked, its page."""
    if model == "line":
        return
    check_drawable(model, f"race {render.backend}")
    if "html" in render.formats:
        check_drawable(model, "race html")
