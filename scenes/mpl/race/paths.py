"""The race's parameter view: every path on the same exact loss contours with a label at
each head, or (more runs than colours) a grid of small multiples, one run each."""
from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from scenes.mpl.race.figure import RaceFigure
from scenes.mpl.race.grid import grid_shape
from scenes.story.geometry import free_corner
from scenes.story.palette import band_colors

__all__ = ["PathPanels"]


class PathPanels(RaceFigure):
    """Builds ``path_axes`` (one view of every run, or one per run) and updates them."""

    def _contours(self, ax, run: int) -> None:
        A, B, L, levels = self.race.contours(run=run)
        colours, above = band_colors(self.theme, levels, float(L.max()))
        ax.contourf(A, B, L, levels=[0.0, *levels, float(L.max()) * 1.01], colors=[*colours, above], zorder=0)
        ax.contour(A, B, L, levels=levels, colors=self.col("muted"), linewidths=0.5 * self.s, alpha=0.45, zorder=1)

    def _path_view(self, ax, only: int | None):
        """One parameter view: every run (``only`` None) or just run ``only`` (small multiples)."""
        race, p, s = self.race, self.race.params, self.s
        ax.set_xlim(p.x0, p.x1)
        ax.set_ylim(p.y0, p.y1)
        small = only is not None
        if small:
            head = self.style(ax, race.runs[only].label, small=True)
            self._shrink_title(head, ax.get_window_extent(self.renderer).width + 6 * s)
            ax.tick_params(labelbottom=False, labelleft=False, length=0)
        else:
            title = "Paths on the exact loss contours" if race.shared is None else "Paths on one loss landscape"
            self.style(ax, title, *race.axis_labels)
            ax.yaxis.set_major_locator(MaxNLocator(nbins=7, prune="lower"))  # clear of the x ticks' corner
            if race.shared is not None:  # what plane, how faithful (and whose data)
                self._note(ax, race.contour_note)
            elif race.contour_note:
                ax.text(0.01, 0.01, race.contour_note, transform=ax.transAxes, fontsize=self.sz("tick"),
                        color=self.col("text"), ha="left", va="bottom", zorder=5)
        self._contours(ax, only or 0)
        if race.optimum(only or 0) is not None:  # the least-squares point (the line's)
            oa, ob = race.optimum(only or 0)
            ax.plot([oa], [ob], marker="*", ms=13 * s, color=self.col("text"), zorder=4, ls="none")
        lw = self.sz("line_width") * (0.8 if small else 1.0)
        view = {"ax": ax, "runs": [], "labels": []}
        for r in ([only] if small else range(race.n)):
            self._add_run(view, r, lw, small)
        return view

    def _add_run(self, view: dict, r: int, lw: float, small: bool) -> None:
        """Run r's animated path, head and cross in ``view``; in the shared view also its
        label (a tag on its colour when the colour is too light for text) and the thin line
        that ties a pushed label to its head."""
        ax, s, c = view["ax"], self.s, self.colours[r]
        line, = ax.plot([], [], color=c, lw=lw, solid_capstyle="round", solid_joinstyle="round")
        head, = ax.plot([], [], "o", color=c, ms=lw * 3.0, markeredgecolor=self.col("panel"),
                        markeredgewidth=lw * 0.45)
        mark, = ax.plot([], [], "X", color=c, ms=lw * 5.0, markeredgecolor=self.col("panel"),
                        markeredgewidth=lw * 0.45, clip_on=False)
        view["runs"].append((r, self.anim(line, 0), self.anim(head, 2), self.anim(mark, 3)))
        if not small:
            ink, face = (c, self.col("panel")) if self.tags[r] is None else (self.tags[r], c)
            t = ax.text(0, 0, self.race.runs[r].label, color=ink, fontsize=self.sz("tick"), fontweight="bold",
                        va="center", clip_on=False,
                        bbox={"boxstyle": "round,pad=0.15", "fc": face, "ec": "none",
                              "alpha": 0.8 if self.tags[r] is None else 1.0})
            view["labels"].append(self.anim(t, 4))
            leader, = ax.plot([], [], color=c, lw=0.9 * s, clip_on=False)
            view.setdefault("leaders", []).append(self.anim(leader, 1))

    def _measure_labels(self, view) -> None:
        """The label size in view fractions, for the story's placement: the text's extent plus
        its box's padding (0.15 of the font size each side), and a little air."""
        ext = [t.get_window_extent(self.renderer) for t in view["labels"]]
        pad = 2 * 0.15 * self.sz("tick") * self.dpi / 72
        bb = view["ax"].get_window_extent(self.renderer)
        view["label_wh"] = ((max(e.width for e in ext) + pad) / bb.width + 0.01,
                            (max(e.height for e in ext) + pad) / bb.height + 0.006)

    def _path_grid(self, box):
        x0, y0, w, h = box
        n = self.race.n
        rows, cols = grid_shape(n, w / h)
        gap = 8 * self.s
        cw, ch = w / cols, h / rows
        side = min(cw - gap, ch - gap - self.sz("table") * 1.8)
        views = []
        for r in range(n):
            i, j = divmod(r, cols)
            ax = self.fig.add_axes(((x0 + j * cw) / self.width, (y0 + (rows - 1 - i) * ch) / self.height,
                                    side / self.width, side / self.height))
            views.append(self._path_view(ax, r))
        self.fig.text(x0 / self.width, (y0 - 22 * self.s) / self.height,
                      self._grid_caption(), fontsize=self.sz("tick"),
                      color=self.col("muted"), ha="left", va="top")
        return views

    def _note(self, ax, text: str) -> None:
        """The note on the view (whose data, what plane, how faithful) in the corner the paths
        keep away from, in smaller type if it would be wider than half the view."""
        race, p = self.race, self.race.params
        us, vs = [], []
        for r in range(race.n):
            a, b, _ = race.path(r, race.runs[r].n_points - 1)
            us.append((a - p.x0) / (p.x1 - p.x0))
            vs.append((b - p.y0) / (p.y1 - p.y0))
        corner = free_corner(np.concatenate(us), np.concatenate(vs),
                             ("lower left", "lower right", "upper left", "upper right"))
        right, top = corner.endswith("right"), corner.startswith("upper")
        fs = self.sz("tick") * 0.9
        t = ax.text(0.99 if right else 0.01, 0.99 if top else 0.01, text, transform=ax.transAxes, fontsize=fs,
                    color=self.col("text"), ha="right" if right else "left", va="top" if top else "bottom",
                    zorder=5, linespacing=1.25,
                    bbox=dict(boxstyle="round,pad=0.25", fc=self.col("panel"), ec="none", alpha=0.85))
        room = 0.7 * ax.get_window_extent(self.renderer).width
        width = t.get_window_extent(self.renderer).width
        if width > room:
            t.set_fontsize(fs * room / width)

    def _grid_caption(self) -> str:
        """Under the small multiples: what every one of them shows."""
        race = self.race
        if race.shared is not None:
            return f"Each run on one loss landscape (one plane for all runs: {race.shared.label})"
        u, v = (label.split(" ")[0] for label in race.axis_labels)
        return f"Each run on the same exact loss contours ({u} across, {v} up)"

    def _update_paths(self, idx) -> None:
        """Each path up to its point ``idx[r]``: its head, or a cross where it left the view
        or diverged; the labels placed by the story, tied to a head they were pushed from."""
        race = self.race
        for view in self.path_axes:
            for r, line, head, mark in view["runs"]:
                k = int(idx[r])
                a, b, left = race.path(r, k)
                line.set_data(a, b)
                head.set_data(a[-1:], b[-1:])
                head.set_visible(not left)
                done_bad = left or race.status(r, k).startswith("diverged")
                mark.set_data(a[-1:], b[-1:])
                mark.set_visible(done_bad)
            if view["labels"]:
                lw, lh = view["label_wh"]
                p = race.params
                places = race.label_positions(idx, lw, lh)
                for r, (t, leader, (u, v, ha)) in enumerate(zip(view["labels"], view["leaders"], places)):
                    pad = 0.018 if ha == "left" else -0.018
                    x, y = p.x0 + (u + pad) * (p.x1 - p.x0), p.y0 + v * (p.y1 - p.y0)
                    t.set_position((x, y))
                    t.set_ha(ha)
                    # A label pushed away from its head is tied to it by a thin line.
                    ha_, hb_, _ = race.head(r, int(idx[r]))
                    moved = (abs((hb_ - p.y0) / (p.y1 - p.y0) - v) > lh * 0.6
                             or abs((ha_ - p.x0) / (p.x1 - p.x0) - u) > 1e-9)
                    leader.set_data([ha_, x], [hb_, y])
                    leader.set_visible(moved)
