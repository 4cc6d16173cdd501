"""Numbers every view needs, computed once from a Trace in float64: axis limits (clipped
for diverged runs), the exact loss surface and where a legend covers nothing. The model's
maths (the loss, the full-batch gradient, least squares, per-sample shares) lives in
:mod:`training.linear_model`; its names are re-exported here for the views.

Both backends use these, so the matplotlib and Manim pictures agree to the pixel's worth.
No torch here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.linear_model import full_gradient_at as full_gradient
from training.linear_model import least_squares, sample_shares
from training.linear_model import mse_at as mse
from scenes.story.plane import plane_of
from training.trace import Trace

__all__ = ["Limits", "Geometry", "least_squares", "mse", "full_gradient", "sample_shares",
           "loss_grid", "free_corner", "fit_xs", "FIT_SAMPLES"]


@dataclass(frozen=True)
class Limits:
    x0: float
    x1: float
    y0: float
    y1: float

    def contains(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1


def loss_grid(limits: Limits, x: np.ndarray, y: np.ndarray, n: int = 160):
    """Exact MSE on an n×n grid over (a, b): the contours of the parameter-space view."""
    A, B = np.meshgrid(np.linspace(limits.x0, limits.x1, n), np.linspace(limits.y0, limits.y1, n))
    return A, B, mse(A, B, x, y)


CORNERS = {"upper right": (0.5, 1.0, 0.62, 1.0), "lower right": (0.5, 1.0, 0.0, 0.38),
           "upper left": (0.0, 0.5, 0.62, 1.0), "lower left": (0.0, 0.5, 0.0, 0.38)}


def free_corner(u: np.ndarray, v: np.ndarray, prefer: tuple[str, ...] = tuple(CORNERS)) -> str:
    """The corner of a view (points in view fractions u, v in [0, 1]) that holds the fewest
    points: where a legend covers nothing. Ties go to the first of ``prefer``."""
    u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
    ok = np.isfinite(u) & np.isfinite(v)
    u, v = u[ok], v[ok]
    counts = {name: int(np.sum((u >= ul) & (u <= uh) & (v >= vl) & (v <= vh)))
              for name, (ul, uh, vl, vh) in ((n, CORNERS[n]) for n in prefer)}
    return min(prefer, key=lambda name: counts[name])


def _pad(lo: float, hi: float, frac: float, min_span: float) -> tuple[float, float]:
    span = max(hi - lo, min_span)
    mid = (lo + hi) / 2
    return mid - span * (0.5 + frac), mid + span * (0.5 + frac)


@dataclass(frozen=True)
class Geometry:
    """Everything derived from a trace that the views share."""

    fit: Limits
    params: Limits
    loss_range: tuple[float, float]
    log_loss: bool

    def loss_limits(self, n_steps: int) -> tuple[float, float, float, float]:
        """The loss view's limits (x0, x1, y0, y1), as every backend sets them: the loss range
        widened by a factor 1.6 on a log axis, else padded by 8 % (never below 0 for a
        non-negative loss); the steps with 2 % to spare on each side."""
        lo, hi = self.loss_range
        if self.log_loss:
            y0, y1 = lo / 1.6, hi * 1.6
        else:
            pad = 0.08 * max(hi - lo, abs(hi) * 0.5, 1e-9)
            y0, y1 = (max(0.0, lo - pad) if lo >= 0 else lo - pad), hi + pad
        n = max(n_steps, 1)
        return -0.02 * n, n * 1.02, y0, y1
    optimum: tuple[float, float] | None  # the least-squares point (the line's); None: not drawn
    clipped: bool  # True when the path leaves the parameter view (a diverged run)

    @classmethod
    def of(cls, trace: Trace, plane=None) -> "Geometry":
        """The views' limits. ``plane`` (a scenes.story.plane.PlaneStory) is the parameter
        plane of a model other than the line (derived from the trace when not given)."""
        if trace.schema_version != 1:
            return _model_geometry(cls, trace, plane if plane is not None else plane_of(trace))
        x, y = trace.x, trace.y
        a_opt, b_opt = least_squares(x, y)
        a_path = np.append(trace.steps["a"], trace.final_a)
        b_path = np.append(trace.steps["b"], trace.final_b)

        # Parameter space: the whole path and the optimum, but never so wide that the
        # optimum's basin shrinks to a dot. A diverged path is clipped to a sane box.
        dist0 = max(abs(a_path[0] - a_opt), abs(b_path[0] - b_opt), 0.25)
        cap = 4.0 * dist0
        a_lo, a_hi = min(a_path.min(), a_opt), max(a_path.max(), a_opt)
        b_lo, b_hi = min(b_path.min(), b_opt), max(b_path.max(), b_opt)
        clipped = bool(a_lo < a_opt - cap or a_hi > a_opt + cap or b_lo < b_opt - cap or b_hi > b_opt + cap)
        a_lo, a_hi = max(a_lo, a_opt - cap), min(a_hi, a_opt + cap)
        b_lo, b_hi = max(b_lo, b_opt - cap), min(b_hi, b_opt + cap)
        params = Limits(*_pad(a_lo, a_hi, 0.12, 0.5), *_pad(b_lo, b_hi, 0.12, 0.5))

        # Fit view: the data, x = 0 (where b is read off), and the lines of the early steps.
        x_lo, x_hi = min(x.min(), 0.0), x.max()
        xs = np.array([x_lo, x_hi])
        early = slice(0, min(len(a_path), 50))
        line_y = np.outer(a_path[early], xs) + b_path[early, None]
        y_span = max(np.ptp(y), 1e-3)
        y_lo = max(min(y.min(), line_y.min()), y.min() - 2.5 * y_span)
        y_hi = min(max(y.max(), line_y.max()), y.max() + 2.5 * y_span)
        fx0, fx1 = _pad(x_lo, x_hi, 0.06, 1e-3)
        fy0, fy1 = _pad(y_lo, y_hi, 0.08, 1e-3)
        fit = Limits(fx0, fx1, fy0, fy1)

        lo, hi, log = _loss_range(trace)
        return cls(fit, params, (lo, hi), log, (a_opt, b_opt), clipped)


def _loss_range(trace: Trace, extra: np.ndarray | None = None) -> tuple[float, float, bool]:
    """The loss view's range: the batch and full-data losses (and ``extra``), and whether the
    axis is logarithmic."""
    losses = np.concatenate([trace.steps["loss"], trace.steps["full_loss"], [trace.final_full_loss],
                             [] if extra is None else extra])
    losses = losses[np.isfinite(losses)]
    lo = float(max(losses.min(), 1e-12)) if losses.size else 1e-6
    if trace.n_steps > 50:
        # A batch of one point can sit on the line (loss 1e-12): such dips would stretch a
        # log axis over ten decades. Keep the full-data loss and nearly all batch losses.
        batch_floor = float(np.percentile(trace.steps["loss"], 2))
        full_min = float(min(trace.steps["full_loss"].min(), trace.final_full_loss))
        lo = max(lo, min(batch_floor, full_min / 3), 1e-12)
    hi = float(losses.max()) if losses.size else 1.0
    log = hi / max(lo, 1e-12) > 30
    return lo, hi, log


FIT_SAMPLES = 241  # the fit view's curve of a model other than the line: x values across the view


def fit_xs(limits: Limits) -> np.ndarray:
    """Where the fit view evaluates a curve (the line needs only its two ends)."""
    return np.linspace(limits.x0, limits.x1, FIT_SAMPLES)


def _model_geometry(cls, trace: Trace, plane) -> "Geometry":
    """The limits for any model but the line: the plane's path (and, for P > 2, the
    landscape's grid, which covers it), the data and the early steps' curves."""
    pu, pv = plane.path_u, plane.path_v
    if plane.land is not None:  # the grid covers the projected path with a margin
        la = plane.land
        params = Limits(float(la.grid_alpha[0]), float(la.grid_alpha[-1]),
                        float(la.grid_beta[0]), float(la.grid_beta[-1]))
        clipped = False
    else:
        ok = np.isfinite(pu) & np.isfinite(pv)
        u0, v0 = float(pu[0]), float(pv[0])
        du = np.abs(pu[ok] - pu[ok][-1]).max() if ok.any() else 0.25
        dv = np.abs(pv[ok] - pv[ok][-1]).max() if ok.any() else 0.25
        cap = 4.0 * max(du, dv, 0.25)
        cu, cv = float(pu[ok][-1]), float(pv[ok][-1])
        lo_u, hi_u = max(min(pu[ok].min(), u0), cu - cap), min(max(pu[ok].max(), u0), cu + cap)
        lo_v, hi_v = max(min(pv[ok].min(), v0), cv - cap), min(max(pv[ok].max(), v0), cv + cap)
        clipped = bool(pu[ok].min() < cu - cap or pu[ok].max() > cu + cap
                       or pv[ok].min() < cv - cap or pv[ok].max() > cv + cap)
        params = Limits(*_pad(lo_u, hi_u, 0.12, 0.5), *_pad(lo_v, hi_v, 0.12, 0.5))
    x, y = trace.x, trace.y
    fx0, fx1 = _pad(float(x.min()), float(x.max()), 0.06, 1e-3)
    xs = np.linspace(fx0, fx1, 61)
    path = np.vstack([trace.params, trace.final_params[None, :]])
    early = path[: min(len(path), 50)]
    with np.errstate(all="ignore"):
        curves = trace.model.predict(early, xs)
    curves = curves[np.isfinite(curves)]
    y_span = max(np.ptp(y), 1e-3)
    y_lo = max(min(y.min(), curves.min() if curves.size else y.min()), y.min() - 2.5 * y_span)
    y_hi = min(max(y.max(), curves.max() if curves.size else y.max()), y.max() + 2.5 * y_span)
    fit = Limits(fx0, fx1, *_pad(y_lo, y_hi, 0.08, 1e-3))
    extra = None
    if plane.land is not None:  # the plane's loss under the path: a curve of the loss view
        extra = plane.land.surface_loss[plane.land.surface_loss < 1e29]
    lo, hi, log = _loss_range(trace, extra)
    return cls(fit, params, (lo, hi), log, None, clipped)
