"""Logistic regression: p = σ(w·x + b) on 0/1 labels, binary cross-entropy
(``nn.Linear(1, 1)`` and ``nn.BCEWithLogitsLoss``); parameters w, b.

The trace's ``pred`` is the probability p, its ``residual`` p − y: each sample's dL/dz, so the
gradient is the mean of residual·(x, 1), as for the line it is twice that.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.models.base import Model, as_params, bce_with_logits, sigmoid

__all__ = ["Logistic"]


@dataclass(frozen=True)
class Logistic(Model):
    kind = "logistic"
    title = "logistic regression"
    loss_name = "BCE"
    pred_name = "p"
    graph_names = {"weight": "w", "bias": "b"}
    graph_output = "z = x·wᵀ + b"

    @property
    def param_names(self) -> tuple[str, ...]:
        return ("w", "b")

    @property
    def plane(self) -> tuple[str, str]:
        return ("w", "b")

    def check_data(self, y: np.ndarray) -> str:
        bad = np.flatnonzero((y != 0) & (y != 1))
        if len(bad):
            i = int(bad[0])
            return (f"logistic regression needs labels y of 0 or 1; row {i + 1} has y = {float(y[i]):g} "
                    "(try --config logistic)")
        return ""

    @property
    def param_shapes(self):
        return (("weight", (1, 1)), ("bias", (1,)))

    def module(self):
        from torch import nn
        return nn.Linear(1, 1)

    def criterion(self):
        from torch import nn
        return nn.BCEWithLogitsLoss()

    def torch_pred(self, out):
        import torch
        return torch.sigmoid(out)

    def output(self, params, x):
        p = as_params(params)
        return p[..., 0:1] * np.asarray(x, np.float64) + p[..., 1:2]

    def predict(self, params, x):
        return sigmoid(self.output(params, x))

    def loss(self, params, x, y):
        return bce_with_logits(self.output(params, x), np.asarray(y, np.float64))

    def gradient(self, params, x, y):
        x = np.asarray(x, np.float64)
        r = self.predict(params, x) - np.asarray(y, np.float64)
        return np.stack([np.mean(r * x, axis=-1), np.mean(r, axis=-1)], axis=-1)
