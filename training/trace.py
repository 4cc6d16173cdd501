"""The Trace: the versioned, column-wise JSON file that every later stage reads.

This module must not import torch: re-rendering a saved trace runs without it.
Loading validates everything and never executes code (plain ``json`` only).

Memory does not grow with the file's text: a trace.json is written and parsed a piece at a
time (:mod:`training.tracejson`), straight from and into numpy arrays, and a loaded trace
holds at most MAX_STEPS steps and MAX_SAMPLES samples, whatever the file. Every file is read
through :mod:`training.files` (a regular file, at most MAX_TRACE_BYTES). The compact binary
trace (``*.sgdtrace``, :mod:`training.tracebin`) holds the same content.
"""
from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from training import tracebin, tracejson
from training.atomic import atomic_path
from training.config import MAX_SAMPLES, MAX_STEPS, TrainConfig
from training.data import MAX_POINTS
from training.errors import InputError
from training.files import open_limited
from training.ragged import Ragged
from training.recorded import settings_from_config

__all__ = ["SCHEMA_VERSION", "STEP_FLOAT_COLUMNS", "STEP_RAGGED_COLUMNS", "MAX_TRACE_BYTES", "Ragged", "Trace",
           "TraceStatus", "mse_at", "full_gradient_at"]

SCHEMA_VERSION = 1

# Per-step scalar columns, all the same length (one entry per optimizer step).
STEP_INT_COLUMNS = ("epoch", "batch")
STEP_FLOAT_COLUMNS = ("a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b")
# Optional per-step columns: optimizer state after the step, present when the optimizer has it
# (SGD momentum buffer, Adam's first moment).
STEP_OPTIONAL_COLUMNS = ("velocity_a", "velocity_b")
# Per-step, per-sample columns: one row per step, as long as that step's batch. Held as a
# Ragged (flat values + offsets); read like a list of lists.
STEP_RAGGED_COLUMNS = ("indices", "pred", "residual")

# The largest trace.json the recorder can write: at most MAX_STEPS steps of 14 numbers and
# MAX_SAMPLES samples of 3, each number at most 26 characters with its separator. A larger
# file cannot be a trace; the limit bounds how long reading one takes (memory is bounded by the
# steps and samples a trace may hold, whatever the file's size).
MAX_TRACE_BYTES = 26 * (14 * MAX_STEPS + 3 * MAX_SAMPLES) + 64 * MAX_STEPS + 26 * 2 * MAX_POINTS + 64_000_000
MAX_NESTING = 32  # lists/objects inside "config" and "versions"
# Every float a recorder writes came out of float32 training; larger values only come from
# hand-edited files, and overflow the renderers' arithmetic (contours, log axes).
FLOAT32_MAX = 3.4028234663852886e38


@dataclass(frozen=True)
class TraceStatus:
    """``completed``, or ``diverged`` at step ``step`` (that step was not recorded)."""

    state: str = "completed"
    step: int | None = None
    reason: str = ""

    @property
    def diverged(self) -> bool:
        return self.state == "diverged"

    def to_dict(self) -> dict:
        if not self.diverged:
            return {"state": "completed"}
        return {"state": "diverged", "step": self.step, "reason": self.reason}


@dataclass
class Trace:
    """A recorded SGD run. Scalar step columns are float64/int64 numpy arrays; the per-sample
    columns (indices, pred, residual) are :class:`Ragged` rows (one per step) that share one
    offsets array. About 8 bytes a number, whether recorded or loaded.

    ``config`` is the section as stored (unknown keys kept, so a file round-trips);
    ``settings`` is that section typed and validated, and the only one later stages read.
    """

    config: dict
    versions: dict
    x: np.ndarray
    y: np.ndarray
    steps: dict[str, Any]
    final_a: float
    final_b: float
    status: TraceStatus = field(default_factory=TraceStatus)
    settings: TrainConfig = field(default=None, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        lists = [c for c in STEP_RAGGED_COLUMNS if c in self.steps and not isinstance(self.steps[c], Ragged)]
        if lists:  # lists of lists (a trace built by hand) become Ragged; the caller's dict is left alone
            rows = {c: Ragged.from_rows(self.steps[c], np.int64 if c == "indices" else np.float64) for c in lists}
            self.steps = {**self.steps, **rows}
        if self.settings is None:
            self.settings = _settings_of(self.config, self.steps, lambda m: InputError(f"trace: {m}"))

    # ----------------------------------------------------------------- queries
    @property
    def n_steps(self) -> int:
        return len(self.steps["a"])

    @property
    def has_velocity(self) -> bool:
        return "velocity_a" in self.steps

    @property
    def a_after(self) -> np.ndarray:
        """a after each step: the next step's a, and ``final_a`` after the last."""
        return np.append(self.steps["a"][1:], self.final_a)

    @property
    def b_after(self) -> np.ndarray:
        return np.append(self.steps["b"][1:], self.final_b)

    def full_loss_at(self, a: float | np.ndarray, b: float | np.ndarray) -> np.ndarray:
        """MSE over the whole data set at (a, b), in float64, vectorised over a and b."""
        return mse_at(a, b, self.x, self.y)

    @property
    def final_full_loss(self) -> float:
        return float(self.full_loss_at(self.final_a, self.final_b))

    # ----------------------------------------------------------------- writing
    def to_json(self) -> str:
        """Readable JSON: sections indented, each column on one line. Deterministic."""
        return "".join(self.json_parts())

    def json_parts(self) -> Iterator[str]:
        """The text of :meth:`to_json` in pieces of a few megabytes at most (a long column is
        written a slice at a time), so that writing a large trace never holds its text whole."""
        def dump(value: Any) -> str:
            return json.dumps(_plain(value), allow_nan=False, separators=(", ", ": "))

        steps = self.steps
        names = [*STEP_INT_COLUMNS, *STEP_FLOAT_COLUMNS,
                 *(c for c in STEP_OPTIONAL_COLUMNS if c in steps), *STEP_RAGGED_COLUMNS]
        config = json.dumps(_plain(self.config), indent=2, sort_keys=True, allow_nan=False)
        versions = json.dumps(self.versions, sort_keys=True)
        yield (
            "{\n"
            f'  "schema_version": {SCHEMA_VERSION},\n'
            f'  "config": {_indent(config, 2)},\n'
            f'  "versions": {versions},\n'
            f'  "status": {json.dumps(self.status.to_dict())},\n'
            f'  "final": {dump({"a": self.final_a, "b": self.final_b})},\n'
            f'  "n_steps": {self.n_steps},\n'
            '  "data": {\n    "x": '
        )
        yield from tracejson.column_parts(self.x)
        yield ',\n    "y": '
        yield from tracejson.column_parts(self.y)
        yield "\n  },\n  \"steps\": {\n"
        for i, n in enumerate(names):
            yield (",\n" if i else "") + f'    "{n}": '
            yield from tracejson.column_parts(steps[n])
        yield "\n  }\n}\n"

    def to_file(self, path: str | Path) -> Path:
        """Write atomically: a temporary file in the same folder, renamed at the end.

        ``*.sgdtrace`` is the compact binary trace (:mod:`training.tracebin`); any other name
        gets the JSON text, written a piece at a time (see :meth:`json_parts`)."""
        with atomic_path(path) as tmp:
            if Path(path).suffix == tracebin.SUFFIX:
                with open(tmp, "wb") as f:
                    self._write_binary(f)
            else:
                with open(tmp, "w", encoding="utf-8") as f:
                    for part in self.json_parts():
                        f.write(part)
        return Path(path)

    def _write_binary(self, f) -> None:
        indices = self.steps["indices"]
        header = {"schema_version": SCHEMA_VERSION, "config": _plain(self.config), "versions": self.versions,
                  "status": self.status.to_dict(), "final": {"a": float(self.final_a), "b": float(self.final_b)},
                  "n_steps": self.n_steps}
        arrays = {"data.x": self.x, "data.y": self.y, "steps.lengths": indices.lengths}
        for col in _STEP_COLUMNS:
            if col in self.steps:
                value = self.steps[col]
                arrays[f"steps.{col}"] = value.values if isinstance(value, Ragged) else value
        layout = _binary_layout(self.has_velocity)
        tracebin.write_binary(f, header, [(name, np.asarray(arrays[name])) for name, _, _ in layout])

    # ----------------------------------------------------------------- reading
    @classmethod
    def from_file(cls, path: str | Path) -> "Trace":
        """Load a trace.json (read a chunk at a time) or a binary ``*.sgdtrace`` (told apart by
        its first bytes, whatever the name), at most :data:`MAX_TRACE_BYTES`. Only a regular
        file is read: a device, a pipe or a socket is refused at once."""
        name = str(path)
        with open_limited(path, what="trace file", limit=MAX_TRACE_BYTES, pipes=False) as f:
            head = f.read(len(tracebin.MAGIC))
            if head == tracebin.MAGIC:
                doc = tracebin.read_binary(f, name, f.size, _binary_layout, _BINARY_LIMITS)
                return cls.from_dict(_binary_columns(doc), name)
            pending = [head] if head else []

            def read(n: int) -> bytes:  # the bytes looked at first come back with the first chunk
                return pending.pop() + f.read(n) if pending else f.read(n)
            doc = _parse(read, name)
        return cls.from_dict(doc, name)

    @classmethod
    def from_json(cls, text: str, name: str = "trace") -> "Trace":
        raw = io.BytesIO(text.encode("utf-8", "surrogatepass"))
        return cls.from_dict(_parse(raw.read, name), name)

    @classmethod
    def from_dict(cls, doc: Any, name: str = "trace") -> "Trace":
        """A trace from a parsed document: plain lists (``json.loads``) or the streaming
        parser's columns. Everything is checked; every problem is a one-line InputError."""
        def bad(msg: str) -> InputError:
            return InputError(f"trace file {name}: {msg}")

        if not isinstance(doc, dict):
            raise bad("the top level must be a JSON object")
        version = doc.get("schema_version")
        if version != SCHEMA_VERSION:
            raise bad(f"schema_version {version!r} is not supported; this sgd-anim reads version {SCHEMA_VERSION}")
        for key in ("config", "data", "steps", "final", "status"):
            if not isinstance(doc.get(key), dict):
                raise bad(f'missing or malformed section "{key}"')
        x = _float_array(doc["data"].get("x"), "data.x", bad)
        y = _float_array(doc["data"].get("y"), "data.y", bad)
        if len(x) != len(y) or len(x) < 2:
            raise bad(f"data.x and data.y must have the same length (at least 2), got {len(x)} and {len(y)}")

        raw_steps = doc["steps"]
        steps: dict[str, Any] = {}
        for col in STEP_INT_COLUMNS:
            steps[col] = _int_array(raw_steps.get(col), f"steps.{col}", bad)
        for col in STEP_FLOAT_COLUMNS:
            steps[col] = _float_array(raw_steps.get(col), f"steps.{col}", bad)
        for col in STEP_OPTIONAL_COLUMNS:
            if col in raw_steps:
                steps[col] = _float_array(raw_steps[col], f"steps.{col}", bad)
        for col in STEP_RAGGED_COLUMNS:
            steps[col] = _ragged(raw_steps.get(col), f"steps.{col}", bad, integer=(col == "indices"))
        lengths = {col: len(v) for col, v in steps.items()}
        if len(set(lengths.values())) != 1:
            raise bad("step columns have different lengths: "
                      + ", ".join(f"{c}={n}" for c, n in lengths.items()))
        n = len(steps["a"])
        indices = steps["indices"]
        offsets = indices.offsets  # equal offsets: equal row lengths (no per-step arrays built)
        unequal = [steps[c].offsets for c in STEP_RAGGED_COLUMNS[1:] if not np.array_equal(steps[c].offsets, offsets)]
        empty = np.flatnonzero(offsets[1:] == offsets[:-1])
        if unequal or len(empty):
            first = [int(np.argmax(o != offsets)) - 1 for o in unequal] + [int(e) for e in empty[:1]]
            raise bad(f"step {min(first)}: indices, pred and residual must be non-empty and of equal length")
        values = indices.values
        if len(values) and (values.min() < 0 or values.max() >= len(x)):
            where = int(np.argmax((values < 0) | (values >= len(x))))
            i = int(np.searchsorted(offsets, where, side="right")) - 1
            raise bad(f"step {i}: a sample index is outside the data (0..{len(x) - 1})")
        for col in STEP_RAGGED_COLUMNS[1:]:  # equal row lengths: one offsets array for all three
            steps[col] = Ragged(steps[col].values, indices.offsets)

        final = doc["final"]
        fa, fb = final.get("a"), final.get("b")
        if not (_finite_number(fa) and _finite_number(fb)):
            raise bad('"final" must hold finite numbers a and b')
        st = doc["status"]
        state = st.get("state")
        if state == "completed":
            status = TraceStatus()
        elif state == "diverged":
            k = st.get("step")
            if not isinstance(k, int) or isinstance(k, bool) or k != n:
                raise bad(f"a diverged trace must name the step it stopped at ({n}), got {k!r}")
            status = TraceStatus("diverged", k, str(st.get("reason", "")))
        else:
            raise bad(f"status must be completed or diverged, got {state!r}")
        if n == 0 and not status.diverged:
            raise bad("a completed trace must hold at least one step")
        versions = doc.get("versions", {})
        for key, value in (("config", doc["config"]), ("versions", versions)):
            if _depth(value) > MAX_NESTING:  # json.loads takes ~1000 levels; writing it back would not
                raise bad(f'"{key}" is nested more than {MAX_NESTING} levels deep')
        settings = _settings_of(doc["config"], steps, bad)
        return cls(config=doc["config"], versions=versions if isinstance(versions, dict) else {},
                   x=x, y=y, steps=steps, final_a=float(fa), final_b=float(fb), status=status,
                   settings=settings)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        # The same JSON text; compared a piece at a time (both sides cut it the same way).
        return all(a == b for a, b in zip_longest(self.json_parts(), other.json_parts()))


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


def _settings_of(config: dict, steps: dict, bad) -> TrainConfig:
    """``config`` typed; epochs and batch size it lacks are read off the steps."""
    epochs = int(steps["epoch"].max()) + 1 if len(steps["epoch"]) else 1
    indices = steps["indices"]
    batch = (indices.max_len if isinstance(indices, Ragged) else max(map(len, indices), default=0)) or 1
    return settings_from_config(config, epochs_seen=epochs, batch_size_seen=batch, bad=bad)


def _moments(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float, float]:
    xm, ym = float(x.mean()), float(y.mean())
    dx, dy = x - xm, y - ym
    return xm, ym, float((dx * dx).mean()), float((dy * dy).mean()), float((dx * dy).mean())


def mse_at(a, b, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Full-data MSE at (a, b), vectorised over arrays of a and b.

    From centred moments: O(len(x)) once, then O(1) per (a, b), so a loss per step of a
    100,000-step run, or a contour grid, never builds a steps x points array. Centring keeps
    the cancellation small when the loss is tiny next to x and y.
    """
    xm, ym, vxx, vyy, cxy = _moments(x, y)
    a = np.asarray(a, dtype=np.float64)
    c = a * xm + np.asarray(b, dtype=np.float64) - ym  # the mean residual
    return np.maximum(a * a * vxx - 2 * a * cxy + vyy + c * c, 0.0)


def full_gradient_at(a, b, x: np.ndarray, y: np.ndarray):
    """dL/da and dL/db of the full-data MSE, vectorised like :func:`mse_at` (floats for scalars)."""
    xm, ym, vxx, _, cxy = _moments(x, y)
    a = np.asarray(a, dtype=np.float64)
    c = a * xm + np.asarray(b, dtype=np.float64) - ym
    ga, gb = 2 * (a * vxx - cxy) + 2 * xm * c, 2 * c
    return (float(ga), float(gb)) if np.ndim(ga) == 0 else (ga, gb)


def _finite_number(v: Any) -> bool:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(v) and abs(v) <= FLOAT32_MAX
    except OverflowError:  # an integer too large for a float
        return False


# The columns a trace may hold: each check is the same for a list from json.loads and for the
# streaming parser's column (which met the elements a chunk at a time). The caps bound the
# memory a loaded trace takes, whatever the size of the file.
def _too_many_steps(what: str) -> str:
    return f"{what} has more than {MAX_STEPS:,} steps; sgd-anim records at most {MAX_STEPS:,}"


def _too_many_samples(what: str) -> str:
    return f"{what} holds more than {MAX_SAMPLES:,} samples in all; sgd-anim records at most {MAX_SAMPLES:,}"


def _data_column(what: str = "data") -> tracejson.Floats:
    return tracejson.Floats(MAX_POINTS, f"{what} has more than {MAX_POINTS:,} points; at most {MAX_POINTS:,} are read")


def _step_column(col: str) -> tracejson._Column:
    what = f"steps.{col}"
    if col in STEP_INT_COLUMNS:
        return tracejson.Ints(MAX_STEPS, _too_many_steps(what))
    if col in STEP_RAGGED_COLUMNS:
        return tracejson.Rows(col == "indices", MAX_STEPS, _too_many_steps(what), MAX_SAMPLES, _too_many_samples(what))
    return tracejson.Floats(MAX_STEPS, _too_many_steps(what))


_STEP_COLUMNS = (*STEP_INT_COLUMNS, *STEP_FLOAT_COLUMNS, *STEP_OPTIONAL_COLUMNS, *STEP_RAGGED_COLUMNS)


def _parse(read, name: str) -> Any:
    """The streaming parse: a dict as json.loads gives, the big arrays as column objects."""
    return tracejson.parse_json(read, name, {c: (lambda c=c: _step_column(c)) for c in _STEP_COLUMNS},
                                {"x": lambda: _data_column("data.x"), "y": lambda: _data_column("data.y")})


def _binary_layout(has_velocity: bool) -> list:
    return tracebin._layout(STEP_INT_COLUMNS, STEP_FLOAT_COLUMNS, STEP_OPTIONAL_COLUMNS, STEP_RAGGED_COLUMNS,
                            has_velocity)


_BINARY_LIMITS = {"points": MAX_POINTS, "steps": MAX_STEPS, "samples": MAX_SAMPLES}


def _binary_columns(doc: dict) -> dict:
    """A binary trace's arrays as the columns from_dict checks (the same checks as JSON's)."""
    data, steps = doc["data"], doc["steps"]
    for key in ("x", "y"):
        column = _data_column(f"data.{key}")
        column.add_array(data[key])
        data[key] = column
    lengths = steps.pop("lengths")
    for col, arr in list(steps.items()):
        column = _step_column(col)
        if col in STEP_RAGGED_COLUMNS:
            column.add_arrays(arr, lengths)
        else:
            column.add_array(arr)
        steps[col] = column
    return doc


def _column(value: Any, make, bad, not_a_list: str):
    if isinstance(value, tracejson._Column):
        return value
    if not isinstance(value, list):
        raise bad(not_a_list)
    column = make()
    column.add(value)
    return column


def _float_array(value: Any, what: str, bad) -> np.ndarray:
    make = (lambda: _data_column(what)) if what.startswith("data.") else (lambda: _step_column(what[6:]))
    return _column(value, make, bad, f"{what} must be a list of numbers").result(what, bad)


def _int_array(value: Any, what: str, bad) -> np.ndarray:
    column = _column(value, lambda: _step_column(what[6:]), bad, f"{what} must be a list of whole numbers")
    return column.result(what, bad)


def _ragged(value: Any, what: str, bad, integer: bool) -> Ragged:
    return _column(value, lambda: _step_column(what[6:]), bad,
                   f"{what} must be a list with one list per step").result(what, bad)


def _plain(value: Any) -> Any:
    """numpy arrays and scalars to plain Python, so json writes them exactly (repr of float64)."""
    if isinstance(value, (np.ndarray, Ragged)):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return text.replace("\n", "\n" + pad)
