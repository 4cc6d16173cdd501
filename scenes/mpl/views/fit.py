"""The fit view: the data, the model's current curve (the line; a polynomial; the sigmoid of
logistic regression over its 0/1 points; a network's curve), the batch ringed, its
predictions and residuals, and the ghost of the curve before the update."""
from __future__ import annotations

import numpy as np

from scenes.mpl.views.style import ViewBase
from scenes.story.frames import FrameState
from scenes.story.geometry import fit_xs
from scenes.story.plan import INTRO

__all__ = ["FitView"]


class FitView(ViewBase):
    """Data points, the current curve, the batch highlighted, residual segments, the ghost curve."""

    def __init__(self, scene, ax):
        super().__init__(scene)
        self.ax = ax
        g, tr = scene.geom.fit, scene.trace
        self.lim = g
        ax.set_xlim(g.x0, g.x1)
        ax.set_ylim(g.y0, g.y1)
        self.style_axes(ax, f"Fit:  {self.story.words.formula}", "x", "y")
        lw, ps = self.sz("line_width"), self.sz("point_size")
        # Many points: smaller and translucent, so a cloud of 1,000 still shows its shape
        # (the batch rings and predictions keep the theme's size).
        n_pts = len(tr.x)
        cloud = ps * min(1.0, (30 / n_pts) ** 0.5) if n_pts > 30 else ps
        ax.scatter(tr.x, tr.y, s=max(cloud, ps * 0.08), color=self.col("points"), zorder=3,
                   edgecolors="none", alpha=1.0 if n_pts <= 100 else 0.6, label="data")
        # A line needs its two ends; any other curve is sampled across the view.
        self.model = tr.model
        self.straight = tr.schema_version == 1
        self.xs = np.array([g.x0, g.x1]) if self.straight else fit_xs(g)
        self.what = "line" if self.straight else "curve"
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
        ys = self._curve(st.params)
        self.line.set_ydata(ys)
        lo, hi = self.ylim
        off = (ys.max() < lo or ys.min() > hi)
        self.note.set_text((f"{self.what} above the chart" if ys.min() > hi else f"{self.what} below the chart")
                           if off else "")
        if st.ghost_params is not None:
            self.ghost.set_ydata(self._curve(st.ghost_params))
        self.ghost.set_visible(st.ghost_params is not None)
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

    def _curve(self, params) -> np.ndarray:
        """The model's prediction across the view (the line: a·x + b at its two ends)."""
        with np.errstate(all="ignore"):
            return self.model.predict(np.asarray(params, dtype=np.float64), self.xs)
