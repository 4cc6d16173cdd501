"""Record a real PyTorch SGD run, step by step, into a Trace.

The training loop is the article's: forward pass, MSE loss, zero_grad, backward, step
(``zero_grad = false`` leaves zero_grad out: .grad then accumulates, as PyTorch really does).
Around it we read what autograd and the optimizer actually did, and for the chosen steps the
autograd graph of the batch (:mod:`training.autograd_graph`). The loop itself, one for every
model, is :func:`training.record_model.run_model`; here the settings are checked and torch is
set up for tiny tensors.
"""
from __future__ import annotations

import platform
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch

from training.batches import batches_of_epoch  # importable from here too
from training.config import TrainConfig
from training.data import Dataset, load_data
from training.eager_only import eager_only
from training.errors import InputError
from training.models import MODULE_KIND
from training.trace import Trace
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
            from training.record_model import run_model  # one loop for every model, the line's too
            return run_model(cfg, data, n, progress, chosen, versions=_versions(),
                             explode_factor=EXPLODE_FACTOR, param_limit=PARAM_LIMIT)
    finally:
        torch.set_num_threads(threads)


def _versions() -> dict:
    return {"sgd_anim": package_version("sgd-anim"), "torch": torch.__version__.split("+")[0],
            "numpy": np.__version__, "python": platform.python_version()}
