"""Full-data gradients and what the optimizer carried over, for any model, as (steps, P)
vectors: the story projects them onto the parameter plane as arrows.

A model with a closed-form gradient (training.models: line, poly, logistic) gives it; the MLP
(1 → H → 1) has none in the registry (its recorded gradients are autograd's), so its full-data
gradient is back-propagated here in float64 numpy. No torch.
"""
from __future__ import annotations

import numpy as np

from training.optimizers import Carry, carry_of, spec_of
from training.trace import Trace

__all__ = ["full_gradient", "carry_vectors", "CHUNK"]

CHUNK = 512  # parameter vectors at a time (the MLP's forward pass holds chunk × N × H values)


def _mlp_gradient(model, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dθ of the MSE of 1 → H → 1 at parameter vectors (K, P): [W1, b1, W2, b2]."""
    _, _, w2, b2 = model.split(params)
    h = model.hidden_layer(params, x)                               # (K, N, H)
    out = np.einsum("knh,kh->kn", h, w2) + b2[:, None]
    dout = 2.0 * (out - y) / len(x)                                  # (K, N)
    act = 1.0 - h * h if model.activation == "tanh" else (h > 0).astype(np.float64)
    dz = dout[:, :, None] * w2[:, None, :] * act                     # (K, N, H)
    return np.concatenate([np.einsum("knh,n->kh", dz, x), dz.sum(1), np.einsum("kn,knh->kh", dout, h),
                           dout.sum(1)[:, None]], axis=1)


def full_gradient(model, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∇L over the whole data at each row of ``params`` (K, P), float64, (K, P)."""
    params = np.asarray(params, dtype=np.float64)
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    out = np.empty_like(params)
    for s in range(0, len(params), CHUNK):
        part = params[s:s + CHUNK]
        with np.errstate(all="ignore"):
            g = model.gradient(part, x, y)
            out[s:s + CHUNK] = _mlp_gradient(model, part, x, y) if g is None else g
    return out


def carry_vectors(trace: Trace) -> tuple[str, np.ndarray] | None:
    """What the optimizer carried over each step, (steps, P), with its legend's words; or None.
    The optimizer registry's rules read a pair of columns (the line's); a vector is read a
    pair of parameters at a time (each rule is elementwise)."""
    if trace.schema_version == 1:
        c = carry_of(trace)
        return None if c is None else (c.label, np.column_stack([c.a, c.b]))
    cols = {"": trace.params, "grad_": trace.grads, "update_": trace.updates}
    vel = trace.velocity
    if vel is not None:
        cols["velocity_"] = vel
    p = trace.params.shape[1]
    out, label = np.zeros_like(trace.params), None
    spec = spec_of(trace.settings)
    for j in range(0, p, 2):
        k = min(j + 1, p - 1)
        st = {f"{pre}{n}": col[:, i] for pre, col in cols.items() for n, i in (("a", j), ("b", k))}
        c: Carry | None = spec.carry(trace.settings, st)
        if c is None:
            return None
        out[:, j], out[:, k], label = c.a, c.b, c.label
    return label, out
