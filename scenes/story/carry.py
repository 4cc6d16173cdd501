"""What the optimizer carries over: the part of each update that is not the plain step −lr·g.

One stated definition per optimizer, as a step in parameter units (the same units as the
update arrow), so every backend draws the same arrow or none at all:

- SGD with momentum μ: the momentum carried into step k, −lr·μ·v(k−1), where v is torch's
  momentum buffer after each step (v(−1) = 0). The update is −lr·g(k) plus this.
- SGD with Nesterov momentum: the look-ahead, −lr·μ·v(k). The update is −lr·g(k) plus this.
- SGD with weight decay λ and no momentum: the decay's pull, −lr·λ·θ(k).
- Adam: the first moment carried into step k, as a step: the share β1·m(k−1)/m(k) of the
  update, since m(k) = β1·m(k−1) + (1−β1)·g(k) and the update is −lr·m̂(k)/(√v̂(k)+ε).
- RMSprop with momentum μ: −lr·μ·buf(k−1), torch's buffer of scaled gradients.
- RMSprop without momentum, and Adagrad: the adaptive scaling, update − (−lr·g(k)): what
  dividing by the running gradient size adds to (or takes from) the plain step.
- Plain SGD: nothing is carried over; no arrow.

No drawing and no torch here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.trace import Trace

__all__ = ["Carry", "carry_of"]


@dataclass(frozen=True)
class Carry:
    """Per step, what the optimizer carried over, as a step (da, db)."""

    label: str       # the legend's words
    a: np.ndarray
    b: np.ndarray


def _previous(col: np.ndarray) -> np.ndarray:
    """The column shifted by one step: the state before each step (zero before the first)."""
    return np.concatenate([[0.0], col[:-1]]) if len(col) else col


def carry_of(trace: Trace) -> Carry | None:
    s, st = trace.settings, trace.steps
    lr = s.lr
    velocity = ("velocity_a" in st) and ("velocity_b" in st)
    ua, ub = st["update_a"], st["update_b"]
    ga, gb = st["grad_a"], st["grad_b"]
    if s.optimizer in ("sgd", "momentum"):
        mu = s.effective_momentum
        if mu > 0 and velocity:
            va, vb = st["velocity_a"], st["velocity_b"]
            if s.nesterov:
                return Carry("Nesterov look-ahead", -lr * mu * va, -lr * mu * vb)
            return Carry("momentum carried", -lr * mu * _previous(va), -lr * mu * _previous(vb))
        if mu == 0 and s.weight_decay > 0:
            wd = s.weight_decay
            return Carry("weight decay", -lr * wd * st["a"], -lr * wd * st["b"])
        return None
    if s.optimizer == "adam":
        if not velocity:
            return None
        share = []
        for m in (st["velocity_a"], st["velocity_b"]):
            prev = _previous(m)
            with np.errstate(divide="ignore", invalid="ignore"):
                share.append(np.where(m != 0, s.beta1 * prev / np.where(m != 0, m, 1.0), 0.0))
        return Carry("first moment carried", ua * share[0], ub * share[1])
    if s.optimizer == "rmsprop" and s.effective_momentum > 0 and velocity:
        mu = s.effective_momentum
        return Carry("momentum carried", -lr * mu * _previous(st["velocity_a"]),
                     -lr * mu * _previous(st["velocity_b"]))
    # RMSprop without momentum, Adagrad: the scaling's share of the step.
    return Carry("adaptive scaling", ua + lr * ga, ub + lr * gb)
