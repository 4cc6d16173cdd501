"""A user's loop that diverges: the recording cuts it where training.record() stops its own
run (status ``diverged`` at the step that diverged, the steps before it kept), so the trace
holds finite numbers, saves, and shows the divergence; the loop itself is never stopped."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn, optim

import training
from training.config import TrainConfig
from training.trace import Trace
from tests.training.test_recording import article_loop, article_setup


def _article_at(lr: float):
    ns = article_setup()
    ns["optimizer"] = optim.SGD(ns["model"].parameters(), lr=lr)
    with training.recording(ns["model"], ns["optimizer"], x=ns["X_train"], y=ns["Y_train"],
                            loss_fn=ns["criterion"]) as rec:
        article_loop(ns, epochs=30)
    return rec, ns


@pytest.mark.parametrize("lr", [2.0, 50.0, 1e12])
def test_a_diverging_article_loop_is_cut_where_record_stops(lr, tmp_path):
    rec, ns = _article_at(lr)
    assert not all(torch.isfinite(p).all() for p in ns["model"].parameters())  # the loop went on to NaN
    t, r = rec.trace, training.record(TrainConfig(lr=lr))
    assert r.status.diverged and t.status == r.status  # the same step, the same reason
    assert t.n_steps == r.n_steps == r.status.step
    for col in ("a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b"):
        assert np.array_equal(t.steps[col], r.steps[col]), col
    assert (t.final_a, t.final_b) == (r.final_a, r.final_b)
    for path in (tmp_path / "t.json", tmp_path / "t.sgdtrace"):  # finite: it saves, and reads back
        rec.save(path)
        back = Trace.from_file(path)
        assert back.status == r.status and back.n_steps == r.n_steps


def test_a_network_going_nan_without_x_y_keeps_its_finite_steps(tmp_path):
    torch.manual_seed(0)
    X = torch.linspace(-1, 1, 8).view(-1, 1)
    Y = 2 * X
    model = nn.Sequential(nn.Linear(1, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = optim.SGD(model.parameters(), lr=0.05)
    crit = nn.MSELoss()
    with training.recording(model, opt) as rec:
        for step in range(12):
            if step == 5:  # the loop's own trouble: a parameter made infinite between steps
                with torch.no_grad():
                    model[0].weight[0, 0] = float("inf")
            loss = crit(model(X[:4]), Y[:4])
            opt.zero_grad()
            loss.backward()
            opt.step()
    t = rec.trace
    assert t.status.diverged and t.status.step == 4 and t.n_steps == 4
    assert "infinite or NaN" in t.status.reason
    assert np.isfinite(t.steps["params"]).all() and np.isfinite(t.final_params).all()
    rec.save(tmp_path / "t.json")
    assert Trace.from_file(tmp_path / "t.json").n_steps == 4


def test_a_loop_that_stays_finite_is_not_cut():
    rec, _ = _article_at(0.1)
    assert rec.trace.status.state == "completed" and rec.trace.n_steps == 90
