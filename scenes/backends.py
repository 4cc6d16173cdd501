"""The backends, declared once: each name maps to how it draws a run and how it draws a race.

The pipeline (:mod:`scenes.pipeline`) draws a run through :func:`backend`, the race
(:mod:`scenes.compare.race`) draws a comparison through it; neither chooses by an if-chain.
Each backend is imported only when used: Manim is large, and a re-render never needs it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from scenes.outputs import BACKENDS

__all__ = ["Backend", "BACKEND_IMPLS", "backend"]


def _mpl_draw(trace, out: Path, **options: Any) -> list[Path]:
    from scenes.mpl.render import render_matplotlib
    return render_matplotlib(trace, out, **options)


def _manim_draw(trace, out: Path, **options: Any) -> list[Path]:
    from scenes.manim.render import render_manim
    return render_manim(trace, out, **options)


def _mpl_race(race, out: Path, **options: Any) -> list[Path]:
    import matplotlib

    from scenes.mpl.race.output import render_mpl_race
    with matplotlib.rc_context({"text.hinting": "none"}):  # as scenes.mpl.render: faster, same look
        return render_mpl_race(race, out, **options)


def _manim_race(race, out: Path, **options: Any) -> list[Path]:
    from scenes.manim.race import render_manim_race
    return render_manim_race(race, out, **options)


@dataclass(frozen=True)
class Backend:
    """A backend: ``draw(trace, out, **its options)`` writes a run's frames and poster;
    ``race(race_story, out, formats=, stem=, size=, fps=, theme=, plan=, progress=)`` a race's."""

    name: str
    draw: Callable[..., list[Path]]
    race: Callable[..., list[Path]]
    module: str  # the module ``draw`` imports (render.py loads it ahead: see render._settle)


BACKEND_IMPLS: dict[str, Backend] = {
    "matplotlib": Backend("matplotlib", _mpl_draw, _mpl_race, "scenes.mpl.render"),
    "manim": Backend("manim", _manim_draw, _manim_race, "scenes.manim.render"),
}
assert tuple(BACKEND_IMPLS) == BACKENDS, "scenes.outputs.BACKENDS and the implementations must list the same names"


def backend(name: str) -> Backend:
    return BACKEND_IMPLS[name]
