"""SGD, plain or with (Nesterov) momentum: ``torch.optim.SGD``.

What it carries over, as a step in parameter units:

- with momentum μ: the momentum carried into step k, −lr·μ·v(k−1), where v is torch's
  momentum buffer after each step (v(−1) = 0). The update is −lr·g(k) plus this;
- with Nesterov momentum: the look-ahead, −lr·μ·v(k). The update is −lr·g(k) plus this;
- with weight decay λ and no momentum: the decay's pull, −lr·λ·θ(k);
- plain SGD: nothing; no arrow.
"""
from __future__ import annotations

from training.optimizers.base import Carry, OptimizerSpec, previous

__all__ = ["SGD", "MOMENTUM"]


def _build(spec: OptimizerSpec, cfg, params):
    import torch
    return torch.optim.SGD(params, lr=cfg.lr, momentum=spec.momentum(cfg), nesterov=cfg.nesterov, weight_decay=cfg.weight_decay)


def _carry(spec: OptimizerSpec, s, st: dict) -> Carry | None:
    lr, mu = s.lr, spec.momentum(s)
    if mu > 0 and "velocity_a" in st and "velocity_b" in st:
        va, vb = st["velocity_a"], st["velocity_b"]
        if s.nesterov:
            return Carry("Nesterov look-ahead", -lr * mu * va, -lr * mu * vb)
        return Carry("momentum carried", -lr * mu * previous(va), -lr * mu * previous(vb))
    if mu == 0 and s.weight_decay > 0:
        wd = s.weight_decay
        return Carry("weight decay", -lr * wd * st["a"], -lr * wd * st["b"])
    return None


SGD = OptimizerSpec(name="sgd", title="mini-batch SGD", default_momentum=0.0, nesterov=True, hyper=("momentum",),
                    plain_when_still=True, state_key="momentum_buffer", build=_build, carry_rule=_carry)
# The same torch optimizer, named for its momentum (0.9 unless given).
MOMENTUM = OptimizerSpec(name="momentum", title="SGD with momentum", default_momentum=0.9, nesterov=True,
                         hyper=("momentum",), plain_when_still=True, state_key="momentum_buffer", build=_build, carry_rule=_carry)
