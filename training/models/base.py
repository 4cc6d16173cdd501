"""What sgd-anim knows about one model family, declared in one place.

A :class:`Model` is one family bound to its settings (``Poly(degree=3)``): its real
``torch.nn`` module, the names of its parameters, a float64 numpy forward pass, its loss,
its closed-form gradient where one exists, its default start and, for two parameters, the
pair the parameter plane shows. Everything below the model (recorder, trace, story, views)
sees the parameters as one vector, in the order of ``param_names``: the order of
``module.parameters()``, each tensor flattened row-major (:func:`flatten_names`).

No torch at import: ``module`` and ``criterion`` import it, so that loading or re-rendering a
trace never loads torch. The numpy functions take parameters of shape ``(P,)`` or ``(..., P)``
(a stack of parameter vectors, e.g. a grid over a plane) and broadcast over the leading axes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

__all__ = ["Model", "flatten_names", "mse", "bce_with_logits", "sigmoid"]


def flatten_names(named: list[tuple[str, tuple[int, ...]]]) -> tuple[str, ...]:
    """Names of a module's parameters flattened: ``NAME[i]`` is element ``i`` of tensor NAME
    flattened row-major (PyTorch's ``reshape(-1)``), in ``named_parameters()`` order; a
    tensor of one element is still ``NAME[0]``."""
    out: list[str] = []
    for name, shape in named:
        out += [f"{name}[{i}]" for i in range(int(np.prod(shape, dtype=np.int64)))]
    return tuple(out)


def mse(out: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean squared error over the last axis (``nn.MSELoss``'s mean), float64."""
    r = out - y
    return np.mean(r * r, axis=-1)


def bce_with_logits(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Binary cross-entropy of logits ``z`` over the last axis (``nn.BCEWithLogitsLoss``'s
    mean), in its stable form max(z, 0) − y·z + log(1 + e^−|z|)."""
    return np.mean(np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z))), axis=-1)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) without overflow for large |z|."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@dataclass(frozen=True)
class Model:
    """One model family with its settings. Subclasses set the class facts and the methods."""

    kind: ClassVar[str]                     # --model KIND
    title: ClassVar[str]                    # words for captions: "cubic polynomial"
    settings: ClassVar[tuple[str, ...]] = ()  # the TrainConfig settings that belong to this family
    loss_name: ClassVar[str] = "MSE"
    # What the trace's ``pred`` holds (ŷ; logistic: the probability p = σ(z)); ``residual`` is
    # always pred − y (for logistic p − y, the per-sample dL/dz of the cross-entropy).
    pred_name: ClassVar[str] = "ŷ"
    # The autograd graph's words: names of the module's parameter tensors (PyTorch's when not
    # renamed here) and the label of the module's output node.
    graph_names: ClassVar[dict[str, str]] = {}
    graph_output: ClassVar[str] = "ŷ"

    # ------------------------------------------------------------- facts
    @property
    def param_names(self) -> tuple[str, ...]:
        raise NotImplementedError

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    @property
    def param_shapes(self) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """The module's parameter tensors as (name, shape), in ``named_parameters()`` order:
        the vector is their values flattened row-major, one after the other. The random plane
        of the loss landscape normalises it filter by filter (a row of a 2-D weight is one
        unit's filter; :mod:`training.landscape`). Default: one tensor of all P values."""
        return (("params", (self.n_params,)),)

    @property
    def plane(self) -> tuple[str, str] | None:
        """For two parameters, the pair the parameter plane shows (x axis, y axis); else None
        (a plane through parameter space, chosen from the trajectory)."""
        return None

    def to_dict(self) -> dict:
        """``config.model`` of a trace: the kind and this family's settings."""
        return {"kind": self.kind, **{k: getattr(self, k) for k in self.settings}}

    def describe(self) -> str:
        extra = ", ".join(f"{k} {getattr(self, k)}" for k in self.settings)
        return f"{self.kind} ({extra})" if extra else self.kind

    def check_data(self, y: np.ndarray) -> str:
        """Why these targets cannot be fitted (one line), or "" when they can."""
        return ""

    # ------------------------------------------------------------- torch
    def module(self) -> Any:
        """A new ``torch.nn`` module (PyTorch's default initialisation, under the caller's seed)."""
        raise NotImplementedError

    def criterion(self) -> Any:
        from torch import nn
        return nn.MSELoss()

    def start(self) -> np.ndarray | None:
        """The documented start (float64, length P), or None: PyTorch's default initialisation."""
        return np.zeros(self.n_params)

    def torch_pred(self, out: Any) -> Any:
        """The trace's ``pred`` from the module's output tensor."""
        return out

    # ------------------------------------------------------------- numpy, float64
    def output(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The module's output (what the loss takes: logits for logistic) at each x, shape (..., n)."""
        raise NotImplementedError

    def predict(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:
        """What the trace's ``pred`` holds: ŷ (logistic: the probability)."""
        return self.output(params, x)

    def loss(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The loss over these points (a batch or the whole data), float64, shape (...)."""
        p = np.asarray(params, dtype=np.float64)
        return mse(self.output(p, np.asarray(x, np.float64)), np.asarray(y, np.float64))

    def gradient(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
        """dL/dθ over these points in closed form (float64, shape (..., P)), or None when the
        family has none (the MLP: its gradients are PyTorch's own)."""
        return None


def as_params(params: Any) -> np.ndarray:
    return np.asarray(params, dtype=np.float64)
