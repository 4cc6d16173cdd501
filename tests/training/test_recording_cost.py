"""What recording a loop costs, in memory and in work a step (issue 24's cost, issue 23's
bound): parameters, gradients and state kept in the model's own precision, updates computed
once from consecutive steps, the line's full-data loss computed after the block, the loss
module hooked alone once known. Every shortcut is checked against the plain computation."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import training.loop_full_loss as FL
from training import recording
from training.config import MAX_STEPS, STEP_NUMBERS, max_steps
from training.loop_columns import updates_of


def _mlp_run(steps=12, clamp=False, loss_fn=True, new_loss_each_step=False):
    torch.manual_seed(0)
    X = torch.linspace(-1, 1, 32).view(-1, 1)
    Y = torch.sin(3 * X)
    model = nn.Sequential(nn.Linear(1, 5), nn.Tanh(), nn.Linear(5, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    crit = nn.MSELoss()
    seen = []
    kw = dict(loss_fn=crit) if loss_fn else {}
    with recording(model, opt, **kw) as rec:
        for k in range(steps):
            s = (k % 4) * 8
            loss = (nn.MSELoss() if new_loss_each_step else crit)(model(X[s:s + 8]), Y[s:s + 8])
            opt.zero_grad()
            loss.backward()
            seen.append(torch.cat([p.detach().reshape(-1) for p in model.parameters()]).double().numpy())
            opt.step()
            if clamp and k == 4:  # something besides step() moves the parameters
                with torch.no_grad():
                    model[0].weight.clamp_(-0.1, 0.1)
            if k == 1:
                seen.append(len(nn.modules.module._global_forward_hooks))
    return rec, model, seen


def test_columns_hold_the_models_own_numbers_in_at_most_24_bytes_a_parameter():
    rec, model, seen = _mlp_run()
    P, n = rec.n_params, rec.n_steps
    assert rec.c_params.result().dtype == rec.c_grads.result().dtype == rec.c_velocity.result().dtype == np.float32
    while_training = sum(c._a.itemsize * P for c in (rec.c_params, rec.c_grads, rec.c_velocity))
    assert while_training == 12 * P  # bytes a step: parameters, gradients, Adam's first moment
    t = rec.trace
    assert sum(t.steps[c].nbytes for c in ("params", "grads", "updates", "velocity")) <= 24 * P * n
    before = np.array([s for s in seen if isinstance(s, np.ndarray)])
    assert np.array_equal(t.params, before)  # float32 kept exactly
    after = np.vstack([before[1:], t.final_params[None, :]])
    assert np.array_equal(t.updates, after - before)  # in float64
    assert np.array_equal(t.final_params, torch.cat([p.detach().reshape(-1) for p in model.parameters()]).double())


def test_a_change_outside_step_is_in_the_update_and_the_trace_says_so():
    rec, model, seen = _mlp_run(clamp=True)
    t = rec.trace
    before = np.array([s for s in seen if isinstance(s, np.ndarray)])
    assert np.array_equal(t.updates[4], before[5] - before[4])
    assert "after 1 step(s) (the first: step 5)" in t.config["recorded"]["changed_outside_step"]
    plain, _, _ = _mlp_run()
    assert "changed_outside_step" not in plain.trace.config["recorded"]


def test_updates_of_is_float32_only_when_exact():
    rng = np.random.default_rng(0)
    p = (0.5 + np.cumsum(rng.standard_normal((40, 7)) * 1e-3, axis=0)).astype(np.float32)
    final = p[-1] + np.float32(1e-3)
    want = np.vstack([p[1:], final[None, :]]).astype(np.float64) - p.astype(np.float64)
    got = updates_of(p, final)
    assert got.dtype == np.float32 and np.array_equal(got, want)
    p[20, 3], p[21, 3] = np.float32(1.0), np.float32(1e-9)  # 1e-9 - 1.0 needs float64
    want = np.vstack([p[1:], final[None, :]]).astype(np.float64) - p.astype(np.float64)
    got = updates_of(p, final)
    assert got.dtype == np.float64 and np.array_equal(got, want)


def test_the_loss_module_is_hooked_alone_once_known():
    rec, _, seen = _mlp_run(loss_fn=False)
    assert seen[2] == 0 and rec.n_steps == 12  # no global hook from the third step on
    every, _, _ = _mlp_run(loss_fn=False, new_loss_each_step=True)  # a new nn.MSELoss() each step
    assert every.n_steps == 12 and every.status == ("completed", "")
    assert np.array_equal(every.trace.steps["loss"], rec.trace.steps["loss"])


def _line_losses(params):
    X = torch.tensor([0.2, 0.4, 0.6, 0.8, 1.0, 1.2]).view(-1, 1)
    Y = torch.tensor([0.18, 0.32, 0.42, 0.48, 0.58, 0.72]).view(-1, 1)
    m, crit = nn.Linear(1, 1), nn.MSELoss()
    one = []
    with torch.no_grad():
        for a, b in params:
            m.weight.fill_(float(a))
            m.bias.fill_(float(b))
            one.append(crit(m(X), Y).item())
    return m, crit, X, Y, np.array(one)


def test_the_lines_full_loss_after_the_block_equals_the_loops_bit_for_bit():
    g = np.random.default_rng(3)
    params = (g.standard_normal((3000, 2)) * np.exp(g.standard_normal((3000, 2)) * 3)).astype(np.float32)
    m, crit, X, Y, one = _line_losses(params)
    assert FL.deferrable(m, crit, X, Y)
    assert np.array_equal(FL.full_losses(m, crit, X, Y, params), one)
    every3 = FL.full_losses(m, crit, X, Y, params, every=3)
    assert np.array_equal(every3, np.repeat(one[::3], 3)[:3000])
    assert not FL.deferrable(m, nn.L1Loss(), X, Y) and not FL.deferrable(nn.Linear(2, 1), crit, X, Y)


def test_a_vectorised_loss_that_disagrees_falls_back_to_the_modules_own(monkeypatch):
    g = np.random.default_rng(4)
    params = g.standard_normal((50, 2)).astype(np.float32)
    m, crit, X, Y, one = _line_losses(params)
    real_mean = torch.Tensor.mean
    monkeypatch.setattr(torch.Tensor, "mean", lambda t, *a, **k: real_mean(t, *a, **k) * (1 + 1e-6))  # a wrong kernel
    assert np.array_equal(FL.full_losses(m, crit, X, Y, params), one)  # mean() is not MSELoss's: checked, redone


def test_the_step_cap_falls_with_p_so_a_recording_stays_under_the_bound():
    bound = 8 * STEP_NUMBERS  # bytes: the line's 15 numbers a step at MAX_STEPS
    for P in (2, 10, 10_401, 100_000):
        cap = max_steps(P)
        assert cap <= MAX_STEPS and cap * 8 * (5 + 4 * P) <= bound
    rec, _, _ = _mlp_run(steps=2)
    assert rec.cap == max_steps(rec.n_params)


@pytest.mark.parametrize("dtype", [torch.float64])
def test_a_float64_model_keeps_float64_columns(dtype):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 3), nn.Tanh(), nn.Linear(3, 1)).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    X = torch.linspace(0, 1, 8, dtype=dtype).view(-1, 1)
    with recording(model, opt) as rec:
        for _ in range(3):
            loss = nn.MSELoss()(model(X), X)
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert rec.c_params.result().dtype == np.float64
    assert np.array_equal(rec.trace.final_params, torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy())


def test_the_article_loop_records_in_under_250_bytes_a_step():
    X = torch.tensor([0.2, 0.4, 0.6, 0.8, 1.0, 1.2]).view(-1, 1)
    Y = torch.tensor([0.18, 0.32, 0.42, 0.48, 0.58, 0.72]).view(-1, 1)
    model, crit = nn.Linear(1, 1), nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with recording(model, opt, x=X, y=Y, loss_fn=crit) as rec:
        for k in range(30):
            s = (k % 3) * 2
            loss = crit(model(X[s:s + 2]), Y[s:s + 2])
            opt.zero_grad()
            loss.backward()
            opt.step()
    per_step = sum(c._a.itemsize * (c.width or 1) for c in (rec.c_params, rec.c_grads, rec.c_loss, rec.c_full,
                                                             rec.c_lr, rec.c_offsets))
    rows = sum(c._a.itemsize * c.width for c in (rec.c_inputs, rec.c_preds, rec.c_targets)) * 2  # batch of 2
    assert per_step + rows <= 250
    t = rec.trace
    assert sum(a.nbytes for a in t.steps.values() if isinstance(a, np.ndarray)) / t.n_steps <= 250
