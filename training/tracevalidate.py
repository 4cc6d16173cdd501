"""Checking a trace document: everything a loaded trace must satisfy, with one-line messages.

A document comes from ``json.loads`` (plain lists), from the streaming reader
(:mod:`training.tracejson`: column objects) or from the binary reader
(:mod:`training.tracebin`: numpy arrays, turned into column objects by
:func:`binary_columns`). Each is checked the same way, in the same order, so the same content
gets the same message whichever file it came in. Every problem is an InputError naming the
file. The caps on points, steps and samples bound the memory a loaded trace takes, whatever
the size of the file.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import numpy as np

from training.config import MAX_SAMPLES, MAX_STEPS, TrainConfig
from training.data import MAX_POINTS
from training.errors import InputError, shown
from training.landscape_io import landscape_from_dict
from training.module_views import check_views
from training.models import MODULE_KIND
from training.numbers import finite_float32
from training.ragged import Ragged
from training.recorded import settings_from_config
from training.tracebin import MAX_HEADER_BYTES
from training.tracecolumns import Column, Floats, Ints, Rows
from training.tracegraphs import check_graphs
from training.traceparams import check_final, check_model, check_param_names, param_column, param_columns
from training.traceschema import (LR_COLUMN, MAX_NESTING, PARAM_COLUMNS, PARAM_OPTIONAL_COLUMNS, PARAMS_SCHEMA,
                                  SCHEMAS, STEP2_FLOAT_COLUMNS, STEP_FLOAT_COLUMNS, STEP_INT_COLUMNS,
                                  STEP_OPTIONAL_COLUMNS, STEP_RAGGED_COLUMNS, TraceStatus)

__all__ = ["check_document", "data_column", "step_column", "binary_columns", "settings_of"]

Bad = Callable[[str], InputError]


def check_document(doc: Any, name: str) -> dict[str, Any]:
    """The fields of a :class:`~training.trace.Trace` from a parsed document (see the module's
    docstring), every one checked; the first problem found is raised as an InputError."""
    def bad(msg: str) -> InputError:
        return InputError(f"trace file {name}: {msg}")

    if not isinstance(doc, dict):
        raise bad("the top level must be a JSON object")
    version = doc.get("schema_version")
    if isinstance(version, bool) or version not in SCHEMAS:
        raise bad(f"schema_version {shown(version)} is not supported; this sgd-anim reads versions "
                  f"{' and '.join(map(str, SCHEMAS))}")
    for key in ("config", "data", "steps", "final", "status"):
        if not isinstance(doc.get(key), dict):
            raise bad(f'missing or malformed section "{key}"')
    names = check_param_names(doc.get("param_names"), bad, _is_module(doc["config"])) if version == PARAMS_SCHEMA else ()
    x = _float_array(doc["data"].get("x"), "data.x", bad)
    y = _float_array(doc["data"].get("y"), "data.y", bad)
    if len(x) != len(y) or len(x) < 2:
        raise bad(f"data.x and data.y must have the same length (at least 2), got {len(x)} and {len(y)}")

    steps = _steps(doc["steps"], len(x), bad, len(names))
    n = len(steps["epoch"])

    final = doc["final"]
    if names:
        final_params, fa, fb = check_final(final, len(names), bad), None, None
    else:
        final_params, fa, fb = None, final.get("a"), final.get("b")
        if not (finite_float32(fa) and finite_float32(fb)):
            raise bad('"final" must hold finite numbers a and b')
    status = _status(doc["status"], n, bad)
    versions = doc.get("versions", {})
    for key, value in (("config", doc["config"]), ("versions", versions)):
        if _depth(value) > MAX_NESTING:  # json.loads takes ~1000 levels; writing it back would not
            raise bad(f'"{key}" is nested more than {MAX_NESTING} levels deep')
    versions = versions if isinstance(versions, dict) else {}
    settings = settings_of(doc["config"], steps, bad)
    if names:
        check_model(settings, names, bad)
    elif settings.model != "line":
        raise bad(f"config.model is {settings.model}, but a schema-1 trace holds the line (a, b); "
                  "any other model's trace is schema 2")
    graphs = check_graphs(doc.get("graphs"), n, bad)
    landscape = _landscape(doc, settings, names, n, final_params, bad)
    if "module" in doc and not _is_module(doc["config"]):
        raise bad('"module" belongs to a trace of a recorded module (config.model.kind "module")')
    views = check_views(doc, len(names), n, bad)
    _check_header_size(doc["config"], versions, status, graphs, bad, doc.get("landscape"), doc.get("module"))
    if names:
        return dict(config=doc["config"], versions=versions, x=x, y=y, steps=steps, status=status,
                    settings=settings, graphs=graphs, param_names=names, final_params=final_params,
                    landscape=landscape, module_views=views)
    return dict(config=doc["config"], versions=versions,
                x=x, y=y, steps=steps, final_a=float(fa), final_b=float(fb), status=status, settings=settings,
                graphs=graphs)


def _is_module(config: dict) -> bool:
    """A recording of a user's own module (training.loop_recorder): its names are its own."""
    model = config.get("model")
    return isinstance(model, dict) and model.get("kind") == MODULE_KIND


def _landscape(doc: dict, settings: TrainConfig, names: tuple, n_steps: int, final_params, bad: Bad):
    """The stored loss landscape (training.landscape_io), checked against the trace; None when
    absent. Only a model of more than 2 parameters has one."""
    if "landscape" not in doc:
        return None
    if len(names) <= 2:
        raise bad("a landscape belongs to a model of more than 2 parameters; "
                  f"this trace's {settings.model} has {len(names) or 2} (its plane is exact)")
    try:
        return landscape_from_dict(doc["landscape"], len(names), n_steps, final_params)
    except InputError as e:
        raise bad(str(e)) from None


def _check_header_size(config: dict, versions: dict, status: TraceStatus, graphs: list, bad: Bad,
                       landscape: Any = None, module: Any = None) -> None:
    """What a loaded trace holds besides its columns fits the binary trace's header (the
    cache's format reads at most MAX_HEADER_BYTES), so every trace that loads can be written as
    a binary trace and read back. (A 17 MB string in "config" loaded, and its binary did not.)
    The graphs ride in that header too (training/tracebin.py)."""
    text = json.dumps({"config": config, "versions": versions, "status": status.to_dict(), "graphs": graphs,
                       "landscape": landscape, "module": module}, allow_nan=False)
    if len(text) > MAX_HEADER_BYTES - _HEADER_ROOM:
        parts = '"config", "versions", "status", "graphs" and "landscape"' if landscape is not None \
            else '"config", "versions", "status" and "graphs"'
        raise bad(f'{parts} take {len(text):,} bytes written out; '
                  f"at most {MAX_HEADER_BYTES - _HEADER_ROOM:,} are allowed")


_HEADER_ROOM = 1 << 16  # the rest of a binary header: the columns' list, "final", n_steps


def _steps(raw_steps: dict, n_points: int, bad: Bad, n_params: int = 0) -> dict[str, Any]:
    """The step columns: each of its kind, all of one length, the rows of equal lengths and
    every sample index inside the data. ``n_params``: a schema-2 trace's P (0: schema 1)."""
    steps: dict[str, Any] = {}
    for col in STEP_INT_COLUMNS:
        steps[col] = _int_array(raw_steps.get(col), f"steps.{col}", bad)
    for col in (STEP2_FLOAT_COLUMNS if n_params else STEP_FLOAT_COLUMNS):
        steps[col] = _float_array(raw_steps.get(col), f"steps.{col}", bad)
    optional = [col for col in STEP_OPTIONAL_COLUMNS if col in raw_steps] if not n_params else []
    if optional and len(optional) != len(STEP_OPTIONAL_COLUMNS):  # the binary trace holds both or neither
        raise bad(f"{' and '.join('steps.' + c for c in STEP_OPTIONAL_COLUMNS)} go together; "
                  f"this trace has only steps.{optional[0]}")
    for col in optional:
        steps[col] = _float_array(raw_steps[col], f"steps.{col}", bad)
    if n_params:
        steps.update(param_columns(raw_steps, n_params, bad))
    if LR_COLUMN in raw_steps:  # a recording of a user's loop: each step's learning rate
        steps[LR_COLUMN] = _float_array(raw_steps[LR_COLUMN], f"steps.{LR_COLUMN}", bad)
    for col in STEP_RAGGED_COLUMNS:
        steps[col] = _ragged(raw_steps.get(col), f"steps.{col}", bad)
    lengths = {col: len(v) for col, v in steps.items()}
    if len(set(lengths.values())) != 1:
        raise bad("step columns have different lengths: "
                  + ", ".join(f"{c}={n}" for c, n in lengths.items()))
    indices = steps["indices"]
    offsets = indices.offsets  # equal offsets: equal row lengths (no per-step arrays built)
    unequal = [steps[c].offsets for c in STEP_RAGGED_COLUMNS[1:] if not np.array_equal(steps[c].offsets, offsets)]
    empty = np.flatnonzero(offsets[1:] == offsets[:-1])
    if unequal or len(empty):
        first = [int(np.argmax(o != offsets)) - 1 for o in unequal] + [int(e) for e in empty[:1]]
        raise bad(f"step {min(first)}: indices, pred and residual must be non-empty and of equal length")
    values = indices.values
    if len(values) and (values.min() < 0 or values.max() >= n_points):
        where = int(np.argmax((values < 0) | (values >= n_points)))
        i = int(np.searchsorted(offsets, where, side="right")) - 1
        raise bad(f"step {i}: a sample index is outside the data (0..{n_points - 1})")
    for col in STEP_RAGGED_COLUMNS[1:]:  # equal row lengths: one offsets array for all three
        steps[col] = Ragged(steps[col].values, indices.offsets)
    return steps


def _status(st: dict, n: int, bad: Bad) -> TraceStatus:
    state = st.get("state")
    if state == "completed":
        status = TraceStatus()
    elif state in ("diverged", "stopped"):
        k = st.get("step")
        if not isinstance(k, int) or isinstance(k, bool) or k != n:
            raise bad(f"a {state} trace must name the step it stopped at ({n}), got {shown(k)}")
        status = TraceStatus(state, k, str(st.get("reason", "")))
    else:
        raise bad(f"status must be completed, diverged or stopped, got {shown(state)}")
    if n == 0 and status.state == "completed":
        raise bad("a completed trace must hold at least one step")
    return status


def _depth(value: Any) -> int:
    """How deeply lists and dicts nest in ``value`` (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            v = list(v.values())
        if isinstance(v, list):
            deepest = max(deepest, d)
            stack.extend((item, d + 1) for item in v)
    return deepest


def settings_of(config: dict, steps: dict, bad: Bad) -> TrainConfig:
    """``config`` typed; epochs and batch size it lacks are read off the steps."""
    epochs = int(steps["epoch"].max()) + 1 if len(steps["epoch"]) else 1
    indices = steps["indices"]
    batch = (indices.max_len if isinstance(indices, Ragged) else max(map(len, indices), default=0)) or 1
    return settings_from_config(config, epochs_seen=epochs, batch_size_seen=batch, bad=bad)


# ---------------------------------------------------------------------------- the columns
# Each check is the same for a list from json.loads and for the streaming parser's column
# (which met the elements a chunk at a time).
def _too_many_steps(what: str) -> str:
    return f"{what} has more than {MAX_STEPS:,} steps; sgd-anim records at most {MAX_STEPS:,}"


def _too_many_samples(what: str) -> str:
    return f"{what} holds more than {MAX_SAMPLES:,} samples in all; sgd-anim records at most {MAX_SAMPLES:,}"


def data_column(what: str = "data") -> Floats:
    """An empty column for ``data.x`` or ``data.y``, capped at MAX_POINTS."""
    return Floats(MAX_POINTS, f"{what} has more than {MAX_POINTS:,} points; at most {MAX_POINTS:,} are read")


def step_column(col: str) -> Column:
    """An empty column for ``steps.<col>``, of its kind, capped at MAX_STEPS (and MAX_SAMPLES)."""
    what = f"steps.{col}"
    if col in PARAM_COLUMNS or col in PARAM_OPTIONAL_COLUMNS:
        return param_column()
    if col in STEP_INT_COLUMNS:
        return Ints(MAX_STEPS, _too_many_steps(what))
    if col in STEP_RAGGED_COLUMNS:
        return Rows(col == "indices", MAX_STEPS, _too_many_steps(what), MAX_SAMPLES, _too_many_samples(what))
    return Floats(MAX_STEPS, _too_many_steps(what))


def binary_columns(doc: dict) -> dict:
    """A binary trace's arrays as the columns :func:`check_document` checks (the same checks as
    JSON's). A parameter column stays one flat array: it is cut into rows of P numbers when
    the names are known (:mod:`training.traceparams`)."""
    data, steps = doc["data"], doc["steps"]
    for key in ("x", "y"):
        column = data_column(f"data.{key}")
        column.add_array(data[key])
        data[key] = column
    lengths = steps.pop("lengths")
    for col, arr in list(steps.items()):
        if col in PARAM_COLUMNS or col in PARAM_OPTIONAL_COLUMNS:
            continue
        column = step_column(col)
        if col in STEP_RAGGED_COLUMNS:
            column.add_arrays(arr, lengths)
        else:
            column.add_array(arr)
        steps[col] = column
    return doc


def _column(value: Any, make: Callable[[], Column], bad: Bad, not_a_list: str) -> Column:
    if isinstance(value, Column):
        return value
    if not isinstance(value, list):
        raise bad(not_a_list)
    column = make()
    column.add(value)
    return column


def _float_array(value: Any, what: str, bad: Bad) -> np.ndarray:
    make = (lambda: data_column(what)) if what.startswith("data.") else (lambda: step_column(what[6:]))
    return _column(value, make, bad, f"{what} must be a list of numbers").result(what, bad)


def _int_array(value: Any, what: str, bad: Bad) -> np.ndarray:
    column = _column(value, lambda: step_column(what[6:]), bad, f"{what} must be a list of whole numbers")
    return column.result(what, bad)


def _ragged(value: Any, what: str, bad: Bad) -> Ragged:
    return _column(value, lambda: step_column(what[6:]), bad,
                   f"{what} must be a list with one list per step").result(what, bad)
