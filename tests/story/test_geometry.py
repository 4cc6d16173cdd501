"""View geometry: limits, least squares, the loss surface, free corners (float64, no torch)."""
from __future__ import annotations

import numpy as np
import pytest

from scenes.story.geometry import Geometry, Limits, free_corner, least_squares, loss_grid, mse, sample_shares
from training.config import TrainConfig
from training.data import ARTICLE_X, ARTICLE_Y
from training.recorder import record

X, Y = np.array(ARTICLE_X), np.array(ARTICLE_Y)


def test_least_squares_is_polyfit():
    a, b = least_squares(X, Y)
    pa, pb = np.polyfit(X, Y, 1)
    assert (a, b) == pytest.approx((pa, pb), rel=1e-12)
    assert least_squares(np.ones(4), np.arange(4.0)) == (0.0, 1.5)  # one x value: a flat line


def test_mse_and_grid_match_a_direct_sum():
    assert float(mse(0.3, -0.2, X, Y)) == pytest.approx(np.mean((0.3 * X - 0.2 - Y) ** 2), rel=1e-12)
    A, B, L = loss_grid(Limits(-1, 2, -1, 1), X, Y, n=9)
    assert A.shape == B.shape == L.shape == (9, 9)
    assert L[3, 5] == pytest.approx(np.mean((A[3, 5] * X + B[3, 5] - Y) ** 2), rel=1e-12)


def test_sample_shares_sum_to_the_batch_gradient():
    xb, res = np.array([0.2, 0.4, 1.0]), np.array([0.5, -0.1, 0.3])
    sa, sb = sample_shares(xb, res)
    assert sa.sum() == pytest.approx(2 * np.mean(res * xb))
    assert sb.sum() == pytest.approx(2 * np.mean(res))


def test_views_hold_the_data_the_path_and_the_optimum():
    tr = record(TrainConfig(epochs=10))
    g = Geometry.of(tr)
    assert not g.clipped
    for a, b in zip(np.append(tr.steps["a"], tr.final_a), np.append(tr.steps["b"], tr.final_b)):
        assert g.params.contains(a, b)
    assert g.params.contains(*g.optimum)
    for x, y in zip(X, Y):
        assert g.fit.contains(x, y)
    assert g.fit.x0 <= 0.0  # x = 0, where the intercept b is read off
    lo, hi = g.loss_range
    assert lo <= tr.steps["loss"].min() * 1.0001 and hi >= tr.steps["full_loss"].max()


def test_a_diverging_path_is_clipped_to_a_sane_view():
    tr = record(TrainConfig(lr=10))
    g = Geometry.of(tr)
    assert g.clipped and g.log_loss
    a_opt, b_opt = g.optimum
    assert g.params.x1 - g.params.x0 < 100 and g.params.contains(a_opt, b_opt)


def test_free_corner_avoids_points():
    u = np.array([0.9, 0.8, 0.1, 0.2])
    v = np.array([0.9, 0.95, 0.9, 0.1])
    assert free_corner(u, v) == "lower right"
    assert free_corner(np.array([]), np.array([])) == "upper right"
    assert free_corner(np.array([np.nan]), np.array([0.9]), prefer=("upper left", "upper right")) == "upper left"
