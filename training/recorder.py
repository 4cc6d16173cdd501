"""Record a real PyTorch SGD run, step by step, into a Trace.

The training loop is the article's: forward pass, MSE loss, zero_grad, backward, step
(``zero_grad = false`` leaves zero_grad out: .grad then accumulates, as PyTorch really does).
Around it we read what autograd and the optimizer actually did, and for the chosen steps the
autograd graph of the batch (:mod:`training.autograd_graph`).
"""
from __future__ import annotations

import math
import platform
from pathlib import Path
from contextlib import nullcontext
from typing import Callable, Iterable

import numpy as np
import torch
from torch import nn

from training.autograd_graph import GraphCapture
from training.batches import batches_of_epoch, batches_per_epoch  # (batches_of_epoch: importable from here too)
from training.config import TrainConfig
from training.data import Dataset, load_data
from training.eager_only import eager_only
from training.errors import InputError
from training.models import MODULE_KIND
from training.optimizers import has_velocity, make_optimizer, velocity_of
from training.ragged import Ragged
from training.trace import Trace, TraceStatus
from training.versions import package_version

__all__ = ["record", "batches_of_epoch", "EXPLODE_FACTOR", "PARAM_LIMIT"]

# A run has diverged when its loss grows this many times past where it started,
# or a parameter leaves +-PARAM_LIMIT: far beyond anything a learning run visits.
EXPLODE_FACTOR = 1e8
PARAM_LIMIT = 1e8


def record(cfg: TrainConfig | None = None, data: Dataset | None = None, *,
           base_dir: Path | None = None,
           progress: Callable[[int, int], None] | None = None,
           graph_steps: Iterable[int] | None = None) -> Trace:
    """Train the configured model (y' = a·x + b by default) with the configured optimizer and
    return every step as a Trace (the line's: schema 1; any other model's: schema 2).

    Parameters
    ----------
    cfg : the settings; the article's run when omitted.
    data : the points; built from ``cfg.data`` when omitted.
    base_dir : folder that relative CSV paths are resolved against.
    progress : called as ``progress(done, total)`` now and then.
    graph_steps : the steps (0-based) whose autograd graph is recorded into ``trace.graphs``;
        ``cfg.graph_steps`` (counted from 1) when omitted. A step the run does not reach (it
        diverged first) has none. The other numbers are the same whichever steps these are.
    """
    cfg = cfg or TrainConfig()
    if cfg.model == MODULE_KIND:
        cfg.model_spec.module()  # refused: a recorded module is not trained from settings
    data = data if data is not None else load_data(cfg.data, base_dir)
    cfg.validate(len(data))
    n = len(data)
    refusal = cfg.model_spec.check_data(data.y)  # logistic regression: labels 0 or 1
    if refusal:
        raise InputError(refusal)

    # Tiny tensors: threads only add overhead; restore the user's setting afterwards.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        chosen = frozenset(int(k) for k in (cfg.graph_indices if graph_steps is None else graph_steps))
        with eager_only():  # torch.optim without importing its compiler (0.9 s; same numbers)
            if cfg.model != "line":  # every other model: the same loop over a parameter vector, schema 2
                from training.record_model import run_model
                return run_model(cfg, data, n, progress, chosen, versions=_versions(),
                                 explode_factor=EXPLODE_FACTOR, param_limit=PARAM_LIMIT)
            return _run(cfg, data, n, progress, chosen)
    finally:
        torch.set_num_threads(threads)


def _run(cfg: TrainConfig, data: Dataset, n: int, progress, graph_steps: frozenset[int]) -> Trace:
    torch.manual_seed(cfg.seed)
    model = nn.Linear(1, 1)  # the article's model: weight a, bias b
    with torch.no_grad():
        model.weight.fill_(cfg.init_a)
        model.bias.fill_(cfg.init_b)
    w, bias = model.weight, model.bias
    criterion = nn.MSELoss()
    opt = make_optimizer(cfg, model.parameters())
    X = torch.tensor(data.x, dtype=torch.float32).unsqueeze(1)
    Y = torch.tensor(data.y, dtype=torch.float32).unsqueeze(1)
    gen = np.random.default_rng(cfg.seed)  # numpy, so the order does not depend on torch's RNG

    per_epoch = batches_per_epoch(n, cfg.batch_size, cfg.drop_last)
    total = per_epoch * cfg.epochs
    samples = (per_epoch * cfg.batch_size if cfg.drop_last else n) * cfg.epochs
    # Compact columns, 8 bytes a number (a list of floats costs 32, and a list per step ~90
    # more), allocated once at their full length: pages are only touched as steps fill them,
    # so a run that diverges early never costs the memory of the steps it did not take.
    names = ["a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b"]
    track_velocity = has_velocity(cfg)
    if track_velocity:
        names += ["velocity_a", "velocity_b"]
    cols: dict[str, np.ndarray] = {k: np.empty(total, dtype=np.int64) for k in ("epoch", "batch")}
    cols.update((k, np.empty(total, dtype=np.float64)) for k in names)
    # Per-sample columns: every step's values end to end; offsets[k] is where step k starts.
    indices = np.empty(samples, dtype=np.int64)
    preds, residuals = np.empty(samples, dtype=np.float64), np.empty(samples, dtype=np.float64)
    offsets = np.empty(total + 1, dtype=np.int64)
    offsets[0] = 0
    col_epoch, col_batch, col_a, col_b = cols["epoch"], cols["batch"], cols["a"], cols["b"]
    col_loss, col_full, col_ga, col_gb = cols["loss"], cols["full_loss"], cols["grad_a"], cols["grad_b"]
    col_ua, col_ub = cols["update_a"], cols["update_b"]
    col_va, col_vb = cols.get("velocity_a"), cols.get("velocity_b")

    graphs: list[dict] = []
    status = TraceStatus()
    with torch.no_grad():
        start_loss = criterion(model(X), Y).item()
    limit = EXPLODE_FACTOR * max(start_loss, float(np.mean(data.y ** 2)), 1e-12)

    step, at = 0, 0  # steps and samples recorded
    a_now, b_now = w.item(), bias.item()
    if progress is not None:
        progress(0, total)  # a bar with a known length from the start
    for epoch in range(cfg.epochs):
        order = gen.permutation(n) if cfg.shuffle else np.arange(n)
        # The epoch's samples in their order, gathered once: each batch is then a slice (the
        # same values as gathering it on its own, in a third of the time).
        ordered = torch.from_numpy(order)
        X_epoch, Y_epoch = X[ordered], Y[ordered]
        for batch_idx, idx in enumerate(batches_of_epoch(n, cfg.batch_size, cfg.drop_last, order)):
            with torch.no_grad():
                full_loss = criterion(model(X), Y).item()
            first = batch_idx * cfg.batch_size
            X_batch, Y_batch = X_epoch[first:first + len(idx)], Y_epoch[first:first + len(idx)]

            # The article's loop: forward, loss, zero_grad, backward, step. On a chosen step the
            # graph is watched (hooks and a function mode that only copy what passes).
            capture = _capture(w, bias, X_batch, Y_batch, model) if step in graph_steps else None
            with capture.forward() if capture else nullcontext():
                Y_pred = model(X_batch)
                loss = criterion(Y_pred, Y_batch)
            if cfg.zero_grad:
                opt.zero_grad()
            if capture:
                capture.watch(loss, {loss: "L", Y_pred: "ŷ = x·aᵀ + b"})
            loss.backward()
            grad_a, grad_b = w.grad.item(), bias.grad.item()
            if capture:  # before step(): the parameters' .grad as backward left it
                graphs.append(capture.result(step))
            opt.step()
            a_new, b_new = w.item(), bias.item()

            loss_v = loss.item()
            reason = _divergence(loss_v, full_loss, grad_a, grad_b, a_new, b_new, limit)
            if reason:
                status = TraceStatus("diverged", step, reason)
                if capture:  # the step is not recorded: nor is its graph
                    graphs.pop()
                break

            m = len(idx)
            col_epoch[step] = epoch
            col_batch[step] = batch_idx
            col_a[step] = a_now
            col_b[step] = b_now
            col_loss[step] = loss_v
            col_full[step] = full_loss
            col_ga[step] = grad_a
            col_gb[step] = grad_b
            col_ua[step] = a_new - a_now
            col_ub[step] = b_new - b_now
            indices[at:at + m] = idx
            preds[at:at + m] = Y_pred.detach().numpy().reshape(-1)  # float32, widened exactly
            residuals[at:at + m] = (Y_pred - Y_batch).detach().numpy().reshape(-1)
            at += m
            offsets[step + 1] = at
            if track_velocity:
                col_va[step] = velocity_of(opt, w) or 0.0
                col_vb[step] = velocity_of(opt, bias) or 0.0
            a_now, b_now = a_new, b_new
            step += 1
            if progress is not None and step % 1000 == 0:
                progress(step, total)
        if status.diverged:
            break
    if progress is not None:
        progress(step, total)

    # A diverged run stops early: its columns are the filled part (views; the rest of each
    # allocation was never touched, so it never took memory).
    steps: dict = {k: v[:step] for k, v in cols.items()}
    offsets = offsets[:step + 1]
    steps["indices"] = Ragged(indices[:at], offsets)
    steps["pred"] = Ragged(preds[:at], offsets)
    steps["residual"] = Ragged(residuals[:at], offsets)
    return Trace(config=cfg.to_dict(), versions=_versions(), x=data.x.copy(), y=data.y.copy(),
                 steps=steps, final_a=a_now, final_b=b_now, status=status, graphs=graphs)


def _capture(w: torch.Tensor, bias: torch.Tensor, X_batch: torch.Tensor, Y_batch: torch.Tensor,
             model: nn.Module) -> GraphCapture:
    return GraphCapture({w: "a", bias: "b"}, {"x": (X_batch, "input"), "y": (Y_batch, "target")}, modules=model)


def _divergence(loss: float, full_loss: float, ga: float, gb: float, a: float, b: float,
                limit: float) -> str:
    values = (loss, full_loss, ga, gb, a, b)
    if not all(math.isfinite(v) for v in values):
        return "a loss, gradient or parameter became infinite or NaN"
    if max(loss, full_loss) > limit:
        return f"the loss exploded past {limit:.3g}"
    if max(abs(a), abs(b)) > PARAM_LIMIT:
        return f"a parameter left +-{PARAM_LIMIT:.0e}"
    return ""


def _versions() -> dict:
    return {"sgd_anim": package_version("sgd-anim"), "torch": torch.__version__.split("+")[0],
            "numpy": np.__version__, "python": platform.python_version()}
