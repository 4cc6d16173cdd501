"""Evaluate a recorded module once, after the block, for the views (:mod:`training.module_views`).

Re-rendering a trace imports no torch, and a user's module has no numpy forward pass, so what
the views draw is computed here, with the module's own forward pass on a copy of it (the
user's module is left alone):

- a model of one number in and one out: its curve, the output at CURVE_POINTS x values across
  the data, at up to MAX_CURVES points of the path (in the module's own precision: a bfloat16
  module's curve is what bfloat16 computes, fed x in the dtype the loop fed it);
- the full-data loss at the final parameters (the loss the loop used, the loop's precision);
- two parameters: the loss on a PAIR_N × PAIR_N grid of the pair, in float64;
- more: the loss landscape (:func:`training.landscape_trace.landscape_of`, the PCA plane of
  the path) with the module's forward pass in float64, as the built-in families have it (for
  a half-precision module too: see _wide).

A module with dropout or batch norm is evaluated in eval mode (the note says so). A module
that cannot be copied or evaluated this way gets a note instead of curves, never an error:
the recording itself is kept.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from training.landscape_trace import landscape_of
from training.module_views import CURVE_POINTS, PAIR_N, ModuleViews, curve_steps

__all__ = ["module_views"]

MAX_LANDSCAPE_WORK = 4e9  # parameters × data rows × forward passes: above it, no landscape (a note says so)


def module_views(rec, trace, one_dim: bool, data_x: np.ndarray, data_y: np.ndarray) -> tuple[ModuleViews, object]:
    """The views' samples of ``trace`` (a recording of ``rec.model``) and, for P > 2, its landscape."""
    notes = []
    if not one_dim:
        d_in, d_out = data_x.shape[1], rec.c_preds.width
        notes.append(f"{d_in} input{'s' * (d_in > 1)} → {d_out} output{'s' * (d_out > 1)}: no curve "
                     "(x = row number)")
    try:
        work = copy.deepcopy(rec.model)
    except Exception as e:  # noqa: BLE001 - the views go without, the recording stays
        return ModuleViews(None, note=f"the module could not be copied to draw it ({type(e).__name__})"), None
    if any(isinstance(m, (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._NormBase)) for m in work.modules()):
        notes.append("drawn in eval mode")
    work.eval()
    params = list(work.parameters())
    # the dtype the loop fed the model (the column holds a bfloat16 batch as float32)
    in_dtype = rec.in_dtype or torch.from_numpy(np.zeros(0, rec.c_inputs.result().dtype)).dtype
    path = np.vstack([trace.params, trace.final_params[None, :]])
    fn = rec.loss_fn if rec.loss_fn is not None else rec.seen_loss
    if fn is not None and rec.c_targets is not None and rec.c_targets.width != rec.c_preds.width:
        fn = None  # the loop reshapes the output before its loss: the loss of model(x) is not the loop's
        notes.append("the loop changes the model's output before its loss: no full-data loss here")
    X, Y = _data(rec, data_x, data_y, in_dtype)
    kw: dict = {}
    try:
        with torch.no_grad():
            if one_dim:
                kw.update(_curves(work, params, path, data_x[:, 0], rec.in_shape, in_dtype))
            final = None
            if fn is not None and Y is not None:
                _load(params, path[-1])
                final = float(fn(work(X), Y).item())
            if len(path[0]) == 2 and fn is not None and Y is not None:
                kw.update(_pair(work, fn, X, Y, path))
    except Exception as e:  # noqa: BLE001
        return ModuleViews(None, note="; ".join(notes + [f"the module could not be evaluated to draw it "
                                                          f"({type(e).__name__}: {e})"[:300]])), None
    land = None
    if len(path[0]) > 2 and fn is not None and Y is not None:
        land = _landscape(work, fn, X, Y, trace, notes)
    elif len(path[0]) > 2:
        notes.append("no loss known: no landscape")
    return ModuleViews(final, note="; ".join(notes), **kw), land


def _data(rec, data_x: np.ndarray, data_y: np.ndarray, in_dtype) -> tuple:
    """The whole data as the module and the loss take it: x, y as given, else the rows seen."""
    if rec.x is not None:
        return rec.x, rec.y
    X = torch.from_numpy(np.ascontiguousarray(data_x)).to(in_dtype).reshape((len(data_x), *rec.in_shape))
    if rec.c_targets is None:
        return X, None
    t_dtype = rec.target_dtype or torch.from_numpy(np.zeros(0, rec.c_targets.result().dtype)).dtype
    Y = torch.from_numpy(np.ascontiguousarray(data_y)).to(t_dtype).reshape((len(data_y), *rec.target_shape))
    return X, Y


def _load(params: list, vector: np.ndarray) -> None:
    """The parameters set to ``vector``, each in its own dtype (a model may mix float32 and
    bfloat16 layers; vector_to_parameters would give them all one dtype). The path's values
    are the parameters' own numbers widened, so they go back exactly. Under no_grad."""
    v = torch.from_numpy(np.ascontiguousarray(vector, dtype=np.float64))
    at = 0
    for p in params:
        n = p.numel()
        p.copy_(v[at:at + n].view_as(p))
        at += n


def _curves(work, params, path: np.ndarray, x: np.ndarray, in_shape: tuple, in_dtype) -> dict:
    lo, hi = float(x.min()), float(x.max())
    pad = max(0.1 * (hi - lo), 1e-3)
    xs = np.linspace(lo - pad, hi + pad, CURVE_POINTS)
    xt = torch.from_numpy(xs).to(in_dtype).reshape((CURVE_POINTS, *in_shape))
    if in_dtype in (torch.bfloat16, torch.float16):  # the x the module is fed (bfloat16 rounds x by up to 0.4 %)
        fed = xt.reshape(-1).to(torch.float64).numpy()
        if len(fed) == CURVE_POINTS and np.all(np.diff(fed) > 0):
            xs = fed
    steps = curve_steps(len(path))
    ys = np.empty((len(steps), CURVE_POINTS))
    for i, k in enumerate(steps):
        _load(params, path[k])
        ys[i] = work(xt).detach().reshape(CURVE_POINTS, -1)[:, 0].to(torch.float64).numpy()
    return dict(curve_x=xs, curve_steps=steps, curves=ys)


def _wide(work, fn, X, Y):
    """A float64 copy of the module and the data (the landscape's and the pair's loss).

    float64 for a bfloat16 or float16 module too: the grid's points are not half-precision
    numbers (loading them would round each to one), and a half loss holds two or three
    digits, so the contours would draw the rounding's steps rather than the loss's shape;
    the float64 surface is the one the half module's numbers round. What the path itself
    shows (``steps.full_loss``, the final loss, the curves) is the module's own precision.
    A module whose forward casts to a dtype of its own (``x.to(torch.bfloat16)`` between
    layers) cannot run in float64: it is then evaluated as it is, in its own dtypes."""
    w64 = copy.deepcopy(work).double()
    X64 = X.double() if X.is_floating_point() else X
    Y64 = Y.double() if Y.is_floating_point() else Y
    try:
        with torch.no_grad():
            fn(w64(X64[:2]), Y64[:2])
    except Exception:  # noqa: BLE001 - its own dtypes, as it ran
        return work, list(work.parameters()), X, Y
    return w64, list(w64.parameters()), X64, Y64


def _pair(work, fn, X, Y, path: np.ndarray) -> dict:
    w64, p64, X64, Y64 = _wide(work, fn, X, Y)
    axes = []
    for j in range(2):
        lo, hi = float(path[:, j].min()), float(path[:, j].max())
        pad = max(hi - lo, 0.25 * max(abs(lo), abs(hi)), 0.25)
        axes.append(np.linspace(lo - pad, hi + pad, PAIR_N))
    loss = np.empty((PAIR_N, PAIR_N))
    for j, b in enumerate(axes[1]):
        for i, a in enumerate(axes[0]):
            _load(p64, np.array([a, b]))
            loss[j, i] = float(fn(w64(X64), Y64).item())
    return dict(pair_p0=axes[0], pair_p1=axes[1], pair_loss=loss)


def _landscape(work, fn, X, Y, trace, notes: list):
    P = len(trace.param_names)
    if P * len(X) * 8000 > MAX_LANDSCAPE_WORK:
        notes.append("too large to compute a landscape here")
        return None
    w64, p64, X64, Y64 = _wide(work, fn, X, Y)

    def loss(stack: np.ndarray) -> np.ndarray:
        out = np.empty(len(stack))
        with torch.no_grad():
            for i, row in enumerate(np.asarray(stack, dtype=np.float64).reshape(-1, P)):
                _load(p64, row)
                out[i] = float(fn(w64(X64), Y64).item())
        return out.reshape(np.shape(stack)[:-1])
    try:
        return landscape_of(trace, plane="pca", loss=loss)
    except ValueError as e:
        notes.append(f"no landscape ({e})")
        return None
