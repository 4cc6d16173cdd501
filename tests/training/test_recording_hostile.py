"""training.recording with loops that go wrong (the "Survive" bug hunt, session 5): a loop that
diverges (NaN or infinity in its loss, gradients or parameters), a batch of no rows. A
diverging run is no error: its trace holds the steps before the first non-finite number,
status ``diverged``, and writes and reads back as JSON and binary (JSON has no NaN)."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from torch import nn, optim

from training import recording
from training.errors import InputError
from training.trace import Trace


def _loop(model, opt, crit, X, Y, steps: int, *, poison=None, batch: int = 4, **given):
    """``steps`` steps over the first ``batch`` rows; ``poison(k, Y)`` may spoil step k's targets."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with recording(model, opt, **given) as rec:
            for k in range(steps):
                y = Y[:batch] if poison is None else poison(k, Y[:batch])
                loss = crit(model(X[:batch]), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
    return rec


def _round_trip(t: Trace, tmp_path) -> None:
    for name in ("t.json", "t.sgdtrace"):
        t.to_file(tmp_path / name)
        back = Trace.from_file(tmp_path / name)
        assert back.n_steps == t.n_steps and back.status == t.status


def _setup(model=None, lr=0.1):
    torch.manual_seed(0)
    model = model or nn.Linear(1, 1)
    return model, optim.SGD(model.parameters(), lr=lr), nn.MSELoss(), torch.randn(8, 1), torch.randn(8, 1)


@pytest.mark.parametrize("make", [lambda: None, lambda: nn.Sequential(nn.Linear(1, 4), nn.Tanh(), nn.Linear(4, 1))],
                         ids=["line", "mlp"])
def test_a_loss_that_turns_nan_mid_run_keeps_the_steps_before_it(tmp_path, make):
    model, opt, crit, X, Y = _setup(make())
    rec = _loop(model, opt, crit, X, Y, 6, poison=lambda k, y: y if k < 3 else y * float("nan"))
    t = rec.trace
    assert t.status.state == "diverged" and t.status.step == 3 and t.n_steps == 3
    assert np.isfinite(t.steps["loss"]).all() and np.isfinite(t.final_params if t.schema_version == 2 else t.final_a).all()
    _round_trip(t, tmp_path)


def test_a_step_size_that_overflows_at_the_first_step_is_a_run_of_no_steps(tmp_path):
    model, opt, crit, X, Y = _setup(lr=1e38)
    rec = _loop(model, opt, crit, X, Y, 4, poison=lambda k, y: y * 1e3)  # lr * grad past float32's range
    t = rec.trace
    assert t.status.state == "diverged" and t.n_steps == 0 and len(t.x) == 4  # the rows of the step that diverged
    assert t.config["init_a"] == pytest.approx(float(t.final_a))  # the start, where it stayed
    _round_trip(t, tmp_path)


def test_the_line_with_x_y_given_diverges_with_its_deferred_full_loss_finite(tmp_path):
    model, opt, crit, X, Y = _setup()
    rec = _loop(model, opt, crit, X, Y, 6, poison=lambda k, y: y if k < 4 else y * float("inf"), x=X, y=Y, loss_fn=crit)
    t = rec.trace
    assert t.status.state == "diverged" and t.n_steps == 4 and np.isfinite(t.steps["full_loss"]).all()
    _round_trip(t, tmp_path)


def test_nan_from_the_first_step_is_one_clear_error():
    model, opt, crit, X, Y = _setup()
    rec = _loop(model, opt, crit, X, Y, 3, poison=lambda k, y: y * float("nan"))
    with pytest.raises(InputError, match="not finite") as e:  # (its targets, the data: NaN)
        rec.trace
    assert "\n" not in str(e.value)


def test_a_batch_of_no_rows_stops_the_recording_not_the_trace(tmp_path):
    model, opt, _, X, Y = _setup()
    crit = nn.MSELoss(reduction="sum")  # (the mean of no rows is NaN: that would diverge instead)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with recording(model, opt) as rec:
            for k in range(4):
                rows = slice(0, 0) if k == 2 else slice(0, 4)
                loss = crit(model(X[rows]), Y[rows])
                opt.zero_grad()
                loss.backward()
                opt.step()
    t = rec.trace
    assert t.status.state == "stopped" and t.n_steps == 2 and "no rows" in t.status.reason
    _round_trip(t, tmp_path)


class _SumScale(nn.Module):
    """y = x · sum(w): its output keeps its shape whatever the size of w."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([0.5, 0.25]))

    def forward(self, x):
        return x * self.w.sum()


@pytest.mark.parametrize("make, resize", [
    (lambda: nn.Linear(1, 1), lambda m: m.weight.set_(torch.randn(2, 1))),  # the batches change shape too
    (_SumScale, lambda m: m.w.set_(torch.tensor([0.5, 0.25, 0.1]))),  # only the parameters do
], ids=["batches", "parameters"])
def test_parameters_that_change_size_mid_run_stop_the_recording_not_training(tmp_path, make, resize):
    model, opt, crit, X, Y = _setup(make())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with recording(model, opt) as rec:  # (the hooks raised into the loop: ValueError, wrong shape)
            for k in range(5):
                out = model(X[:4])
                loss = crit(out, Y[:4].expand_as(out))
                opt.zero_grad()
                loss.backward()
                opt.step()
                if k == 1:
                    with torch.no_grad():
                        resize(model)
    t = rec.trace
    assert t.status.state == "stopped" and t.n_steps == 1  # step 2's "after" went with the old size
    assert len(t.final_params if t.schema_version == 2 else [t.final_a, t.final_b]) == 2
    _round_trip(t, tmp_path)


def test_an_exception_whose_message_fails_goes_on_unchanged():
    class Odd(Exception):
        def __str__(self):
            raise RuntimeError("no message")

    model, opt, crit, X, Y = _setup()
    with pytest.raises(Odd):  # (was: the RuntimeError of its __str__, raised by the block's end)
        with recording(model, opt) as rec:
            loss = crit(model(X[:4]), Y[:4])
            opt.zero_grad()
            loss.backward()
            opt.step()
            raise Odd()
    assert rec.trace.status.state == "stopped" and rec.trace.status.reason == "the block raised Odd"


def test_a_float64_loop_leaving_float32s_range_diverges_there(tmp_path):
    """A trace holds numbers within +-3.4e38; a float64 loop can pass that while finite (the
    trace was written, then refused when read back: --run named its temporary file)."""
    model, opt, crit, X, Y = _setup(nn.Linear(1, 1).double(), lr=1e-3)
    X, Y = X.double(), Y.double()
    rec = _loop(model, opt, crit, X, Y, 4, poison=lambda k, y: y * 10.0 ** (10 * k))  # loss ~1e20 at 1, 1e40 at 2
    t = rec.trace
    assert t.status.state == "diverged" and t.n_steps < 4  # (cut where record() cuts: the loss past 1e8 x its start)
    _round_trip(t, tmp_path)


def test_float64_data_beyond_float32s_range_is_one_clear_error():
    model, opt, crit, X, Y = _setup(nn.Linear(1, 1).double())
    rec = _loop(model, opt, crit, X.double(), Y.double() * 1e100, 2)
    with pytest.raises(InputError, match="beyond float32's range"):
        rec.trace


@pytest.mark.parametrize("x, y, words", [
    ([[1.0], [2.0]], "abc", "x and y must be tensors or arrays of numbers"),  # (TypeError of torch.as_tensor)
    (torch.randn(5, 1), torch.randn(8, 1), "as many rows, got (5, 1) and (8, 1)"),  # (a size mismatch at the end)
    (torch.tensor(1.0), torch.tensor(2.0), "as many rows"),
])
def test_x_and_y_that_cannot_be_the_data_are_refused_at_once(x, y, words):
    model, opt, crit, _, _ = _setup()
    with pytest.raises(InputError, match=re.escape(words)):
        recording(model, opt, x=x, y=y, loss_fn=crit)


def test_complex_parameters_are_refused():
    """Their imaginary parts were dropped as the columns were filled (a torch UserWarning), and
    the trace drew the real parts as if they were the run."""
    class Rotate(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.tensor([1.0 + 1.0j, 0.5 - 0.5j]))

        def forward(self, x):
            return (x * self.w).real

    model = Rotate()
    with pytest.raises(InputError, match="complex parameters"):
        recording(model, optim.SGD(model.parameters(), lr=0.1))


def test_a_loss_module_of_many_numbers_stops_with_a_clear_reason():
    """reduction='none', the loop reducing the loss itself: the reason was torch's 'a Tensor
    with 4 elements cannot be converted to Scalar'."""
    model, opt, _, X, Y = _setup()
    crit = nn.MSELoss(reduction="none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with recording(model, opt) as rec:
            for _ in range(2):
                loss = crit(model(X[:4]), Y[:4])
                opt.zero_grad()
                loss.mean().backward()
                opt.step()
    with pytest.raises(InputError, match=re.escape("the loss module gave 4 numbers, not one (reduction='none')")):
        rec.trace


def test_with_x_y_and_a_loss_function_such_a_loop_records():
    model, opt, _, X, Y = _setup()
    crit = nn.MSELoss(reduction="none")
    with recording(model, opt, x=X, y=Y, loss_fn=lambda p, t: ((p - t) ** 2).mean()) as rec:
        for s in (0, 4):
            loss = crit(model(X[s:s + 4]), Y[s:s + 4])
            opt.zero_grad()
            loss.mean().backward()
            opt.step()
    assert rec.trace.n_steps == 2 and rec.trace.status.state == "completed"
