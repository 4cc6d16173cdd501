"""training.loop_recorder: the user's own loop, recorded by hooks (issue 24).

Exactness against training.record() (the article's loop, bit for bit) and against the loop's
own independent numbers (parameter differences, the scheduler's learning rates); the faults:
no step, an exception, a 2-D model, parameters added mid-run, nesting, the step cap, LBFGS;
and the hooks are gone afterwards (the model and optimizer then behave as if never recorded).
"""
from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn, optim

import training
import training.loop_recorder as R
from training import recording
from training.errors import InputError
from training.trace import Trace

ARTICLE = Path(__file__).resolve().parents[2] / "assets" / "examples" / "article_loop.py"


def article_setup():
    """The article's setup (assets/examples/article_loop.py's, before its loop)."""
    src = ARTICLE.read_text()
    ns: dict = {}
    exec(src.split("for epoch in range(num_epochs):")[0], ns)
    return ns


def article_loop(ns, epochs=None):
    for epoch in range(epochs or ns["num_epochs"]):
        for batch_idx in range(ns["n_batches"]):
            s = batch_idx * ns["batch_size"]
            X_batch, Y_batch = ns["X_train"][s:s + ns["batch_size"]], ns["Y_train"][s:s + ns["batch_size"]]
            Y_pred = ns["model"](X_batch)
            loss = ns["criterion"](Y_pred, Y_batch)
            ns["optimizer"].zero_grad()
            loss.backward()
            ns["optimizer"].step()


def no_hooks_left(model, opt) -> bool:
    return (not opt._optimizer_step_pre_hooks and not opt._optimizer_step_post_hooks
            and all(not m._forward_hooks for m in model.modules())
            and not nn.modules.module._global_forward_hooks and not R._active)


# ------------------------------------------------------------------ exactness
def test_article_loop_equals_record_bit_for_bit():
    ns = article_setup()
    with recording(ns["model"], ns["optimizer"], x=ns["X_train"], y=ns["Y_train"], loss_fn=ns["criterion"]) as rec:
        article_loop(ns)
    t, r = rec.trace, training.record()
    assert t.schema_version == 1 and t.n_steps == r.n_steps == 300
    for col in ("a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b", "epoch", "batch"):
        assert np.array_equal(t.steps[col], r.steps[col]), col
    for col in ("indices", "pred", "residual"):
        assert np.array_equal(t.steps[col].values, r.steps[col].values), col
    assert (t.final_a, t.final_b) == (r.final_a, r.final_b)
    assert np.array_equal(t.steps["lr"], np.full(300, 0.1))
    assert {k: v for k, v in t.config.items() if k != "recorded"} == r.config
    assert no_hooks_left(ns["model"], ns["optimizer"])


def test_article_loop_without_x_y_records_the_rows_seen(tmp_path):
    ns = article_setup()
    with recording(ns["model"], ns["optimizer"]) as rec:  # the loss module is found by its hook
        article_loop(ns, epochs=2)
    t = rec.trace
    assert t.n_steps == 6 and t.schema_version == 1
    assert np.array_equal(t.x, np.array([0.2, 0.4, 0.6, 0.8, 1.0, 1.2]))  # the article's, recognised
    assert list(t.steps["epoch"]) == [0, 0, 0, 1, 1, 1]
    assert np.array_equal(t.steps["full_loss"], t.steps["loss"]) and "batch loss" in t.config["recorded"]["full_loss"]
    assert Trace.from_file(rec.save(tmp_path / "t.json")) == t


def test_dataloader_adam_steplr_clipping_records_what_was_applied(tmp_path):
    torch.manual_seed(0)
    X = torch.linspace(-1, 1, 40).reshape(-1, 1)
    Y = torch.sin(3 * X)
    model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
    opt = optim.Adam(model.parameters(), lr=0.05)
    sched = optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, Y), batch_size=8, shuffle=True)
    crit = nn.MSELoss()
    lrs, before, after = [], [], []
    with recording(model, opt, x=X, y=Y, loss_fn=crit) as rec:
        for _ in range(3):
            for xb, yb in loader:
                loss = crit(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 0.1)
                lrs.append(sched.get_last_lr()[0])
                before.append(torch.cat([p.detach().reshape(-1) for p in model.parameters()]).double().numpy())
                opt.step()
                after.append(torch.cat([p.detach().reshape(-1) for p in model.parameters()]).double().numpy())
                sched.step()
    t = rec.trace
    assert t.schema_version == 2 and t.n_steps == 15 and t.config["model"] == {"kind": "module"}
    assert t.param_names[:2] == ("0.weight[0]", "0.weight[1]") and len(t.param_names) == 25
    assert np.array_equal(t.params, np.array(before))
    assert np.array_equal(t.updates, np.array(after) - np.array(before))  # what step() really did
    assert np.array_equal(t.params[1:], t.params[:-1] + t.updates[:-1])
    assert np.array_equal(t.steps["lr"], np.array(lrs)) and len(set(lrs)) == 3
    assert t.velocity is not None  # Adam's first moment
    assert np.linalg.norm(t.grads, axis=1).max() <= 0.1 + 1e-6  # the clipped .grad the step used
    # Shuffled: each epoch's batches cover the 40 rows once, in a new order
    idx = t.steps["indices"]
    first = np.concatenate([idx[k] for k in range(5)])
    assert sorted(first) == list(range(40)) and list(first) != list(range(40))
    assert list(t.steps["epoch"]) == [0] * 5 + [1] * 5 + [2] * 5
    assert t.config["recorded"]["optimizer"] == "Adam" and t.config["optimizer"] == "adam"
    assert Trace.from_file(rec.save(tmp_path / "t.sgdtrace")) == t
    assert no_hooks_left(model, opt)


def _twins():
    torch.manual_seed(1)
    m1 = nn.Linear(1, 1)
    m2 = copy.deepcopy(m1)
    return (m1, optim.SGD(m1.parameters(), lr=0.1, momentum=0.9)), (m2, optim.SGD(m2.parameters(), lr=0.1, momentum=0.9))


def _steps(model, opt, n, x=torch.tensor([[0.5], [1.0]]), y=torch.tensor([[1.0], [2.0]])):
    for _ in range(n):
        loss = nn.MSELoss()(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


# ------------------------------------------------------------------ faults
def test_no_step_in_the_block_is_a_clear_error():
    (m, opt), _ = _twins()
    with recording(m, opt) as rec:
        m(torch.ones(2, 1))
    with pytest.raises(InputError, match="step\\(\\) was never called"):
        rec.trace
    assert no_hooks_left(m, opt)


def test_an_exception_keeps_the_steps_so_far_and_propagates_unchanged():
    (m, opt), (m2, opt2) = _twins()
    boom = RuntimeError("boom at step 3")
    with pytest.raises(RuntimeError) as caught:
        with recording(m, opt, loss_fn=nn.functional.mse_loss, x=torch.tensor([[0.5], [1.0]]),
                       y=torch.tensor([[1.0], [2.0]])) as rec:
            _steps(m, opt, 3)
            raise boom
    assert caught.value is boom
    t = rec.trace
    assert t.n_steps == 3 and t.status.state == "stopped" and "RuntimeError: boom at step 3" in t.status.reason
    assert t.status.to_dict() == {"state": "stopped", "step": 3, "reason": t.status.reason}
    assert Trace.from_json(t.to_json()) == t
    # Afterwards the model and optimizer behave exactly as the twin that was never recorded
    assert no_hooks_left(m, opt)
    _steps(m2, opt2, 3)
    _steps(m, opt, 5)
    _steps(m2, opt2, 5)
    assert all(torch.equal(p, q) for p, q in zip(m.parameters(), m2.parameters()))


def test_a_model_with_2d_rows_is_recorded_with_a_note():
    torch.manual_seed(0)
    X, Y = torch.randn(10, 3), torch.randn(10, 2)
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    crit = nn.MSELoss()
    with recording(model, opt, x=X, y=Y, loss_fn=crit) as rec:
        for k in range(0, 10, 5):
            loss = crit(model(X[k:k + 5]), Y[k:k + 5])
            opt.zero_grad()
            loss.backward()
            opt.step()
    t = rec.trace
    assert t.schema_version == 2 and t.n_steps == 2 and "row numbers" in t.config["recorded"]["rows"]
    assert np.array_equal(t.x, np.arange(10.0)) and list(t.steps["indices"][1]) == [5, 6, 7, 8, 9]
    with torch.no_grad():  # the full-data loss at the end: the module's own, sampled when it was recorded
        assert t.final_full_loss == crit(model(X), Y).item()
    assert t.model.no_curve.startswith("3 inputs → 2 outputs: no curve")  # the fit view's title says so
    assert np.isnan(t.model.predict(t.final_params, [0.0])).all()


def test_parameters_added_mid_run_stop_the_recording_not_training():
    (m, opt), _ = _twins()
    extra = nn.Parameter(torch.zeros(1))
    with pytest.warns(R.RecordingWarning, match="added to the optimizer"):
        with recording(m, opt) as rec:
            _steps(m, opt, 2)
            opt.add_param_group({"params": [extra]})
            _steps(m, opt, 2)
    t = rec.trace
    assert t.n_steps == 2 and t.status.state == "stopped"
    assert no_hooks_left(m, opt)


def test_nested_and_twice_are_refused():
    (m, opt), (m2, opt2) = _twins()
    rec = recording(m, opt)
    with rec:
        with pytest.raises(InputError, match="do not nest"):
            with recording(m2, opt2):
                pass
        _steps(m, opt, 1)
    with pytest.raises(InputError, match="already used"):
        with rec:
            pass
    assert rec.trace.n_steps == 1 and no_hooks_left(m, opt) and no_hooks_left(m2, opt2)


def test_the_cap_stops_recording_and_training_goes_on(monkeypatch):
    monkeypatch.setattr(R, "MAX_RECORDED_STEPS", 5)
    (m, opt), (m2, opt2) = _twins()
    with pytest.warns(R.RecordingWarning, match="cap of 5 steps"):
        with recording(m, opt) as rec:
            _steps(m, opt, 20)
    _steps(m2, opt2, 20)
    assert rec.trace.n_steps == 5 and rec.trace.status.state == "stopped"
    assert all(torch.equal(p, q) for p, q in zip(m.parameters(), m2.parameters()))


def test_lbfgs_and_bad_arguments_are_refused():
    m = nn.Linear(1, 1)
    with pytest.raises(InputError, match="LBFGS"):
        recording(m, optim.LBFGS(m.parameters()))
    with pytest.raises(InputError, match="x and y together"):
        recording(m, optim.SGD(m.parameters(), lr=0.1), x=torch.ones(2, 1))
    with pytest.raises(InputError, match="cannot be trained from settings"):
        training.record(model="module")


def test_recording_changes_no_number_of_the_run():
    """With or without recording, the same loop ends at the same parameters, bit for bit."""
    (m, opt), (m2, opt2) = _twins()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with recording(m, opt, x=torch.tensor([[0.5], [1.0]]), y=torch.tensor([[1.0], [2.0]]),
                       loss_fn=nn.functional.mse_loss):
            _steps(m, opt, 30)
    _steps(m2, opt2, 30)
    assert all(torch.equal(p, q) for p, q in zip(m.parameters(), m2.parameters()))
