"""Record a run of any model (:mod:`training.models`): the line into a schema-1 trace, every
other model into a schema-2 trace.

The article's loop, for every model: forward pass, the family's loss,
zero_grad (unless ``zero_grad = false``), backward, ``optimizer.step()`` of the real
``torch.optim`` optimizer. Around it the parameter vector is read before and after each step
in the model's own precision (float32: exact, 4 bytes a number), the ``.grad`` the step used,
the optimizer's state worth showing, and for the chosen steps the autograd graph. Columns are
allocated once at their full length: per step epoch, batch, loss and full_loss (8 bytes
each), and P numbers in each of params, grads (and velocity): 8·P bytes (12·P) a step on top
of the batch columns while training. The updates (after minus before, in float64) are the
next step's parameters minus each step's, computed once at the end
(:func:`training.loop_columns.updates_of`: float32 when that is exact, else float64), so the
trace's parameter columns cost at most 24·P bytes a step (20·P with velocity, 16·P without).
"""
from __future__ import annotations

import math
from contextlib import nullcontext

import numpy as np
import torch

from training.autograd_graph import GraphCapture
from training.batches import batches_of_epoch, batches_per_epoch
from training.config import TrainConfig
from training.data import Dataset
from training.landscape_trace import landscape_of
from training.loop_columns import BLOCK_VALUES, column_dtype, line_columns, updates_of
from training.loop_tensors import ParamViews, StateViews, grads_into
from training.models import Model
from training.optimizers import has_velocity, make_optimizer
from training.ragged import Ragged
from training.trace import Trace, TraceStatus

__all__ = ["run_model", "flat_params", "set_params"]


def flat_params(params: list[torch.Tensor]) -> np.ndarray:
    """The parameter vector (each tensor flattened row-major, in order), widened to float64."""
    return torch.cat([p.detach().reshape(-1) for p in params]).to(torch.float64).numpy()


def set_params(params: list[torch.Tensor], vector: np.ndarray) -> None:
    """Write a parameter vector (in ``flat_params``' order) into the tensors."""
    at = 0
    with torch.no_grad():
        for p in params:
            k = p.numel()
            p.copy_(torch.as_tensor(np.asarray(vector[at:at + k]), dtype=p.dtype).reshape(p.shape))
            at += k


def run_model(cfg: TrainConfig, data: Dataset, n: int, progress, graph_steps: frozenset[int], *,
              versions: dict, explode_factor: float, param_limit: float) -> Trace:
    """The run of ``cfg`` on ``data`` (n points) as a schema-2 Trace; the arguments are
    :func:`training.recorder.record`'s, with its divergence limits."""
    spec: Model = cfg.model_spec
    torch.manual_seed(cfg.seed)
    module = spec.module()  # PyTorch's default initialisation draws from the seed just set
    params = list(module.parameters())
    line = spec.kind == "line"  # the article's model: schema 1, starting at init_a, init_b
    start = (cfg.init_a, cfg.init_b) if line else cfg.start  # else the family's start, or the config's init
    if start is not None:
        set_params(params, start)
    criterion = spec.criterion()
    opt = make_optimizer(cfg, module.parameters())
    X = torch.tensor(data.x, dtype=torch.float32).unsqueeze(1)
    Y = torch.tensor(data.y, dtype=torch.float32).unsqueeze(1)
    gen = np.random.default_rng(cfg.seed)  # the line's shuffling, draw for draw

    P = spec.n_params
    per_epoch = batches_per_epoch(n, cfg.batch_size, cfg.drop_last)
    total = per_epoch * cfg.epochs
    samples = (per_epoch * cfg.batch_size if cfg.drop_last else n) * cfg.epochs
    col_epoch, col_batch = np.empty(total, dtype=np.int64), np.empty(total, dtype=np.int64)
    col_loss, col_full = np.empty(total), np.empty(total)
    dtype = column_dtype(params)
    # params row k: before step k (row k + 1: after it, read straight into place, no copy).
    col_params, col_grads = np.empty((total + 1, P), dtype), np.empty((total, P), dtype)
    col_velocity = np.empty((total, P), dtype) if has_velocity(cfg) else None
    indices = np.empty(samples, dtype=np.int64)
    preds, residuals = np.empty(samples), np.empty(samples)
    offsets = np.empty(total + 1, dtype=np.int64)
    offsets[0] = 0

    graphs: list[dict] = []
    status = TraceStatus()
    with torch.no_grad():
        start_loss = criterion(module(X), Y).item()
    limit = explosion_limit(start_loss, data.y, explode_factor)
    labels = spec_graph_labels(spec, module)

    step, at = 0, 0
    # The recording of one's own loop's copiers (flat views made once; the optimizer updates in place).
    param_views = ParamViews(params)
    state_views = StateViews(opt, params) if col_velocity is not None else None
    param_views.into(col_params[0])
    if progress is not None:
        progress(0, total)
    for epoch in range(cfg.epochs):
        order = gen.permutation(n) if cfg.shuffle else np.arange(n)
        ordered = torch.from_numpy(order)
        X_epoch, Y_epoch = X[ordered], Y[ordered]
        for batch_idx, idx in enumerate(batches_of_epoch(n, cfg.batch_size, cfg.drop_last, order)):
            with torch.no_grad():
                full_loss = criterion(module(X), Y).item()
            first = batch_idx * cfg.batch_size
            X_batch, Y_batch = X_epoch[first:first + len(idx)], Y_epoch[first:first + len(idx)]

            capture = (GraphCapture(labels, {"x": (X_batch, "input"), "y": (Y_batch, "target")}, modules=module)
                       if step in graph_steps else None)
            with capture.forward() if capture else nullcontext():
                out = module(X_batch)
                loss = criterion(out, Y_batch)
            if cfg.zero_grad:
                opt.zero_grad()
            if capture:
                capture.watch(loss, {loss: "L", out: spec.graph_output})
            loss.backward()
            grad = col_grads[step]  # kept only if the step is
            grads_into(params, torch.from_numpy(grad))
            if capture:
                graphs.append(capture.result(step))
            opt.step()
            theta_new = col_params[step + 1]
            param_views.into(theta_new)

            loss_v = loss.item()
            reason = _divergence(loss_v, full_loss, grad, theta_new, limit, param_limit)
            if reason:
                status = TraceStatus("diverged", step, reason)
                if capture:
                    graphs.pop()
                break

            m = len(idx)
            col_epoch[step], col_batch[step] = epoch, batch_idx
            col_loss[step], col_full[step] = loss_v, full_loss
            if state_views is not None:
                state_views.into(col_velocity[step])
            with torch.no_grad():
                pred = spec.torch_pred(out)
                indices[at:at + m] = idx
                preds[at:at + m] = pred.numpy().reshape(-1)
                residuals[at:at + m] = (pred - Y_batch).numpy().reshape(-1)
            at += m
            offsets[step + 1] = at
            step += 1
            if progress is not None and step % 1000 == 0:
                progress(step, total)
        if status.diverged:
            break
    if progress is not None:
        progress(step, total)

    # A diverged run stops early: its columns are the filled part (views; the rest of each
    # allocation was never touched, so it never took memory).
    offsets = offsets[:step + 1]
    steps: dict = {"epoch": col_epoch[:step], "batch": col_batch[:step], "loss": col_loss[:step],
                   "full_loss": col_full[:step]}
    theta = col_params[step]  # after the last recorded step
    params, grads, updates = col_params[:step], col_grads[:step], updates_of(col_params[:step], theta)
    velocity = None if col_velocity is None else col_velocity[:step]
    if line:
        steps.update(line_columns(params, grads, updates, velocity))
    else:
        steps.update(params=params, grads=grads, updates=updates)
        if velocity is not None:
            steps["velocity"] = velocity
    steps["indices"] = Ragged(indices[:at], offsets)
    steps["pred"] = Ragged(preds[:at], offsets)
    steps["residual"] = Ragged(residuals[:at], offsets)
    common = dict(config=cfg.to_dict(), versions=versions, x=data.x.copy(), y=data.y.copy(), steps=steps,
                  status=status, graphs=graphs)
    if line:
        return Trace(**common, final_a=float(theta[0]), final_b=float(theta[1]))
    trace = Trace(**common, param_names=spec.param_names, final_params=theta.astype(np.float64))
    trace.landscape = _landscape(trace, cfg)
    return trace


def _landscape(trace: Trace, cfg: TrainConfig):
    """The run's loss landscape (P > 2; else None), stored in the trace so that re-rendering
    recomputes nothing. A run that diverged far off can leave the loss non-finite over the
    plane: it gets none (the views say so) rather than a picture of overflow."""
    try:
        return landscape_of(trace, plane=cfg.plane or "pca", seed=cfg.seed)
    except ValueError:
        return None


def spec_graph_labels(spec: Model, module) -> dict:
    """The graph's names for the module's parameter tensors: PyTorch's (``0.weight``), the
    polynomial's coefficients ``c``, the logistic's ``w`` and ``b``."""
    named = dict(module.named_parameters())
    rename = spec.graph_names
    return {p: rename.get(name, name) for name, p in named.items()}


def explosion_limit(start_loss: float, y, factor: float) -> float:
    """The loss past which a run has diverged: ``factor`` times its start (or the data's mean
    square, when the start is smaller: a run starting near zero loss still has room)."""
    return factor * max(start_loss, float(np.mean(np.square(y))), 1e-12)


def first_divergence(loss: np.ndarray, full_loss: np.ndarray, grads: np.ndarray, params: np.ndarray,
                     final: np.ndarray, limit: float, param_limit: float) -> tuple[int, str] | None:
    """The first step at which :func:`_divergence` would have stopped this loop, over whole
    columns (a recording of a user's loop, which records every step and is cut after its
    block: :mod:`training.loop_trace`), and why; None when no step diverged. ``params`` are
    the parameters before each step, ``final`` those after the last one."""
    n = len(loss)
    bad = ~(np.isfinite(loss) & np.isfinite(full_loss)) | (np.fmax(loss, full_loss) > limit)
    rows = max(1, BLOCK_VALUES // max(1, params.shape[1]))  # a block of rows at a time: bounded memory
    for i in range(0, n, rows):
        j = min(n, i + rows)
        after = params[i + 1:j + 1] if j < n else np.vstack([params[i + 1:n], final[None, :].astype(params.dtype)])
        g_max = np.abs(grads[i:j]).max(axis=1)  # (NaN carries through max)
        t_max = np.abs(after).max(axis=1)
        bad[i:j] |= ~np.isfinite(g_max) | ~np.isfinite(t_max) | (t_max > param_limit)
    hit = np.flatnonzero(bad)
    if not len(hit):
        return None
    s = int(hit[0])
    theta = params[s + 1] if s + 1 < n else final
    return s, _divergence(float(loss[s]), float(full_loss[s]), grads[s], theta, limit, param_limit) or "diverged"


def _divergence(loss: float, full_loss: float, grad: np.ndarray, theta: np.ndarray, limit: float,
                param_limit: float) -> str:
    # Largest magnitudes from min() and max(), which carry NaN and infinity through.
    g_max = max(-float(grad.min()), float(grad.max())) if len(grad) else 0.0
    t_max = max(-float(theta.min()), float(theta.max())) if len(theta) else 0.0
    if not (math.isfinite(loss) and math.isfinite(full_loss) and math.isfinite(g_max) and math.isfinite(t_max)):
        return "a loss, gradient or parameter became infinite or NaN"
    if max(loss, full_loss) > limit:
        return f"the loss exploded past {limit:.3g}"
    if t_max > param_limit:
        return f"a parameter left +-{param_limit:.0e}"
    return ""
