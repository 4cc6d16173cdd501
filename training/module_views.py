"""What the views of a recorded module need, sampled when it was recorded (no torch here).

A module recorded from the user's own loop (:mod:`training.loop_recorder`, ``config.model.kind
= "module"``) has no numpy forward pass: re-rendering its trace must not import torch. So the
recording evaluates the module once, after the block (:mod:`training.loop_views`), and the
trace keeps what the views draw, in its top-level ``"module"`` member::

    {"final_loss": L | null,            # the full-data loss at the final parameters
     "curve": {"x": [G], "steps": [S], "y": [S rows of G]} | null,
     "pair": {"p0": [m], "p1": [m], "loss": [m rows of m]} | null,
     "note": "..."}

- ``curve``: a model of one number in and one out: its output at G (64) x values across the
  data, at S path points (``steps``: 0..T, point k the parameters before step k, point T the
  final ones; all of them when there are at most MAX_CURVES, else an even sample holding the
  first and the last). Values are the module's own (float32 for a float32 module); a value
  that was not finite is ``null``. Null for any other model (the note says why).
- ``pair``: a model of two parameters: its full-data loss on an m×m grid of the two (rows
  are p1, increasing axes), computed in float64 with the module's own forward pass, covering
  the path with a wide margin: the exact contours of the (a, b) plane.
- A model of more than two parameters has the trace's ``landscape`` (:mod:`training.landscape_trace`),
  computed with the module's own forward pass in float64, as for the built-in families.

The reader checks every shape and value; each problem is one line (an InputError).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from training.errors import shown
from training.numbers import FLOAT32_MAX, finite_float32, within_float32

__all__ = ["ModuleViews", "views_to_dict", "views_from_dict", "MAX_CURVES", "CURVE_POINTS", "PAIR_N", "curve_steps", "check_views"]

MAX_CURVES = 2000   # path points whose curve is stored, at most (× CURVE_POINTS numbers: ~1.5 MB of JSON)
CURVE_POINTS = 64   # x values a curve is sampled at (the fit view interpolates between them)
PAIR_N = 61         # nodes a side of a two-parameter module's loss grid
_MAX_POINTS = 1024


@dataclass(frozen=True, eq=False)
class ModuleViews:
    final_loss: float | None
    curve_x: np.ndarray | None = None      # (G,) increasing
    curve_steps: np.ndarray | None = None  # (S,) int64, increasing, 0..T
    curves: np.ndarray | None = None       # (S, G): the module's output (NaN where it was not finite)
    pair_p0: np.ndarray | None = None      # (m,) increasing
    pair_p1: np.ndarray | None = None
    pair_loss: np.ndarray | None = None    # (m1, m0): rows are p1
    note: str = ""


def curve_steps(n_points: int, most: int = MAX_CURVES) -> np.ndarray:
    """Which of ``n_points`` path points get a stored curve: all, or ``most`` evenly spaced
    ones holding the first and the last."""
    if n_points <= most:
        return np.arange(n_points, dtype=np.int64)
    return np.unique(np.round(np.linspace(0, n_points - 1, most)).astype(np.int64))


def _numbers(values: np.ndarray) -> list:
    """Floats for JSON, None where a value is not finite or beyond float32's range (as every
    number of a trace: the reader refuses them)."""
    arr = np.asarray(values, dtype=np.float64)
    held = np.abs(arr) <= FLOAT32_MAX
    if held.all():
        return arr.tolist()
    return np.where(held, arr, None).tolist()


def views_to_dict(v: ModuleViews) -> dict:
    curve = None
    if v.curves is not None:
        curve = {"x": v.curve_x.tolist(), "steps": v.curve_steps.tolist(), "y": _numbers(v.curves)}
    pair = None
    if v.pair_loss is not None:
        pair = {"p0": v.pair_p0.tolist(), "p1": v.pair_p1.tolist(), "loss": _numbers(v.pair_loss)}
    final = v.final_loss if v.final_loss is not None and finite_float32(v.final_loss) else None
    return {"final_loss": final, "curve": curve, "pair": pair, "note": v.note}


def _axis(value: Any, what: str, bad, most: int = _MAX_POINTS) -> np.ndarray:
    if not isinstance(value, list) or not 2 <= len(value) <= most or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise bad(f"module.{what} must be a list of 2 to {most} numbers")
    try:
        arr = np.array(value, dtype=np.float64)
    except OverflowError:
        arr = np.array([np.inf])
    if not within_float32(arr) or not (np.diff(arr) > 0).all():
        raise bad(f"module.{what} must hold finite numbers (within +-3.4e38) in increasing order")
    return arr


def _table(value: Any, rows: int, cols: int, what: str, bad) -> np.ndarray:
    if not isinstance(value, list) or len(value) != rows:
        raise bad(f"module.{what} must hold {rows} rows")
    out = np.empty((rows, cols), dtype=np.float64)
    for i, row in enumerate(value):
        if not isinstance(row, list) or len(row) != cols or not all(
                v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in row):
            raise bad(f"module.{what} row {i} must hold {cols} numbers (or null)")
        try:
            out[i] = [np.nan if v is None else v for v in row]
        except OverflowError:  # an integer of hundreds of digits
            raise bad(f"module.{what} holds a value that is not a finite number (within +-3.4e38)") from None
    known = out[~np.isnan(out)]
    if not within_float32(known):
        raise bad(f"module.{what} holds a value that is not a finite number (within +-3.4e38)")
    return out


def views_from_dict(doc: Any, n_params: int, n_steps: int, bad) -> ModuleViews:
    """The trace's ``"module"`` member, checked against its P and its steps."""
    if not isinstance(doc, dict) or set(doc) - {"final_loss", "curve", "pair", "note"}:
        raise bad('"module" must be an object with final_loss, curve, pair and note')
    final = doc.get("final_loss")
    if final is not None and not finite_float32(final):  # (as every column: 1e300 broke the loss axis)
        raise bad(f"module.final_loss must be a finite number (within +-3.4e38) or null, not {shown(final)}")
    note = doc.get("note", "")
    if not isinstance(note, str) or len(note) > 1000:
        raise bad("module.note must be text (at most 1000 characters)")
    kw: dict = {}
    curve = doc.get("curve")
    if curve is not None:
        if not isinstance(curve, dict) or set(curve) != {"x", "steps", "y"}:
            raise bad("module.curve must be an object with x, steps and y")
        xs = _axis(curve["x"], "curve.x", bad)
        steps = curve["steps"]
        if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_CURVES or not all(
                isinstance(s, int) and not isinstance(s, bool) and 0 <= s <= n_steps for s in steps):
            raise bad(f"module.curve.steps must be a list of 1 to {MAX_CURVES} whole numbers within 0..{n_steps}")
        st = np.array(steps, dtype=np.int64)
        if st[0] < 0 or st[-1] > n_steps or (np.diff(st) <= 0).any():
            raise bad(f"module.curve.steps must increase within 0..{n_steps} (the path's points)")
        kw.update(curve_x=xs, curve_steps=st, curves=_table(curve["y"], len(st), len(xs), "curve.y", bad))
    pair = doc.get("pair")
    if pair is not None:
        if n_params != 2:
            raise bad(f"module.pair belongs to a module of 2 parameters; this one has {n_params}")
        if not isinstance(pair, dict) or set(pair) != {"p0", "p1", "loss"}:
            raise bad("module.pair must be an object with p0, p1 and loss")
        p0, p1 = _axis(pair["p0"], "pair.p0", bad), _axis(pair["p1"], "pair.p1", bad)
        kw.update(pair_p0=p0, pair_p1=p1, pair_loss=_table(pair["loss"], len(p1), len(p0), "pair.loss", bad))
    return ModuleViews(None if final is None else float(final), note=note, **kw)


def check_views(doc: dict, n_params: int, n_steps: int, bad) -> ModuleViews | None:
    """``doc["module"]`` when present (only a recorded module's trace has one)."""
    return views_from_dict(doc["module"], n_params, n_steps, bad) if "module" in doc else None
