"""The race video of a comparison: every run on one clock, in one picture.

:func:`render_race` checks its input, builds the :class:`~scenes.story.race.RaceStory`
(everything the race shows), and draws it with matplotlib (:mod:`scenes.mpl.race`) or Manim
(:mod:`scenes.manim.race`), or writes it as the browser player's page (``html``: the story as
data, :mod:`scenes.web.race_export`). Each frame is drawn once and handed to every requested
writer; every file is written through an atomic rename (no partial output).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from scenes.outputs import BACKENDS, RACE_FORMATS
from scenes.story.plan import PlanSettings, check_fps
from training.errors import InputError
from training.trace import Trace

__all__ = ["RACE_FORMATS", "RACE_BACKENDS", "render_race"]

RACE_BACKENDS = BACKENDS


def _check(runs, formats, backend, fps, plan) -> tuple[str, ...]:
    if not runs:
        raise InputError("a race needs at least one run")
    for item in runs:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Trace)):
            raise InputError("a race takes (label, trace) pairs")
    formats = tuple(dict.fromkeys(formats))
    bad = [f for f in formats if f not in RACE_FORMATS]
    if bad or not formats:
        what = f"format {bad[0]!r} is not supported for a race" if bad else "no format asked for"
        raise InputError(f"{what}; accepted: {', '.join(RACE_FORMATS)}")
    if backend not in RACE_BACKENDS:
        raise InputError(f"unknown race backend {backend!r}; accepted: {', '.join(RACE_BACKENDS)}")
    check_fps(fps)
    if plan is not None:
        plan.validate()
    return formats


def render_race(runs: list[tuple[str, Trace]], out_dir: Path, *, varied: list[str], formats: Sequence[str],
                stem: str = "compare", backend: str = "matplotlib", size=(1280, 720), fps: int = 30,
                theme="light", plan: PlanSettings | None = None,
                progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Draw the race of ``runs`` (``(label, trace)`` pairs, in order) and write ``{stem}.{fmt}``
    for each of ``formats`` (a subset of :data:`RACE_FORMATS`; ``png`` is the finish, ``html`` the
    player's page, whatever the backend). ``varied``
    names the settings the comparison varies (the title says them). ``plan`` gives the timing
    (intro, race = 2 x fast_forward, hold; ``target_duration``); ``fps`` overrides its fps.
    Returns the paths written."""
    import dataclasses

    from scenes.job import check_size
    from scenes.story.race import RaceStory
    from scenes.story.theme import Theme, load_theme

    formats = _check(runs, formats, backend, fps, plan)
    size = check_size(size)
    if backend == "manim" and abs(size[0] / size[1] - 16 / 9) > 0.02:
        raise InputError(f"the Manim race is laid out for 16:9 frames (1280x720, 854x480, ...), got "
                         f"{size[0]}x{size[1]}; the matplotlib race takes any shape")
    th = theme if isinstance(theme, Theme) else load_theme(theme)
    settings = dataclasses.replace(plan or PlanSettings(), fps=fps)
    race = RaceStory(list(runs), list(varied))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if "html" in formats:
        from scenes.web.page import write_page
        from scenes.web.race_export import race_page

        written.append(write_page(race_page(race, th, settings), out_dir / f"{stem}.html"))
        formats = tuple(f for f in formats if f != "html")
        if not formats:
            return written
    from scenes.backends import backend as backend_named
    return written + backend_named(backend).race(race, out_dir, formats=formats, stem=stem, size=size, fps=fps,
                                                 theme=th, plan=settings, progress=progress)
