"""The matplotlib race: several runs of one comparison on one clock, drawn from a RaceStory.

Panels: the parameter view (every path on the same exact loss contours, a direct label at
each head, a mark where a diverging run left the view), the full-data loss of every run on
one axis (x: samples seen, so batch sizes compare fairly), the fit view (every run's line;
small multiples when there are more than four), and the leaderboard (loss now, epoch,
status). More runs than palette colours (8): the parameter view becomes a grid of small
multiples, one run each, and the loss and fit views make way for it.

Like :mod:`scenes.mpl.render`, every artist is made once and updated in place; the static
figure is drawn once and each frame blits the animated artists on it (the leaderboard's
pixels are reused while its text does not change).
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from scenes.mpl.render import full_redraw
from scenes.mpl.views import theme_axes
from scenes.story.palette import band_colors
from scenes.story.race import CLOCK_LABEL, HOLD, LEADER_HZ, RacePlan, RaceStory, fmt_epoch, fmt_loss, fmt_samples
from scenes.story.theme import Theme

__all__ = ["RaceScene", "RaceRenderer"]

ANIM_Z = 10




def _grid_shape(n: int, aspect: float) -> tuple[int, int]:
    """Rows and columns for n small multiples in a box of width/height ``aspect``."""
    best = None
    for cols in range(1, n + 1):
        rows = -(-n // cols)
        cell = min(aspect / cols, 1.0 / rows)  # side of the largest square cell
        if best is None or cell > best[0] + 1e-9:
            best = (cell, rows, cols)
    return best[1], best[2]


class RaceScene:
    """The race figure; ``update(i)`` sets every animated artist for frame i of the plan."""

    def __init__(self, race: RaceStory, theme: Theme, size=(1280, 720), dpi: float = 100.0,
                 fig: Figure | None = None):
        self.race, self.theme = race, theme
        self.width, self.height = int(size[0]), int(size[1])
        self.dpi = dpi
        if fig is None:
            fig = Figure(figsize=(self.width / dpi, self.height / dpi), dpi=dpi)
            from matplotlib.backends.backend_agg import FigureCanvasAgg
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
        W, H = self.width, self.height
        px = lambda x, y, w, h: (x / W, y / H, w / W, h / H)  # noqa: E731  pixels to figure fractions
        s = self.s
        head = 44 * s
        top = self.top = H - head
        self._header(top)
        lead_w = 300 * s
        if self.tall:  # the leaderboard across the bottom, the plots above it
            self.leader_box = (14 * s, 16 * s, W - 28 * s, 0.30 * top - 24 * s)
        else:
            self.leader_box = (W - lead_w - 10 * s, 16 * s, lead_w, top - 24 * s)
        if race.grid:
            if self.tall:
                self.path_axes = self._path_grid((20 * s, 0.30 * top + 40 * s, W - 40 * s, 0.70 * top - 90 * s))
            else:
                self.path_axes = self._path_grid((58 * s, 48 * s, W - lead_w - 90 * s, top - 90 * s))
            self.loss_ax = self.fit_axes = None
        elif self.tall:
            # Cells: the parameter view on top, loss and fit side by side, the leaderboard below.
            g, y_mid, y_top = 6 * s, 0.30 * top, 0.58 * top
            view = self._path_view(fig.add_axes(px(80 * s, y_top + 60 * s, W - 120 * s, top - y_top - 110 * s)), None)
            self._fit(view["ax"], (g, y_top + g, W - g, top - g))
            self._measure_labels(view)
            self.path_axes = [view]
            self.loss_ax = self._loss_view(fig.add_axes(px(80 * s, y_mid + 60 * s, W / 2 - 120 * s, y_top - y_mid - 110 * s)))
            self._fit(self.loss_ax, (g, y_mid + g, W / 2 - g, y_top - g))
            self.fit_axes = self._fit_views((W / 2 + g, y_mid + g, W - g, y_top - g))
        else:
            # Cells: the parameter view on the left, loss over fit in the middle, then the
            # leaderboard. Each plot is then fitted into its cell, its ticks and titles measured.
            xm, xl, ym, g = 0.42 * W, self.leader_box[0] - 20 * s, top / 2, 6 * s
            view = self._path_view(fig.add_axes(px(80 * s, 60 * s, xm - 120 * s, top - 110 * s)), None)
            self._fit(view["ax"], (g, g, xm, top - g))
            self._measure_labels(view)
            self.path_axes = [view]
            self.loss_ax = self._loss_view(fig.add_axes(px(xm + 80 * s, ym + 60 * s, xl - xm - 100 * s,
                                                           top - ym - 110 * s)))
            self._fit(self.loss_ax, (xm + g, ym + g, xl, top - g))
            self.fit_axes = self._fit_views((xm + g, g, xl, ym - g))
        self._leaderboard()

    def _fit(self, ax, cell: tuple[float, float, float, float]) -> None:
        """Move ``ax`` so that it, its title, tick labels and axis labels fill ``cell``
        (x0, y0, x1, y1 in pixels): measured, not guessed, so any size and font fits."""
        W, H = self.width, self.height
        x0, y0, x1, y1 = cell
        for _ in range(3):  # tick labels change as the axes does: settle in a few rounds
            tb = ax.get_tightbbox(self.renderer, bbox_extra_artists=[])
            pos = ax.get_window_extent(self.renderer)
            new = (x0 + (pos.x0 - tb.x0), y0 + (pos.y0 - tb.y0), x1 - (tb.x1 - pos.x1), y1 - (tb.y1 - pos.y1))
            ax.set_position((new[0] / W, new[1] / H, max(new[2] - new[0], 10) / W, max(new[3] - new[1], 10) / H))

    # ------------------------------------------------------------------ helpers
    def sz(self, key: str) -> float:
        return self.theme.size(key, 720 * self.s)

    def col(self, key: str) -> str:
        return self.theme.color(key)

    def anim(self, a: Artist, z: float = 0.0, leader: bool = False) -> Artist:
        a.set_animated(True)
        a.set_zorder(ANIM_Z + z)
        (self.leader_artists if leader else self.artists).append(a)
        return a

    def style(self, ax, title: str, xlabel: str = "", ylabel: str = "", small: bool = False):
        """Theme the axes; returns the title's Text (set at the left: not ``ax.title``)."""
        th = self.theme
        theme_axes(ax, th, self.sz("tick"))
        fs = self.sz("table") if small else self.sz("title")
        head = ax.set_title(title, loc="left", color=th.color("text"), fontsize=fs,
                            fontweight="normal" if small else "bold", pad=fs * 0.4)
        if xlabel:
            ax.set_xlabel(xlabel, color=th.color("text"), fontsize=self.sz("label"), labelpad=2)
        if ylabel:
            ax.set_ylabel(ylabel, color=th.color("text"), fontsize=self.sz("label"), labelpad=2)
        if small:
            ax.grid(False)
        else:
            ax.grid(True, color=th.color("grid"), linewidth=0.8 * self.s)
        ax.set_axisbelow(True)
        return head
        ax.set_autoscale_on(False)

    # ------------------------------------------------------------------ header
    def _header(self, top: float) -> None:
        s, H = self.s, self.height
        y = (top + (H - top) / 2) / H
        title = self.fig.text(14 * s / self.width, y, self.race.title, ha="left", va="center",
                              fontsize=self.sz("title"), fontweight="bold", color=self.col("text"))
        self.clock = self.anim(self.fig.text(1 - 14 * s / self.width, y, "", ha="right", va="center",
                                             fontsize=self.sz("text"), color=self.col("text")), 0, leader=True)
        # The title and the widest clock side by side: smaller type if they would meet.
        end = fmt_samples(self.race.end_clock)
        widest = self._width(f"{CLOCK_LABEL}: {end} of {end}  (finish)", self.sz("text"))
        room = self.width - 28 * s - 24 * s
        need = title.get_window_extent(self.renderer).width + widest
        if need > room:
            title.set_fontsize(self.sz("title") * room / need)
            self.clock.set_fontsize(self.sz("text") * room / need)

    # ------------------------------------------------------------------ parameter view
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
            title = "Paths on the exact loss contours"
            self.style(ax, title, "a (slope)", "b (intercept)")
            ax.yaxis.set_major_locator(MaxNLocator(nbins=7, prune="lower"))  # clear of the x ticks' corner
            if race.contour_note:
                ax.text(0.01, 0.01, race.contour_note, transform=ax.transAxes, fontsize=self.sz("tick"),
                        color=self.col("text"), ha="left", va="bottom", zorder=5)
        self._contours(ax, only or 0)
        oa, ob = race.optimum(only or 0)
        ax.plot([oa], [ob], marker="*", ms=13 * s, color=self.col("text"), zorder=4, ls="none")
        lw = self.sz("line_width") * (0.8 if small else 1.0)
        view = {"ax": ax, "runs": [], "labels": []}
        for r in ([only] if small else range(race.n)):
            c = self.colours[r]
            line, = ax.plot([], [], color=c, lw=lw, solid_capstyle="round", solid_joinstyle="round")
            head, = ax.plot([], [], "o", color=c, ms=lw * 3.0, markeredgecolor=self.col("panel"),
                            markeredgewidth=lw * 0.45)
            mark, = ax.plot([], [], "X", color=c, ms=lw * 5.0, markeredgecolor=self.col("panel"),
                            markeredgewidth=lw * 0.45, clip_on=False)
            view["runs"].append((r, self.anim(line, 0), self.anim(head, 2), self.anim(mark, 3)))
            if not small:
                ink, face = (c, self.col("panel")) if self.tags[r] is None else (self.tags[r], c)
                t = ax.text(0, 0, race.runs[r].label, color=ink, fontsize=self.sz("tick"), fontweight="bold",
                            va="center", clip_on=False,
                            bbox={"boxstyle": "round,pad=0.15", "fc": face, "ec": "none",
                                  "alpha": 0.8 if self.tags[r] is None else 1.0})
                view["labels"].append(self.anim(t, 4))
                leader, = ax.plot([], [], color=c, lw=0.9 * s, clip_on=False)
                view.setdefault("leaders", []).append(self.anim(leader, 1))
        return view

    def _shrink_title(self, title, width: float) -> None:
        """A small multiple's title (a run's label) no wider than its cell: smaller type if need be."""
        e = title.get_window_extent(self.renderer)
        if e.width > width:
            title.set_fontsize(title.get_fontsize() * width / e.width * 0.97)

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
        rows, cols = _grid_shape(n, w / h)
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
                      "Each run on the same exact loss contours (a across, b up)", fontsize=self.sz("tick"),
                      color=self.col("muted"), ha="left", va="top")
        return views

    # ------------------------------------------------------------------ loss view
    def _loss_view(self, ax):
        race = self.race
        lo, hi = race.loss_range
        self.style(ax, "Full-data loss", CLOCK_LABEL, "MSE (log)")
        ax.set_yscale("log")
        ax.set_ylim(lo, hi)
        ax.set_xlim(0, race.end_clock * 1.02)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_samples(v) if v >= 0 else ""))
        lw = self.sz("line_width") * 0.8
        self.loss_lines = []
        for r in range(race.n):
            c = self.colours[r]
            # A dot on each curve's head: the runs are seen at the start, and race as they go.
            line, = ax.plot([], [], color=c, lw=lw, marker="o", ms=lw * 2.6, markevery=[0],
                            markeredgecolor=self.col("panel"), markeredgewidth=lw * 0.35)
            mark, = ax.plot([], [], "X", color=c, ms=lw * 5.5, markeredgecolor=self.col("panel"),
                            markeredgewidth=lw * 0.45, clip_on=False)
            self.loss_lines.append((self.anim(line, 0), self.anim(mark, 3)))
        return ax

    # ------------------------------------------------------------------ fit view
    def _fit_views(self, box):
        race, s = self.race, self.s
        f = race.fit
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        xs = np.array([f.x0, f.x1])
        lw = self.sz("line_width") * 0.8
        ps = self.sz("point_size")
        views = []
        if not race.fit_multiples:
            ax = self.fig.add_axes(((x0 + 60 * s) / self.width, (y0 + 60 * s) / self.height,
                                    (w - 80 * s) / self.width, (h - 110 * s) / self.height))
            ax.set_xlim(f.x0, f.x1)
            ax.set_ylim(f.y0, f.y1)
            self.style(ax, "Fit: each run's line", "x", "y")
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, prune="lower"))
            t = race.traces[0]
            ax.scatter(t.x, t.y, s=ps * min(1.0, (30 / max(len(t.x), 1)) ** 0.5), color=self.col("muted"),
                       edgecolors="none", zorder=3, alpha=1.0 if len(t.x) <= 100 else 0.6)
            for r in range(race.n):
                line, = ax.plot(xs, xs, color=self.colours[r], lw=lw)
                views.append((r, self.anim(line, r * 0.01), None))
            self._fit(ax, box)
            return views
        head = self.fig.text(x0 / self.width, y1 / self.height, "Fit: each run's line", fontsize=self.sz("title"),
                             fontweight="bold", color=self.col("text"), ha="left", va="top")
        h -= head.get_window_extent(self.renderer).height * 1.25
        rows, cols = _grid_shape(race.n, w / h * 1.3)
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

    # ------------------------------------------------------------------ leaderboard
    def _width(self, text: str, fs: float, bold: bool = False) -> float:
        probe = self.fig.text(0, 0, text, fontsize=fs, fontweight="bold" if bold else "normal")
        w = probe.get_window_extent(self.renderer).width
        probe.remove()
        return w

    def _leader_sizes(self, w: float) -> tuple[float, float]:
        """Type sizes of the rows that fit the column for the widest text any row can show: the
        name has a line to itself (labels of a grid are long); the loss, right-aligned, shares
        the second line with the epoch and status."""
        race, s = self.race, self.s
        fs, fi = self.sz("table"), self.sz("tick")
        room = w - 30 * s
        name = max(self._width(r.label, fs, bold=True) for r in race.runs)
        infos = []
        for r, run in enumerate(race.runs):
            last = run.n_points - 1
            for status in {race.status(r, last), "left the view", "running"}:
                infos.append(f"epoch {fmt_epoch(race.epoch(r, last))} · {status}")
        info = max(self._width(t, fi) for t in infos) + self._width("  8.88e−88", fs)
        return fs * min(1.0, room / name), fi * min(1.0, room / info)

    def _leaderboard(self) -> None:
        x0, y0, w, h = self.leader_box
        W, H, s = self.width, self.height, self.s
        full_w = w
        if self.tall:
            w = w / 2 - 10 * s  # the rows' column
        fs, fi = self._leader_sizes(w)
        line = fs * self.dpi / 72 * 1.35
        self.fig.text(x0 / W, (y0 + h) / H, "Leaderboard", fontsize=self.sz("title"), fontweight="bold",
                      color=self.col("text"), ha="left", va="top")
        self.fig.text(x0 / W, (y0 + h - self.sz("title") * self.dpi / 72 * 1.5) / H,
                      "full-data loss now, lowest first", fontsize=self.sz("tick"),
                      color=self.col("muted"), ha="left", va="top")
        top = y0 + h - self.sz("title") * self.dpi / 72 * 1.5 - line * 1.6
        if self.tall:  # rows in the left half, the key in the right one
            self._key(x0 + full_w / 2 + 10 * s, y0, full_w / 2 - 10 * s)
            room = int(max(1, (top - y0) // (2 * line + 4 * s)))
        else:
            key_h = self._key(x0, y0, w)
            room = int(max(1, (top - y0 - key_h) // (2 * line + 4 * s)))
        self.leader_rows = []
        shown = min(self.race.n, room)
        self.leader_more = None
        if shown < self.race.n:  # the rows that do not fit are counted, not cut off
            shown = max(1, room - 1)
        for i in range(shown):
            y = top - i * (2 * line + 4 * s)
            rank = self.fig.text(x0 / W, y / H, "", fontsize=fs, color=self.col("muted"), ha="left", va="top")
            name = self.fig.text((x0 + 30 * s) / W, y / H, "", fontsize=fs, fontweight="bold", ha="left", va="top",
                                 bbox={"boxstyle": "round,pad=0.12", "fc": "none", "ec": "none"})
            loss = self.fig.text((x0 + w) / W, (y - line) / H, "", fontsize=max(fi, fs * 0.85), color=self.col("text"),
                                 ha="right", va="top")
            info = self.fig.text((x0 + 30 * s) / W, (y - line) / H, "", fontsize=fi,
                                 color=self.col("muted"), ha="left", va="top")
            self.leader_rows.append(tuple(self.anim(a, 0, leader=True) for a in (rank, name, loss, info)))
        if shown < self.race.n:
            y = top - shown * (2 * line + 4 * s)
            self.leader_more = self.anim(self.fig.text(x0 / W, y / H, "", fontsize=self.sz("tick"),
                                                       color=self.col("muted"), ha="left", va="top"), 0, leader=True)

    def _key(self, x0: float, y0: float, w: float) -> float:
        """Under the leaderboard: what the marks mean and what the clock counts. Returns its
        height in pixels (shrunk to the column's width if need be)."""
        fs = self.sz("tick")
        lines = ["★  least-squares optimum", "✕  left the view / diverged",
                 f"clock: {CLOCK_LABEL}", "  = steps × batch size,", "  fair across batch sizes"]
        if not self.race.shared_data:
            lines += ["each run has its own data:", "  each fit panel shows it"]
        t = self.fig.text(x0 / self.width, y0 / self.height, "\n".join(lines), fontsize=fs,
                          color=self.col("muted"), ha="left", va="bottom", linespacing=1.3)
        e = t.get_window_extent(self.renderer)
        if e.width > w:
            t.set_fontsize(fs * w / e.width * 0.98)
            e = t.get_window_extent(self.renderer)
        return e.height + 10 * self.s

    # ------------------------------------------------------------------ per frame
    def update(self, plan: RacePlan, i: int, text_i: int) -> None:
        race = self.race
        idx = plan.index[:, i]
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
        if self.loss_ax is not None:
            lo, hi = race.loss_range
            for r, (line, mark) in enumerate(self.loss_lines):
                k = int(idx[r])
                xs, ys = race.loss_curve(r, k)
                line.set_data(xs, ys)
                line.set_markevery([len(xs) - 1] if len(xs) else [])
                where = race.loss_mark(r, k)  # left through the top, or diverged: a cross there
                if where is not None:
                    mark.set_data([where[0]], [where[1]])
                mark.set_visible(where is not None)
                if mark.get_visible():  # the cross takes the head's place
                    line.set_markevery([])
        if self.fit_axes:
            f = race.fit
            for r, line, note in self.fit_axes:
                a, b = race.line(r, int(idx[r]))
                ys = [a * f.x0 + b, a * f.x1 + b]
                line.set_ydata(ys)
                if note is not None:  # a diverging run's line leaves the panel: say so
                    note.set_visible(not (min(ys) <= f.y1 and max(ys) >= f.y0) or not math.isfinite(a + b))
        self._update_leaderboard(plan, text_i)

    def _update_leaderboard(self, plan: RacePlan, i: int) -> None:
        race = self.race
        self.clock.set_text(race.clock_text(plan, i))
        rows = race.leaderboard(plan.index[:, i])
        for n, (slot, row) in enumerate(zip(self.leader_rows, rows)):
            rank, name, loss, info = slot
            rank.set_text(f"{n + 1}.")
            name.set_text(row.label)
            tag = self.tags[row.run]
            name.set_color(self.colours[row.run] if tag is None else tag)
            name.get_bbox_patch().set_facecolor("none" if tag is None else self.colours[row.run])
            loss.set_text(fmt_loss(row.loss))
            info.set_text(f"epoch {fmt_epoch(row.epoch)} · {row.status}")
        if self.leader_more is not None:
            self.leader_more.set_text(f"+ {len(rows) - len(self.leader_rows)} more runs")


class RaceRenderer:
    """Frames of a race by blitting: the static figure once, then per frame the animated
    artists; the leaderboard and clock are drawn again only when their text changes."""

    def __init__(self, scene: RaceScene, plan: RacePlan):
        self.scene, self.plan = scene, plan
        self.canvas = scene.fig.canvas
        self._bg = None
        self._lead = None  # (key, pixels)
        every = max(1, int(round(plan.fps / LEADER_HZ)))
        pos = np.arange(len(plan))
        # During the race the numbers step LEADER_HZ times a second; intro and hold: exact.
        self.text_frames = np.where(plan.phase == 1, pos - pos % every, pos)
        self.text_frames[plan.phase == HOLD] = pos[plan.phase == HOLD]
        self._order = sorted(scene.artists, key=lambda a: a.get_zorder())  # as a full draw stacks them

    def _background(self):
        if self._bg is None:
            for a in (*self.scene.artists, *self.scene.leader_artists):
                a.set_animated(True)
            self.canvas.draw()
            self._bg = self.canvas.copy_from_bbox(self.scene.fig.bbox)
        return self._bg

    def _text_regions(self):
        """Where the leaderboard and the clock are: the leaderboard's column, and the right
        half of the header (no other animated artist reaches into either)."""
        from matplotlib.transforms import Bbox

        sc = self.scene
        x0, y0, w, h = sc.leader_box
        return [Bbox.from_extents(x0 - 4 * sc.s, 0, sc.width, y0 + h + 2 * sc.s),
                Bbox.from_extents(sc.width / 2, sc.top, sc.width, sc.height)]

    def frame(self, i: int) -> np.ndarray:
        """Frame i as an (H, W, 4) uint8 view of the canvas (valid until the next frame)."""
        bg = self._background()
        sc = self.scene
        sc.update(self.plan, i, int(self.text_frames[i]))
        self.canvas.restore_region(bg)
        draw = sc.fig.draw_artist
        key = tuple((a.get_text(), a.get_color(), str(a.get_bbox_patch() and a.get_bbox_patch().get_facecolor()))
                    for a in sc.leader_artists)
        if self._lead is not None and self._lead[0] == key:
            for region in self._lead[1]:
                self.canvas.restore_region(region)
        else:
            for a in sc.leader_artists:
                draw(a)
            self._lead = (key, [self.canvas.copy_from_bbox(b) for b in self._text_regions()])
        for a in self._order:
            if a.get_visible():
                draw(a)
        return np.asarray(self.canvas.buffer_rgba())

    def frame_full(self, i: int) -> np.ndarray:
        """The same frame by a full redraw of the figure, as FuncAnimation.save makes it (tests)."""
        sc = self.scene
        sc.update(self.plan, i, int(self.text_frames[i]))
        try:
            return full_redraw(self.canvas, (*sc.artists, *sc.leader_artists))
        finally:
            self._bg = self._lead = None

    def frames(self):
        for i in range(len(self.plan)):
            yield self.frame(i)
