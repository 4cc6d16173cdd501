"""Record your own training loop: hooks on the real objects, one trace step per ``step()``.

    from training import recording
    with recording(model, optimizer, x=X, y=Y, loss_fn=criterion) as rec:
        for epoch in range(100):                 # the loop, unchanged
            ...
    rec.trace                                   # schema 1 for one nn.Linear(1, 1) + MSE, else 2
    rec.save("out/trace.json")

Nothing of the loop is replaced: a forward hook on the model (and on the loss module, given or
any ``nn.*Loss`` that runs) keeps references to what passed, and the optimizer's step pre/post
hooks read, around each real ``step()``, the parameters before, their ``.grad``, the learning
rate and the state worth showing; the update is the next step's parameters minus these (so it
is what clipping, weight decay, a scheduler or momentum really made it), computed once at the
end, and the parameters' version counters tell when something besides ``step()`` moved them. The row lookups happen once, at the end
(:mod:`training.loop_columns`). A hook never breaks the loop: a problem, the step cap or
parameters added mid-run stop the recording (a warning, status ``stopped``), never training.
The hooks are removed when the block ends, however it ends.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import torch
from torch import nn

from training.config import MAX_STEPS, max_steps
from training.errors import InputError, first_line
from training.models import MAX_MODULE_PARAMS
from training.loop_columns import Grow, column_dtype
from training.loop_batches import MAX_ROW_BYTES, keep_batch
from training.loop_graphs import LoopGraphs, graph_indices as _graph_indices
from training.loop_tensors import (ParamViews, StateViews, as_numpy, as_row_tensor, as_rows, call_forward, data_pair,
                                   grads_into, has_state)

__all__ = ["recording", "Recording", "RecordingWarning", "MAX_RECORDED_STEPS", "MAX_ROW_BYTES"]

MAX_RECORDED_STEPS = MAX_STEPS  # the cap (it falls with P, training.config.max_steps)
_active: list["Recording"] = []


class RecordingWarning(UserWarning):
    """The recording stopped early (its cap, parameters added mid-run); training went on."""


def recording(model: nn.Module, optimizer: torch.optim.Optimizer, *, x: Any = None, y: Any = None,
              loss_fn: Any = None, full_loss_every: int = 1, graph_steps: Any = ()) -> "Recording":
    """A context manager recording every ``optimizer.step()`` inside the block (see the module).

    x, y : the whole data (tensors or arrays, rows as the model takes them); each batch row is
        then found in them (``steps.indices``), and the loss over them is computed before each
        step when ``loss_fn`` is known (``full_loss_every=k``: every k-th step, the others
        carrying the last value; for large data). Without them the data is the rows the model
        saw, each distinct row once, in the order first seen, and ``steps.full_loss`` holds the
        batch loss (``config.recorded.full_loss`` says so).
    loss_fn : the loss module or function; when omitted, the first ``nn.*Loss`` module that runs
        after the model's forward pass in each step gives the batch loss and targets.
    graph_steps : steps, counted from 1 as ``--graph-steps`` counts, whose autograd graph goes
        into ``trace.graphs`` (:mod:`training.loop_graphs`; default none).
    """
    return Recording(model, optimizer, x=x, y=y, loss_fn=loss_fn, full_loss_every=full_loss_every,
                     graph_steps=graph_steps)


def _is_loss_module(m: Any) -> bool:
    return isinstance(m, nn.modules.loss._Loss)


class Recording:
    """What :func:`recording` returns: enter it once; ``trace`` and ``save`` afterwards."""

    def __init__(self, model, optimizer, *, x=None, y=None, loss_fn=None, full_loss_every: int = 1,
                 graph_steps: Any = ()):
        if not isinstance(model, nn.Module):
            raise InputError(f"recording: model must be a torch.nn.Module, got {type(model).__name__}")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise InputError(f"recording: optimizer must be a torch.optim optimizer, got {type(optimizer).__name__}")
        if isinstance(optimizer, torch.optim.LBFGS):
            raise InputError("recording: LBFGS evaluates its closure several times inside one step(); recording "
                             "takes optimizers whose step() makes one update from .grad (SGD, Adam, ...)")
        if (x is None) != (y is None):
            raise InputError("recording: give x and y together (or neither)")
        if not isinstance(full_loss_every, int) or full_loss_every < 1:
            raise InputError(f"recording: full_loss_every must be a whole number >= 1, got {full_loss_every!r}")
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.full_loss_every = full_loss_every
        self.x, self.y = (None, None) if x is None else data_pair(x, y)
        self.named = [(n, p) for n, p in model.named_parameters()]
        self.shapes = [tuple(p.shape) for _, p in self.named]  # as recorded (set_() may change them later)
        self.params = [p for _, p in self.named]
        self.n_params = sum(p.numel() for p in self.params)
        if not self.params:
            raise InputError("recording: the model has no parameters")
        if any(p.is_complex() for p in self.params):  # (their imaginary parts were dropped, with a warning)
            raise InputError("recording: the model has complex parameters; a trace holds real numbers")
        if self.n_params > MAX_MODULE_PARAMS:
            raise InputError(f"recording: the model has {self.n_params:,} parameters; a recording keeps at most "
                             f"{MAX_MODULE_PARAMS:,} a step")
        self.cap = min(MAX_RECORDED_STEPS, max_steps(self.n_params))
        self.graphs = LoopGraphs(self.named, _graph_indices(graph_steps), self._graph_warning)
        self._state = "new"
        self._handles: list = []
        self._trace = None
        self.status: tuple[str, str] = ("completed", "")
        self._busy = False            # our own forward passes (the full loss) are not the loop's
        self._forwards: list = []     # (input, output) of the model's forward passes since the last step
        self._losses: list = []       # (loss value tensor, target) of the loss module since then
        self._groups = self._group_sizes()
        self._stateful = any(m.training and isinstance(m, (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._NormBase))
                             for m in model.modules()) or any(True for _ in model.buffers())
        # The columns (training.loop_columns.Grow): filled by the hooks. Parameters, gradients
        # and the optimizer's state in the parameters' own precision (float32 holds a float32
        # or narrower parameter exactly; float64 otherwise): 4·P bytes each a step for float32.
        # No column of the updates, and no copy of the parameters after each step: a step's
        # update is the next step's parameters minus its own, in float64, when the trace is
        # built. The parameters' version counters tell whether anything but step() changed
        # them in between (``outside``: those steps' updates include the change, and the trace
        # says so); the parameters after the last recorded step are copied once (``_after``).
        P, cap = self.n_params, self.cap + 1
        self.dtype = column_dtype(self.params)
        self.c_params, self.c_grads = Grow(P, self.dtype, capacity=cap), Grow(P, self.dtype, capacity=cap)
        self.c_velocity: Grow | None = None
        self._state_views = StateViews(optimizer, self.params)
        self._after = np.empty(P, self.dtype)   # the parameters after the last recorded step
        self._after_taken = False
        self._versions: list | None = None      # the parameters' versions when the last recorded step() returned
        self.outside: list[int] = []            # steps after which something else changed the parameters
        self.n_after = 0                        # recorded steps whose step() returned
        self._param_views = ParamViews(self.params)  # their flat views, made once
        self.c_loss, self.c_full, self.c_lr = Grow(capacity=cap), Grow(capacity=cap), Grow(capacity=cap)
        self.c_offsets = Grow(dtype=np.int64, capacity=cap + 1)
        self.c_offsets.append(0)
        self.c_inputs: Grow | None = None
        self.c_targets: Grow | None = None
        self.c_preds: Grow | None = None
        self.loss_names: set[str] = set()
        self.seen_loss: Any = None    # the first loss module that ran (no loss_fn given)
        self._last_loss: Any = None   # the last one
        self._global: Any = None      # the global hook finding the loss module (no loss_fn given) ...
        self._narrowed = ""           # ... replaced by a hook on it once known (its class's name)
        self.targets_from_loss = True
        self._last_full = float("nan")
        self.deferred: bool | None = None  # the full-data loss is computed after the block
        self._recorded = False  # this step's row was written (its post hook reads "after")
        self.in_shape: tuple | None = None    # one input row's shape, (1,) for nn.Linear(1, ...)
        self.target_shape: tuple = (1,)
        # the batches' own dtypes (a bfloat16 batch's rows are kept as float32, exactly: the
        # views feed the module its data in the dtype it was given)
        self.in_dtype: torch.dtype | None = None
        self.target_dtype: torch.dtype | None = None
        self._at = 0            # samples recorded so far

    # ------------------------------------------------------------------ the block
    def __enter__(self) -> "Recording":
        if self._state != "new":
            raise InputError("recording: this recording was already used; start a new one with recording(...)")
        if _active:
            raise InputError("recording: another recording is active; recordings do not nest")
        self._state = "on"
        _active.append(self)
        try:
            self._handles.append(self.model.register_forward_hook(self._on_forward))
            if self.graphs.steps:
                self._handles.append(self.model.register_forward_pre_hook(self._on_pre_forward))
            if isinstance(self.loss_fn, nn.Module):
                self._handles.append(self.loss_fn.register_forward_hook(self._on_loss))
                if self.graphs.steps:
                    self._handles.append(self.loss_fn.register_forward_pre_hook(self._on_loss_pre))
            elif self.loss_fn is None:  # any nn.*Loss module that runs (a global hook, filtered)
                self._global = nn.modules.module.register_module_forward_hook(self._on_any)
                self._handles.append(self._global)
                if self.graphs.steps:
                    self._handles.append(nn.modules.module.register_module_forward_pre_hook(self._on_any_pre))
            self._handles.append(self.optimizer.register_step_pre_hook(self._pre))
            self._handles.append(self.optimizer.register_step_post_hook(self._post))
        except BaseException:
            self._unhook()
            raise
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        self._unhook()
        if exc is not None and self.status[0] == "completed":
            text = first_line(exc)
            self.status = ("stopped", f"the block raised {kind.__name__}{': ' + text if text else ''}")
        return False  # the exception, if any, goes on unchanged

    def _unhook(self) -> None:
        self._take_after()
        self.graphs.close()
        for h in self._handles:
            h.remove()
        self._handles.clear()
        if self in _active:
            _active.remove(self)
        self._state = "done"
        self._forwards.clear()
        self._losses.clear()

    def _stop(self, reason: str) -> None:
        """Stop recording (never training): a warning, status ``stopped``."""
        if self.status[0] == "completed":
            self.status = ("stopped", reason)
            warnings.warn(f"recording stopped after {self.n_steps:,} steps: {reason}; training goes on",
                          RecordingWarning, stacklevel=3)

    @property
    def recording_on(self) -> bool:
        return self._state == "on" and self.status[0] == "completed"

    @property
    def n_steps(self) -> int:
        return self.c_loss.n

    # ------------------------------------------------------------------ hooks
    def _graph_warning(self, text: str) -> None:
        warnings.warn(f"recording: {text}; training goes on", RecordingWarning, stacklevel=4)

    def _on_pre_forward(self, module, args) -> None:
        if not self._busy and torch.is_grad_enabled() and self.recording_on and args:
            self.graphs.start(self.n_steps, args[0])

    def _on_loss_pre(self, module, args) -> None:
        if not self._busy and len(args) > 1:
            self.graphs.target(args[1])

    def _on_any_pre(self, module, args) -> None:
        if _is_loss_module(module):
            self._on_loss_pre(module, args)

    def _on_forward(self, module, args, output) -> None:
        if self._busy or not torch.is_grad_enabled() or not self.recording_on or not args:
            return
        # A loss module follows unless the loop is known to make its loss without one (a
        # function given as loss_fn, or no nn.*Loss seen in the steps so far).
        if self.graphs.steps:  # (no graph kept: nothing to tell it, a few µs a step less)
            self.graphs.model_done(output, isinstance(self.loss_fn, nn.Module)
                                   or (self.loss_fn is None and (self.seen_loss is not None or self.n_steps == 0)))
        if isinstance(args[0], torch.Tensor) and isinstance(output, torch.Tensor):
            self._forwards.append((args[0], output))

    def _on_loss(self, module, args, output) -> None:
        if self._busy or not self.recording_on or not self._forwards or not isinstance(output, torch.Tensor):
            return
        target = args[1] if len(args) > 1 and isinstance(args[1], torch.Tensor) else None
        self._losses.append((output, target))
        if self.graphs.steps:
            self.graphs.loss(output)
        self.loss_names.add(type(module).__name__)
        self._last_loss = module
        if self.seen_loss is None:
            self.seen_loss = module

    def _on_any(self, module, args, output) -> None:
        if _is_loss_module(module):
            self._on_loss(module, args, output)

    def _group_sizes(self) -> tuple:
        return tuple(len(g["params"]) for g in self.optimizer.param_groups)

    def _pre(self, opt, args, kwargs) -> None:
        if not self.recording_on:
            self._take_after()
            return self.graphs.close()
        n = self.n_steps
        graphs = self.graphs.steps  # no graph kept: the graph calls below are no-ops, skipped
        if graphs:
            self.graphs.close_modes()  # before our own full-loss pass
        try:
            self._record_before(args, kwargs)
        except Exception as e:  # noqa: BLE001 - our problem must never break the user's loop
            self._recorded = False
            self._stop(f"{type(e).__name__}: {e}")
        if not self._recorded:
            self._take_after()
        # The graph, with the .grad backward left, when this step became row n.
        if graphs:
            self.graphs.take(n if self.n_steps == n + 1 and self._recorded else None)

    def _post(self, opt, args, kwargs) -> None:
        if not self._recorded:
            return
        self._recorded = False
        try:
            self._versions = [p._version for p in self.params]
            self.n_after += 1
            if self.c_velocity is None and self.n_after == 1 and self._has_state():
                self.c_velocity = Grow(self.n_params, self.dtype, capacity=self.cap + 1)  # a state from the first step on
            if self.c_velocity is not None:
                self._velocity(self.c_velocity.next_row())
        except Exception as e:  # noqa: BLE001
            self._stop(f"{type(e).__name__}: {e}")

    # ------------------------------------------------------------------ one step
    def _moved(self) -> bool:
        """Something other than step() changed a parameter since the last recorded step()."""
        return (self._versions != [p._version for p in self.params]
                or self._param_views.ptrs != [p.data_ptr() for p in self.params])

    def _take_after(self) -> None:
        """The parameters after the last recorded step, once: when recording ends (the block,
        the cap, a problem), the parameters are still those unless something else moved them."""
        if self._after_taken or not self.n_after or self.n_after != self.c_params.n:
            return
        self._after_taken = True
        if self._moved():
            self.outside.append(self.n_after - 1)
        try:
            self._param_views.into(self._after)
        except ValueError:  # they changed size since: that step's "after" is gone, and the step with it
            self.n_after -= 1

    def _record_before(self, args, kwargs) -> None:
        forwards, losses = self._forwards, self._losses
        self._forwards, self._losses = [], []
        if len(args) > 1 or kwargs.get("closure") is not None:  # (args[0] is the optimizer)
            return self._stop("step() was called with a closure (it evaluates the model inside step()); "
                              "recording takes one update from .grad a step")
        if self._group_sizes() != self._groups:
            return self._stop("parameters were added to the optimizer mid-run")
        if self.n_steps >= self.cap:
            return self._stop(f"the recording reached its cap of {self.cap:,} steps for {self.n_params:,} parameters "
                              "(so that it fits in memory)")
        if not forwards:
            return self._stop("step() ran without a forward pass of the model since the last step "
                              "(record the model whose parameters the optimizer holds)")
        if self.in_shape is None:  # one row's shape and dtype as the model takes it (for the views)
            self.in_shape, self.in_dtype = tuple(forwards[0][0].shape[1:]), forwards[0][0].dtype
            if losses and losses[0][1] is not None:
                self.target_shape, self.target_dtype = tuple(losses[0][1].shape[1:]), losses[0][1].dtype
        if len(forwards) == 1:  # one forward pass and one loss a step: no lists to build
            inputs, preds = as_row_tensor(forwards[0][0]), as_row_tensor(forwards[0][1])
        else:
            inputs, preds = as_rows([f[0] for f in forwards]), as_rows([f[1] for f in forwards])
        targets = None
        if len(losses) == 1:
            t = losses[0][1]
            targets = as_row_tensor(t) if t is not None and t.dim() > 0 else None
        elif losses and all(t is not None and t.dim() > 0 for _, t in losses):
            targets = as_rows([t for _, t in losses])
        if targets is not None and len(targets) != len(inputs):
            targets = None
        if self._global is not None and self.n_steps == 1 and losses:
            self._narrow()
        if self._narrowed and not losses:
            return self._stop(f"no {self._narrowed} ran in this step (the loop changed its loss module): pass loss_fn=...")
        if losses:
            if any(v.numel() != 1 for v, _ in losses):  # (.item() said "a Tensor with 4 elements cannot be ...")
                return self._stop(f"the loss module gave {max(v.numel() for v, _ in losses):,} numbers, not one "
                                  "(reduction='none'); recording takes one a batch: pass x, y and a loss_fn giving it")
            loss = float(losses[0][0].item()) if len(losses) == 1 else float(np.mean([v.item() for v, _ in losses]))
        else:
            loss = self._loss_of(inputs, preds, targets)
        if not self._keep_batch(inputs, preds, targets):
            return
        full = self._full_loss(loss)
        self.c_loss.append(loss)
        self.c_full.append(full)
        self.c_lr.append(float(self.optimizer.param_groups[0]["lr"]))
        if self.n_after and self._moved():  # changed between step() calls
            self.outside.append(self.n_after - 1)
        try:
            self._param_views.into(self.c_params.next_row())
        except ValueError:
            self.c_params.n -= 1  # (the row was not written)
            raise
        grads_into(self.params, torch.from_numpy(self.c_grads.next_row()))
        self._recorded = True

    def _keep_batch(self, inputs, preds, targets) -> bool:
        """The batch's rows into the columns (training.loop_batches), or stop recording."""
        why = keep_batch(self, inputs, preds, targets)
        if why:
            self._stop(why)
        return not why

    def _loss_of(self, inputs, preds, targets) -> float:
        """No loss module ran (a loss function): ``loss_fn`` on this batch, its targets found in y."""
        if callable(self.loss_fn) and targets is None and self.x is not None:
            from training.loop_columns import match_rows
            given = as_numpy(self.x.detach().reshape(len(self.x), -1)).astype(np.float64)
            idx, rows = match_rows(as_numpy(inputs).astype(np.float64), given)
            if len(rows) == len(given):
                targets = self.y[torch.from_numpy(idx)].reshape(len(idx), -1)
        if callable(self.loss_fn) and targets is not None:
            with torch.no_grad():
                return float(self.loss_fn(preds.reshape_as(targets), targets.to(preds.dtype)).item())
        self._stop("no loss module ran in this step: pass loss_fn=... (a module, or a function with x, y)")
        raise _Skip

    def _full_loss(self, batch_loss: float) -> float:
        fn = self.loss_fn if self.loss_fn is not None else self.seen_loss
        if self.x is None or fn is None or self._stateful:
            return batch_loss
        if self.deferred is None:  # the article's model: computed for every step at once, at the end
            from training.loop_full_loss import deferrable
            self.deferred = deferrable(self.model, fn, self.x, self.y)
        if self.deferred:
            return math.nan  # training.loop_full_loss, when the trace is built
        if self.n_steps % self.full_loss_every and self.n_steps > 0:
            return self._last_full
        self._busy = True
        try:
            with torch.no_grad():
                self._last_full = float(call_forward(fn, call_forward(self.model, self.x, owner=self), self.y, owner=self).item())
        finally:
            self._busy = False
        return self._last_full

    def _narrow(self) -> None:
        """The loop's loss module is known (the same one ran in the first two steps): hook it
        alone. A global hook sends every module of the process down PyTorch's slow call path
        (about +9 % a step on a small MLP); a hook on one module costs about 1 %."""
        if self.loss_names != {type(self.seen_loss).__name__} or self._last_loss is not self.seen_loss:
            return
        self._handles.append(self.seen_loss.register_forward_hook(self._on_loss))
        self._handles.remove(self._global)
        self._global.remove()
        self._global = None
        self._narrowed = type(self.seen_loss).__name__

    def _has_state(self) -> bool:
        return has_state(self.optimizer, self.params)

    def _velocity(self, out: np.ndarray) -> None:
        self._state_views.into(out)

    # ------------------------------------------------------------------ results
    @property
    def trace(self):
        """The recorded run as a :class:`training.trace.Trace` (built once, after the block)."""
        if self._state == "on":
            raise InputError("recording: rec.trace is ready when the with-block has ended")
        if self._trace is None:
            from training.loop_trace import build_trace
            self._trace = build_trace(self)
        return self._trace

    def save(self, path) -> Any:
        """Write the trace (``*.json``, or the binary ``*.sgdtrace``), atomically."""
        return self.trace.to_file(path)


class _Skip(Exception):
    """This step is not recorded (the reason was given to _stop)."""

