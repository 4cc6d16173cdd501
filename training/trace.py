"""The Trace: the versioned, column-wise JSON file that every later stage reads.

This module must not import torch: re-rendering a saved trace runs without it.
Loading validates everything and never executes code (plain ``json`` only).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from training.atomic import atomic_path
from training.config import TrainConfig
from training.errors import InputError
from training.recorded import settings_from_config

__all__ = ["SCHEMA_VERSION", "STEP_FLOAT_COLUMNS", "Trace", "TraceStatus", "mse_at", "full_gradient_at"]

SCHEMA_VERSION = 1

# Per-step scalar columns, all the same length (one entry per optimizer step).
STEP_INT_COLUMNS = ("epoch", "batch")
STEP_FLOAT_COLUMNS = ("a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b")
# Optional per-step columns: optimizer state after the step, present when the optimizer has it
# (SGD momentum buffer, Adam's first moment).
STEP_OPTIONAL_COLUMNS = ("velocity_a", "velocity_b")
# Per-step, per-sample columns: one list per step, as long as that step's batch.
STEP_RAGGED_COLUMNS = ("indices", "pred", "residual")

MAX_TRACE_BYTES = 2_000_000_000
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
    """A recorded SGD run. Scalar step columns are float64/int64 numpy arrays.

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
        def dump(value: Any) -> str:
            return json.dumps(_plain(value), allow_nan=False, separators=(", ", ": "))

        steps = self.steps
        names = [*STEP_INT_COLUMNS, *STEP_FLOAT_COLUMNS,
                 *(c for c in STEP_OPTIONAL_COLUMNS if c in steps), *STEP_RAGGED_COLUMNS]
        step_lines = ",\n".join(f'    "{n}": {dump(steps[n])}' for n in names)
        config = json.dumps(_plain(self.config), indent=2, sort_keys=True, allow_nan=False)
        versions = json.dumps(self.versions, sort_keys=True)
        return (
            "{\n"
            f'  "schema_version": {SCHEMA_VERSION},\n'
            f'  "config": {_indent(config, 2)},\n'
            f'  "versions": {versions},\n'
            f'  "status": {json.dumps(self.status.to_dict())},\n'
            f'  "final": {dump({"a": self.final_a, "b": self.final_b})},\n'
            f'  "n_steps": {self.n_steps},\n'
            f'  "data": {{\n    "x": {dump(self.x)},\n    "y": {dump(self.y)}\n  }},\n'
            f'  "steps": {{\n{step_lines}\n  }}\n'
            "}\n"
        )

    def to_file(self, path: str | Path) -> Path:
        """Write atomically: a temporary file in the same folder, renamed at the end."""
        with atomic_path(path) as tmp:
            tmp.write_text(self.to_json(), encoding="utf-8")
        return Path(path)

    # ----------------------------------------------------------------- reading
    @classmethod
    def from_file(cls, path: str | Path) -> "Trace":
        p = Path(path)
        if not p.exists():
            raise InputError(f"trace file {path} does not exist")
        if p.is_dir():
            raise InputError(f"trace file {path} is a directory, not a trace.json file")
        if p.stat().st_size > MAX_TRACE_BYTES:
            raise InputError(f"trace file {path} is too large to be a trace")
        try:
            raw = p.read_bytes()
        except OSError as e:
            raise InputError(f"trace file {path} cannot be read: {e.strerror}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"trace file {path} is not JSON text (binary data; pickles are never loaded)") from None
        return cls.from_json(text, str(path))

    @classmethod
    def from_json(cls, text: str, name: str = "trace") -> "Trace":
        try:
            doc = json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as e:
            raise InputError(f"trace file {name} is not valid JSON (line {e.lineno}: {e.msg}); it may be truncated") from None
        except ValueError as e:
            raise InputError(f"trace file {name}: {e}") from None
        except RecursionError:
            raise InputError(f"trace file {name} is nested too deeply to be a trace") from None
        return cls.from_dict(doc, name)

    @classmethod
    def from_dict(cls, doc: Any, name: str = "trace") -> "Trace":
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
        sizes = [list(map(len, steps[col])) for col in STEP_RAGGED_COLUMNS]
        if sizes[0] != sizes[1] or sizes[0] != sizes[2] or 0 in sizes[0]:
            i = next(i for i, (a, b, c) in enumerate(zip(*sizes)) if not (a == b == c) or not a)
            raise bad(f"step {i}: indices, pred and residual must be non-empty and of equal length")
        flat = list(chain.from_iterable(steps["indices"]))
        if flat and (min(flat) < 0 or max(flat) >= len(x)):
            i = next(i for i, idx in enumerate(steps["indices"]) if min(idx) < 0 or max(idx) >= len(x))
            raise bad(f"step {i}: a sample index is outside the data (0..{len(x) - 1})")

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
        return self.to_json() == other.to_json()


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
    batch = max(map(len, steps["indices"]), default=1)
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


def _refuse_constant(token: str) -> float:
    raise ValueError(f"non-finite number {token} is not allowed")


def _numbers_only(values: list, integer: bool) -> bool:
    """True when every value is a JSON number (ints only when ``integer``): no str, bool, null, list."""
    for t in set(map(type, values)):
        if t is bool or not issubclass(t, int if integer else (int, float)):
            return False
    return True


def _finite_number(v: Any) -> bool:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(v) and abs(v) <= FLOAT32_MAX
    except OverflowError:  # an integer too large for a float
        return False


def _float_array(value: Any, what: str, bad) -> np.ndarray:
    if not isinstance(value, list):
        raise bad(f"{what} must be a list of numbers")
    if not _numbers_only(value, integer=False):
        raise bad(f"{what} must be a flat list of numbers (no strings, booleans, null or nested lists)")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except OverflowError:
        raise bad(f"{what} holds a value that is not a finite number") from None
    if not np.all(np.abs(arr) <= FLOAT32_MAX):  # also false for inf and nan
        raise bad(f"{what} holds a value that is not a finite number (within +-3.4e38)")
    return arr


def _int_array(value: Any, what: str, bad) -> np.ndarray:
    if not isinstance(value, list) or not _numbers_only(value, integer=True):
        raise bad(f"{what} must be a list of whole numbers")
    try:
        return np.asarray(value, dtype=np.int64)
    except OverflowError:
        raise bad(f"{what} holds a number that is out of range") from None


def _ragged(value: Any, what: str, bad, integer: bool) -> list:
    if not isinstance(value, list):
        raise bad(f"{what} must be a list with one list per step")
    if not set(map(type, value)) <= {list}:
        raise bad(f"{what} must hold one list of numbers per step")
    flat = list(chain.from_iterable(value))
    if not _numbers_only(flat, integer=False):
        raise bad(f"{what} must hold one list of numbers per step")
    if integer:
        if not _numbers_only(flat, integer=True):
            raise bad(f"{what} must hold whole numbers")
    else:
        try:
            finite = bool(np.all(np.abs(np.asarray(flat, dtype=np.float64)) <= FLOAT32_MAX))
        except OverflowError:
            finite = False
        if not finite:
            raise bad(f"{what} holds a value that is not a finite number")
    return list(value)


def _plain(value: Any) -> Any:
    """numpy arrays and scalars to plain Python, so json writes them exactly (repr of float64)."""
    if isinstance(value, np.ndarray):
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
