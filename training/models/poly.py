"""A polynomial y' = c0 + c1·x + ... + cK·x^K under the MSE; parameters c0 … cK (``--degree K``).

Linear in its parameters, so its loss is a quadratic bowl, but an ill-conditioned one: the
powers of x are nearly parallel, the bowl a long narrow valley where plain SGD crawls and
momentum does not. One ``torch.nn.Parameter`` of K + 1 coefficients, in order of power.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.models.base import Model, as_params

__all__ = ["Poly", "DEFAULT_DEGREE", "MAX_DEGREE"]

DEFAULT_DEGREE = 3
MAX_DEGREE = 8


def features(x: np.ndarray, degree: int) -> np.ndarray:
    """The powers x^0 … x^K of each x, float64, shape (n, K + 1)."""
    return np.asarray(x, np.float64)[:, None] ** np.arange(degree + 1)


@dataclass(frozen=True)
class Poly(Model):
    kind = "poly"
    title = "polynomial"
    settings = ("degree",)
    graph_names = {"coef": "c"}
    graph_output = "ŷ = Σ cₖ·xᵏ"
    degree: int = DEFAULT_DEGREE

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(f"c{k}" for k in range(self.degree + 1))

    @property
    def plane(self) -> tuple[str, str] | None:
        return ("c1", "c0") if self.degree == 1 else None  # slope across, intercept up: as the line's (a, b)

    @property
    def param_shapes(self):
        return (("coef", (self.degree + 1,)),)

    def module(self):
        return _poly_module(self.degree)

    def output(self, params, x):
        return as_params(params) @ features(x, self.degree).T

    def gradient(self, params, x, y):
        phi = features(x, self.degree)
        r = self.output(params, x) - np.asarray(y, np.float64)
        return 2.0 / len(phi) * (r @ phi)


def _poly_module(degree: int):
    import torch
    from torch import nn

    class PolyModule(nn.Module):
        """y' = Σ c_k x^k: x of shape (n, 1) in, (n, 1) out."""

        def __init__(self) -> None:
            super().__init__()
            self.coef = nn.Parameter(torch.zeros(degree + 1))
            self.register_buffer("powers", torch.arange(degree + 1, dtype=torch.float32), persistent=False)

        def forward(self, x):
            return (x ** self.powers) @ self.coef.unsqueeze(1)

    return PolyModule()
