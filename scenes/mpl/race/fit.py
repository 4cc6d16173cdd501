"""The race's fit view: every run's line over the data in one plot, or small multiples
(one run each, its own data) when there are more than four."""
from __future__ import annotations

import math

import numpy as np
from matplotlib.ticker import MaxNLocator

from scenes.mpl.race.figure import RaceFigure
from scenes.mpl.race.grid import grid_shape
from scenes.story.geometry import fit_xs

__all__ = ["FitPanels"]


class FitPanels(RaceFigure):
    """Builds ``fit_axes`` (run, line, note) and updates them."""

    def _fit_views(self, box):
        """The fit view in ``box`` (x0, y0, x1, y1 in pixels): one plot of every run's line,
        or small multiples."""
        if not self.race.fit_multiples:
            return self._fit_overlay(box)
        return self._fit_multiples(box)

    def _fit_overlay(self, box):
        """Every run's line over the shared data, in one plot fitted to ``box``."""
        race, s = self.race, self.s
        f = race.fit
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        xs = np.array([f.x0, f.x1]) if race.is_line else fit_xs(f)
        lw = self.sz("line_width") * 0.8
        ps = self.sz("point_size")
        views = []
        ax = self.fig.add_axes(((x0 + 60 * s) / self.width, (y0 + 60 * s) / self.height,
                                (w - 80 * s) / self.width, (h - 110 * s) / self.height))
        ax.set_xlim(f.x0, f.x1)
        ax.set_ylim(f.y0, f.y1)
        self.style(ax, self._fit_title(), "x", "y")
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, prune="lower"))
        t = race.traces[0]
        ax.scatter(t.x, t.y, s=ps * min(1.0, (30 / max(len(t.x), 1)) ** 0.5), color=self.col("muted"),
                   edgecolors="none", zorder=3, alpha=1.0 if len(t.x) <= 100 else 0.6)
        for r in range(race.n):
            line, = ax.plot(xs, xs, color=self.colours[r], lw=lw)
            views.append((r, self.anim(line, r * 0.01), None))
        self._fit(ax, box)
        return views

    def _fit_multiples(self, box):
        """One small plot per run (its own data, its line, a note when the line is off the
        chart) in a grid under a common title."""
        race, s = self.race, self.s
        f = race.fit
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        xs = np.array([f.x0, f.x1]) if race.is_line else fit_xs(f)
        lw = self.sz("line_width") * 0.8
        ps = self.sz("point_size")
        views = []
        head = self.fig.text(x0 / self.width, y1 / self.height, self._fit_title(), fontsize=self.sz("title"),
                             fontweight="bold", color=self.col("text"), ha="left", va="top")
        h -= head.get_window_extent(self.renderer).height * 1.25
        rows, cols = grid_shape(race.n, w / h * 1.3)
        title_h = self.sz("tick") * self.dpi / 72 * 1.6
        cw, ch = w / cols, h / rows
        for r in range(race.n):
            i, j = divmod(r, cols)
            ax = self.fig.add_axes(((x0 + j * cw) / self.width, (y0 + (rows - 1 - i) * ch) / self.height,
                                    (cw - 6 * s) / self.width, (ch - title_h) / self.height))
            ax.set_xlim(f.x0, f.x1)
            ax.set_ylim(f.y0, f.y1)
            head = self.style(ax, race.runs[r].label, small=True)
            head.set_fontsize(self.sz("tick"))
            self._shrink_title(head, cw - 6 * s)
            ax.tick_params(labelbottom=False, labelleft=False, length=0)
            t = race.traces[r]
            ax.scatter(t.x, t.y, s=ps * 0.3 * min(1.0, (30 / max(len(t.x), 1)) ** 0.5),
                       color=self.col("muted"), edgecolors="none", zorder=3)
            line, = ax.plot(xs, xs, color=self.colours[r], lw=lw)
            note = ax.text(0.5, 0.5, "off the chart", transform=ax.transAxes, ha="center", va="center",
                           fontsize=self.sz("tick") * 0.85, color=self.col("text"))
            views.append((r, self.anim(line, 0), self.anim(note, 1)))
        return views

    def _fit_title(self) -> str:
        return "Fit: each run's line" if self.race.is_line else "Fit: each run's curve"

    def _update_fits(self, idx) -> None:
        """Each run's line (any other model: its curve) at its point ``idx[r]``."""
        race = self.race
        if self.fit_axes:
            f = race.fit
            xs = None if race.is_line else fit_xs(f)
            for r, line, note in self.fit_axes:
                if xs is None:
                    a, b = race.line(r, int(idx[r]))
                    ys = [a * f.x0 + b, a * f.x1 + b]
                    bad = not math.isfinite(a + b)
                else:
                    ys = race.curve(r, int(idx[r]), xs)
                    bad = not np.isfinite(ys).all()
                line.set_ydata(ys)
                if note is not None:  # a diverging run's line leaves the panel: say so
                    note.set_visible(bad or not (min(ys) <= f.y1 and max(ys) >= f.y0))
