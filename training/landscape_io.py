"""JSON-ready forms of a landscape's plane and grid (for the schema-2 trace), and their readers.

``plane_to_dict(plane)``::

    {"kind": "pca" | "random", "centre": [P], "d1": [P], "d2": [P],
     "shares": [s1, s2] (pca) | null (random), "seed": null (pca) | int (random),
     "centring": "final" | "mean" (pca) | null (random), "note": "..."}

``grid_to_dict(grid)``::

    {"alpha": [n_a], "beta": [n_b], "loss": [n_b rows of n_a]}   # loss[j][i] at (alpha[i], beta[j])

``landscape_to_dict(landscape)`` (a run's landscape, :mod:`training.landscape_trace`; the
trace's top-level ``landscape``)::

    {"plane": plane_to_dict, "grid": grid_to_dict,
     "path": {"step": [S], "alpha": [S], "beta": [S], "distance": [S], "loss": [S],
              "surface_loss": [S]},
     "captured": c}

Values are Python floats of the float64 arrays: ``json`` writes their shortest repr, which reads
back to the same bits, so a log colour scale sees the true minimum. The readers check every
shape and value and raise :class:`training.errors.InputError` (a ValueError) with one line:
ragged rows, NaN or infinite values, booleans for numbers, wrong lengths, an axis that is not
increasing or does not hold 0, more than MAX_N nodes a side, directions that do not span a plane.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from training.errors import InputError, shown
from training.landscape import MAX_N, PLANE_KINDS, Grid, Plane
from training.landscape_trace import MAX_PATH_POINTS, Landscape

__all__ = ["plane_to_dict", "plane_from_dict", "grid_to_dict", "grid_from_dict", "landscape_to_dict",
           "landscape_from_dict"]

_PLANE_KEYS = ("kind", "centre", "d1", "d2", "shares", "seed", "centring", "note")
_GRID_KEYS = ("alpha", "beta", "loss")
_LANDSCAPE_KEYS = ("plane", "grid", "path", "captured")
_PATH_KEYS = ("step", "alpha", "beta", "distance", "loss", "surface_loss")
_MAX_NOTE = 200


def plane_to_dict(plane: Plane) -> dict[str, Any]:
    return {"kind": plane.kind, "centre": plane.centre.tolist(), "d1": plane.d1.tolist(),
            "d2": plane.d2.tolist(),
            "shares": None if plane.shares is None else [float(s) for s in plane.shares],
            "seed": plane.seed, "centring": plane.centring, "note": plane.note}


def grid_to_dict(grid: Grid) -> dict[str, Any]:
    return {"alpha": grid.alpha.tolist(), "beta": grid.beta.tolist(), "loss": grid.loss.tolist()}


def _keys(doc: Any, keys: tuple[str, ...], what: str) -> None:
    subject = f"the landscape's {what}" if what else "the landscape"
    if not isinstance(doc, dict):
        raise InputError(f"{subject} is an object, not {type(doc).__name__}")
    missing = [k for k in keys if k not in doc]
    if missing:
        raise InputError(f"{subject} lacks {', '.join(missing)}")
    extra = [k for k in doc if k not in keys]
    if extra:
        raise InputError(f"{subject} has unknown key {shown(extra[0])}")


def _vector(value: Any, name: str, length: int | None = None) -> np.ndarray:
    """A list of finite numbers (no bools, no nested lists) as float64."""
    if not isinstance(value, list):
        raise InputError(f"the landscape's {name} is a list of numbers, not "
                         f"{type(value).__name__}")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InputError(f"the landscape's {name} holds {shown(v)}, not a number")
    if length is not None and len(value) != length:
        raise InputError(f"the landscape's {name} has {len(value)} values, not {length}")
    try:
        arr = np.array(value, dtype=np.float64)
    except OverflowError:  # an integer beyond float64
        raise InputError(f"the landscape's {name} holds a number beyond float64") from None
    if not np.isfinite(arr).all():
        raise InputError(f"the landscape's {name} holds a non-finite number")
    return arr


def plane_from_dict(doc: Any) -> Plane:
    _keys(doc, _PLANE_KEYS, "plane")
    kind = doc["kind"]
    if kind not in PLANE_KINDS:
        raise InputError(f"the landscape's plane kind is one of {', '.join(PLANE_KINDS)}, "
                         f"not {shown(kind)}")
    centre = _vector(doc["centre"], "centre")
    if centre.size < 2:
        raise InputError(f"the landscape's plane needs 2 or more parameters, not {centre.size}")
    d1 = _vector(doc["d1"], "d1", centre.size)
    d2 = _vector(doc["d2"], "d2", centre.size)
    n1, n2 = float(np.linalg.norm(d1)), float(np.linalg.norm(d2))
    if n1 == 0.0 or n2 == 0.0 or abs(float(d1 @ d2)) / (n1 * n2) > 1.0 - 1e-9:
        raise InputError("the landscape's directions d1 and d2 do not span a plane")
    shares, seed, centring = doc["shares"], doc["seed"], doc["centring"]
    if kind == "pca":
        arr = _vector(shares, "shares", 2)
        if arr.min() < 0.0 or arr.sum() > 1.0 + 1e-9:
            raise InputError("the landscape's shares are >= 0 and sum to at most 1")
        if seed is not None or centring not in ("final", "mean"):
            raise InputError("a PCA plane has seed null and centring 'final' or 'mean'")
        shares = (float(arr[0]), float(arr[1]))
    else:
        if shares is not None or centring is not None:
            raise InputError("a random plane has shares and centring null")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 63:
            raise InputError(f"a random plane's seed is an integer >= 0, not {shown(seed)}")
    note = doc["note"]
    if not isinstance(note, str) or len(note) > _MAX_NOTE or not note.isprintable():
        raise InputError(f"the landscape's note is a line of at most {_MAX_NOTE} characters")
    return Plane(kind, centre, d1, d2, shares, seed, centring, note)


def _axis(value: Any, name: str) -> np.ndarray:
    if isinstance(value, list) and not 3 <= len(value) <= MAX_N:
        raise InputError(f"the landscape's {name} axis has 3..{MAX_N} values, not {len(value)}")
    arr = _vector(value, f"{name} axis")
    if not (np.diff(arr) > 0).all():
        raise InputError(f"the landscape's {name} axis is not increasing")
    if not (arr == 0.0).any():
        raise InputError(f"the landscape's {name} axis does not hold 0 (the centre)")
    return arr


def grid_from_dict(doc: Any) -> Grid:
    _keys(doc, _GRID_KEYS, "grid")
    alpha, beta = _axis(doc["alpha"], "alpha"), _axis(doc["beta"], "beta")
    rows = doc["loss"]
    if not isinstance(rows, list) or len(rows) != beta.size:
        raise InputError(f"the landscape's loss has {beta.size} rows (one per beta), not "
                         f"{len(rows) if isinstance(rows, list) else shown(rows)}")
    loss = np.empty((beta.size, alpha.size), dtype=np.float64)
    for j, row in enumerate(rows):
        loss[j] = _vector(row, f"loss row {j}", alpha.size)
    return Grid(alpha, beta, loss)


def landscape_to_dict(landscape: Landscape) -> dict[str, Any]:
    path = {"step": [int(k) for k in landscape.steps], "alpha": landscape.alpha.tolist(),
            "beta": landscape.beta.tolist(), "distance": landscape.distance.tolist(),
            "loss": landscape.loss.tolist(), "surface_loss": landscape.surface_loss.tolist()}
    return {"plane": plane_to_dict(landscape.plane), "grid": grid_to_dict(landscape.grid), "path": path,
            "captured": float(landscape.captured)}


def _steps(value: Any, n_steps: int) -> np.ndarray:
    """The stored points' steps: whole numbers, increasing, from 0 to n_steps (the final point)."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_PATH_POINTS:
        raise InputError(f"the landscape's path.step is a list of 1..{MAX_PATH_POINTS} steps")
    if not all(isinstance(k, int) and not isinstance(k, bool) for k in value):
        bad = next(k for k in value if isinstance(k, bool) or not isinstance(k, int))
        raise InputError(f"the landscape's path.step holds {shown(bad)}, not a whole number")
    if value[0] != 0 or value[-1] != n_steps or not all(a < b for a, b in zip(value, value[1:])):
        raise InputError(f"the landscape's path.step runs up from 0 to the final point {n_steps}, "
                         "each step once")
    return np.array(value, dtype=np.int64)


def landscape_from_dict(doc: Any, n_params: int, n_steps: int, final_params: np.ndarray) -> Landscape:
    """A stored landscape, checked against its trace: P parameters, n_steps steps, a plane
    centred on the final parameters (exactly: both are the recorded float64 numbers)."""
    _keys(doc, _LANDSCAPE_KEYS, "")
    plane = plane_from_dict(doc["plane"])
    if plane.centre.size != n_params:
        raise InputError(f"the landscape's plane has {plane.centre.size} parameters, the trace {n_params}")
    if not np.array_equal(plane.centre, final_params):
        raise InputError("the landscape's plane is not centred on the final parameters")
    grid = grid_from_dict(doc["grid"])
    _keys(doc["path"], _PATH_KEYS, "path")
    path = doc["path"]
    steps = _steps(path["step"], n_steps)
    cols = {k: _vector(path[k], f"path.{k}", steps.size) for k in _PATH_KEYS[1:]}
    if (cols["distance"] < 0).any() or (cols["loss"] < 0).any() or (cols["surface_loss"] < 0).any():
        raise InputError("the landscape's path distances and losses are >= 0")
    captured = doc["captured"]
    if isinstance(captured, bool) or not isinstance(captured, (int, float)) or not 0.0 <= captured <= 1.0:
        raise InputError(f"the landscape's captured share is a number from 0 to 1, not {shown(captured)}")
    return Landscape(plane, grid, steps, cols["alpha"], cols["beta"], cols["distance"], cols["loss"],
                     cols["surface_loss"], float(captured))
