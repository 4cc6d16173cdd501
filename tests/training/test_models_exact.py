"""Exactness of a schema-2 recording (issue 23): for each family, the recorded gradients and
updates equal an independent computation from the recorded parameters and batch indices.

- gradients: closed form in float64 for poly and logistic (written out here, not the
  registry's), a float64 PyTorch re-run for the MLP; within 1e-5 of the gradient's scale (its
  largest absolute component, with an absolute floor of 1e-6);
- updates: exactly the differences of the recorded parameters (the last one: final.params),
  and the optimizer's rule applied by hand in float64 (SGD, momentum) within float32's rounding;
- predictions, residuals, batch and full losses from the recorded parameters.
PyTorch trains in float32: the recorded parameters are float32 values, widened exactly.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from training.data import Dataset
from training.models import MLP
from training import record
from training.trace import Trace

RNG = np.random.default_rng(11)
XS = np.round(np.sort(RNG.uniform(-0.5, 1.0, 18)), 3)
DATA = {
    "poly": Dataset(XS, np.round(0.2 + 0.5 * XS - 2 * XS**2 + 2.5 * XS**3 + RNG.normal(0, 0.05, 18), 3), "t"),
    "logistic": Dataset(XS * 4, (RNG.uniform(size=18) < 1 / (1 + np.exp(-6 * (XS - 0.3)))).astype(float), "t"),
    "mlp": Dataset(XS * 3, np.round(np.sin(3 * XS), 3), "t"),
}
FLOOR = 1e-6


def _poly_grad(c: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d/dc of mean((Σ c_k x^k − y)²) = 2/m Σ r_i x_i^k."""
    powers = np.vander(x, len(c), increasing=True)
    r = powers @ c - y
    return 2.0 / len(x) * powers.T @ r


def _logistic_grad(wb: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d/d(w, b) of the mean binary cross-entropy of σ(w x + b): mean((p − y)·(x, 1))."""
    p = 1.0 / (1.0 + np.exp(-(wb[0] * x + wb[1])))
    return np.array([np.mean((p - y) * x), np.mean(p - y)])


def _mlp_grad(model: MLP, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A float64 PyTorch re-run of the step's forward and backward pass at the recorded parameters."""
    module = model.module().double()
    params = list(module.parameters())
    at = 0
    with torch.no_grad():
        for p in params:
            p.copy_(torch.tensor(theta[at:at + p.numel()]).reshape(p.shape))
            at += p.numel()
    loss = torch.nn.functional.mse_loss(module(torch.tensor(x).unsqueeze(1)), torch.tensor(y).unsqueeze(1))
    loss.backward()
    return torch.cat([p.grad.reshape(-1) for p in params]).numpy()


def _reference(trace: Trace, k: int) -> np.ndarray:
    idx = trace.steps["indices"][k]
    x, y, theta = trace.x[idx], trace.y[idx], trace.params[k]
    kind = trace.settings.model
    if kind == "poly":
        return _poly_grad(theta, x, y)
    if kind == "logistic":
        return _logistic_grad(theta, x, y)
    return _mlp_grad(trace.model, theta, x, y)


def assert_gradients_exact(trace: Trace, accumulate: bool = False) -> None:
    total = np.zeros(len(trace.param_names))
    for k in range(trace.n_steps):
        g = _reference(trace, k)
        total = total + g if accumulate else g
        recorded = trace.grads[k]
        scale = max(np.abs(total).max(), FLOOR)
        assert np.abs(recorded - total).max() <= 1e-5 * scale, (k, recorded, total)


def assert_updates_are_the_differences(trace: Trace) -> None:
    after = np.vstack([trace.params[1:], trace.final_params[None]])
    assert np.array_equal(trace.updates, after - trace.params)


RUNS = [
    ("poly", dict(degree=3, optimizer="sgd", lr=0.3, batch_size=4, epochs=6)),
    ("poly", dict(degree=5, optimizer="momentum", lr=0.1, batch_size=5, epochs=5, shuffle=True, drop_last=False)),
    ("poly", dict(degree=2, optimizer="adam", lr=0.05, batch_size=3, epochs=4, weight_decay=0.01)),
    ("logistic", dict(optimizer="sgd", lr=0.5, batch_size=4, epochs=6, shuffle=True)),
    ("logistic", dict(optimizer="momentum", lr=0.2, nesterov=True, batch_size=6, epochs=5)),
    ("logistic", dict(optimizer="rmsprop", lr=0.05, batch_size=3, epochs=3)),
    ("mlp", dict(hidden=6, activation="tanh", optimizer="sgd", lr=0.1, batch_size=4, epochs=5)),
    ("mlp", dict(hidden=5, activation="relu", optimizer="adam", lr=0.02, batch_size=4, epochs=4, seed=4)),
    ("mlp", dict(hidden=4, activation="tanh", optimizer="adagrad", lr=0.1, batch_size=6, epochs=4)),
]


@pytest.mark.parametrize("kind, settings", RUNS, ids=[f"{k}-{s['optimizer']}" for k, s in RUNS])
def test_gradients_updates_predictions_and_losses_are_exact(kind, settings):
    trace = record(None, DATA[kind], model=kind, **settings)
    assert trace.n_steps > 10 and not trace.status.diverged
    assert trace.params.dtype == np.float64 and trace.params.shape == (trace.n_steps, trace.model.n_params)
    assert_gradients_exact(trace)
    assert_updates_are_the_differences(trace)
    model = trace.model
    for k in range(trace.n_steps):
        idx = trace.steps["indices"][k]
        theta = trace.params[k]
        pred = model.predict(theta, trace.x[idx])
        assert np.allclose(trace.steps["pred"][k], pred, rtol=1e-5, atol=1e-6)
        assert np.allclose(trace.steps["residual"][k], trace.steps["pred"][k] - trace.y[idx], rtol=0, atol=1e-6)
        assert trace.steps["loss"][k] == pytest.approx(float(model.loss(theta, trace.x[idx], trace.y[idx])), rel=1e-5, abs=1e-7)
    assert np.allclose(trace.steps["full_loss"], model.loss(trace.params, trace.x, trace.y), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", ["poly", "logistic", "mlp"])
def test_sgd_updates_are_minus_lr_times_the_gradient(kind):
    trace = record(None, DATA[kind], model=kind, lr=0.2, batch_size=6, epochs=4)
    ulp = 2.0 ** -23 * np.maximum(np.abs(trace.params), np.abs(trace.params_after))  # float32's rounding
    assert np.all(np.abs(trace.updates - (-0.2 * trace.grads)) <= ulp + 1e-12)


@pytest.mark.parametrize("kind", ["poly", "mlp"])
def test_momentum_velocity_and_updates_follow_the_rule_by_hand(kind):
    mu, lr = 0.9, 0.05
    trace = record(None, DATA[kind], model=kind, optimizer="momentum", lr=lr, batch_size=6, epochs=4)
    v = np.zeros(trace.model.n_params)
    for k in range(trace.n_steps):
        v = trace.grads[k] if k == 0 else mu * v + trace.grads[k]  # torch: the first buffer is the gradient
        scale = max(np.abs(v).max(), FLOOR)
        assert np.abs(trace.velocity[k] - v).max() <= 1e-5 * scale
        assert np.allclose(trace.updates[k], -lr * v, rtol=1e-4, atol=2.0 ** -23 * np.abs(trace.params[k]).max() + 1e-9)


def test_without_zero_grad_the_recorded_gradient_is_the_running_sum():
    trace = record(None, DATA["poly"], model="poly", degree=2, lr=0.01, batch_size=6, epochs=3, zero_grad=False)
    assert_gradients_exact(trace, accumulate=True)


def test_the_exactness_check_can_fail():
    """A gradient off by 1e-4 of its scale, or an update off by one float32 step, is caught."""
    trace = record(None, DATA["poly"], model="poly", lr=0.3, batch_size=6, epochs=2)
    trace.steps["grads"][3, 1] += 1e-4 * np.abs(trace.steps["grads"][3]).max()
    with pytest.raises(AssertionError):
        assert_gradients_exact(trace)
    trace.steps["updates"][2, 0] = np.nextafter(trace.steps["updates"][2, 0], 1.0)
    with pytest.raises(AssertionError):
        assert_updates_are_the_differences(trace)


@pytest.mark.parametrize("kind, settings", [("poly", {}), ("logistic", {}), ("mlp", {"hidden": 64})])
def test_every_family_records_its_autograd_graph_within_the_node_cap(kind, settings):
    from training.tracegraphs import MAX_GRAPH_NODES
    trace = record(None, DATA[kind], model=kind, epochs=2, batch_size=6, graph_steps=(1, 3), **settings)
    assert [g["step"] for g in trace.graphs] == [0, 2]
    names = {n["param"] for n in trace.graphs[0]["nodes"] if "param" in n}
    assert names == {"poly": {"c"}, "logistic": {"w", "b"}, "mlp": {"0.weight", "0.bias", "2.weight", "2.bias"}}[kind]
    assert all(len(g["nodes"]) <= MAX_GRAPH_NODES for g in trace.graphs)
    grads = {n["param"]: n["grad"] for n in trace.graphs[0]["nodes"] if "param" in n}
    if kind == "logistic":  # the graph's .grad is the step's recorded gradient
        assert [grads["w"], grads["b"]] == pytest.approx(list(trace.grads[0]), rel=1e-6)
    again = Trace.from_json(trace.to_json())
    assert again.graphs == trace.graphs
    # Watching the graph changes no number.
    plain = record(None, DATA[kind], model=kind, epochs=2, batch_size=6, **settings)
    assert np.array_equal(plain.params, trace.params) and np.array_equal(plain.grads, trace.grads)


def test_mlp_starts_at_pytorchs_default_initialisation_under_the_seed():
    a = record(None, DATA["mlp"], model="mlp", hidden=4, epochs=1, seed=5)
    b = record(None, DATA["mlp"], model="mlp", hidden=4, epochs=1, seed=6)
    torch.manual_seed(5)
    module = MLP(4).module()
    start = torch.cat([p.detach().reshape(-1) for p in module.parameters()]).double().numpy()
    assert np.array_equal(a.params[0], start) and not np.array_equal(a.params[0], b.params[0])
    poly = record(None, DATA["poly"], model="poly", epochs=1)
    assert np.array_equal(poly.params[0], np.zeros(4))
