"""The loss view: the batch loss and the full-data loss step by step, the current step
marked; long runs are drawn through a bounded number of vertices. For a plane through
parameter space (P > 2) a third curve: the plane's loss at the path's projection, so the
gap between the run and the picture of the parameter view shows."""
from __future__ import annotations

import math

import numpy as np
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import ScaledTranslation

from scenes.mpl.views.style import ViewBase
from scenes.story.frames import FrameState
from scenes.story.geometry import free_corner
from scenes.story.plan import FAST, HOLD

__all__ = ["LossView"]


def _finite(v: float) -> float | None:
    """``v``, or None when it is not a number to draw (a run that overflowed)."""
    return v if math.isfinite(v) else None


class LossView(ViewBase):
    """Batch loss per step and full-data loss, with the current step marked. Fixed limits."""

    MAX_POINTS = 3000  # longer runs are drawn through a min/max envelope (same look, bounded cost)
    MIN_ABOVE = 0.75   # the smallest share of the tick size the legend beside the title may take

    def __init__(self, scene, ax):
        super().__init__(scene)
        self.ax = ax
        st, geom = self.story, scene.geom
        x0, x1, y0, y1 = geom.loss_limits(st.n)
        self.style_axes(ax, "Loss" + ("  (log scale)" if geom.log_loss else ""), "step", st.words.loss_name)
        if geom.log_loss:
            ax.set_yscale("log")
        ax.set_ylim(y0, y1)
        ax.set_xlim(x0, x1)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True))
        lw = self.sz("line_width")
        self.steps = np.arange(st.n, dtype=np.float64)
        self.batch_line, = ax.plot([], [], color=self.col("loss_batch"), lw=lw * 0.45, alpha=0.85,
                                   label="batch loss")
        self.anim(self.batch_line, 0)
        # (a loop recorded without x, y: the thick curve is the batch loss too, and says so)
        self.full_line, = ax.plot([], [], color=self.col("loss_full"), lw=lw, label=st.full_loss_words)
        self.anim(self.full_line, 1)
        land = st.plane.land
        # The surface under the projected path (before each step), dashed: where it parts from
        # the full-data loss, the path is off the plane.
        self.surface = land.surface_loss[:-1] if land is not None and st.n else None
        # The full-data loss after the last step (what the header's L says at the end): the curve
        # holds the loss before each step, so without this point it stops one step short, and a
        # diverging run's curve ends an order of magnitude below the number beside it.
        self.final_full = (None if not st.n or st.trace.full_loss_is_batch
                           else _finite(float(st.trace.final_full_loss)))
        self.final_surface = _finite(float(land.surface_loss[-1])) if self.surface is not None else None
        self.surface_line = None
        if self.surface is not None:
            self.surface_line, = ax.plot([], [], color=self.col("path"), lw=lw * 0.8, ls=(0, (3, 2)),
                                         label="plane's loss under the path")
            self.anim(self.surface_line, 1)
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
        elif st.trace.full_loss_is_batch:  # the same numbers as the thick curve: one legend entry
            self.batch_line.set_label("_batch loss")
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
        if self.surface is not None:  # the third curve too
            pts = np.vstack([pts, ax.transData.transform(np.column_stack([
                self.steps, np.clip(self.surface, *sorted(ax.get_ylim()))]))])
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
        curves = ((s.loss, True, None), (s.full_loss, False, self.final_full)) + (
            ((self.surface, False, self.final_surface),) if self.surface is not None else ())
        for y, mean, end in curves:
            xs, ys = self._with_end(*self._thin(y, s.n, mean=mean), end, True)
            ys = np.where(np.isfinite(ys), np.clip(ys, lo, hi), np.nan)
            marks.append(ax.transData.transform(np.column_stack([xs, ys])))
        first = self._free_corner()
        wide = self.legend.get_window_extent(self.scene.renderer).width > ax.bbox.width
        if not wide and self.place_legend(self.legend, marks, [], (first, "upper right", "lower left",
                                                      "lower right", "upper left")):
            return False
        self._legend_above()
        return True

    def _legend_above(self) -> None:
        """The curves fill the plot (batches of one point): the legend goes above it, in one
        row at the right of the title, where it covers nothing (smaller if need be)."""
        ax, renderer = self.ax, self.scene.renderer
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
        if fs < self.sz("tick") * self.MIN_ABOVE or width > room:
            self._legend_below()  # a narrow panel (beside two views, over the graph band)
        self.legend.set_zorder(1)
        self.above = True

    def _legend_below(self) -> None:
        """No room beside the title: the legend goes under the plot, below the axis label,
        in one row (smaller, down to MIN_ABOVE, if the cell is narrow); the axes make room."""
        ax, renderer = self.ax, self.scene.renderer
        drop = ax.bbox.y0 - min(ax.xaxis.label.get_window_extent(renderer).y0, ax.bbox.y0 - 1) + 2
        room = self.scene.cells["loss"].width - 2 * self.scene.margin
        fs, ncols = self.sz("tick"), 2
        for _ in range(4):
            self.legend.remove()
            self.legend = ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=ncols, borderaxespad=0.0,
                                    bbox_transform=ax.transAxes + ScaledTranslation(
                                        0, -drop / self.scene.dpi, self.scene.fig.dpi_scale_trans),
                                    fontsize=fs, frameon=False, labelcolor=self.col("text"), handlelength=1.5,
                                    columnspacing=1.2)
            width = self.legend.get_window_extent(renderer).width
            if width <= room or ncols == 1:
                break
            if fs <= self.sz("tick") * self.MIN_ABOVE:  # two columns do not fit even small: one
                ncols = 1
                continue
            fs = max(fs * room / width * 0.97, self.sz("tick") * self.MIN_ABOVE)

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

    def _with_end(self, xs: np.ndarray, ys: np.ndarray, end: float | None,
                  after_last: bool) -> tuple[np.ndarray, np.ndarray]:
        """The curve with its value after the last step at x = n, once the frame shows the
        parameters after it (``after_last``)."""
        if end is None or not after_last:
            return xs, ys
        return np.append(xs, float(self.story.n)), np.append(ys, end)

    def update(self, st: FrameState) -> None:
        m = st.loss_n
        # The frame shows the parameters after the last step: the fast-forward's last frame, the hold.
        after_last = bool(m) and m >= self.story.n and st.beat in (FAST, HOLD)
        self.batch_line.set_data(*self._thin(self.story.loss, m, mean=True))
        self.full_line.set_data(*self._with_end(*self._thin(self.story.full_loss, m), self.final_full, after_last))
        if self.surface_line is not None:
            self.surface_line.set_data(*self._with_end(*self._thin(self.surface, m), self.final_surface,
                                                       after_last))
        show = m > 0 and st.beat != HOLD
        if show:
            k = m - 1
            self.dot.set_data([k], [self.story.loss[k]])
            self.cursor.set_xdata([k, k])
        self.dot.set_visible(show)
        self.cursor.set_visible(show)
