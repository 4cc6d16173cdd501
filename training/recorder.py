"""Record a real PyTorch SGD run, step by step, into a Trace.

The training loop is the article's: forward pass, MSE loss, zero_grad, backward, step.
Around it we read what autograd and the optimizer actually did.
"""
from __future__ import annotations

import math
import platform
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from training.config import TrainConfig
from training.data import Dataset, load_data
from training.optimizers import has_velocity, make_optimizer, velocity_of
from training.trace import Trace, TraceStatus

__all__ = ["record", "batches_of_epoch", "EXPLODE_FACTOR", "PARAM_LIMIT"]

# A run has diverged when its loss grows this many times past where it started,
# or a parameter leaves +-PARAM_LIMIT: far beyond anything a learning run visits.
EXPLODE_FACTOR = 1e8
PARAM_LIMIT = 1e8


def batches_of_epoch(n: int, batch_size: int, drop_last: bool, order: np.ndarray) -> list[np.ndarray]:
    """Split one epoch's sample order into batches; a short last batch is dropped or kept."""
    stop = (n // batch_size) * batch_size if drop_last else n
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]


def record(cfg: TrainConfig | None = None, data: Dataset | None = None, *,
           base_dir: Path | None = None,
           progress: Callable[[int, int], None] | None = None) -> Trace:
    """Train y' = a·x + b with the configured optimizer and return every step as a Trace.

    Parameters
    ----------
    cfg : the settings; the article's run when omitted.
    data : the points; built from ``cfg.data`` when omitted.
    base_dir : folder that relative CSV paths are resolved against.
    progress : called as ``progress(done, total)`` now and then.
    """
    cfg = cfg or TrainConfig()
    data = data if data is not None else load_data(cfg.data, base_dir)
    cfg.validate(len(data))
    n = len(data)

    # Tiny tensors: threads only add overhead; restore the user's setting afterwards.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _run(cfg, data, n, progress)
    finally:
        torch.set_num_threads(threads)


def _run(cfg: TrainConfig, data: Dataset, n: int, progress) -> Trace:
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

    cols: dict[str, list] = {k: [] for k in (
        "epoch", "batch", "a", "b", "loss", "full_loss", "grad_a", "grad_b",
        "update_a", "update_b", "indices", "pred", "residual")}
    track_velocity = has_velocity(cfg)
    if track_velocity:
        cols["velocity_a"], cols["velocity_b"] = [], []

    per_epoch = n // cfg.batch_size if cfg.drop_last else -(-n // cfg.batch_size)
    total = per_epoch * cfg.epochs
    status = TraceStatus()
    with torch.no_grad():
        start_loss = criterion(model(X), Y).item()
    limit = EXPLODE_FACTOR * max(start_loss, float(np.mean(data.y ** 2)), 1e-12)

    step = 0
    a_now, b_now = w.item(), bias.item()
    if progress is not None:
        progress(0, total)  # a bar with a known length from the start
    for epoch in range(cfg.epochs):
        order = gen.permutation(n) if cfg.shuffle else np.arange(n)
        for batch_idx, idx in enumerate(batches_of_epoch(n, cfg.batch_size, cfg.drop_last, order)):
            with torch.no_grad():
                full_loss = criterion(model(X), Y).item()
            ti = torch.from_numpy(idx)
            X_batch, Y_batch = X[ti], Y[ti]

            # The article's loop: forward, loss, zero_grad, backward, step.
            Y_pred = model(X_batch)
            loss = criterion(Y_pred, Y_batch)
            opt.zero_grad()
            loss.backward()
            grad_a, grad_b = w.grad.item(), bias.grad.item()
            opt.step()
            a_new, b_new = w.item(), bias.item()

            loss_v = loss.item()
            reason = _divergence(loss_v, full_loss, grad_a, grad_b, a_new, b_new, limit)
            if reason:
                status = TraceStatus("diverged", step, reason)
                break

            pred = Y_pred.detach().reshape(-1).tolist()
            cols["epoch"].append(epoch)
            cols["batch"].append(batch_idx)
            cols["a"].append(a_now)
            cols["b"].append(b_now)
            cols["loss"].append(loss_v)
            cols["full_loss"].append(full_loss)
            cols["grad_a"].append(grad_a)
            cols["grad_b"].append(grad_b)
            cols["update_a"].append(a_new - a_now)
            cols["update_b"].append(b_new - b_now)
            cols["indices"].append(idx.tolist())
            cols["pred"].append(pred)
            cols["residual"].append((Y_pred - Y_batch).detach().reshape(-1).tolist())
            if track_velocity:
                cols["velocity_a"].append(velocity_of(opt, w) or 0.0)
                cols["velocity_b"].append(velocity_of(opt, bias) or 0.0)
            a_now, b_now = a_new, b_new
            step += 1
            if progress is not None and step % 1000 == 0:
                progress(step, total)
        if status.diverged:
            break
    if progress is not None:
        progress(step, total)

    steps = {k: (np.asarray(v, dtype=np.int64) if k in ("epoch", "batch") else
                 v if k in ("indices", "pred", "residual") else np.asarray(v, dtype=np.float64))
             for k, v in cols.items()}
    return Trace(config=cfg.to_dict(), versions=_versions(), x=data.x.copy(), y=data.y.copy(),
                 steps=steps, final_a=a_now, final_b=b_now, status=status)


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
    from importlib import metadata

    def version(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {"sgd_anim": version("sgd-anim"), "torch": torch.__version__.split("+")[0],
            "numpy": np.__version__, "python": platform.python_version()}
