"""The article's model: y' = a·x + b under the MSE (``nn.Linear(1, 1)``), parameters a, b.

The line is recorded by the one loop every model has (:mod:`training.record_model`), starting
at ``init_a``, ``init_b``, and written as the schema-1 trace (a, b, grad_a, ...), as before
models existed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.models.base import Model, as_params

__all__ = ["Line"]


@dataclass(frozen=True)
class Line(Model):
    kind = "line"
    title = "line"
    graph_names = {"weight": "a", "bias": "b"}
    graph_output = "ŷ = x·aᵀ + b"

    @property
    def param_names(self) -> tuple[str, ...]:
        return ("a", "b")

    @property
    def plane(self) -> tuple[str, str]:
        return ("a", "b")

    @property
    def param_shapes(self):
        return (("weight", (1, 1)), ("bias", (1,)))

    def module(self):
        from torch import nn
        return nn.Linear(1, 1)

    def start(self) -> None:
        return None  # init_a, init_b (the line's own settings)

    def output(self, params, x):
        p = as_params(params)
        return p[..., 0:1] * np.asarray(x, np.float64) + p[..., 1:2]

    def gradient(self, params, x, y):
        p = as_params(params)
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        r = self.output(p, x) - y
        return np.stack([2 * np.mean(r * x, axis=-1), 2 * np.mean(r, axis=-1)], axis=-1)
