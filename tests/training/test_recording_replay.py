"""The replay of the parameters and the optimizer's state between copied rows
(training.loop_replay): the trace equals, bit for bit, the one made by copying every row, for
each optimizer it replays (with a scheduler, OneCycleLR's changing betas, clipping, weight
decay); a step it cannot follow switches to copying; a replay that parts from the run ends
the trace at the last row that matched, and says so."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch import nn

from training import recording
from training import loop_replay
from training.loop_replay import CHECK_EVERY, fill
from training.loop_trace import params_and_updates

STEPS = 2 * CHECK_EVERY + 13  # two checks and a tail after the last one

@pytest.fixture(autouse=True)
def _replay_small_models(monkeypatch):
    """The models here are small (25 parameters): replayed all the same."""
    monkeypatch.setattr(loop_replay, "REPLAY_FROM", 0)


OPTIMIZERS = {
    "sgd": (lambda p: torch.optim.SGD(p, lr=0.1), None),
    "nesterov": (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
                 lambda o: torch.optim.lr_scheduler.StepLR(o, 30, 0.5)),
    "adam": (lambda p: torch.optim.Adam(p, lr=1e-2, weight_decay=1e-3, amsgrad=True),
             lambda o: torch.optim.lr_scheduler.OneCycleLR(o, 0.05, total_steps=STEPS + 10)),
    "adamw": (lambda p: torch.optim.AdamW(p, lr=1e-2), None),
    "rmsprop": (lambda p: torch.optim.RMSprop(p, lr=1e-3, momentum=0.5, centered=True), None),
    "adagrad": (lambda p: torch.optim.Adagrad(p, lr=1e-2), None),
}


def _run(name, copy=False, between=None):
    make, schedule = OPTIMIZERS[name]
    torch.manual_seed(0)
    X = torch.linspace(-2, 2, 64).view(-1, 1)
    Y = torch.sin(2 * X)
    model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
    opt = make(model.parameters())
    sched = schedule(opt) if schedule else None
    crit = nn.MSELoss()
    with recording(model, opt) as rec:
        if copy:
            rec.replay = None  # every row copied: what the replay must give
        for k in range(STEPS):
            s = (k % 4) * 16
            loss = crit(model(X[s:s + 16]), Y[s:s + 16])
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            if between is not None:
                between(k, model, opt)
            opt.step()
            if sched is not None:
                sched.step()
    return rec


def _columns(rec) -> dict:
    """The columns the trace is made of (training.loop_trace), the replayed rows written: the
    trace itself is not built (its views take seconds)."""
    n = rec.n_steps
    if rec.replay is not None:
        assert fill(rec, n) == (n, "")
    params, updates, final = params_and_updates(rec, n)
    cols = dict(params=params, updates=updates, final=final, grads=rec.c_grads.result()[:n],
                loss=rec.c_loss.result()[:n], lr=rec.c_lr.result()[:n])
    if rec.c_velocity is not None:
        cols["velocity"] = rec.c_velocity.result()[:n]
    return cols


def _same(a, b) -> None:
    ca, cb = _columns(a), _columns(b)
    assert set(ca) == set(cb) and len(ca["params"]) == STEPS
    for name, col in cb.items():
        assert ca[name].dtype == col.dtype and np.array_equal(ca[name], col), name


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_the_replay_gives_the_copied_runs_bits(name):
    replayed, copied = _run(name), _run(name, copy=True)
    assert replayed.replay is not None and replayed.replay.copy_from is None
    # only every CHECK_EVERY-th row was copied while the loop ran
    assert len(replayed.replay.changes) >= (2 if name in ("nesterov", "adam") else 1)
    _same(replayed, copied)


def test_a_missing_gradient_switches_to_copying_and_stays_exact():
    def drop(k, model, opt):
        if k == 90:
            model[0].bias.grad = None  # Adam leaves this parameter (and its state) alone this step
    replayed, copied = _run("adam", between=drop), _run("adam", copy=True, between=drop)
    assert replayed.replay.copy_from == 90
    _same(replayed, copied)


def test_a_replay_that_parts_from_the_run_ends_the_trace_at_the_last_match():
    def tamper(k, model, opt):
        if k == CHECK_EVERY + 5:  # the state changed in place, outside step(): no replay can know
            for st in opt.state.values():
                st["exp_avg"].mul_(1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trace = _run("adam", between=tamper).trace
    assert trace.n_steps == CHECK_EVERY
    assert trace.status.state == "stopped" and "replayed" in trace.status.reason


def test_a_small_model_is_copied_not_replayed(monkeypatch):
    monkeypatch.setattr(loop_replay, "REPLAY_FROM", 1024)
    model = nn.Linear(1, 1)  # the article's: copying two numbers costs less than a replay
    with recording(model, torch.optim.SGD(model.parameters(), lr=0.1)) as rec:
        pass
    assert rec.replay is None


def test_an_optimizer_subclass_is_copied_not_replayed():
    class Mine(torch.optim.SGD):
        pass
    model = nn.Linear(1, 1)
    with recording(model, Mine(model.parameters(), lr=0.1)) as rec:
        pass
    assert rec.replay is None
