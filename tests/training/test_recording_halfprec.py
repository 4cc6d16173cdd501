"""A model in bfloat16 or float16 (all of it, some layers, or a float32 model fed bfloat16
batches) records through ``training.recording``: its parameters, gradients, updates and
optimizer state equal, exactly, what the same loop run bare shows (each tensor widened with
``.float()``, which is exact), the trace builds and says the dtype, the views evaluate the
model in its own dtype, and no warning is raised. float32 models keep their fast copies."""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch
from torch import nn

import training.loop_batches as loop_batches
import training.loop_views as loop_views
from training import recording
from training.trace import Trace


@pytest.fixture(autouse=True)
def small_landscape(monkeypatch):
    """A 9 × 9 landscape (what is tested is that the module evaluates, not the grid): ~1 s less a test."""
    full = loop_views.landscape_of
    monkeypatch.setattr(loop_views, "landscape_of", lambda *a, **k: full(*a, **dict(k, n=9)))


class FedBf16(nn.Module):
    """A float32 model fed bfloat16 batches (it widens them itself)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, 6), nn.Tanh(), nn.Linear(6, 1))

    def forward(self, x):
        return self.net(x.float())


class HalfLayer(nn.Module):
    """Only the second layer in bfloat16."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(1, 6), nn.Linear(6, 1).to(torch.bfloat16)

    def forward(self, x):
        return self.b(torch.tanh(self.a(x)).to(torch.bfloat16)).float()


def _flat(tensors) -> np.ndarray:
    """The tensors end to end, widened exactly (.float(), then float64 as the trace reads)."""
    return torch.cat([t.detach().float().reshape(-1) for t in tensors]).double().numpy()


def _state(opt, params) -> np.ndarray:
    st = [opt.state[p].get("momentum_buffer", opt.state[p].get("exp_avg")) for p in params]
    return _flat(st)


def _loop(model, opt, crit, X, Y, epochs, batch, seen=None):
    """The loop; ``seen``: the numbers each step shows, snapshotted around step()."""
    for _ in range(epochs):
        for s in range(0, len(X), batch):
            loss = crit(model(X[s:s + batch]), Y[s:s + batch])
            opt.zero_grad()
            loss.backward()
            if seen is not None:
                params = list(model.parameters())
                seen["params"].append(_flat(params))
                seen["grads"].append(_flat([p.grad for p in params]))
                seen["loss"].append(loss.item())
            opt.step()
            if seen is not None:
                seen["after"].append(_flat(model.parameters()))
                if opt.state:
                    seen["velocity"].append(_state(opt, list(model.parameters())))


def _record_and_bare(make_model, make_opt, X, Y, epochs=4, batch=8):
    """The trace of the loop under recording, and what the same loop shows run bare."""
    torch.manual_seed(0)
    model = make_model()
    twin = copy.deepcopy(model)
    crit = nn.MSELoss()
    opt, opt2 = make_opt(model.parameters()), make_opt(twin.parameters())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning at all
        with recording(model, opt, x=X, y=Y, loss_fn=crit) as rec:
            _loop(model, opt, crit, X, Y, epochs, batch)
        trace = rec.trace
    seen = {"params": [], "grads": [], "loss": [], "after": [], "velocity": []}
    _loop(twin, opt2, crit, X, Y, epochs, batch, seen)
    assert rec.status == ("completed", "")
    return rec, trace, seen, model


def _check_columns(trace, seen):
    n = len(seen["params"])
    assert trace.n_steps == n
    before = np.array(seen["params"])
    after = np.array(seen["after"])
    assert np.array_equal(trace.params, before)
    assert np.array_equal(trace.grads, np.array(seen["grads"]))
    assert np.array_equal(trace.updates, after - before)  # after − before in float64, exactly
    assert np.array_equal(trace.final_params if trace.schema_version == 2 else
                          np.array([trace.final_a, trace.final_b]), after[-1])
    assert np.array_equal(trace.steps["loss"], np.array(seen["loss"]))
    if seen["velocity"]:
        assert np.array_equal(trace.velocity, np.array(seen["velocity"]))


def _data(dt):
    X = torch.linspace(-1, 1, 24).view(-1, 1).to(dt)
    return X, (2 * X + 1).to(dt)


@pytest.mark.parametrize("dt, make_opt", [
    (torch.bfloat16, lambda p: torch.optim.Adam(p, lr=1e-2)),
    # (float16 under Adam's default eps = 1e-8, which float16 rounds to 0, diverges: a larger one)
    (torch.float16, lambda p: torch.optim.Adam(p, lr=1e-2, eps=1e-4)),
    (torch.float16, lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
])
def test_a_half_mlp_records_what_the_bare_loop_shows(dt, make_opt, tmp_path):
    X, Y = _data(dt)
    rec, trace, seen, model = _record_and_bare(
        lambda: nn.Sequential(nn.Linear(1, 6), nn.Tanh(), nn.Linear(6, 1)).to(dt), make_opt, X, Y)
    _check_columns(trace, seen)
    assert trace.schema_version == 2
    assert trace.steps["params"].dtype == np.float32  # the half numbers in float32, exactly
    assert trace.config["recorded"]["dtype"] == str(dt).removeprefix("torch.")
    # the views evaluate the model as it computes: in its own dtype
    views = trace.module_views
    assert views.note == ""
    with torch.no_grad():
        assert views.final_loss == nn.MSELoss()(model(X), Y).item()
        xs = torch.from_numpy(views.curve_x).to(dt).reshape(-1, 1)
        assert np.array_equal(xs.double().numpy()[:, 0], views.curve_x)  # the x the module was fed
        assert np.array_equal(views.curves[-1], model(xs).double().numpy()[:, 0])
    assert trace.landscape is not None
    back = Trace.from_file(trace.to_file(tmp_path / "t.json"))
    assert np.array_equal(back.params, trace.params) and back.config["recorded"]["dtype"] == trace.config["recorded"]["dtype"]


@pytest.mark.parametrize("dt", [torch.bfloat16, torch.float16])
def test_a_half_line_records_as_the_line(dt):
    X, Y = _data(dt)
    rec, trace, seen, model = _record_and_bare(lambda: nn.Linear(1, 1).to(dt),
                                               lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), X, Y)
    assert trace.schema_version == 1
    _check_columns(trace, seen)
    with torch.no_grad():  # the full-data loss before the last step, in the model's dtype
        twin = nn.Linear(1, 1).to(dt)
        twin.weight.fill_(float(trace.params[-1, 0]))
        twin.bias.fill_(float(trace.params[-1, 1]))
        assert trace.steps["full_loss"][-1] == nn.MSELoss()(twin(X), Y).item()


@pytest.mark.parametrize("make_model, dt_in, dtype", [(FedBf16, torch.bfloat16, None),
                                                     (HalfLayer, torch.float32, "float32, bfloat16")])
def test_a_mixed_model_records_exactly(make_model, dt_in, dtype):
    X, Y = _data(dt_in)
    rec, trace, seen, model = _record_and_bare(make_model, lambda p: torch.optim.Adam(p, lr=1e-2), X, Y)
    _check_columns(trace, seen)
    assert trace.config["recorded"].get("dtype") == dtype
    assert np.array_equal(trace.x, X.double().numpy()[:, 0])  # the bfloat16 rows, widened exactly
    assert trace.module_views.note == "" and trace.landscape is not None
    with torch.no_grad():
        assert trace.module_views.final_loss == nn.MSELoss()(model(X), Y).item()


def test_float32_keeps_its_fast_copies(monkeypatch):
    """The fast paths of a float32 model are still taken: numpy views of the parameters and
    of the optimizer's state, and the batch rows written straight into the columns."""
    calls = []
    slow = loop_batches.as_numpy
    monkeypatch.setattr(loop_batches, "as_numpy", lambda t: calls.append(1) or slow(t))
    X, Y = _data(torch.float32)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 6), nn.Tanh(), nn.Linear(6, 1))
    opt, crit = torch.optim.Adam(model.parameters(), lr=1e-2), nn.MSELoss()
    with recording(model, opt, x=X, y=Y, loss_fn=crit) as rec:
        _loop(model, opt, crit, X, Y, 2, 8)
    assert rec._param_views._np_views and isinstance(rec._state_views._views[0], np.ndarray)
    assert len(calls) == 3  # the first step's inputs, predictions and targets only
