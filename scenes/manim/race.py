"""The Manim race: the same content as the matplotlib race, from the same RaceStory.

Every run's path on the shared exact loss contours with a direct label at its head (a cross
where a run left the view), the full-data loss of every run on one log axis against samples
seen, each run's line on the data (small multiples past four runs), and the leaderboard.
More than eight runs: the parameter view becomes a grid of small multiples.

``construct()`` only composes: the statics once (they go into Manim's cached background),
then one ValueTracker swept over the race plan's frames; updaters read the story at the
tracker's frame. Texts (the leaderboard, the clock) are typeset again only when they change.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from manim import LEFT, Mobject, Scene, ValueTracker, VGroup, linear

from scenes.manim.race_layout import HALF_H, HALF_W, RaceLayout
from scenes.manim.race_updates import RaceUpdates
from scenes.manim.style import Style, register_font
from scenes.story.geometry import Limits
from scenes.story.race import LEADER_HZ, RacePlan, RaceStory
from scenes.story.theme import Theme

__all__ = ["RaceScene", "render_manim_race"]


class RaceScene(RaceLayout, RaceUpdates, Scene):
    """The race, played frame by frame from a :class:`RacePlan`: laid out by
    :class:`RaceLayout`, moved each frame by :class:`RaceUpdates`."""

    def __init__(self, race: RaceStory, theme: Theme, plan: RacePlan, **kwargs):
        self.race, self.theme, self.plan = race, theme, plan
        self.st = Style(theme)
        self.colours = race.colours(theme)
        self.tags = race.tags(theme)
        self.fps = plan.fps
        every = max(1, int(round(plan.fps / LEADER_HZ)))
        pos = np.arange(len(plan))
        self.text_frames = np.where(plan.phase == 1, pos - pos % every, pos)
        self._texts: dict[int, str] = {}
        super().__init__(**kwargs)

    def construct(self) -> None:
        register_font()
        st, race = self.st, self.race
        self.camera.background_color = st.c("background")
        statics: list[Mobject] = []
        self.dynamic: list[Mobject] = []
        top = HALF_H - 0.62
        statics.append(self.st.text(race.title, "title", weight="BOLD").move_to([-HALF_W + 0.25, HALF_H - 0.32, 0],
                                                                             aligned_edge=LEFT))
        self.clock = VGroup()
        lead_x = HALF_W - 3.75
        if race.grid:
            self.path_views = self._path_grid(statics, Limits(-HALF_W + 0.3, lead_x - 0.4, -HALF_H + 0.35, top))
            self.loss = self.fits = None
        else:
            self.path_views = [self._path_view(statics, Limits(-HALF_W + 0.95, -1.75, -HALF_H + 0.75, top - 0.45), None)]
            self.loss = self._loss_view(statics, Limits(-0.35, lead_x - 0.4, 0.85, top - 0.45))
            self.fits = self._fit_views(statics, Limits(-0.35, lead_x - 0.4, -HALF_H + 0.75, -0.55))
        self._leaderboard(statics, lead_x, top)
        # Statics first, then a sentinel with an updater: Cairo caches everything before it.
        sentinel = Mobject()
        sentinel.add_updater(lambda m, dt: None)
        self.add(*statics, sentinel, *self.dynamic, self.clock)
        self.tracker = ValueTracker(0.0)
        self.show(0)
        driver = Mobject()
        driver.add_updater(lambda m: self.show(self.index()))
        self.add(driver)
        n = len(self.plan)
        # Linear from 0 to n − 0.5 over (n − 0.5) frame times: the value at frame j is j.
        self.play(self.tracker.animate(rate_func=linear).set_value(n - 0.5), run_time=(n - 0.5) / self.fps)

    def index(self) -> int:
        return min(max(int(round(self.tracker.get_value())), 0), len(self.plan) - 1)


def render_manim_race(race: RaceStory, out_dir: Path, *, formats: Sequence[str], stem: str,
                      size: tuple[int, int], fps: int, theme: Theme, plan,
                      progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Play the race scene through Manim's Cairo renderer into our writers (no Manim files);
    ``png`` is the last frame. Returns the paths written, in ``formats`` order."""
    from manim import tempconfig
    from manim.renderer.cairo_renderer import CairoRenderer

    from scenes.encode import Encoders
    from scenes.manim.file_writer import file_writer_for
    from scenes.manim.render import _manim_config
    from scenes.writers import write_png

    width, height = size
    settings = dataclasses.replace(plan, fps=fps)
    frame_plan = race.plan(settings)
    targets = {f: Path(out_dir) / f"{stem}.{f}" for f in formats}
    videos = [f for f in formats if f != "png"]
    opts = {f: {} for f in videos}
    if "gif" in opts:  # Manim draws in order: the palette gets the runs' and theme's colours
        opts["gif"]["palette_colors"] = [*race.colours(theme),
                                         *(c for k, c in theme.colors.items() if k != "contour_map")]
    with Encoders({f: targets[f] for f in videos}, (width, height), fps, options=opts, total=len(frame_plan),
                  progress=progress, progress_every=1) as sink:
        with tempconfig(_manim_config(width, height, fps)):
            renderer = CairoRenderer(file_writer_class=file_writer_for(sink))
            sc = RaceScene(race, theme, frame_plan, renderer=renderer)
            sc.render()
    if "png" in formats:
        write_png(targets["png"], sink.last)
    return [targets[f] for f in formats]
