"""The matplotlib views: Fit, Loss, Parameter space and Numbers, plus the header of live values.

Every artist is created once; ``update`` only sets data, text and visibility. Artists that
change between frames are marked animated (and drawn above the static ones), so the fast
saver can draw the static figure once and blit only these.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.transforms import Bbox

from scenes.story.captions import OPTIMIZER_NAMES
from scenes.story.frames import FrameState
from scenes.story.geometry import Geometry, free_corner
from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE, FramePlan
from scenes.story.story import Story
from scenes.story.theme import Theme
from training.errors import InputError
from training.trace import Trace

__all__ = ["VIEWS", "Scene", "build_scene", "check_views"]

VIEWS = ("fit", "loss", "params", "numbers")
ANIM_Z = 10  # animated artists sit above everything static, so blitting matches a full draw

def check_views(views) -> tuple[str, ...]:
    views = tuple(views)
    bad = [v for v in views if v not in VIEWS]
    if bad or not views or len(set(views)) != len(views):
        what = f"unknown view {bad[0]!r}" if bad else "views must be distinct and not empty"
        raise InputError(f"{what}; accepted: {', '.join(VIEWS)}")
    return views


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

    def anim(self, artist: Artist, z: float = 0.0) -> Artist:
        artist.set_animated(True)
        artist.set_zorder(ANIM_Z + z)
        self.animated.append(artist)
        return artist

    def style_axes(self, ax, title: str, xlabel: str, ylabel: str) -> None:
        th = self.theme
        ax.set_facecolor(th.color("panel"))
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_color(th.color("muted"))
        ax.tick_params(colors=th.color("muted"), labelcolor=th.color("text"), labelsize=self.sz("tick"))
        ax.set_title(title, loc="left", color=th.color("text"), fontsize=self.sz("title"),
                     fontweight="bold", pad=self.sz("title") * 0.5)
        ax.set_xlabel(xlabel, color=th.color("text"), fontsize=self.sz("label"), labelpad=2)
        ax.set_ylabel(ylabel, color=th.color("text"), fontsize=self.sz("label"), labelpad=2)
        ax.grid(True, color=th.color("grid"), linewidth=0.8 * self.h / 720)
        ax.set_axisbelow(True)
        ax.set_autoscale_on(False)


class FitView(_Base):
    """Data points, the current line, the batch highlighted, residual segments, the ghost line."""

    def __init__(self, scene: "Scene", ax):
        super().__init__(scene)
        self.ax = ax
        g, tr = scene.geom.fit, scene.trace
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
            if st.pred_alpha > 0:
                self.pred.set_offsets(np.column_stack([xb, pred]))
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
        self.anim(self.cursor, 2)
        self.dot, = ax.plot([], [], "o", color=self.col("loss_batch"), ms=lw * 3.0,
                            markeredgecolor=self.col("panel"), markeredgewidth=lw * 0.4)
        self.anim(self.dot, 3)
        # Keep the cost of a frame bounded for 100k-step runs: draw at most MAX_POINTS vertices.
        self.stride = max(1, math.ceil(st.n / self.MAX_POINTS))
        if self.stride > 1:
            self.batch_line.set_label(f"batch loss (mean of {self.stride} steps)")
        leg = ax.legend(loc=self._free_corner(), fontsize=self.sz("tick"), frameon=False,
                        labelcolor=self.col("text"), handlelength=1.5)
        leg.set_zorder(1)

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

    MIN_ARROW = 0.14  # arrows shorter than this fraction of the panel are magnified (labelled)

    def __init__(self, scene: "Scene", ax):
        super().__init__(scene)
        self.ax = ax
        g = scene.geom.params
        ax.set_xlim(g.x0, g.x1)
        ax.set_ylim(g.y0, g.y1)
        self.span = (g.x1 - g.x0, g.y1 - g.y0)
        self.style_axes(ax, "Parameter space", "a (weight)", "b (bias)")
        ax.grid(False)
        A, B, L, levels = self.story.contours()
        ax.contourf(A, B, L, levels=np.concatenate([[0], levels]), cmap=self.col("contour_map"),
                    alpha=0.38, zorder=0, extend="max")
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
        leg = ax.legend(handles=handles, loc=self._free_corner(), fontsize=self.sz("tick") * 0.95,
                        frameon=True, framealpha=0.85, facecolor=self.col("panel"),
                        edgecolor=self.col("grid"), labelcolor=self.col("text"), handlelength=1.4,
                        borderpad=0.4, labelspacing=0.3)
        leg.set_zorder(5)  # static: the path may pass over it, in a full draw and a blit alike
        self.scale_text = ax.text(1.0, 1.0 + 0.4 * self.sz("title") / 72 * scene.dpi / (
            scene.height * ax.get_position().height), "", transform=ax.transAxes,
            fontsize=self.sz("tick"), color=self.col("muted"), ha="right", va="bottom")
        self.anim(self.scale_text, 6)
        if scene.geom.clipped:
            ax.text(0.02, 0.97, "the path leaves this view", transform=ax.transAxes,
                    fontsize=self.sz("tick"), color=self.col("diverged"), ha="left", va="top",
                    zorder=5)

    def _free_corner(self) -> str:
        """The corner the path and the optimum stay away from: the legend goes there."""
        g = self.scene.geom.params
        s = self.story
        pa = np.append(s.path_a, self.scene.geom.optimum[0])
        pb = np.append(s.path_b, self.scene.geom.optimum[1])
        return free_corner((pa - g.x0) / (g.x1 - g.x0), (pb - g.y0) / (g.y1 - g.y0))

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
        self.point.set_data([st.a], [st.b])
        show = st.arrow_frac > 0 and s.n > 0 and st.beat != HOLD
        for arr in self.arrows.values():
            arr.set_visible(False)
        self.scale_text.set_text("L(a, b) contours")
        if not show:
            return
        k = st.step
        scale = float(s.arrow_scale[k])
        for key, arrow in s.arrows(k, grow=st.arrow_frac).items():
            arr = self.arrows[key]
            arr.set_positions(arrow.start, arrow.end)
            arr.set_linestyle("--" if arrow.clipped else "-")  # cut at the edge: not its true length
            arr.set_visible(True)
        if scale > 1:
            self.scale_text.set_text(f"L(a, b) contours · arrows ×{scale:g}")


class NumbersView(_Base):
    """The article's per-batch table, then a, b, L and the update."""

    COLS = ("x", "y", "ŷ", "ŷ − y", "∂L/∂a\nshare", "∂L/∂b\nshare")
    MAX_ROWS = 4

    def __init__(self, scene: "Scene", ax):
        super().__init__(scene)
        self.ax = ax
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        th = self.theme
        ax.set_title("Numbers of this batch", loc="left", color=th.color("text"),
                     fontsize=self.sz("title"), fontweight="bold", pad=self.sz("title") * 0.5)
        fs = self.sz("table")
        n_rows = min(max((len(r) for r in scene.trace.steps["indices"]), default=1), self.MAX_ROWS)
        self.n_rows = n_rows
        self.more = max((len(r) for r in scene.trace.steps["indices"]), default=0) > n_rows
        self.xcol = 0.02 + (np.arange(len(self.COLS)) + 1) * (0.96 / len(self.COLS))
        # Row positions in axes fraction, top down: header, rows, (more), sum, then text lines.
        fig_h_px = scene.height * ax.get_position().height
        line = (fs * 1.55) / 72 * scene.dpi / fig_h_px  # one text line in axes fraction
        y = 1.0 - line * 0.9
        text_kw = dict(transform=ax.transAxes, fontsize=fs, color=th.color("text"), ha="right",
                       va="center")
        for j, name in enumerate(self.COLS):
            color = th.color("muted")
            if j == 2:
                color = th.color("line")
            if j == 3:
                color = th.color("residual")
            ax.text(self.xcol[j], y, name, fontweight="bold", **{**text_kw, "color": color,
                                                                "fontsize": fs * 0.92})
        y -= line * 1.35
        ax.plot([0.02, 0.99], [y + line * 0.55] * 2, transform=ax.transAxes, color=th.color("grid"),
                lw=1.0 * self.h / 720)
        self.cells = []
        for i in range(n_rows):
            row = [self.anim(ax.text(self.xcol[j], y, "", **text_kw)) for j in range(len(self.COLS))]
            self.cells.append(row)
            y -= line
        self.more_text = self.anim(ax.text(self.xcol[0], y, "", **{**text_kw, "color": th.color("muted")}))
        if self.more:
            y -= line
        ax.plot([0.02, 0.99], [y + line * 0.5] * 2, transform=ax.transAxes, color=th.color("grid"),
                lw=1.0 * self.h / 720)
        # Set back from the sums: a wide sum such as 3.46e−4 must not run into the label.
        ax.text(self.xcol[3] - 0.3 * (self.xcol[4] - self.xcol[3]), y, "sum = gradient",
                **{**text_kw, "color": th.color("muted")})
        self.sum_a = self.anim(ax.text(self.xcol[4], y, "", fontweight="bold", **text_kw))
        self.sum_b = self.anim(ax.text(self.xcol[5], y, "", fontweight="bold", **text_kw))
        y -= line * 1.5
        left = dict(transform=ax.transAxes, fontsize=fs, color=th.color("text"), ha="left", va="center")
        self.lines = [self.anim(ax.text(0.03, y - i * line * 1.1, "", **left)) for i in range(3)]

    def update(self, st: FrameState) -> None:
        s = self.story
        for row in self.cells:
            for c in row:
                c.set_text("")
        self.more_text.set_text("")
        self.sum_a.set_text("")
        self.sum_b.set_text("")
        lr = s.lr
        if s.n == 0:
            self.lines[0].set_text(f"a = {_fmt(st.a)}     b = {_fmt(st.b)}")
            self.lines[1].set_text("no steps were recorded")
            self.lines[2].set_text("")
            return
        k = st.step
        if st.beat in (INTRO, HOLD):
            if st.beat == INTRO:
                self.lines[0].set_text(f"start:  a = {_fmt(st.a)}     b = {_fmt(st.b)}")
                self.lines[1].set_text(f"learning rate lr = {lr:g},  batch size = {len(s.batch(0)[0])}")
                self.lines[2].set_text("")
            else:
                self._fill_table(s.n - 1, st)  # the last batch, as autograd saw it
                full = float(s.trace.full_loss_at(st.a, st.b))
                self.lines[0].set_text(f"final:  a = {_fmt(st.a)}     b = {_fmt(st.b)}")
                self.lines[1].set_text(f"full-data loss L = {_fmt(full, 5)}")
                a_opt, b_opt = self.scene.geom.optimum
                self.lines[2].set_text(f"least squares:  a = {_fmt(a_opt)}     b = {_fmt(b_opt)}")
            return
        self._fill_table(k, st)
        self.lines[0].set_text(f"batch loss L = {_fmt(s.loss[k], 5)}" if st.show_loss else "")
        if st.show_update:
            self.lines[1].set_text(f"a:  {_fmt(s.a[k])} → {_fmt(s.a_after[k])}   (Δa = {_fmt(s.update_a[k])})")
            self.lines[2].set_text(f"b:  {_fmt(s.b[k])} → {_fmt(s.b_after[k])}   (Δb = {_fmt(s.update_b[k])})")
        elif st.show_grad:
            if s.plain_sgd:
                self.lines[1].set_text(f"next:  a − lr·∂L/∂a,   b − lr·∂L/∂b   (lr = {lr:g})")
            else:
                self.lines[1].set_text(f"next: {OPTIMIZER_NAMES[s.optimizer]} turns the gradient into a step (lr = {lr:g})")
            self.lines[2].set_text("")
        else:
            self.lines[1].set_text(f"a = {_fmt(s.a[k])}     b = {_fmt(s.b[k])}")
            self.lines[2].set_text("")


    def _fill_table(self, k: int, st: FrameState) -> None:
        """The article's table for step k's batch, with the columns this beat has revealed."""
        s = self.story
        xb, yb, pred, res = s.batch(k)
        sa, sb = s.shares(k)
        show_pred = st.pred_alpha > 0.5 or st.beat not in (FORWARD,)
        show_res = st.residual_frac > 0.3 or st.beat in (GRADIENT, UPDATE, FAST, HOLD)
        for i, row in enumerate(self.cells):
            if i >= len(xb):
                break
            vals = [xb[i], yb[i], pred[i], res[i], sa[i], sb[i]]
            shown = [True, True, show_pred, show_res, st.show_grad, st.show_grad]
            for c, v, on in zip(row, vals, shown):
                c.set_text(_fmt(v) if on else "")
        if len(xb) > self.n_rows:
            self.more_text.set_text(f"+{len(xb) - self.n_rows} more")
        if st.show_grad:
            self.sum_a.set_text(_fmt(s.grad_a[k]))
            self.sum_b.set_text(_fmt(s.grad_b[k]))


class Header(_Base):
    """Title, the beat's caption and the live values: epoch, batch, a, b, L, dL/da, dL/db."""

    def __init__(self, scene: "Scene", top: float, height: float):
        super().__init__(scene)
        fig, th = scene.fig, self.theme
        fs = self.sz("text")
        y1 = top + height * 0.70
        y2 = top + height * 0.24
        name = OPTIMIZER_NAMES[self.story.optimizer]
        title = f"{name[0].upper()}{name[1:]} fits ŷ = a·x + b"
        fig.text(0.012, y1, title, fontsize=self.sz("title"), fontweight="bold", color=th.color("text"),
                 va="center", ha="left")
        self.caption = self.anim(fig.text(0.988, y1, "", fontsize=fs, color=th.color("muted"),
                                          va="center", ha="right", style="italic"))
        # Live values at fixed positions, each as wide as its widest value: a changing number
        # never pushes its neighbours.
        labels = ("epoch", "batch", "a =", "b =", "L =", "∂L/∂a =", "∂L/∂b =")
        st = scene.story
        batches = f"{st.steps_per_epoch}/{st.steps_per_epoch}"
        widest = (f"{st.epochs}/{st.epochs}", batches if len(batches) > len("done") else "done",
                  "−8.888e+8", "−8.888e+8", "8.8888e+8", "−8.888e+8", "−8.888e+8")
        renderer = fig.canvas.get_renderer()

        def width(text: str, bold: bool) -> float:
            t = fig.text(0, 0, text, fontsize=fs, fontweight="bold" if bold else "normal")
            w = t.get_window_extent(renderer).width / scene.width
            t.remove()
            return w

        gap = 0.5 * fs / 72 * scene.dpi / scene.width
        lab_w = [width(lab, False) for lab in labels]
        val_w = [width(v, True) for v in widest]
        total = sum(lab_w) + sum(val_w) + gap * 3 * len(labels)
        if total > 0.976:  # a narrow frame: smaller type rather than overlapping values
            shrink = 0.976 / total
            fs *= shrink
            gap *= shrink
            lab_w = [w * shrink for w in lab_w]
            val_w = [w * shrink for w in val_w]
            total = 0.976
        spread = max(0.0, (0.976 - total) / (len(labels) - 1))
        x = 0.012
        self.values = []
        for lab, lw_, vw in zip(labels, lab_w, val_w):
            fig.text(x, y2, lab, fontsize=fs, color=th.color("muted"), va="center", ha="left")
            self.values.append(self.anim(fig.text(x + lw_ + gap, y2, "", fontsize=fs,
                                                  color=th.color("text"), va="center", ha="left",
                                                  fontweight="bold")))
            x += lw_ + vw + gap * 3 + spread

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


@dataclass
class _Rect:
    left: float
    bottom: float
    width: float
    height: float


def _layout(views: tuple[str, ...], width: int, height: int, header_px: float,
            pad_px: dict[str, tuple[float, float, float, float]]) -> dict[str, _Rect]:
    """Panel rectangles (figure fraction) for the chosen views, 16:9 friendly.

    Cells are split in pixels, then each panel is inset by room for its labels
    (left, bottom, right, top), given per view in pixels.
    """
    W, H = float(width), float(height)
    top = H - header_px
    cells: dict[str, tuple[float, float, float, float]] = {}  # x, y, w, h in px
    n = len(views)
    if n == 1:
        cells[views[0]] = (0, 0, W, top)
    elif n == 2:
        w0 = W * (0.55 if views[0] == "fit" else 0.5)
        cells[views[0]] = (0, 0, w0, top)
        cells[views[1]] = (w0, 0, W - w0, top)
    elif n == 3:
        w0 = W * 0.54
        cells[views[0]] = (0, 0, w0, top)
        cells[views[1]] = (w0, top * 0.47, W - w0, top * 0.53)
        cells[views[2]] = (w0, 0, W - w0, top * 0.47)
    else:
        # Two columns: views[0] above views[1] on the left, views[2] above views[3] on the right.
        w0 = W * 0.53
        h0 = top * 0.58
        cells[views[0]] = (0, top - h0, w0, h0)
        cells[views[1]] = (0, 0, w0, top - h0)
        cells[views[2]] = (w0, top * 0.43, W - w0, top * 0.57)
        cells[views[3]] = (w0, 0, W - w0, top * 0.43)
    out = {}
    for v, (x, y, w, h) in cells.items():
        l, b, r, t = pad_px[v]
        out[v] = _Rect((x + l) / W, (y + b) / H, max(w - l - r, 10) / W, max(h - b - t, 10) / H)
    return out


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
        self.use_plan(self.story.plan())
        if fig is None:
            fig = Figure(figsize=(self.width / dpi, self.height / dpi), dpi=dpi)
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            FigureCanvasAgg(fig)
        else:
            fig.set_size_inches(self.width / dpi, self.height / dpi)
            fig.set_dpi(dpi)
        self.fig = fig
        fig.set_facecolor(theme.color("background"))
        # Sizes are designed at 1280x720; a frame of another shape scales by its tighter side,
        # so a square 1080x1080 frame gets 16:9-sized type, not type 1.5 times too large.
        s = self.scale = min(self.height / 720, self.width / 1280)
        header_px = 62 * s
        pad = {"fit": (78 * s, 56 * s, 14 * s, 34 * s), "loss": (78 * s, 56 * s, 14 * s, 34 * s),
               "params": (66 * s, 56 * s, 16 * s, 34 * s), "numbers": (12 * s, 8 * s, 12 * s, 34 * s)}
        rects = _layout(self.views_names, self.width, self.height, header_px, pad)
        self.axes = {}
        self.views: list = []
        classes = {"fit": FitView, "loss": LossView, "params": ParamView, "numbers": NumbersView}
        for name in self.views_names:
            r = rects[name]
            ax = fig.add_axes((r.left, r.bottom, r.width, r.height))
            self.axes[name] = ax
            self.views.append(classes[name](self, ax))
        self.header_px = header_px
        self.header = Header(self, 1 - header_px / self.height, header_px / self.height)
        self.views.append(self.header)
        self.text_views = [v for v in self.views if isinstance(v, (Header, NumbersView))]
        arts = [a for v in self.views for a in v.animated]
        self.artists = sorted(arts, key=lambda a: a.get_zorder())  # draw order = full-draw order

    def use_plan(self, plan: FramePlan) -> None:
        """Take the captions of this plan's segments (the beat boundaries) from the story."""
        self._captions: dict = {}
        for seg, (_, _, text) in zip(plan.segments(), self.story.captions(plan)):
            self._captions[(seg.beat, -1 if seg.beat == FAST else int(seg.steps[0]))] = text

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
            out.append((Bbox.from_extents(ab.x0 + ab.width * 0.45, ab.y1 + 1, ab.x1 + 4,
                                          ab.y1 + 30 * self.scale), [pv.scale_text]))
        return out


def build_scene(trace: Trace, theme: Theme, size=(1280, 720), views=VIEWS,
                fig: Figure | None = None) -> Scene:
    return Scene(trace, theme, size, views, fig)
