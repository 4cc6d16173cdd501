"""Every model drawn in matplotlib (issue 23, item 4): the story's quantities for a model other
than the line, checked against independent computations, and the layout check over each
family's frames (one fast case, the rest slow)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from scenes.story.plan import FAST, HOLD, UPDATE
from scenes.story.story import Story
from tests.helpers import ROOT


def _record(config: str, **changes):
    from scenes.job import build_job, load_config_file
    from training.recorder import record
    train = build_job([load_config_file(ROOT / "assets" / "configs" / f"{config}.toml")]).train
    return record(replace(train, **changes), base_dir=ROOT)


@pytest.fixture(scope="module")
def poly():
    return _record("poly3", epochs=6)


@pytest.fixture(scope="module")
def mlp():
    return _record("mlp_sine", hidden=4, epochs=3)


@pytest.fixture(scope="module")
def logistic():
    return _record("logistic", epochs=3)


def test_the_mlp_full_gradient_is_the_loss_slope(mlp):
    """The MLP has no closed-form gradient in the registry: the story's backward pass against
    central differences of the model's float64 loss."""
    from scenes.story.gradients import full_gradient
    model, x, y = mlp.model, mlp.x, mlp.y
    params = mlp.params[[0, len(mlp.params) // 2, -1]]
    got = full_gradient(model, params, x, y)
    h = 1e-6
    eye = np.eye(params.shape[1])
    want = np.stack([(model.loss(params + h * e, x, y) - model.loss(params - h * e, x, y)) / (2 * h)
                     for e in eye], axis=1)
    assert np.allclose(got, want, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", ["poly", "mlp"])
def test_a_projected_update_arrow_ends_at_the_next_projected_point(request, name):
    s = Story(request.getfixturevalue(name))
    span = np.ptp(s.path_u) + np.ptp(s.path_v)
    assert not s.plane.exact and len(s.param_names) > 2
    assert np.allclose(s.u + s.du, s.u_after, atol=1e-6 * span)
    assert np.allclose(s.v + s.dv, s.v_after, atol=1e-6 * span)
    # The plane's coordinates are the least-squares ones (independent: numpy's lstsq).
    land = s.plane.land
    centre = s.trace.final_params
    coef = np.linalg.lstsq(land.basis, (s.params[3] - centre), rcond=None)[0]
    assert np.allclose(coef, [s.u[3], s.v[3]], atol=1e-9 * max(1.0, span))


def test_the_frames_move_the_model_s_vector_with_its_point(poly):
    s = Story(poly)
    k = 2
    end = s.state(k, UPDATE, 1.0)
    assert np.allclose(end.params, s.params[k] + s.updates[k])
    assert np.allclose(end.params, s.params[k + 1], atol=1e-6)
    assert (end.u, end.v) == pytest.approx((s.u_after[k], s.v_after[k]), abs=1e-6)
    final = s.state(k, HOLD, 1.0)
    assert np.array_equal(final.params, poly.final_params)


def test_the_numbers_of_a_vector_model(poly):
    """P > 2: the lines give the loss, |∇L| and the largest updates by name (independently:
    the norm of the recorded gradient, the sorted recorded update)."""
    from scenes.mpl.views.formatting import fmt
    from scenes.mpl.views.header import Header
    from scenes.mpl.views.numbers_layout import numbers_lines
    s = Story(poly)
    k = 1
    lines = numbers_lines(s, s.geom, s.state(k, FAST, 1.0))
    g = np.asarray(poly.steps["grads"][k], dtype=np.float64)
    assert f"|∇L| = {fmt(float(np.sqrt(np.sum(g * g))))}" in lines[1]
    upd = np.asarray(poly.steps["updates"][k], dtype=np.float64)
    big = poly.param_names[int(np.argmax(np.abs(upd)))]
    assert lines[2].startswith(f"largest Δ:  {big} ")
    assert s.words.heads == ("x", "y", "ŷ", "ŷ − y")
    assert Header.labels_of(s.param_names) == ("epoch", "batch", "L =", "|∇L| =", "|Δθ| =")
    assert s.words.formula == "ŷ = c0 + c1·x + c2·x² + c3·x³"


def test_logistic_shares_sum_to_the_recorded_gradient(logistic):
    """The article's table for logistic regression: each sample's share of ∂L/∂w, ∂L/∂b
    (from p − y), summing to autograd's gradient."""
    s = Story(logistic)
    assert s.plane.exact and s.words.heads[2:] == ("p", "p − y", "∂L/∂w\nshare", "∂L/∂b\nshare")
    for k in range(min(s.n, 6)):
        sw, sb = s.shares(k)
        g = np.asarray(logistic.steps["grads"][k], dtype=np.float64)
        assert np.allclose([sw.sum(), sb.sum()], g, atol=1e-5 * max(1e-3, np.abs(g).max()))


# ------------------------------------------------------------------ the layout check
FAMILY_CASES = [  # (config, changes, size, theme): the first fast (a short poly run), the rest slow
    ("poly3", {"epochs": 4}, (960, 540), "dark"),
    pytest.param("logistic", {}, (1280, 720), "light", marks=pytest.mark.slow),
    pytest.param("mlp_sine", {}, (960, 540), "light", marks=pytest.mark.slow),
    pytest.param("mlp_sine", {"activation": "relu"}, (1280, 720), "dark", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("config, changes, size, theme", FAMILY_CASES)
def test_every_family_passes_the_layout_check(config, changes, size, theme):
    from scenes.mpl.layout_check import check_frames
    problems = check_frames(_record(config, **changes), size, theme, label=f"{config} ")
    assert problems == [], "\n".join(map(str, problems[:8]))


def test_a_network_s_graph_view_is_readable_and_passes_the_layout_check():
    """The MLP's graph (12 nodes, 6 columns, 8-sample tensors) beside its fit, loss and
    landscape at 960x540: the fit's long title used to squeeze its plot to a sliver (its ticks
    and title ran into the loss panel), and the graph's full lists drew it at 5 pt. Compact
    numbers give it at least 6 pt; the check finds nothing at the frames it looks at."""
    from scenes.mpl.layout_check import check_frames
    from scenes.mpl.render import _setup
    trace = _record("mlp_sine", epochs=2, graph_steps=(1,))
    views = ("fit", "graph", "loss", "params")
    graph = _setup(trace, (960, 540), "light", views).view("graph")
    problems = check_frames(trace, (960, 540), "light", views=views, label="mlp graph ")
    assert problems == [], "\n".join(map(str, problems[:8]))
    assert min(geo["fs"] for geo in graph.geoms) >= 6.0
