"""A user's own ``torch.nn`` module, recorded from their own loop (:mod:`training.loop_recorder`).

Not a family one can train from settings: ``--model module`` is refused by the recorder. Its
parameters' names are the module's own (:func:`flatten_names` of ``named_parameters()``),
stored in the trace's ``param_names``; this class has no numpy forward pass (the views that
need one, the loss over a plane, say so instead of drawing).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from training.errors import InputError
from training.models.base import Model

__all__ = ["Module", "RecordedModule", "MODULE_KIND", "MAX_MODULE_PARAMS"]

MODULE_KIND = "module"
# The most parameters a recording keeps per step (its step cap falls as P grows, see
# training.config.max_steps: 375 steps at this size). Its names fit a binary trace's header.
MAX_MODULE_PARAMS = 100_000


@dataclass(frozen=True)
class Module(Model):
    kind = MODULE_KIND
    title = "PyTorch module"
    graph_output = "output"

    @property
    def param_names(self) -> tuple[str, ...]:
        return ()  # the trace's own (any names: checked for being distinct, not against a family)

    def module(self):
        raise InputError("model 'module' is a module recorded from your own training loop "
                         "(training.loop_recorder); it cannot be trained from settings")

    def start(self) -> None:
        return None

    def output(self, params, x):
        raise InputError("a module recorded from your own loop has no numpy forward pass here: "
                         "this view needs one (the line, poly, logistic and mlp have one)")


class RecordedModule(Module):
    """A recorded module as the views see it: its names, its path and what was sampled when it
    was recorded (:class:`training.module_views.ModuleViews`), answering ``predict`` and
    ``loss`` for the parameter vectors a story asks about without a forward pass:

    - a point of the path (the parameters before a step, or the final ones): its stored curve
      and its recorded full-data loss (``steps.full_loss``; ``final_loss`` after the last step);
    - a point between two of them (a step's update drawn part way): both interpolated along
      the step (found by a few random projections of the path, so any P costs little);
    - a two-parameter module's plane: the loss grid computed at record time (bilinear).

    Anything else has no answer here: NaN (the views then draw nothing rather than a guess)."""

    def __init__(self, names: tuple[str, ...], path: np.ndarray, path_loss: np.ndarray, views: Any,
                 loss: str = ""):
        object.__setattr__(self, "names", tuple(names))
        # The loss's name as the views show it: the loop's loss module ("MSELoss" -> "MSE").
        short = {"MSELoss": "MSE", "BCEWithLogitsLoss": "BCE", "BCELoss": "BCE", "L1Loss": "L1",
                 "CrossEntropyLoss": "cross-entropy", "HuberLoss": "Huber", "SmoothL1Loss": "smooth L1"}
        object.__setattr__(self, "loss_name", short.get(loss, loss or "loss"))
        object.__setattr__(self, "path", np.asarray(path, dtype=np.float64))
        object.__setattr__(self, "path_loss", np.asarray(path_loss, dtype=np.float64))
        object.__setattr__(self, "views", views)
        rng = np.random.default_rng(0)
        dirs = rng.standard_normal((self.path.shape[1], _PROBES))
        object.__setattr__(self, "_dirs", dirs)
        object.__setattr__(self, "_z", self.path @ dirs)
        # Path points by a hash of their bytes (a point's bytes may be 800 KB: not kept as keys).
        object.__setattr__(self, "_index", {hash(row.tobytes()): k for k, row in enumerate(self.path)})

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.names

    @property
    def plane(self) -> tuple[str, str] | None:
        return (self.names[0], self.names[1]) if len(self.names) == 2 else None

    @property
    def has_curve(self) -> bool:
        return self.views is not None and self.views.curves is not None

    @property
    def no_curve(self) -> str:
        """Why the fit view draws no curve (its title says it), or "" when it draws one."""
        if self.has_curve:
            return ""
        note = self.views.note.split("; ")[0] if self.views is not None and self.views.note else ""
        return note or "no curve recorded for this module"

    def point(self, q: np.ndarray) -> int | None:
        """The path point a parameter vector is exactly, or None."""
        k = self._index.get(hash(q.tobytes())) if q.shape == self.path.shape[1:] else None
        return k if k is not None and np.array_equal(self.path[k], q) else None

    def where(self, params: np.ndarray) -> float | None:
        """Where a parameter vector lies along the path: k + r for θ_k + r·(θ_{k+1} − θ_k)
        (0 <= r <= 1), or None when it is not on the path."""
        q = np.asarray(params, dtype=np.float64)
        k = self.point(q)
        if k is not None:
            return float(k)
        if len(self.path) < 2:
            return None
        z = q @ self._dirs
        a, d = self._z[:-1], np.diff(self._z, axis=0)
        dd = np.einsum("ij,ij->i", d, d)
        r = np.clip(np.einsum("ij,ij->i", z - a, d) / np.where(dd > 0, dd, 1.0), 0.0, 1.0)
        miss = np.linalg.norm(z - a - r[:, None] * d, axis=1)
        k = int(np.argmin(miss))
        scale = max(1.0, float(np.linalg.norm(z)))
        return k + float(r[k]) if miss[k] <= 1e-7 * scale else None

    def _rows(self, params) -> tuple[np.ndarray, tuple]:
        p = np.asarray(params, dtype=np.float64)
        return p.reshape(-1, p.shape[-1]), p.shape[:-1]

    def output(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:
        xs = np.asarray(x, dtype=np.float64)
        rows, lead = self._rows(params)
        out = np.full((len(rows), xs.size), np.nan)
        if self.has_curve:
            v = self.views
            for i, row in enumerate(rows):
                t = self.where(row)
                if t is not None:
                    curve = _between(v.curve_steps, v.curves, t)
                    out[i] = np.interp(xs.reshape(-1), v.curve_x, curve, left=np.nan, right=np.nan)
        return out.reshape(lead + xs.shape)

    def gradient(self, params: np.ndarray, x: np.ndarray = None, y: np.ndarray = None) -> np.ndarray:
        """The full-data gradient is not known off the recorded batches: NaN (not drawn)."""
        return np.full(np.shape(params), np.nan)

    def loss(self, params: np.ndarray, x: np.ndarray = None, y: np.ndarray = None) -> np.ndarray:
        rows, lead = self._rows(params)
        out = np.full(len(rows), np.nan)
        v = self.views
        pair = v is not None and v.pair_loss is not None
        for i, row in enumerate(rows):
            # Two parameters: a path point's recorded loss, else the grid (a contour grid of
            # 14,400 points is never searched along the path); more: along the path.
            t = self.point(row) if pair else self.where(row)
            if t is not None:
                out[i] = np.interp(t, np.arange(len(self.path_loss)), self.path_loss)
        if pair:
            off = np.isnan(out)
            out[off] = _bilinear(v.pair_p0, v.pair_p1, v.pair_loss, rows[off, 0], rows[off, 1])
        return out.reshape(lead)


_PROBES = 8  # random directions the path is located by


def _between(steps: np.ndarray, rows: np.ndarray, t: float) -> np.ndarray:
    """The row at path position t, interpolated between the stored rows around it."""
    if len(steps) == 1:
        return rows[0]
    i = int(np.clip(np.searchsorted(steps, t, side="right") - 1, 0, len(steps) - 2))
    w = float(np.clip((t - steps[i]) / (steps[i + 1] - steps[i]), 0.0, 1.0))
    return rows[i] * (1 - w) + rows[i + 1] * w


def _bilinear(xs: np.ndarray, ys: np.ndarray, table: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """table[j, i] at (xs[i], ys[j]), interpolated at points (x, y); NaN outside the grid."""
    i = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 2)
    j = np.clip(np.searchsorted(ys, y, side="right") - 1, 0, len(ys) - 2)
    tx = (x - xs[i]) / (xs[i + 1] - xs[i])
    ty = (y - ys[j]) / (ys[j + 1] - ys[j])
    top = table[j, i] * (1 - tx) + table[j, i + 1] * tx
    bottom = table[j + 1, i] * (1 - tx) + table[j + 1, i + 1] * tx
    out = top * (1 - ty) + bottom * ty
    inside = (xs[0] <= x) & (x <= xs[-1]) & (ys[0] <= y) & (y <= ys[-1])
    return np.where(inside, out, np.nan)
