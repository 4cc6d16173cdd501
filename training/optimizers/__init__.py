"""The optimizers sgd-anim offers: one registry, one :class:`OptimizerSpec` an optimizer.

Everything else reads the registry: the settings' validation and the command line's choices
(:mod:`training.config`), the recorder (:func:`make_optimizer`, :func:`velocity_of`), the
story's captions and carried-over arrows (:func:`carry_of`), the page's form. Adding an
optimizer is one new spec here. No torch at import.
"""
from __future__ import annotations

from typing import Any

from training.optimizers.adam import ADAM
from training.optimizers.adaptive import ADAGRAD, RMSPROP
from training.optimizers.base import Carry, OptimizerSpec
from training.optimizers.sgd import MOMENTUM, SGD

__all__ = ["OPTIMIZERS", "NAMES", "Carry", "OptimizerSpec", "spec_of", "make_optimizer", "velocity_of",
           "has_velocity", "carry_of", "takes_momentum_names"]

OPTIMIZERS: dict[str, OptimizerSpec] = {s.name: s for s in (SGD, MOMENTUM, ADAM, RMSPROP, ADAGRAD)}
NAMES: tuple[str, ...] = tuple(OPTIMIZERS)


def spec_of(settings) -> OptimizerSpec:
    """The spec of a TrainConfig's optimizer (validated settings name a known one)."""
    return OPTIMIZERS[settings.optimizer]


def takes_momentum_names() -> tuple[str, ...]:
    return tuple(n for n, s in OPTIMIZERS.items() if s.takes_momentum)


def make_optimizer(settings, params):
    """The real ``torch.optim`` optimizer the settings name, over ``params``."""
    return spec_of(settings).make(settings, params)


def has_velocity(settings) -> bool:
    return spec_of(settings).has_velocity(settings)


def velocity_of(opt, param, key: str | None = None) -> float | None:
    """The optimizer state worth drawing as a velocity arrow (``key``, else any known one), or None.

    SGD and RMSprop with momentum keep ``momentum_buffer``; Adam keeps its first moment
    ``exp_avg``, the running mean of gradients that plays the same role."""
    state = opt.state.get(param, {})
    for k in ((key,) if key else ("momentum_buffer", "exp_avg")):
        buf = state.get(k)
        if buf is not None:
            return float(buf.reshape(-1)[0])
    return None


def carry_of(trace: Any) -> Carry | None:
    """Per step, what the trace's optimizer carried over (see each optimizer's module), or None."""
    return spec_of(trace.settings).carry(trace.settings, trace.steps)
