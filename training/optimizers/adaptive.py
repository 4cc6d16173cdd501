"""RMSprop and Adagrad: ``torch.optim.RMSprop`` and ``torch.optim.Adagrad``.

What they carry over:

- RMSprop with momentum μ: −lr·μ·buf(k−1), torch's buffer of scaled gradients;
- RMSprop without momentum, and Adagrad: the adaptive scaling, update − (−lr·g(k)): what
  dividing by the running gradient size adds to (or takes from) the plain step.
"""
from __future__ import annotations

from training.optimizers.base import Carry, OptimizerSpec, previous

__all__ = ["RMSPROP", "ADAGRAD"]


def _scaling(spec: OptimizerSpec, s, st: dict) -> Carry:
    return Carry("adaptive scaling", st["update_a"] + s.lr * st["grad_a"], st["update_b"] + s.lr * st["grad_b"])


def _rmsprop_carry(spec: OptimizerSpec, s, st: dict) -> Carry | None:
    mu = spec.momentum(s)
    if mu > 0 and "velocity_a" in st and "velocity_b" in st:
        return Carry("momentum carried", -s.lr * mu * previous(st["velocity_a"]),
                     -s.lr * mu * previous(st["velocity_b"]))
    return _scaling(spec, s, st)


def _rmsprop(spec: OptimizerSpec, cfg, params):
    import torch
    return torch.optim.RMSprop(params, lr=cfg.lr, alpha=cfg.alpha, eps=cfg.eps, momentum=spec.momentum(cfg),
                               weight_decay=cfg.weight_decay)


def _adagrad(spec: OptimizerSpec, cfg, params):
    import torch
    return torch.optim.Adagrad(params, lr=cfg.lr, eps=cfg.eps, weight_decay=cfg.weight_decay)


RMSPROP = OptimizerSpec(name="rmsprop", title="RMSprop", default_momentum=0.0, nesterov=False,
                        hyper=("momentum", "alpha", "eps"), plain_when_still=False, state_key="momentum_buffer", build=_rmsprop,
                        carry_rule=_rmsprop_carry)
ADAGRAD = OptimizerSpec(name="adagrad", title="Adagrad", default_momentum=None, nesterov=False, hyper=("eps",), plain_when_still=False,
                        state_key=None, build=_adagrad, carry_rule=_scaling)
