"""Adam: ``torch.optim.Adam``.

What it carries over: the first moment carried into step k, as a step: the share
β1·m(k−1)/m(k) of the update, since m(k) = β1·m(k−1) + (1−β1)·g(k) and the update is
−lr·m̂(k)/(√v̂(k)+ε). Its first moment is the velocity drawn.
"""
from __future__ import annotations

import numpy as np

from training.optimizers.base import Carry, OptimizerSpec, previous

__all__ = ["ADAM"]


def _build(spec: OptimizerSpec, cfg, params):
    import torch
    return torch.optim.Adam(params, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps,
                            weight_decay=cfg.weight_decay)


def _carry(spec: OptimizerSpec, s, st: dict) -> Carry | None:
    if not ("velocity_a" in st and "velocity_b" in st):
        return None
    share = []
    for m in (st["velocity_a"], st["velocity_b"]):
        prev = previous(m)
        with np.errstate(divide="ignore", invalid="ignore"):
            share.append(np.where(m != 0, s.beta1 * prev / np.where(m != 0, m, 1.0), 0.0))
    return Carry("first moment carried", st["update_a"] * share[0], st["update_b"] * share[1])


ADAM = OptimizerSpec(name="adam", title="Adam", default_momentum=None, nesterov=False, hyper=("beta1", "beta2", "eps"), plain_when_still=False,
                     state_key="exp_avg", build=_build, carry_rule=_carry)
