"""Build the torch.optim optimizer a TrainConfig names."""
from __future__ import annotations

import torch

from training.config import TrainConfig

__all__ = ["make_optimizer", "velocity_of"]


def make_optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    params = list(params)
    if cfg.optimizer in ("sgd", "momentum"):
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.effective_momentum,
                               nesterov=cfg.nesterov, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps,
                                weight_decay=cfg.weight_decay)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, alpha=cfg.alpha, eps=cfg.eps,
                                   momentum=cfg.effective_momentum, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adagrad":
        return torch.optim.Adagrad(params, lr=cfg.lr, eps=cfg.eps, weight_decay=cfg.weight_decay)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}")  # validate() catches this first


def velocity_of(opt: torch.optim.Optimizer, param: torch.Tensor) -> float | None:
    """The optimizer state worth drawing as a velocity arrow, or None.

    SGD and RMSprop with momentum keep ``momentum_buffer``; Adam keeps its first moment
    ``exp_avg``, the running mean of gradients that plays the same role.
    """
    state = opt.state.get(param, {})
    for key in ("momentum_buffer", "exp_avg"):
        buf = state.get(key)
        if buf is not None:
            return float(buf.reshape(-1)[0])
    return None


def has_velocity(cfg: TrainConfig) -> bool:
    return cfg.optimizer == "adam" or (cfg.optimizer in ("sgd", "momentum", "rmsprop")
                                       and cfg.effective_momentum > 0)
