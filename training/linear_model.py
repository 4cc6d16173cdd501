"""The maths of the model y' = a·x + b under the mean squared error, in float64 numpy.

One home for what the trace, the story and the views compute from (a, b) and the points:
the full-data loss and its gradient anywhere in parameter space, the least-squares line
every optimizer heads for, and each sample's share of a batch's gradient. No torch here:
training itself runs in torch (:mod:`training.recorder`); this is the exact reference the
pictures are drawn against.
"""
from __future__ import annotations

import numpy as np

__all__ = ["mse_at", "full_gradient_at", "least_squares", "sample_shares"]


def _moments(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float, float]:
    xm, ym = float(x.mean()), float(y.mean())
    dx, dy = x - xm, y - ym
    return xm, ym, float((dx * dx).mean()), float((dy * dy).mean()), float((dx * dy).mean())


def mse_at(a, b, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Full-data MSE at (a, b), vectorised over arrays of a and b.

    From centred moments: O(len(x)) once, then O(1) per (a, b), so a loss per step of a
    100,000-step run, or a contour grid, never builds a steps x points array. Centring keeps
    the cancellation small when the loss is tiny next to x and y.
    """
    xm, ym, vxx, vyy, cxy = _moments(x, y)
    a = np.asarray(a, dtype=np.float64)
    c = a * xm + np.asarray(b, dtype=np.float64) - ym  # the mean residual
    return np.maximum(a * a * vxx - 2 * a * cxy + vyy + c * c, 0.0)


def full_gradient_at(a, b, x: np.ndarray, y: np.ndarray):
    """dL/da and dL/db of the full-data MSE, vectorised like :func:`mse_at` (floats for scalars)."""
    xm, ym, vxx, _, cxy = _moments(x, y)
    a = np.asarray(a, dtype=np.float64)
    c = a * xm + np.asarray(b, dtype=np.float64) - ym
    ga, gb = 2 * (a * vxx - cxy) + 2 * xm * c, 2 * c
    return (float(ga), float(gb)) if np.ndim(ga) == 0 else (ga, gb)


def least_squares(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The a, b that minimise the MSE: where every optimizer is heading."""
    xm, ym = x.mean(), y.mean()
    sxx = np.sum((x - xm) ** 2)
    a = float(np.sum((x - xm) * (y - ym)) / sxx) if sxx > 0 else 0.0
    return a, float(ym - a * xm)


def sample_shares(xb: np.ndarray, residual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's share of dL/da and dL/db in its batch: 2/n·r·x and 2/n·r (they sum to the gradient)."""
    n = len(residual)
    r = np.asarray(residual, dtype=np.float64)
    return 2.0 / n * r * np.asarray(xb, dtype=np.float64), 2.0 / n * r
