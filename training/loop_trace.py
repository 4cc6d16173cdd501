"""Turn what a recording of a user's loop collected (:mod:`training.loop_recorder`) into a Trace.

Runs once, after the block: the batches' rows are matched to ``x``, ``y`` (or become the
data: each distinct row once, in the order first seen), epochs are read off the row indices,
the optimizer's class becomes the closest of our settings (its own name kept under
``config.recorded``), and the columns take schema 1 when the model is the article's (one
``nn.Linear(1, 1)`` under the mean MSE), else schema 2 (``config.model.kind = "module"``).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from training.config import TrainConfig
from training.data import ARTICLE_X, ARTICLE_Y
from training.errors import InputError
from training.models import MODULE_KIND, flatten_names
from training.numbers import within_float32
from training.ragged import Ragged
from training.loop_columns import epochs_of, line_columns, match_rows, updates_of
from training.loop_full_loss import full_losses
from training.loop_graphs import line_labels
from training.loop_tensors import as_numpy
from training.trace import Trace, TraceStatus

__all__ = ["build_trace", "settings_of_optimizer", "params_and_updates"]


def build_trace(rec) -> Trace:
    n = min(rec.c_loss.n, rec.c_params.n, rec.c_grads.n, rec.n_after, rec.c_offsets.n - 1)
    if rec.c_velocity is not None:
        n = min(n, rec.c_velocity.n)
    state, reason = rec.status
    if n == 0:
        why = reason or "optimizer.step() was never called inside the block"
        raise InputError(f"recording: no step was recorded ({why})")
    full = rec.c_full.result()[:n]
    if rec.deferred:
        fn = rec.loss_fn if rec.loss_fn is not None else rec.seen_loss
        full = full_losses(rec.model, fn, rec.x, rec.y, rec.c_params.result()[:n], rec.full_loss_every)
    n, state, reason = _until_divergence(rec, n, full, state, reason)
    # The data comes from the rows of at least one step: a loop that diverged at its first
    # step keeps none, yet its trace shows where it started, on its data.
    offsets = rec.c_offsets.result()[:max(n, 1) + 1].copy()
    S = int(offsets[-1])
    inputs = rec.c_inputs.result()[:S]
    preds = rec.c_preds.result()[:S]
    targets = rec.c_targets.result()[:S] if rec.c_targets is not None else None

    # (as_numpy: a bfloat16 or float16 x, y as float32, exactly, as the batch columns hold them)
    x_given = None if rec.x is None else as_numpy(rec.x.detach()).reshape(len(rec.x), -1)
    y_given = None if rec.y is None else as_numpy(rec.y.detach()).reshape(len(rec.y), -1)
    d_in = inputs.shape[1]
    if targets is not None:
        seen = np.hstack([inputs.astype(np.float64), targets.astype(np.float64)])
        given = None if x_given is None else np.hstack([x_given.astype(np.float64), y_given.astype(np.float64)])
        if given is not None and given.shape[1] != seen.shape[1]:
            raise InputError(f"recording: x, y hold rows of {given.shape[1]} numbers together; the batches held "
                             f"{seen.shape[1]} (inputs and targets as the model and the loss took them)")
        idx, rows = match_rows(seen, given)
        data_x, data_y = rows[:, :d_in], rows[:, d_in:]
    else:  # the loss showed no targets: rows of x only, and their y
        if x_given is None:
            raise InputError("recording: the loss showed no targets, and no x, y were given: pass x=..., y=...")
        idx, rows = match_rows(inputs.astype(np.float64), x_given.astype(np.float64))
        if len(rows) > len(x_given):
            raise InputError("recording: the model saw rows that are not in x, and the loss showed no targets")
        data_x, data_y = rows, y_given.astype(np.float64)
        targets = data_y[idx]
    if len(data_x) < 2:
        raise InputError("recording: the model saw only one distinct row; a trace needs at least two points")
    if not (within_float32(data_x.reshape(-1)) and within_float32(data_y.reshape(-1))):
        raise InputError("recording: the data holds a number that is not finite or beyond float32's range "
                         "(+-3.4e38), which a trace cannot hold")
    epoch, batch = epochs_of(idx, offsets)
    epochs, batch_size = int(epoch.max()) + 1, int(np.diff(offsets).max())
    offsets, epoch, batch = offsets[:n + 1], epoch[:n], batch[:n]
    kept = int(offsets[-1])  # the rows of the steps kept

    one_dim = d_in == 1 and preds.shape[1] == 1 and data_y.shape[1] == 1
    notes: dict = {}
    if one_dim:
        x, y = data_x[:, 0].copy(), data_y[:, 0].copy()
    else:  # the fit view draws one number in and one out: the trace holds row numbers instead
        x, y = np.arange(len(data_x), dtype=np.float64), data_y[:, 0].copy()
        notes["rows"] = (f"row numbers: the model takes {d_in} number(s) and gives {preds.shape[1]} a row; data.x holds "
                         "each row's number, data.y, pred and residual the first target and output")
    pred = preds[:, 0]
    dt = rec.c_targets.result().dtype if rec.c_targets is not None and rec.c_targets.result().dtype.kind == "f" \
        else np.float64
    # As PyTorch computes it (float32 when the loop is float32), widened exactly; a half
    # loop's in float32 (its columns' dtype): the difference of its numbers, not rounded to half.
    residual = (pred.astype(dt) - np.asarray(targets)[:, 0].astype(dt)).astype(np.float64)
    idx, pred, residual = idx[:kept], pred[:kept], residual[:kept]

    loss_names = sorted(rec.loss_names) or ([type(rec.loss_fn).__name__] if rec.loss_fn is not None else [])
    line = _is_line(rec) and one_dim
    full_loss_known = rec.x is not None and not rec._stateful and (rec.loss_fn is not None or rec.loss_names)
    # Views, not copies: the columns were allocated at their cap and only the rows filled
    # were ever touched, so the rest costs no memory.
    cols = dict(epoch=epoch, batch=batch, loss=rec.c_loss.result()[:n], full_loss=full[:n])
    params, updates, final = params_and_updates(rec, n)
    if not np.isfinite(final).all():  # (diverged before its first step: it started from NaN)
        raise InputError("recording: the parameters were not finite (NaN or infinite) before the first step; "
                         "nothing to draw")
    grads = rec.c_grads.result()[:n]  # float32 when the parameters are: exact, half the bytes
    velocity = rec.c_velocity.result()[:n] if rec.c_velocity is not None else None

    settings, recorded = settings_of_optimizer(rec.optimizer, rec.c_lr.result()[:n])
    recorded.update(model=type(rec.model).__name__, loss=", ".join(loss_names) or "unknown",
                    data="x, y as given" if rec.x is not None else "the rows the model saw, each once, in the order first seen",
                    full_loss=("the loss over x, y before each step" + (f", every {rec.full_loss_every} steps"
                                                                         if rec.full_loss_every > 1 else ""))
                    if full_loss_known else "the batch loss (no x, y and loss given, or a model with buffers/dropout)",
                    **notes)
    # The parameters' dtype, when not float32 (the columns hold a bfloat16 or float16 model's
    # numbers as float32, exactly, so the numbers alone do not say it); in order of first use.
    dtypes = list(dict.fromkeys(str(p.dtype).removeprefix("torch.") for p in rec.params))
    if dtypes != ["float32"]:
        recorded["dtype"] = ", ".join(dtypes)
    if not full_loss_known:  # what the views read to name the column (Trace.full_loss_is_batch)
        recorded["full_loss_is_batch"] = True
    if rec.outside:
        first = [k for k in rec.outside if k < n]
        if first:
            recorded["changed_outside_step"] = (f"after {len(first):,} step(s) (the first: step {first[0] + 1}) the "
                                                "parameters changed outside optimizer.step(); those steps' updates "
                                                "include the change")
    if x_given is not None and len(rows) > len(x_given):
        recorded["extra_rows"] = int(len(rows) - len(x_given))
    common = dict(settings, epochs=epochs, batch_size=batch_size)
    article = one_dim and len(x) == 6 and np.array_equal(x.astype(np.float32), np.float32(ARTICLE_X)) \
        and np.array_equal(y.astype(np.float32), np.float32(ARTICLE_Y))
    if article:  # the article's points as its own trace holds them (float64; the loop used their float32)
        x, y = np.array(ARTICLE_X), np.array(ARTICLE_Y)
    if line:
        start = rec.c_params.result()[0]  # (row 0 exists even when no step is kept)
        cfg = _config(common, init_a=float(start[0]), init_b=float(start[1]))
        steps = dict(cols, **line_columns(params, grads, updates, velocity))  # as record() writes them
    else:
        cfg = _config(common, model=MODULE_KIND)
        steps = dict(cols, params=params, grads=grads, updates=updates)
        if velocity is not None:
            steps["velocity"] = velocity
    steps["lr"] = rec.c_lr.result()[:n]
    steps["indices"] = Ragged(idx, offsets)
    steps["pred"] = Ragged(pred.astype(np.float64), offsets)
    steps["residual"] = Ragged(residual, offsets)
    config = cfg.to_dict()
    if not article:
        config.pop("data", None)
    config["recorded"] = recorded
    status = TraceStatus(state, n, reason) if state != "completed" else TraceStatus()
    from training.recorder import _versions
    graphs = [g for g in rec.graphs.graphs if g["step"] < n]
    if line:  # record()'s names for the line's graph (a, b) rather than PyTorch's (weight, bias)
        return Trace(config=config, versions=_versions(), x=x, y=y, steps=steps, final_a=float(final[0]),
                     final_b=float(final[1]), status=status,
                     graphs=line_labels(graphs, rec.named[0][0], rec.named[1][0]))
    names = flatten_names([(name, shape) for (name, _), shape in zip(rec.named, rec.shapes)])
    trace = Trace(config=config, versions=_versions(), x=x, y=y, steps=steps, status=status, param_names=names,
                  final_params=np.asarray(final, dtype=np.float64), graphs=graphs)
    # What the views draw, sampled now (re-rendering imports no torch): training.loop_views.
    from training.loop_views import module_views
    trace.module_views, trace.landscape = module_views(rec, trace, one_dim, data_x, data_y)
    return trace


def _until_divergence(rec, n: int, full: np.ndarray, state: str, reason: str) -> tuple[int, str, str]:
    """The steps to keep, and the status: a loop that diverged (a loss, gradient or parameter
    infinite or NaN, the loss past EXPLODE_FACTOR times its start, a parameter past
    PARAM_LIMIT) is cut before the step that diverged, as :func:`training.record` stops its
    own run (status ``diverged`` at that step): a trace holds finite numbers, and the views
    show the run up to there. The loop itself went on; the recording kept every step."""
    from training.record_model import explosion_limit, first_divergence
    from training.recorder import EXPLODE_FACTOR, PARAM_LIMIT

    loss = rec.c_loss.result()[:n]
    start = max((v for v in (float(full[0]), float(loss[0])) if np.isfinite(v)), default=0.0)
    y = (0.0,) if rec.y is None else as_numpy(rec.y.detach()).astype(np.float64)  # (no data: no floor)
    hit = first_divergence(loss, full, rec.c_grads.result()[:n], rec.c_params.result()[:n], _after(rec, n),
                           explosion_limit(start, y, EXPLODE_FACTOR), PARAM_LIMIT)
    if hit is None:
        return n, state, reason
    s, why = hit
    return s, "diverged", why


def params_and_updates(rec, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The parameters before each of the first n steps (the column itself: float32 when the
    model's are), each step's update (after minus before, in float64; kept in float32 when
    exact: :func:`training.loop_columns.updates_of`) and the parameters after step n.

    "After" a step is the next step's "before" (one copy kept, not two); after the last
    recorded step, the copy taken when recording ended (``rec._after``)."""
    params = rec.c_params.result()[:n]
    final = _after(rec, n)
    return params, updates_of(params, final), final.astype(np.float64)


def _after(rec, n: int) -> np.ndarray:
    """The parameters after the n-th recorded step (a copy)."""
    return np.array(rec._after if rec.c_params.n == n else rec.c_params.result()[n])


def _is_line(rec) -> bool:
    """The article's model: its only parameters are one nn.Linear(1, 1)'s weight and bias, and
    the loss is the mean squared error."""
    linears = [m for m in rec.model.modules() if isinstance(m, nn.Linear) and m.in_features == 1
               and m.out_features == 1 and m.bias is not None]
    if len(rec.params) != 2 or not linears or [id(p) for p in rec.params] != [id(linears[0].weight), id(linears[0].bias)]:
        return False
    loss = rec.loss_fn
    if loss is None:
        return rec.loss_names == {"MSELoss"} and rec.seen_loss is not None and rec.seen_loss.reduction == "mean"
    return isinstance(loss, nn.MSELoss) and loss.reduction == "mean"


def _config(common: dict, **more) -> TrainConfig:
    """The settings, validated; a value ours do not take is dropped (it stays under recorded)."""
    kwargs = dict(common, **more)
    for drop in ("nesterov", "momentum", "weight_decay"):
        try:
            return TrainConfig(**kwargs).validate()
        except InputError:
            kwargs.pop(drop, None)
    keep = {k: v for k, v in kwargs.items() if k in ("epochs", "batch_size", "init_a", "init_b", "model")}
    return TrainConfig(**keep).validate()


def settings_of_optimizer(opt: torch.optim.Optimizer, lrs: np.ndarray) -> tuple[dict, dict]:
    """Our settings closest to the optimizer (group 0) and what they cannot say (``recorded``)."""
    g = opt.param_groups[0]
    lr = float(g.get("initial_lr", lrs[0] if len(lrs) else g["lr"]))
    s: dict = {"lr": lr if lr > 0 else float(np.max(lrs, initial=1e-3)) or 1e-3,
               "weight_decay": float(g.get("weight_decay", 0.0) or 0.0)}
    name = type(opt).__name__
    if isinstance(opt, torch.optim.SGD):
        m = float(g.get("momentum", 0.0) or 0.0)
        s.update(optimizer="momentum" if m > 0 else "sgd", momentum=m, nesterov=bool(g.get("nesterov", False)))
    elif isinstance(opt, (torch.optim.Adam, torch.optim.AdamW)):
        b1, b2 = g.get("betas", (0.9, 0.999))
        s.update(optimizer="adam", beta1=float(b1), beta2=float(b2), eps=float(g.get("eps", 1e-8)))
    elif isinstance(opt, torch.optim.RMSprop):
        s.update(optimizer="rmsprop", alpha=float(g.get("alpha", 0.99)), eps=float(g.get("eps", 1e-8)),
                 momentum=float(g.get("momentum", 0.0) or 0.0))
    elif isinstance(opt, torch.optim.Adagrad):
        s.update(optimizer="adagrad", eps=float(g.get("eps", 1e-10)))
    else:
        s.update(optimizer="sgd")
    changed = len(lrs) > 1 and not np.all(lrs == lrs[0])
    recorded = {"source": "recording", "optimizer": name, "lr": "changed during the run (steps.lr)" if changed
                else "constant", "param_groups": len(opt.param_groups)}
    if isinstance(opt, torch.optim.AdamW):
        recorded["weight_decay"] = "decoupled (AdamW)"
    return s, recorded
