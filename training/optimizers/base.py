"""What sgd-anim knows about one optimizer, declared in one place.

An :class:`OptimizerSpec` holds every fact about an optimizer that the rest of the tool
needs: the word the command line takes, the words captions use, which settings it reads,
how to build the real ``torch.optim`` optimizer, which of its state is worth drawing, and
what it carries over from step to step (the part of an update that is not the plain step
−lr·g). The registry in :mod:`training.optimizers` lists one spec per optimizer.

No torch at import: ``build`` imports it, so re-rendering a trace never loads torch.
Settings are read by attribute (``cfg.lr``, ``cfg.momentum``, ...) from a
:class:`training.config.TrainConfig`, which this module does not import (config imports the
registry to validate its names).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["Carry", "OptimizerSpec", "previous"]


@dataclass(frozen=True)
class Carry:
    """Per step, what the optimizer carried over, as a step (da, db) in parameter units."""

    label: str       # the legend's words
    a: np.ndarray
    b: np.ndarray


def previous(col: np.ndarray) -> np.ndarray:
    """The column shifted by one step: the state before each step (zero before the first)."""
    return np.concatenate([[0.0], col[:-1]]) if len(col) else col


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer. ``settings`` and ``steps`` in the callables are a TrainConfig and a
    trace's step columns (``a``, ``grad_a``, ``update_a``, ``velocity_a``, ...)."""

    name: str                          # the command line's word: --optimizer NAME
    title: str                         # the captions' words: "SGD with momentum"
    default_momentum: float | None     # the momentum when none is given; None: takes none
    nesterov: bool                     # may use Nesterov momentum
    hyper: tuple[str, ...]             # the settings it reads beyond lr and weight decay
    state_key: str | None              # torch state worth drawing as a velocity arrow
    plain_when_still: bool             # with no momentum and no weight decay, the update is −lr·g
    build: Callable[[OptimizerSpec, Any, list], Any]  # (spec, settings, params) -> the torch.optim optimizer
    carry_rule: Callable[[OptimizerSpec, Any, dict], Carry | None]  # (spec, settings, steps)

    @property
    def takes_momentum(self) -> bool:
        """Adam and Adagrad take no momentum setting (Adam's first moment is its own)."""
        return self.default_momentum is not None

    def momentum(self, settings) -> float:
        """The momentum actually used: the setting, else this optimizer's default (0 if none)."""
        if settings.momentum is not None:
            return settings.momentum
        return self.default_momentum or 0.0

    def has_velocity(self, settings) -> bool:
        """Whether the optimizer keeps state worth drawing (recorded as velocity_a/b)."""
        if self.state_key is None:
            return False
        return not self.takes_momentum or self.momentum(settings) > 0

    def plain(self, settings) -> bool:
        """The update is exactly −lr·g: the article's rule."""
        return self.plain_when_still and self.momentum(settings) == 0 and settings.weight_decay == 0

    def make(self, settings, params):
        """The real ``torch.optim`` optimizer (torch is imported here, not before)."""
        return self.build(self, settings, list(params))

    def carry(self, settings, steps: dict) -> Carry | None:
        """Per step, what this optimizer carried over, or None (nothing to draw)."""
        return self.carry_rule(self, settings, steps)
