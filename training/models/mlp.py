"""A small network 1 → H → 1 under the MSE (``--hidden H``, ``--activation tanh|relu``):
``nn.Sequential(nn.Linear(1, H), activation, nn.Linear(H, 1))``.

Its parameters are PyTorch's, flattened in order (:func:`training.models.base.flatten_names`):
``0.weight[j]`` and ``0.bias[j]`` (hidden unit j's input weight and bias), ``2.weight[j]``
(its output weight), ``2.bias[0]``. So the vector is [W1 (H), b1 (H), W2 (H), b2]. It starts
where PyTorch's default initialisation puts it under ``--seed``. No closed-form gradient here:
the recorded gradients are autograd's (the tests check them against a float64 re-run).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.models.base import Model, as_params

__all__ = ["MLP", "ACTIVATIONS", "DEFAULT_HIDDEN", "DEFAULT_ACTIVATION"]

ACTIVATIONS = ("tanh", "relu")
DEFAULT_HIDDEN = 8
DEFAULT_ACTIVATION = "tanh"


@dataclass(frozen=True)
class MLP(Model):
    kind = "mlp"
    title = "neural network"
    settings = ("hidden", "activation")
    hidden: int = DEFAULT_HIDDEN
    activation: str = DEFAULT_ACTIVATION

    @property
    def param_names(self) -> tuple[str, ...]:
        h = range(self.hidden)
        return (*(f"0.weight[{j}]" for j in h), *(f"0.bias[{j}]" for j in h),
                *(f"2.weight[{j}]" for j in h), "2.bias[0]")

    @property
    def param_shapes(self):
        h = self.hidden
        return (("0.weight", (h, 1)), ("0.bias", (h,)), ("2.weight", (1, h)), ("2.bias", (1,)))

    def module(self):
        from torch import nn
        act = nn.Tanh() if self.activation == "tanh" else nn.ReLU()
        return nn.Sequential(nn.Linear(1, self.hidden), act, nn.Linear(self.hidden, 1))

    def start(self) -> None:
        return None  # PyTorch's default initialisation under --seed

    def split(self, params) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """W1, b1, W2 (each (..., H)) and b2 (...) of parameter vectors."""
        p, h = as_params(params), self.hidden
        return p[..., :h], p[..., h:2 * h], p[..., 2 * h:3 * h], p[..., 3 * h]

    def hidden_layer(self, params, x) -> np.ndarray:
        """The hidden units' activations at each x, shape (..., n, H)."""
        w1, b1, _, _ = self.split(params)
        z = np.asarray(x, np.float64)[:, None] * w1[..., None, :] + b1[..., None, :]
        return np.tanh(z) if self.activation == "tanh" else np.maximum(z, 0.0)

    def output(self, params, x):
        _, _, w2, b2 = self.split(params)
        return np.einsum("...nh,...h->...n", self.hidden_layer(params, x), w2) + np.asarray(b2)[..., None]
