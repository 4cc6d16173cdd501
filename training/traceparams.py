"""Checking what a schema-2 trace adds: its parameters' names and its parameter columns.

A schema-2 trace (any model but the line, :mod:`training.models`) names its P parameters once,
in ``param_names``, and holds per step one row of P numbers in each of ``params``, ``grads``,
``updates`` (and ``velocity``). Here: the names (distinct text, at most MAX_PARAMS, and the
ones ``config.model`` gives), every row exactly P numbers (no ragged rows), at most
``max_steps(P)`` steps, and ``final.params``. Each problem is one line through ``bad``. The
rows arrive as the streaming reader's columns, as lists (``json.loads``) or as one flat array
(the binary trace); each becomes a (steps, P) float64 array.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from training.config import MAX_PARAM_VALUES, MAX_STEPS, TrainConfig, max_steps
from training.errors import InputError, shown
from training.models import MAX_MODULE_PARAMS, MAX_PARAMS, MODULE_KIND
from training.numbers import finite_float32, within_float32
from training.ragged import Ragged
from training.tracecolumns import Column, Rows
from training.traceschema import PARAM_COLUMNS, PARAM_OPTIONAL_COLUMNS

__all__ = ["check_param_names", "param_column", "param_columns", "check_model", "check_final"]

Bad = Callable[[str], InputError]


def param_column() -> Rows:
    """An empty column for a parameter column: rows of numbers, capped in steps and numbers."""
    return Rows(False, MAX_STEPS, f"a parameter column has more than {MAX_STEPS:,} steps",
                MAX_PARAM_VALUES, f"a parameter column holds more than {MAX_PARAM_VALUES:,} numbers")


def check_param_names(value: Any, bad: Bad, module: bool = False) -> tuple[str, ...]:
    """``param_names``: a list of 1 to MAX_PARAMS distinct non-empty strings (a user's own
    module, ``module``: up to MAX_MODULE_PARAMS)."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise bad("param_names must be a non-empty list of parameter names (text), as schema 2 needs")
    if len(value) > (MAX_MODULE_PARAMS if module else MAX_PARAMS):
        if module:
            raise bad(f"param_names lists {len(value):,} parameters; a recorded module has at most {MAX_MODULE_PARAMS:,}")
        raise bad(f"param_names lists {len(value):,} parameters; the largest model has {MAX_PARAMS}")
    if len(set(value)) != len(value):
        dup = next(v for i, v in enumerate(value) if v in value[:i])
        raise bad(f"param_names names {shown(dup)} twice")
    return tuple(value)


def _rows(value: Any, what: str, n_params: int, bad: Bad) -> np.ndarray:
    if isinstance(value, np.ndarray):  # the binary reader's flat array: (steps × P) numbers
        if value.ndim == 2:
            value = value.reshape(-1)
        if len(value) % n_params:
            raise bad(f"{what} holds {len(value):,} numbers, not a whole number of rows of {n_params} "
                      f"(one number per name in param_names)")
        if not within_float32(value):
            raise bad(f"{what} holds a value that is not a finite number")
        return value.astype(np.float64, copy=False).reshape(-1, n_params)
    if not isinstance(value, Column):
        if not isinstance(value, list):
            raise bad(f"{what} must be a list with one list of {n_params} numbers per step")
        column = param_column()
        column.add(value)
        value = column
    rows: Ragged = value.result(what, bad)
    lengths = rows.lengths
    wrong = np.flatnonzero(lengths != n_params)
    if len(wrong):
        k = int(wrong[0])
        raise bad(f"{what}: step {k} holds {int(lengths[k])} numbers; param_names names {n_params} parameters "
                  "(every step holds one number per parameter)")
    return rows.values.reshape(-1, n_params)


def param_columns(raw_steps: dict, n_params: int, bad: Bad) -> dict[str, np.ndarray]:
    """The parameter columns, each (steps, P): params, grads, updates, and velocity if present."""
    out = {}
    for col in (*PARAM_COLUMNS, *(c for c in PARAM_OPTIONAL_COLUMNS if c in raw_steps)):
        out[col] = _rows(raw_steps.get(col), f"steps.{col}", n_params, bad)
    n = len(out["params"])
    cap = max_steps(n_params)
    if n > cap:
        raise bad(f"steps.params has {n:,} steps; a model of {n_params} parameters records at most {cap:,}")
    return out


def check_model(settings: TrainConfig, names: tuple[str, ...], bad: Bad) -> None:
    """The names are the ones the model in ``config.model`` has, in its order."""
    if settings.model == "line":
        raise bad('a schema-2 trace needs "config.model" naming its model (the line writes schema 1)')
    model = settings.model_spec
    if model.kind == MODULE_KIND:  # a user's own module: its names are its own
        return
    if model.param_names != names:
        want = model.param_names
        shown_want = ", ".join(want) if len(want) <= 6 else f"{', '.join(want[:4])}, ... {want[-1]}"
        raise bad(f"param_names lists {len(names)} parameters; config.model {model.describe()} has {len(want)}: "
                  f"{shown_want}" if len(names) != len(want) else
                  f"param_names do not match config.model {model.describe()}: expected {shown_want}")


def check_final(final: dict, n_params: int, bad: Bad) -> np.ndarray:
    """``final.params``: P finite numbers, the parameters after the last step."""
    values = final.get("params")
    if not isinstance(values, list) or len(values) != n_params or not all(finite_float32(v) for v in values):
        raise bad(f'"final" must hold "params", a list of {n_params} finite numbers (one per name in param_names)')
    return np.array(values, dtype=np.float64)
