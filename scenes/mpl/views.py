"""The matplotlib views: Fit, Loss, Parameter space and Numbers, plus the header of live values.

Every artist is created once; ``update`` only sets data, text and visibility. Artists that
change between frames are marked animated (and drawn above the static ones), so the fast
saver can draw the static figure once and blit only these.

Layout: the frame is cut into cells (a header band, one cell per view) by its shape: 2x2 for
wide frames, fit and parameters side by side over a full-width loss and numbers for square
ones, one column for tall ones. Each plot's axes are then shrunk until its title, ticks and
labels (measured, not guessed) sit inside its cell; texts are sized from the widest value
they can show. :mod:`scenes.mpl.layout_check` verifies the result on any run and size.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.transforms import Bbox, ScaledTranslation

from scenes.layout_check import Box, polyline_hits
from scenes.story.captions import OPTIMIZER_NAMES
from scenes.story.frames import FrameState
from scenes.story.geometry import Geometry, free_corner
from scenes.story.palette import band_colors
from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, UPDATE, FramePlan
from scenes.story.story import Story
from scenes.story.theme import Theme
from training.errors import InputError
from training.trace import Trace

__all__ = ["VIEWS", "Scene", "build_scene", "check_views", "arrangement", "theme_axes"]

VIEWS = ("fit", "loss", "params", "numbers")
ANIM_Z = 10  # animated artists sit above everything static, so blitting matches a full draw


def check_views(views) -> tuple[str, ...]:
    views = tuple(views)
    bad = [v for v in views if v not in VIEWS]
    if bad or not views or len(set(views)) != len(views):
        what = f"unknown view {bad[0]!r}" if bad else "views must be distinct and not empty"
        raise InputError(f"{what}; accepted: {', '.join(VIEWS)}")
    return views


def arrangement(width: int, height: int) -> str:
    """``wide`` (16:9 and the like), ``square`` (about 1:1) or ``tall`` (9:16)."""
    r = width / height
    return "wide" if r >= 1.25 else ("square" if r >= 0.8 else "tall")


def theme_axes(ax, theme: Theme, tick_size: float) -> None:
    """The theme's panel, two spines in its muted colour, ticks labelled in its text colour
    (the single-run views and the race share the look)."""
    ax.set_facecolor(theme.color("panel"))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(theme.color("muted"))
    ax.tick_params(colors=theme.color("muted"), labelcolor=theme.color("text"), labelsize=tick_size)


def _fmt(v: float, digits: int = 4) -> str:
    """Fixed-width-ish numbers: 4 significant decimals, scientific when huge or tiny."""
    if not math.isfinite(v):
        return "—"
    av = abs(v)
    if av != 0 and (av >= 1e4 or av < 1e-3):
        mant, exp = f"{v:.2e}".split("e")
        return f"{mant}e{int(exp)}".replace("-", "−")  # 3.46e−4: as narrow as 0.0215
    if av >= 1:  # fewer decimals as the integer part grows: −65.76, 2214.1 (columns stay narrow)
        digits = max(1, digits - int(math.floor(math.log10(av))))
    return f"{v:.{digits}f}".replace("-", "−")


class _Base:
    def __init__(self, scene: "Scene"):
        self.scene = scene
        self.story: Story = scene.story
        self.theme: Theme = scene.theme
        self.h = 720 * scene.scale  # the design height: sizes are given for 1280x720
        self.animated: list[Artist] = []

    def sz(self, key: str) -> float:
        return self.theme.size(key, self.h)

    def col(self, key: str) -> str:
        return self.theme.color(key)

    def px(self, points: float) -> float:
        return points * self.scene.dpi / 72

    def anim(self, artist: Artist, z: float = 0.0) -> Artist:
        artist.set_animated(True)
        artist.set_zorder(ANIM_Z + z)
        self.animated.append(artist)
        return artist

    def style_axes(self, ax, title: str, xlabel: str, ylabel: str) -> None:
        th = self.theme
        theme_axes(ax, th, self.sz("tick"))
        ax.set_title(title, loc="left", color=th.color("text"), fontsize=self.sz("title"),
                     fontweight="bold", pad=self.sz("title") * 0.5)
        ax.set_xlabel(xlabel, color=th.color("text"), fontsize=self.sz("label"), labelpad=2)
        ax.set_ylabel(ylabel, color=th.color("text"), fontsize=self.sz("label"), labelpad=2)
        ax.grid(True, color=th.color("grid"), linewidth=0.8 * self.h / 720)
        ax.set_axisbelow(True)
        ax.set_autoscale_on(False)

    def place_legend(self, leg, marks: list[np.ndarray], obstacles: list[Box],
                     prefer: tuple[str, ...]) -> bool:
        """Put ``leg`` where it covers no mark (pixel polylines, NaN rows break them) and no
        obstacle box: the first free place of ``prefer``, then of the other places. When none
        is free: the place that covers the fewest, and False."""
        renderer = self.scene.renderer
        best, best_hits = None, None
        for loc in (*prefer, *(p for p in LEGEND_PLACES if p not in prefer)):
            leg.set_loc(loc)
            e = leg.get_window_extent(renderer)
            box = Box(e.x0 + 1, e.y0 + 1, e.x1 - 1, e.y1 - 1)
            hits = sum(polyline_hits(m, box) for m in marks)
            hits += sum(1 for o in obstacles if min(o.overlap(box)) > 0)
            if hits == 0:
                return True
            if best_hits is None or hits < best_hits:
                best, best_hits = loc, hits
        leg.set_loc(best)
        return False


LEGEND_PLACES = ("upper right", "upper left", "lower left", "lower right", "center right",
                 "center left", "upper center", "lower center")


class FitView(_Base):
    """Data points, the current line, the batch highlighted, residual segments, the ghost line."""

    def __init__(self, scene: "Scene", ax):
        super().__init__(scene)
        self.ax = ax
        g, tr = scene.geom.fit, scene.trace
        self.lim = g
        ax.set_xlim(g.x0, g.x1)
        ax.set_ylim(g.y0, g.y1)
        self.style_axes(ax, "Fit:  ŷ = a·x + b", "x", "y")
        lw, ps = self.sz("line_width"), self.sz("point_size")
        # Many points: smaller and translucent, so a cloud of 1,000 still shows its shape
        # (the batch rings and predictions keep the theme's size).
        n_pts = len(tr.x)
        cloud = ps * min(1.0, (30 / n_pts) ** 0.5) if n_pts > 30 else ps
        ax.scatter(tr.x, tr.y, s=max(cloud, ps * 0.08), color=self.col("points"), zorder=3,
                   edgecolors="none", alpha=1.0 if n_pts <= 100 else 0.6, label="data")
        self.xs = np.array([g.x0, g.x1])
        self.ghost, = ax.plot(self.xs, self.xs, color=self.col("ghost"), lw=lw * 0.8, alpha=0.3,
                              ls=(0, (4, 3)))
        self.anim(self.ghost, 0)
        self.line, = ax.plot(self.xs, self.xs, color=self.col("line"), lw=lw, solid_capstyle="round")
        self.anim(self.line, 1)
        self.res = ax.vlines([], [], [], color=self.col("residual"), lw=lw * 0.9)
        self.anim(self.res, 2)
        self.batch = ax.scatter([], [], s=ps * 2.4, facecolors="none", edgecolors=self.col("batch"),
                                linewidths=lw * 0.9)
        self.anim(self.batch, 3)
        self.pred = ax.scatter([], [], s=ps * 0.9, color=self.col("line"), edgecolors=self.col("panel"),
                               linewidths=lw * 0.4, marker="D")
        self.anim(self.pred, 4)
        self.note = ax.text(0.5, 0.96, "", transform=ax.transAxes, ha="center", va="top",
                            fontsize=self.sz("text"), color=self.col("diverged"))
        self.anim(self.note, 5)
        self.ylim = (g.y0, g.y1)

    def update(self, st: FrameState) -> None:
        ys = st.a * self.xs + st.b
        self.line.set_ydata(ys)
        lo, hi = self.ylim
        off = (ys.max() < lo or ys.min() > hi)
        self.note.set_text(("line above the chart" if ys.min() > hi else "line below the chart")
                           if off else "")
        if st.ghost is not None:
            self.ghost.set_ydata(st.ghost[0] * self.xs + st.ghost[1])
        self.ghost.set_visible(st.ghost is not None)
        if st.beat == INTRO:
            self.line.set_alpha(min(1.0, 0.15 + st.t * 1.7))
        else:
            self.line.set_alpha(1.0)
        if st.batch and self.story.n:
            xb, yb, pred, res = self.story.batch(st.step)
            self.batch.set_offsets(np.column_stack([xb, yb]))
            self.batch.set_visible(True)
            # Predictions off the chart (a diverging line) are not drawn: the note says where
            # the line went, and a marker cut by the edge would say nothing.
            seen = (pred >= self.lim.y0) & (pred <= self.lim.y1)
            if st.pred_alpha > 0 and seen.any():
                self.pred.set_offsets(np.column_stack([xb[seen], pred[seen]]))
                self.pred.set_alpha(st.pred_alpha)
                self.pred.set_visible(True)
            else:
                self.pred.set_visible(False)
            if st.residual_frac > 0:
                tip = pred - st.residual_frac * res  # grows from ŷ toward y
                self.res.set_segments([np.array([[x, p], [x, e]]) for x, p, e in zip(xb, pred, tip)])
                self.res.set_visible(True)
            else:
                self.res.set_visible(False)
        else:
            for art in (self.batch, self.pred, self.res):
                art.set_visible(False)


class LossView(_Base):
    """Batch loss per step and full-data loss, with the current step marked. Fixed limits."""

    MAX_POINTS = 3000  # longer runs are drawn through a min/max envelope (same look, bounded cost)

    def __init__(self, scene: "Scene", ax):
        super().__init__(scene)
        self.ax = ax
        st, geom = self.story, scene.geom
        n = max(st.n, 1)
        lo, hi = geom.loss_range
        self.style_axes(ax, "Loss" + ("  (log scale)" if geom.log_loss else ""), "step", "MSE")
        if geom.log_loss:
            ax.set_yscale("log")
            ax.set_ylim(lo / 1.6, hi * 1.6)
        else:
            pad = 0.08 * max(hi - lo, abs(hi) * 0.5, 1e-9)
            ax.set_ylim(max(0.0, lo - pad) if lo >= 0 else lo - pad, hi + pad)
        ax.set_xlim(-0.02 * n, n * 1.02)
        from matplotlib.ticker import MaxNLocator
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True))
        lw = self.sz("line_width")
        self.steps = np.arange(st.n, dtype=np.float64)
        self.batch_line, = ax.plot([], [], color=self.col("loss_batch"), lw=lw * 0.45, alpha=0.85,
                                   label="batch loss")
        self.anim(self.batch_line, 0)
        self.full_line, = ax.plot([], [], color=self.col("loss_full"), lw=lw, label="full-data loss")
        self.anim(self.full_line, 1)
        self.cursor = ax.axvline(0, color=self.col("muted"), lw=lw * 0.35, ls=":")
        self.cursor.set_gid("guide")  # a guide, not data: it may cross the legend
        self.anim(self.cursor, 2)
        self.dot, = ax.plot([], [], "o", color=self.col("loss_batch"), ms=lw * 3.0,
                            markeredgecolor=self.col("panel"), markeredgewidth=lw * 0.4)
        self.anim(self.dot, 3)
        # Keep the cost of a frame bounded for 100k-step runs: draw at most MAX_POINTS vertices.
        self.stride = max(1, math.ceil(st.n / self.MAX_POINTS))
        if self.stride > 1:
            self.batch_line.set_label(f"batch loss (mean of {self.stride} steps)")
        self.legend = ax.legend(loc=self._free_corner(), fontsize=self.sz("tick"), frameon=False,
                                labelcolor=self.col("text"), handlelength=1.5)
        self.legend.set_zorder(1)
        self.above = False  # the legend sits above the plot (finish_layout)

    def _free_corner(self) -> str:
        """Where the whole run's curves will not pass: a rising (diverging) loss fills the
        upper right, where the legend would otherwise sit."""
        ax, s = self.ax, self.story
        if not s.n:
            return "upper right"
        pts = ax.transData.transform(np.column_stack([
            np.concatenate([self.steps, self.steps]),
            np.clip(np.concatenate([s.loss, s.full_loss]), *sorted(ax.get_ylim()))]))
        u, v = ax.transAxes.inverted().transform(pts).T
        return free_corner(u, v, prefer=("upper right", "lower left", "lower right", "upper left"))

    def finish_layout(self) -> bool:
        """With the axes in place: the legend goes where the whole run's curves, as drawn,
        do not pass (the corner count above is the first guess). True if it had to leave the
        plot (the axes must then make room)."""
        s, ax = self.story, self.ax
        if not s.n or self.above:
            return False
        lo, hi = sorted(ax.get_ylim())
        marks = []
        for y, mean in ((s.loss, True), (s.full_loss, False)):
            xs, ys = self._thin(y, s.n, mean=mean)
            ys = np.where(np.isfinite(ys), np.clip(ys, lo, hi), np.nan)
            marks.append(ax.transData.transform(np.column_stack([xs, ys])))
        first = self._free_corner()
        if not self.place_legend(self.legend, marks, [], (first, "upper right", "lower left",
                                                            "lower right", "upper left")):
            # The curves fill the plot (batches of one point): the legend goes above it, in
            # one row at the right of the title, where it covers nothing (smaller if need be).
            renderer = self.scene.renderer
            room = ax.bbox.x1 - ax.title.get_window_extent(renderer).x1 - self.px(self.sz("tick"))
            fs = self.sz("tick")
            for _ in range(3):
                self.legend.remove()
                self.legend = ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2,
                                        borderaxespad=0.15, fontsize=fs, frameon=False,
                                        labelcolor=self.col("text"), handlelength=1.5, columnspacing=1.2)
                width = self.legend.get_window_extent(renderer).width
                if width <= room or room <= 0:
                    break
                fs *= room / width * 0.97
            self.legend.set_zorder(1)
            self.above = True
            return True
        return False

    def _thin(self, y: np.ndarray, m: int, mean: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """At most about MAX_POINTS vertices: a min/max envelope of each block of steps, or
        (``mean``) the block's mean: batch losses of single points would fill the envelope solid."""
        if self.stride == 1 or m <= self.MAX_POINTS:
            return self.steps[:m], y[:m]
        s = self.stride
        whole = (m // s) * s
        blocks = y[:whole].reshape(-1, s)
        xs = self.steps[:whole].reshape(-1, s)
        if mean:
            tail = slice(whole, m)
            extra_x = [self.steps[tail].mean()] if m > whole else []
            extra_y = [y[tail].mean()] if m > whole else []
            return np.append(xs.mean(1), extra_x), np.append(blocks.mean(1), extra_y)
        lo_i, hi_i = blocks.argmin(1), blocks.argmax(1)
        order = np.sort(np.stack([lo_i, hi_i], 1), 1)
        rows = np.arange(len(blocks))[:, None]
        return (np.append(xs[rows, order].ravel(), self.steps[whole:m]),
                np.append(blocks[rows, order].ravel(), y[whole:m]))

    def update(self, st: FrameState) -> None:
        m = st.loss_n
        self.batch_line.set_data(*self._thin(self.story.loss, m, mean=True))
        self.full_line.set_data(*self._thin(self.story.full_loss, m))
        show = m > 0 and st.beat != HOLD
        if show:
            k = m - 1
            self.dot.set_data([k], [self.story.loss[k]])
            self.cursor.set_xdata([k, k])
        self.dot.set_visible(show)
        self.cursor.set_visible(show)


class ParamView(_Base):
    """MSE contours over (a, b), the path, the update arrow, the full-batch step, momentum."""

    def __init__(self, scene: "Scene", ax):
        super().__init__(scene)
        self.ax = ax
        g = scene.geom.params
        self.lim = g
        ax.set_xlim(g.x0, g.x1)
        ax.set_ylim(g.y0, g.y1)
        self.span = (g.x1 - g.x0, g.y1 - g.y0)
        self.style_axes(ax, "Parameter space", "a (weight)", "b (bias)")
        ax.grid(False)
        A, B, L, levels = self.story.contours()
        from matplotlib.colors import BoundaryNorm, ListedColormap

        bands, over = band_colors(self.theme, levels, float(L.max()))  # the same bands as Manim's
        edges = np.concatenate([[min(0.0, float(L.min()))], levels])
        ax.contourf(A, B, L, levels=edges, cmap=ListedColormap(bands).with_extremes(over=over),
                    norm=BoundaryNorm(edges, len(bands)), zorder=0, extend="max")
        ax.contour(A, B, L, levels=levels, colors=self.col("muted"), linewidths=0.6 * self.h / 720,
                   alpha=0.6, zorder=1)
        a_opt, b_opt = scene.geom.optimum
        ax.plot([a_opt], [b_opt], marker="*", ms=self.sz("line_width") * 6, color=self.col("text"),
                markeredgecolor=self.col("panel"), zorder=2, ls="none", label="optimum")
        lw = self.sz("line_width")
        self.path, = ax.plot([], [], color=self.col("path"), lw=lw * 0.5, alpha=0.75,
                             marker="o", ms=lw * 0.9)
        self.anim(self.path, 0)
        self.point, = ax.plot([], [], "o", color=self.col("line"), ms=lw * 3.4,
                              markeredgecolor=self.col("panel"), markeredgewidth=lw * 0.4)
        self.anim(self.point, 5)
        ms = lw * 5.5
        self.arrows = {}
        # The carried part often lies along the update (Adam, momentum): drawn thinner, on top.
        for key, color, z, width in (("full", "full_gradient", 2, 0.9), ("update", "update", 3, 0.9),
                                     ("carry", "velocity", 4, 0.6)):
            arr = FancyArrowPatch((0, 0), (1, 1), arrowstyle="-|>", mutation_scale=ms * width / 0.9,
                                  shrinkA=0, shrinkB=0, color=self.col(color), lw=lw * width)
            ax.add_patch(arr)
            self.arrows[key] = self.anim(arr, z)
        # Legend with proxy artists (static, drawn once in the background).
        from matplotlib.lines import Line2D
        handles = [Line2D([], [], color=self.col("update"), lw=lw, label="update applied"),
                   Line2D([], [], color=self.col("full_gradient"), lw=lw, label="full-batch step −lr·∇L")]
        if self.story.carry is not None:
            handles.append(Line2D([], [], color=self.col("velocity"), lw=lw, label=self.story.carry.label))
        handles.append(Line2D([], [], marker="*", color=self.col("text"), ls="none", ms=lw * 4,
                              label="optimum"))
        self.legend = ax.legend(handles=handles, loc=self._free_corner(), fontsize=self.sz("tick") * 0.95,
                                frameon=True, framealpha=0.85, facecolor=self.col("panel"),
                                edgecolor=self.col("grid"), labelcolor=self.col("text"), handlelength=1.4,
                                borderpad=0.4, labelspacing=0.3)
        self.legend.set_zorder(5)  # static: drawn under the animated path and arrows
        self.below = False  # the legend sits under the plot (finish_layout)
        # Above the plot, right-aligned, a little above the title's baseline.
        lift = ScaledTranslation(0, 0.4 * self.sz("title") / 72, scene.fig.dpi_scale_trans)
        self.scale_text = ax.text(1.0, 1.0, "", transform=ax.transAxes + lift,
                                  fontsize=self.sz("tick"), color=self.col("muted"), ha="right", va="bottom")
        self.anim(self.scale_text, 6)
        self.widest_scale_text = self._scale_label(self._top_scale())
        self.leaves = None
        if scene.geom.clipped:
            self.leaves = ax.text(0.02, 0.97, "the path leaves this view", transform=ax.transAxes,
                                  fontsize=self.sz("tick"), color=self.col("diverged"), ha="left",
                                  va="top", zorder=5)

    def _top_scale(self) -> float:
        return float(np.max(self.story.arrow_scale)) if self.story.n else 1.0

    def _fit_note(self) -> None:
        """The note above the plot says what the contours are and how much the arrows are
        magnified; where that would meet the title, only the magnification (in smaller type
        if even that does not fit)."""
        scene, tick = self.scene, self.sz("tick")
        title_w = scene.text_size("Parameter space", self.sz("title"), bold=True)[0]
        self.note_room = self.ax.bbox.width - title_w - 2 * self.px(tick)
        self._fits = {}
        self.scale_text.set_fontsize(tick)
        note_w = scene.text_size(f"arrows ×{self._top_scale():g}", tick)[0]
        if note_w > self.note_room > 0:
            self.scale_text.set_fontsize(tick * self.note_room / note_w * 0.95)
        self.widest_scale_text = max((self._scale_label(self._top_scale()), self._scale_label(1.0)),
                                     key=lambda t: scene.text_size(t, tick)[0])

    def _scale_label(self, scale: float) -> str:
        long = f"L(a, b) contours · arrows ×{scale:g}" if scale > 1 else "L(a, b) contours"
        room = getattr(self, "note_room", None)
        if room is None:  # before the axes are in place: the widest form, to make room for
            return long
        if long not in self._fits:
            self._fits[long] = self.scene.text_size(long, self.sz("tick"))[0] <= room
        if self._fits[long]:
            return long
        return f"arrows ×{scale:g}" if scale > 1 else ""

    def _free_corner(self) -> str:
        """The corner the path and the optimum stay away from: the legend goes there."""
        g = self.scene.geom.params
        s = self.story
        pa = np.append(s.path_a, self.scene.geom.optimum[0])
        pb = np.append(s.path_b, self.scene.geom.optimum[1])
        return free_corner((pa - g.x0) / (g.x1 - g.x0), (pb - g.y0) / (g.y1 - g.y0))

    def finish_layout(self) -> bool:
        """With the axes in place: the legend goes where nothing the run will draw passes
        (the whole path, the optimum, every arrow the plan shows), and clear of the note.
        True if it had to leave the plot (the axes must then make room)."""
        s, ax = self.story, self.ax
        self._fit_note()
        to_px = ax.transData.transform
        marks = [to_px(np.column_stack([s.path_a, s.path_b])),
                 to_px(np.array([self.scene.geom.optimum]))]
        plan = self.scene.plan
        shown = np.isin(plan.beat, (GRADIENT, UPDATE, FAST))
        for k in np.unique(plan.step[shown]) if s.n else []:
            for arrow in s.arrows(int(k)).values():
                marks.append(to_px(np.array([arrow.start, arrow.end])))
        obstacles = []
        if self.leaves is not None:
            e = self.leaves.get_window_extent(self.scene.renderer)
            obstacles.append(Box(e.x0, e.y0, e.x1, e.y1))
        if self.below or self.place_legend(self.legend, marks, obstacles, (self._free_corner(),)):
            return False
        # The path fills the view (batches of one point wander): the legend goes under the
        # plot, below the axis label, in one row if it fits, else two; the axes make room.
        renderer = self.scene.renderer
        drop = ax.bbox.y0 - min(ax.xaxis.label.get_window_extent(renderer).y0,
                                ax.bbox.y0 - 1) + 2
        handles, labels = self.legend.legend_handles, [t.get_text() for t in self.legend.get_texts()]
        kw = dict(frameon=False, labelcolor=self.col("text"), fontsize=self.sz("tick") * 0.95,
                  handlelength=1.4, columnspacing=1.0, borderaxespad=0.0, loc="upper center",
                  bbox_to_anchor=(0.5, 0.0),
                  bbox_transform=ax.transAxes + ScaledTranslation(0, -drop / self.scene.dpi,
                                                                  self.scene.fig.dpi_scale_trans))
        self.legend.remove()
        self.legend = ax.legend(handles, labels, ncols=len(labels), **kw)
        if self.legend.get_window_extent(renderer).width > self.scene.cells["params"].width:
            self.legend.remove()
            self.legend = ax.legend(handles, labels, ncols=2, **kw)
        self.legend.set_zorder(5)
        self.below = True
        return True

    def update(self, st: FrameState) -> None:
        s = self.story
        if s.n:
            pa, pb = s.path_a[:st.path_n], s.path_b[:st.path_n]
            if st.path_tip is not None:
                pa, pb = np.append(pa, st.path_tip[0]), np.append(pb, st.path_tip[1])
            if len(pa) > 4000:  # bounded cost per frame
                keep = np.unique(np.r_[np.linspace(0, len(pa) - 1, 4000).astype(int), len(pa) - 1])
                pa, pb = pa[keep], pb[keep]
            self.path.set_data(pa, pb)
            self.path.set_marker("o" if len(pa) <= 60 else "")
        else:
            self.path.set_data([], [])
        # A point that has left the view (a diverging run) waits at its edge, as in Manim;
        # the panel says that the path leaves the view.
        g = self.lim
        self.point.set_data([min(max(st.a, g.x0), g.x1)], [min(max(st.b, g.y0), g.y1)])
        show = st.arrow_frac > 0 and s.n > 0 and st.beat != HOLD
        for arr in self.arrows.values():
            arr.set_visible(False)
        self.scale_text.set_text(self._scale_label(1.0))
        if not show:
            return
        k = st.step
        scale = float(s.arrow_scale[k])
        for key, arrow in s.arrows(k, grow=st.arrow_frac).items():
            arr = self.arrows[key]
            arr.set_positions(arrow.start, arrow.end)
            arr.set_linestyle("--" if arrow.clipped else "-")  # cut at the edge: not its true length
            arr.set_visible(True)
        self.scale_text.set_text(self._scale_label(scale))


def _shrink_to(art, base: float, room, renderer) -> None:
    """Set ``art`` in ``base`` points, or smaller until it is no wider than ``room(extent)``
    pixels (glyph widths do not scale exactly with the size: a few tries)."""
    art.set_fontsize(base)
    if not art.get_text():
        return
    for _ in range(4):
        e = art.get_window_extent(renderer)
        r = room(e)
        if e.width <= r or r <= 0:
            return
        art.set_fontsize(art.get_fontsize() * r / e.width * 0.98)


def numbers_lines(s: Story, geom: Geometry, st: FrameState) -> tuple[str, str, str]:
    """The three lines under the numbers table for frame state ``st``."""
    if s.n == 0:
        return f"a = {_fmt(st.a)}     b = {_fmt(st.b)}", "no steps were recorded", ""
    k, lr = st.step, s.lr
    if st.beat == INTRO:
        return (f"start:  a = {_fmt(st.a)}     b = {_fmt(st.b)}",
                f"learning rate lr = {lr:g},  batch size = {s.batch_size_at(0)}", "")
    if st.beat == HOLD:
        full = float(s.trace.full_loss_at(st.a, st.b))
        a_opt, b_opt = geom.optimum
        return (f"final:  a = {_fmt(st.a)}     b = {_fmt(st.b)}", f"full-data loss L = {_fmt(full, 5)}",
                f"least squares:  a = {_fmt(a_opt)}     b = {_fmt(b_opt)}")
    first = f"batch loss L = {_fmt(s.loss[k], 5)}" if st.show_loss else ""
    if st.show_update:
        return (first, f"a:  {_fmt(s.a[k])} → {_fmt(s.a_after[k])}   (Δa = {_fmt(s.update_a[k])})",
                f"b:  {_fmt(s.b[k])} → {_fmt(s.b_after[k])}   (Δb = {_fmt(s.update_b[k])})")
    if st.show_grad:
        if s.plain_sgd:
            return first, f"next:  a − lr·∂L/∂a,   b − lr·∂L/∂b   (lr = {lr:g})", ""
        return first, f"next: {OPTIMIZER_NAMES[s.optimizer]} turns the gradient into a step (lr = {lr:g})", ""
    return first, f"a = {_fmt(s.a[k])}     b = {_fmt(s.b[k])}", ""


@dataclass
class _TableLayout:
    """Where the numbers panel puts things, in pixels from its axes' top-left corner."""

    fs: float            # table font, points
    lines_fs: float      # the three lines under (or beside) the table, points
    line: float          # row pitch, pixels
    rows: int            # batch rows shown
    xcol: list[float]    # right edge of each column
    colw: list[float]
    gap: float
    side: bool           # the three lines sit beside the table, not under it
    height: float        # pixels used


class NumbersLayout(_Base):
    """Sizes and places the numbers panel's table: the type shrinks only when the widest
    value it can show, or a line under it, would not fit the width, or one row the height."""

    COLS = ("x", "y", "ŷ", "ŷ − y", "∂L/∂a\nshare", "∂L/∂b\nshare")
    MAX_ROWS = 4
    LINE = 1.5        # row pitch, in font sizes
    HEAD = 2.3        # the two-line column heads and the rule under them, in rows
    SUM = 1.35        # the rule and the sums, in rows
    TEXT = 1.2        # pitch of the three lines, in rows

    def __init__(self, scene: "Scene"):
        super().__init__(scene)
        self.max_batch = max((len(r) for r in scene.trace.steps["indices"]), default=1)

    def _texts(self) -> tuple[list[list[str]], list[str]]:
        """The widest texts the panel shows in the plan's frames (every beat, and the steps
        the fast-forward shows): per column the longest values, and the three lines."""
        s, plan = self.story, self.scene.plan
        frames = {(int(k), int(b), float(t)) for k, b, t in zip(plan.step, plan.beat, plan.t)
                  if b != FAST and t in (0.0, 1.0)}
        fast = np.unique(plan.step[plan.beat == FAST])
        if len(fast):
            pick = fast[np.linspace(0, len(fast) - 1, min(len(fast), 60)).astype(int)]
            frames |= {(int(k), FAST, 1.0) for k in pick}
        lines = {text for k, b, t in frames for text in numbers_lines(s, self.scene.geom, s.state(k, b, t))}
        cols: list[set[str]] = [set() for _ in self.COLS]
        if s.n:
            for k in {s.n - 1 if b == HOLD else k for k, b, _ in frames if b != INTRO}:
                xb, yb, pred, res = s.batch(k)
                sa, sb = s.shares(k)
                for j, vals in enumerate((xb, yb, pred, res, sa, sb)):
                    cols[j].update(_fmt(v) for v in vals[: self.MAX_ROWS])
                cols[4].add(_fmt(s.grad_a[k]))
                cols[5].add(_fmt(s.grad_b[k]))
        longest = [sorted(c, key=len)[-4:] or ["0.0000"] for c in cols]
        return longest, sorted(lines - {""}) or [" "]

    def plan(self, W: float, H: float | None) -> _TableLayout:
        """The table's font, rows and columns for a W x H pixel panel (H None: as many rows
        as the batch has, up to MAX_ROWS, and the height that takes). The type shrinks only
        when the widest possible value or line would not fit the width, or one row the height."""
        measure = self.scene.text_size
        cols, lines = self._texts()
        want_rows = max(1, min(self.max_batch, self.MAX_ROWS))
        fs = self.sz("table")
        for _ in range(4):
            fs_px = self.px(fs)
            gap = 1.0 * fs_px
            # Values in regular type, the sums (last two columns) in bold.
            colw = [max([measure(h, fs * 0.92, bold=True)[0]]
                        + [measure(v, fs, bold=j >= 4)[0] for v in vals])
                    for j, (h, vals) in enumerate(zip(self.COLS, cols))]
            table_w = sum(colw) + gap * (len(colw) - 1)
            if table_w > W:  # shrink to the width
                fs *= W / table_w * 0.99
                continue
            # Spread spare width into the gaps, up to a limit: a wide panel must not look empty.
            gap = min(gap + (W - table_w) / len(colw), 3.5 * fs_px)
            table_w = sum(colw) + gap * (len(colw) - 1)
            lines_w = max(measure(t, fs)[0] for t in lines)
            lines_fs = fs
            side = table_w + 2.5 * gap + lines_w <= W
            if not side and lines_w > W:
                lines_fs = fs * W / lines_w * 0.99
            line = fs_px * self.LINE
            pitch = self.px(lines_fs) * self.LINE * self.TEXT

            def height(rows: int) -> float:
                table = line * (self.HEAD + rows + self.SUM - 0.5)
                text = pitch * 2.5
                return max(table, line * self.HEAD + text) if side else table + line + text

            rows = want_rows
            if H is not None:
                while rows > 1 and height(rows) > H:
                    rows -= 1
                if height(rows) > H:  # not even one row: smaller type
                    fs *= H / height(rows) * 0.99
                    continue
            xcol = list(np.cumsum(colw) + gap * np.arange(len(colw)))
            return _TableLayout(fs, lines_fs, line, rows, [float(x) for x in xcol], colw, gap, side,
                                height(rows))
        raise RuntimeError("the numbers panel found no layout")  # pragma: no cover


class NumbersView(_Base):
    """The article's per-batch table, then a, b, L and the update."""

    def __init__(self, scene: "Scene", ax):
        super().__init__(scene)
        self.ax = ax
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        th = self.theme
        ax.set_title("Numbers of this batch", loc="left", color=th.color("text"),
                     fontsize=self.sz("title"), fontweight="bold", pad=self.sz("title") * 0.5)
        fit = NumbersLayout(scene)
        self.max_batch = fit.max_batch
        W, H = ax.bbox.width, ax.bbox.height
        L = self.layout = fit.plan(W, H)
        self.n_rows = L.rows
        self.more = self.max_batch > L.rows

        def at(x_px: float, y_px: float) -> tuple[float, float]:  # pixels from the top-left
            return x_px / W, 1.0 - y_px / H

        fs, line = L.fs, L.line
        text_kw = dict(transform=ax.transAxes, fontsize=fs, color=th.color("text"), ha="right",
                       va="center")
        y = line * NumbersLayout.HEAD * 0.42
        for j, name in enumerate(NumbersLayout.COLS):
            color = {2: th.color("line"), 3: th.color("residual")}.get(j, th.color("muted"))
            ax.text(*at(L.xcol[j], y), name, fontweight="bold",
                    **{**text_kw, "color": color, "fontsize": fs * 0.92})
        rule_w = L.xcol[-1] / W
        y = line * NumbersLayout.HEAD
        ax.plot([0.0, rule_w], [at(0, y - 0.5 * line)[1]] * 2, transform=ax.transAxes,
                color=th.color("grid"), lw=1.0 * self.h / 720)
        self.cells = []
        for i in range(L.rows):
            self.cells.append([self.anim(ax.text(*at(L.xcol[j], y), "", **text_kw))
                               for j in range(len(NumbersLayout.COLS))])
            y += line
        y += line * (NumbersLayout.SUM - 1.0)
        ax.plot([0.0, rule_w], [at(0, y - 0.62 * line)[1]] * 2, transform=ax.transAxes,
                color=th.color("grid"), lw=1.0 * self.h / 720)
        # The sum row: "+N more" at the left, the label set back from the sums.
        self.more_text = self.anim(ax.text(*at(0, y), "", **{**text_kw, "ha": "left",
                                                            "color": th.color("muted")}))
        ax.text(*at(L.xcol[4] - L.colw[4] - L.gap, y), "sum = gradient",
                **{**text_kw, "color": th.color("muted")})
        self.sum_a = self.anim(ax.text(*at(L.xcol[4], y), "", fontweight="bold", **text_kw))
        self.sum_b = self.anim(ax.text(*at(L.xcol[5], y), "", fontweight="bold", **text_kw))
        left = dict(transform=ax.transAxes, fontsize=L.lines_fs, color=th.color("text"), ha="left",
                    va="center")
        if L.side:
            x0, y0 = L.xcol[-1] + 2.5 * L.gap, line * NumbersLayout.HEAD
        else:
            x0, y0 = 0.0, y + line * 1.5
        pitch = self.px(L.lines_fs) * NumbersLayout.LINE * NumbersLayout.TEXT
        self.lines = [self.anim(ax.text(*at(x0, y0 + i * pitch), "", **left)) for i in range(3)]

    # ------------------------------------------------------------------ frames
    def update(self, st: FrameState) -> None:
        s = self.story
        filled = set()
        if s.n and st.beat != INTRO:
            filled = self._fill_table(s.n - 1 if st.beat == HOLD else st.step, st)  # the end: the last batch
        for art in [c for row in self.cells for c in row] + [self.more_text, self.sum_a, self.sum_b]:
            if id(art) not in filled:
                art.set_text("")
        for art, text in zip(self.lines, numbers_lines(s, self.scene.geom, st)):
            if art.get_text() != text:
                art.set_text(text)
                self._fit_line(art)

    def _fit_line(self, art) -> None:
        """A line wider than the panel (a value wider than any the layout measured) is set
        in smaller type rather than cut at the panel's edge."""
        _shrink_to(art, self.layout.lines_fs, lambda e: self.ax.bbox.x1 - e.x0, self.scene.renderer)

    def _fill_table(self, k: int, st: FrameState) -> set[int]:
        """The article's table for step k's batch, with the columns this beat has revealed;
        returns the ids of the texts it set (the others are to be emptied)."""
        s = self.story
        filled: set[int] = set()
        xb, yb, pred, res = s.batch(k)
        sa, sb = s.shares(k)
        show_pred = st.pred_alpha > 0.5 or st.beat not in (FORWARD,)
        show_res = st.residual_frac > 0.3 or st.beat in (GRADIENT, UPDATE, FAST, HOLD)
        for i, row in enumerate(self.cells):
            if i >= len(xb):
                break
            vals = [xb[i], yb[i], pred[i], res[i], sa[i], sb[i]]
            shown = [True, True, show_pred, show_res, st.show_grad, st.show_grad]
            for j, (c, v, on) in enumerate(zip(row, vals, shown)):
                if on:
                    self._set_cell(c, _fmt(v), j)
                    filled.add(id(c))
        if len(xb) > self.n_rows:
            self.more_text.set_text(f"+{len(xb) - self.n_rows} more")
            filled.add(id(self.more_text))
        if st.show_grad:
            self._set_cell(self.sum_a, _fmt(s.grad_a[k]), 4)
            self._set_cell(self.sum_b, _fmt(s.grad_b[k]), 5)
            filled.update((id(self.sum_a), id(self.sum_b)))
        return filled

    def _set_cell(self, art, text: str, j: int) -> None:
        """A value wider than its column (wider than any the layout measured in the plan) is
        set in smaller type rather than run into its neighbour."""
        if art.get_text() == text:
            return
        art.set_text(text)
        room = self.layout.colw[j] + (0.5 * self.layout.gap if j else 0.0)  # the first: from the edge
        _shrink_to(art, self.layout.fs, lambda e: room, self.scene.renderer)


class Header(_Base):
    """Title, the beat's caption and the live values: epoch, batch, a, b, L, dL/da, dL/db.

    Laid out by measuring: the caption shares the title's row when both fit, else it gets a
    row of its own; the values take one row, or two in a narrow frame, and shrink only when
    even that does not fit. ``height_px`` is the band it takes at the top of the frame."""

    LABELS = ("epoch", "batch", "a =", "b =", "L =", "∂L/∂a =", "∂L/∂b =")

    def __init__(self, scene: "Scene", captions: list[str]):
        super().__init__(scene)
        fig, th = scene.fig, self.theme
        measure = scene.text_size
        W, H = scene.width, scene.height
        fs, title_fs = self.sz("text"), self.sz("title")
        margin = max(4.0, 0.012 * W)
        avail = W - 2 * margin
        name = OPTIMIZER_NAMES[self.story.optimizer]
        title = f"{name[0].upper()}{name[1:]} fits ŷ = a·x + b"
        title_w, _ = measure(title, title_fs, bold=True)
        if title_w > avail:
            title_fs *= avail / title_w * 0.99
            title_w = avail
        gap = self.px(fs)
        cap_w = max((measure(c, fs, italic=True)[0] for c in captions), default=0.0)
        self.same_row = title_w + 2 * gap + cap_w <= avail
        self.caption_room = avail - title_w - 2 * gap if self.same_row else avail
        self.caption_fs = fs

        # Live values at fixed positions, each as wide as its widest value: a changing number
        # never pushes its neighbours.
        st = scene.story
        batches = f"{st.steps_per_epoch}/{st.steps_per_epoch}"
        widest = (f"{st.epochs}/{st.epochs}", batches if len(batches) > len("done") else "done",
                  "−8.888e+8", "−8.888e+8", "8.8888e+8", "−8.888e+8", "−8.888e+8")
        lab_w = [measure(lab, fs)[0] for lab in self.LABELS]
        val_w = [measure(v, fs, bold=True)[0] for v in widest]
        vgap = 0.5 * self.px(fs)

        def row_w(idx, k=1.0) -> float:
            return k * (sum(lab_w[i] + val_w[i] for i in idx) + vgap * (3 * len(idx) - 2))

        n = len(self.LABELS)
        rows = [list(range(n))]
        if row_w(rows[0]) > avail and scene.arrangement != "wide":
            rows = [list(range(4)), list(range(4, n))]
        val_fs = fs
        for _ in range(4):  # smaller type rather than overlapping values (measured again:
            widest_row = max(row_w(r) for r in rows)  # widths do not scale exactly)
            if widest_row <= avail:
                break
            val_fs *= avail / widest_row * 0.98
            vgap = 0.5 * self.px(val_fs)
            lab_w = [measure(lab, val_fs)[0] for lab in self.LABELS]
            val_w = [measure(v, val_fs, bold=True)[0] for v in widest]
        k = 1.0

        # Rows from the top, in pixels.
        title_px, text_px = self.px(title_fs), self.px(max(fs, val_fs))
        y = 0.25 * title_px
        y_title = y + 0.6 * title_px
        y += 1.3 * title_px
        if not self.same_row:
            y_caption = y + 0.65 * text_px
            y += 1.45 * text_px
        else:
            y_caption = y_title
        y_values = []
        for _ in rows:
            y_values.append(y + 0.6 * text_px)
            y += 1.45 * text_px
        self.height_px = y + 0.15 * text_px

        def fy(y_px: float) -> float:
            return 1.0 - y_px / H

        x0 = margin / W
        fig.text(x0, fy(y_title), title, fontsize=title_fs, fontweight="bold", color=th.color("text"),
                 va="center", ha="left")
        if self.same_row:
            self.caption = fig.text(1 - x0, fy(y_caption), "", fontsize=fs, color=th.color("muted"),
                                    va="center", ha="right", style="italic")
        else:
            self.caption = fig.text(x0, fy(y_caption), "", fontsize=fs, color=th.color("muted"),
                                    va="center", ha="left", style="italic")
        self.anim(self.caption)
        self.fit_captions(captions)
        self.values: list = [None] * n
        if len(rows) == 1:  # one row: each slot as wide as it needs, spare width spread between
            spread = max(0.0, (avail - row_w(rows[0], k)) / (n - 1))
            lefts = [margin]
            for i in range(n - 1):
                lefts.append(lefts[-1] + k * (lab_w[i] + val_w[i] + 3 * vgap) + spread)
            starts = [lefts]
        else:  # two rows on one grid: the second row's slots sit under the first row's
            ncol = max(len(r) for r in rows)
            slot = [max(k * (lab_w[r[j]] + val_w[r[j]] + 3 * vgap) for r in rows if j < len(r))
                    for j in range(ncol)]
            spread = max(0.0, (avail + 3 * vgap * k - sum(slot)) / (ncol - 1))
            grid = [margin + sum(slot[:j]) + j * spread for j in range(ncol)]
            starts = [grid[:len(r)] for r in rows]
        for r, yv, xs in zip(rows, y_values, starts):
            for i, x in zip(r, xs):
                fig.text(x / W, fy(yv), self.LABELS[i], fontsize=val_fs, color=th.color("muted"),
                         va="center", ha="left")
                self.values[i] = self.anim(fig.text((x + k * (lab_w[i] + vgap)) / W, fy(yv), "",
                                                    fontsize=val_fs, color=th.color("text"), va="center",
                                                    ha="left", fontweight="bold"))

    def fit_captions(self, captions: list[str]) -> None:
        """The caption's type: the theme's, or smaller if one of ``captions`` would not fit."""
        fs = self.sz("text")
        for _ in range(4):
            widest = max((self.scene.text_size(c, fs, italic=True)[0] for c in captions), default=0.0)
            if widest <= self.caption_room:
                break
            fs *= self.caption_room / widest * 0.98
        self.caption_fs = fs
        self.caption.set_fontsize(fs)

    def update(self, st: FrameState) -> None:
        s = self.story
        self.caption.set_text(self.scene.caption(st.beat, st.step))
        # The final caption says where a run diverged, in the theme's warning colour.
        diverged_end = st.beat == HOLD and s.trace.status.diverged
        self.caption.set_color(self.col("diverged" if diverged_end else "muted"))
        if s.n:
            k = st.step
            ep = f"{s.epoch[k] + 1}/{s.epochs}"
            bt = f"{s.batch_idx[k] + 1}/{s.steps_per_epoch}"
            if st.beat == INTRO:
                ep, bt = "—", "—"
            if st.beat == HOLD:
                ep, bt = f"{s.epoch[-1] + 1}/{s.epochs}", "done"
        else:
            ep, bt = "—", "—"
        loss = _fmt(s.loss[st.step], 5) if s.n and st.show_loss and st.beat != HOLD else "—"
        if st.beat == HOLD and s.n:
            loss = _fmt(float(s.trace.full_loss_at(st.a, st.b)), 5)
        ga = _fmt(s.grad_a[st.step]) if s.n and st.show_grad and st.beat != HOLD else "—"
        gb = _fmt(s.grad_b[st.step]) if s.n and st.show_grad and st.beat != HOLD else "—"
        for art, v in zip(self.values, (ep, bt, _fmt(st.a), _fmt(st.b), loss, ga, gb)):
            art.set_text(v)


# Each view's share of the height when views are stacked (the numbers panel asks for its own).
WEIGHTS = {"fit": 1.0, "params": 1.0, "loss": 0.62, "numbers": 0.8}


def _cells(views: tuple[str, ...], W: float, top: float, arr: str,
           want: dict[str, float]) -> dict[str, tuple[float, float, float, float]]:
    """Cells (x, y, w, h in pixels, y up from the frame's bottom) under a header ending at
    ``top``. ``want``: heights some views ask for (the numbers panel: its table and lines)."""
    cells: dict[str, tuple[float, float, float, float]] = {}
    n = len(views)

    def stack(names, x, w, y_top, h_total):
        """Views one above the other, each by its weight or asked-for height."""
        fixed = {v: min(want[v], 0.45 * h_total) for v in names if v in want}
        rest = h_total - sum(fixed.values())
        wsum = sum(WEIGHTS[v] for v in names if v not in fixed) or 1.0
        y = y_top
        for v in names:
            h = fixed[v] if v in fixed else rest * WEIGHTS[v] / wsum
            y -= h
            cells[v] = (x, y, w, h)

    if arr == "wide" or n == 1:
        if n == 1:
            cells[views[0]] = (0, 0, W, top)
        elif n == 2:
            w0 = W * (0.55 if views[0] == "fit" else 0.5)
            cells[views[0]] = (0, 0, w0, top)
            cells[views[1]] = (w0, 0, W - w0, top)
        elif n == 3:
            w0 = W * 0.54
            cells[views[0]] = (0, 0, w0, top)
            h2 = min(want.get(views[2], 0.47 * top), 0.55 * top)
            cells[views[1]] = (w0, h2, W - w0, top - h2)
            cells[views[2]] = (w0, 0, W - w0, h2)
        else:
            # Two columns: views[0] above views[1] on the left, views[2] above views[3] on the right.
            w0 = W * 0.53
            h0 = top * 0.58
            cells[views[0]] = (0, top - h0, w0, h0)
            cells[views[1]] = (0, 0, w0, top - h0)
            h3 = min(max(want.get(views[3], 0.43 * top), 0.3 * top), 0.52 * top)
            cells[views[2]] = (w0, h3, W - w0, top - h3)
            cells[views[3]] = (w0, 0, W - w0, h3)
    elif arr == "square" and n == 4:
        # views[0] and views[2] side by side on top, views[1] and views[3] full width below.
        h3 = min(want.get(views[3], 0.3 * top), 0.36 * top)
        h1 = top * WEIGHTS[views[1]] / 2.6
        h0 = top - h1 - h3
        cells[views[0]] = (0, top - h0, W / 2, h0)
        cells[views[2]] = (W / 2, top - h0, W / 2, h0)
        cells[views[1]] = (0, h3, W, h1)
        cells[views[3]] = (0, 0, W, h3)
    else:  # tall, or fewer views in a square: one column
        order = (views[0], views[2], views[1], views[3]) if n == 4 else views
        stack(order, 0, W, top, top)
    return cells


class Scene:
    """A figure with the chosen views; ``update(k, beat, t)`` returns the artists to draw."""

    def __init__(self, trace: Trace, theme: Theme, size=(1280, 720),
                 views=VIEWS, fig: Figure | None = None, dpi: float = 100.0):
        self.trace = trace
        self.theme = theme
        self.views_names = check_views(views)
        self.width, self.height = int(size[0]), int(size[1])
        self.dpi = dpi
        self.geom = Geometry.of(trace)
        self.story = Story(trace, self.geom)
        if fig is None:
            fig = Figure(figsize=(self.width / dpi, self.height / dpi), dpi=dpi)
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            FigureCanvasAgg(fig)
        else:
            fig.set_size_inches(self.width / dpi, self.height / dpi)
            fig.set_dpi(dpi)
        self.fig = fig
        self.renderer = fig.canvas.get_renderer()
        from matplotlib.text import Text
        self._probe = Text(0, 0, "", figure=fig, family=theme.font_family)
        fig.set_facecolor(theme.color("background"))
        # Sizes are designed at 1280x720, where a panel is about 640 pixels wide. A wide frame
        # scales by its tighter side; a square or tall one stacks panels of the full width, so
        # 1080 pixels of width get the 720p type (not type 1.5 times too large for the height).
        self.arrangement = arrangement(self.width, self.height)
        design_w = 1280 if self.arrangement == "wide" else 1080
        s = self.scale = min(self.height / 720, self.width / design_w)
        self.views: list = []
        self.header = None
        self.use_plan(self.story.plan())
        self.header = Header(self, [c for c in self._captions.values()])
        self.header_px = self.header.height_px
        top = self.height - self.header_px
        want = {}
        if "numbers" in self.views_names:
            title = self.text_size("Numbers of this batch", theme.size("title", 720 * s), bold=True)[1]
            self._numbers_top = title * 1.25 + theme.size("title", 720 * s) * 0.5 * dpi / 72 + 6 * s
            width = _cells(self.views_names, self.width, top, self.arrangement, {})["numbers"][2]
            table = NumbersLayout(self).plan(width - 3 * 6 * s, None)
            want["numbers"] = table.height + self._numbers_top + 2 * 6 * s
        cells = _cells(self.views_names, self.width, top, self.arrangement, want)
        self.cells = {v: Bbox.from_bounds(*c) for v, c in cells.items()}
        self.cells["header"] = Bbox.from_extents(0, top, self.width, self.height)
        self.margin = 6 * s
        self.axes = {}
        classes = {"fit": FitView, "loss": LossView, "params": ParamView, "numbers": NumbersView}
        for name in self.views_names:
            c = self.cells[name]
            m = self.margin
            if name == "numbers":  # no ticks: the cell less its title
                rect = (c.x0 + 2 * m, c.y0 + m, c.width - 3 * m, c.height - m - self._numbers_top)
            else:  # a first guess; fitted to the cell below
                rect = (c.x0 + 70 * s, c.y0 + 56 * s, c.width - 86 * s, c.height - 90 * s)
            rect = (rect[0], rect[1], max(rect[2], 10.0), max(rect[3], 10.0))
            ax = fig.add_axes((rect[0] / self.width, rect[1] / self.height,
                               rect[2] / self.width, rect[3] / self.height))
            self.axes[name] = ax
            view = classes[name](self, ax)
            self.views.append(view)
            # Fit the axes to its cell, place what depends on the axes' pixels (legends), and
            # once more if a legend moved out of the plot: it takes room in the cell too.
            if name != "numbers":
                self._fit_axes(ax, c, view)
            if hasattr(view, "finish_layout") and view.finish_layout():
                self._fit_axes(ax, c, view)
                view.finish_layout()
        self.views.append(self.header)
        self.text_views = [v for v in self.views if isinstance(v, (Header, NumbersView))]
        arts = [a for v in self.views for a in v.animated]
        self.artists = sorted(arts, key=lambda a: a.get_zorder())  # draw order = full-draw order

    # ------------------------------------------------------------------ layout helpers
    def text_size(self, text: str, fontsize: float, bold: bool = False,
                  italic: bool = False) -> tuple[float, float]:
        """Width and height in pixels of ``text`` as this figure draws it."""
        t = self._probe
        t.set_text(text)
        t.set_fontsize(fontsize)
        t.set_fontweight("bold" if bold else "normal")
        t.set_fontstyle("italic" if italic else "normal")
        e = t.get_window_extent(self.renderer)
        return e.width, e.height

    def _fit_axes(self, ax, cell: Bbox, view) -> None:
        """Shrink the axes until its title, tick labels, axis labels and the texts around it
        (measured with their widest content) sit inside ``cell``."""
        probe = getattr(view, "scale_text", None)
        if probe is not None:
            probe.set_text(view.widest_scale_text)
        m = self.margin
        try:
            for _ in range(3):
                tight = ax.get_tightbbox(self.renderer)
                inner = ax.bbox
                left, bottom = inner.x0 - tight.x0, inner.y0 - tight.y0
                right, top = tight.x1 - inner.x1, tight.y1 - inner.y1
                x0, y0 = cell.x0 + left + m, cell.y0 + bottom + m
                w = max(cell.width - left - right - 2 * m, 10.0)
                h = max(cell.height - bottom - top - 2 * m, 10.0)
                new = (x0 / self.width, y0 / self.height, w / self.width, h / self.height)
                if np.allclose(new, ax.get_position().bounds, atol=0.25 / max(self.width, self.height)):
                    break
                ax.set_position(new)
        finally:
            if probe is not None:
                probe.set_text("")
        self._untangle_ticks(ax)

    def _untangle_ticks(self, ax) -> None:
        """Drop a y tick whose label would run into an x tick label (the corner where the
        axes meet): the limits are fixed, so the ticks can be too."""
        r = self.renderer
        x_boxes = [t.label1.get_window_extent(r) for t in ax.xaxis._update_ticks()
                   if t.label1.get_visible() and t.label1.get_text()]
        ticks = ax.yaxis._update_ticks()
        keep = [t.get_loc() for t in ticks
                if not (t.label1.get_visible() and t.label1.get_text()
                        and any(t.label1.get_window_extent(r).overlaps(b) for b in x_boxes))]
        if len(keep) < len(ticks):
            ax.set_yticks(keep)

    # ------------------------------------------------------------------ frames
    def use_plan(self, plan: FramePlan) -> None:
        """Take the captions of this plan's segments (the beat boundaries) from the story."""
        self.plan = plan
        self._captions: dict = {}
        for seg, (_, _, text) in zip(plan.segments(), self.story.captions(plan)):
            self._captions[(seg.beat, -1 if seg.beat == FAST else int(seg.steps[0]))] = text
        if self.header is not None:
            self.header.fit_captions(list(self._captions.values()))
            for v in self.views:  # the arrows this plan shows decide where the legend goes
                if isinstance(v, ParamView) and v.finish_layout():
                    self._fit_axes(v.ax, self.cells["params"], v)
                    v.finish_layout()

    def caption(self, beat: int, step: int) -> str:
        key = (beat, -1 if beat == FAST else (0 if beat == INTRO else step))
        if key not in self._captions:  # a frame outside the plan (a test's own frame)
            return self.story.caption(beat, step, self.story.n - 1 if beat == FAST else step)
        return self._captions[key]

    def view(self, name: str):
        return self.views[self.views_names.index(name)]

    def update(self, k: int, beat: int, t: float, text_step: int | None = None) -> list[Artist]:
        """Set every animated artist for frame (step k, beat, t); return them in draw order.

        ``text_step``: in fast-forward, the step whose numbers the text shows (the renderer
        refreshes the numbers a few times a second: 30 values a second cannot be read).
        """
        st = self.story.state(k, beat, t)
        st_text = st if text_step is None or beat != FAST else self.story.state(text_step, beat, t)
        for v in self.views:
            v.update(st_text if v in self.text_views else st)
        return self.artists

    def groups(self) -> list[tuple[Bbox, list[Artist]]]:
        """Artists (text panels) whose pixels depend only on their own state, with the region
        they cover: nothing else animated is drawn there, so a region can be reused as is."""
        out = []
        for v in self.text_views:
            if isinstance(v, Header):
                box = Bbox.from_extents(0, self.height - self.header_px, self.width, self.height)
            else:
                box = v.ax.bbox.expanded(1.0, 1.0).padded(4)
            out.append((box, list(v.animated)))
        if "params" in self.views_names:  # the note above the parameter panel
            pv = self.view("params")
            ab = pv.ax.bbox
            pv.scale_text.set_text(pv.widest_scale_text)
            e = pv.scale_text.get_window_extent(self.renderer)
            pv.scale_text.set_text("")
            out.append((Bbox.from_extents(min(e.x0, ab.x1 - 4) - 4, ab.y1 + 1, ab.x1 + 4,
                                          max(e.y1, ab.y1 + 4) + 4), [pv.scale_text]))
        return out


def build_scene(trace: Trace, theme: Theme, size=(1280, 720), views=VIEWS,
                fig: Figure | None = None) -> Scene:
    return Scene(trace, theme, size, views, fig)
