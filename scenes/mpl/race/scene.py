"""The race figure: the header, the panels in their cells by the frame's shape, and the
leaderboard; per frame it sets every animated artist."""
from __future__ import annotations

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from scenes.mpl.race.fit import FitPanels
from scenes.mpl.race.leaderboard import Leaderboard
from scenes.mpl.race.loss import LossPanel
from scenes.mpl.race.paths import PathPanels
from scenes.story.race import RacePlan, RaceStory
from scenes.story.theme import Theme

__all__ = ["RaceScene"]


class RaceScene(PathPanels, LossPanel, FitPanels, Leaderboard):
    """The race figure; ``update(i)`` sets every animated artist for frame i of the plan."""

    def __init__(self, race: RaceStory, theme: Theme, size=(1280, 720), dpi: float = 100.0,
                 fig: Figure | None = None):
        self.race, self.theme = race, theme
        self.width, self.height = int(size[0]), int(size[1])
        self.dpi = dpi
        if fig is None:
            fig = Figure(figsize=(self.width / dpi, self.height / dpi), dpi=dpi)
            FigureCanvasAgg(fig)
        self.fig = fig
        fig.set_facecolor(theme.color("background"))
        self.renderer = fig.canvas.get_renderer()
        # Sizes are designed at 1280x720; a tall frame (9:16) is designed at 720x1280.
        self.tall = self.width / self.height < 0.8
        self.s = (min(self.height / 1280, self.width / 720) if self.tall
                  else min(self.height / 720, self.width / 1280))
        self.artists: list[Artist] = []
        self.leader_artists: list[Artist] = []
        self.colours = race.colours(theme)
        self.tags = race.tags(theme)  # low-contrast colours: names set as tags on their colour
        W, H, s = self.width, self.height, self.s
        head = 44 * s
        top = self.top = H - head
        self._header(top)
        lead_w = 300 * s
        if self.tall:  # the leaderboard across the bottom, the plots above it
            self.leader_box = (14 * s, 16 * s, W - 28 * s, 0.30 * top - 24 * s)
        else:
            self.leader_box = (W - lead_w - 10 * s, 16 * s, lead_w, top - 24 * s)
        if race.grid:
            self._layout_grid(top, lead_w)
        elif self.tall:
            self._layout_tall(top)
        else:
            self._layout_wide(top)
        self._leaderboard()

    def _px(self, x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
        """A rectangle in pixels as figure fractions."""
        W, H = self.width, self.height
        return x / W, y / H, w / W, h / H

    def _layout_grid(self, top: float, lead_w: float) -> None:
        """More runs than colours: only the small multiples of the parameter view."""
        W, s = self.width, self.s
        if self.tall:
            self.path_axes = self._path_grid((20 * s, 0.30 * top + 40 * s, W - 40 * s, 0.70 * top - 90 * s))
        else:
            self.path_axes = self._path_grid((58 * s, 48 * s, W - lead_w - 90 * s, top - 90 * s))
        self.loss_ax = self.fit_axes = None

    def _layout_tall(self, top: float) -> None:
        """Cells: the parameter view on top, loss and fit side by side, the leaderboard below."""
        W, s, px, fig = self.width, self.s, self._px, self.fig
        g, y_mid, y_top = 6 * s, 0.30 * top, 0.58 * top
        view = self._path_view(fig.add_axes(px(80 * s, y_top + 60 * s, W - 120 * s, top - y_top - 110 * s)), None)
        self._fit(view["ax"], (g, y_top + g, W - g, top - g))
        self._measure_labels(view)
        self.path_axes = [view]
        self.loss_ax = self._loss_view(fig.add_axes(px(80 * s, y_mid + 60 * s, W / 2 - 120 * s, y_top - y_mid - 110 * s)))
        self._fit(self.loss_ax, (g, y_mid + g, W / 2 - g, y_top - g))
        self.fit_axes = self._fit_views((W / 2 + g, y_mid + g, W - g, y_top - g))

    def _layout_wide(self, top: float) -> None:
        """Cells: the parameter view on the left, loss over fit in the middle, then the
        leaderboard. Each plot is then fitted into its cell, its ticks and titles measured."""
        W, s, px, fig = self.width, self.s, self._px, self.fig
        xm, xl, ym, g = 0.42 * W, self.leader_box[0] - 20 * s, top / 2, 6 * s
        view = self._path_view(fig.add_axes(px(80 * s, 60 * s, xm - 120 * s, top - 110 * s)), None)
        self._fit(view["ax"], (g, g, xm, top - g))
        self._measure_labels(view)
        self.path_axes = [view]
        self.loss_ax = self._loss_view(fig.add_axes(px(xm + 80 * s, ym + 60 * s, xl - xm - 100 * s,
                                                       top - ym - 110 * s)))
        self._fit(self.loss_ax, (xm + g, ym + g, xl, top - g))
        self.fit_axes = self._fit_views((xm + g, g, xl, ym - g))

    def update(self, plan: RacePlan, i: int, text_i: int) -> None:
        """Every panel at frame ``i``; the texts (clock, leaderboard) at frame ``text_i``."""
        idx = plan.index[:, i]
        self._update_paths(idx)
        self._update_loss(idx)
        self._update_fits(idx)
        self._update_leaderboard(plan, text_i)
