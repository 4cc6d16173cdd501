"""The Trace: the versioned, column-wise JSON file that every later stage reads.

This module must not import torch: re-rendering a saved trace runs without it.
Loading validates everything and never executes code (plain ``json`` only).

Memory does not grow with the file's text: a trace.json is written and parsed a piece at a
time, straight from and into numpy arrays, and a loaded trace holds at most MAX_STEPS steps
and MAX_SAMPLES samples, whatever the file. Every file is read through :mod:`training.files`
(a regular file, at most MAX_TRACE_BYTES). The compact binary trace (``*.sgdtrace``) holds
the same content. The work is shared out, one job a module:

- :mod:`training.traceschema`: the columns, the status and the size caps;
- :mod:`training.tracejson`: the JSON reader; :mod:`training.tracedump`: the JSON writer;
- :mod:`training.tracebin`: the binary format, read and written;
- :mod:`training.tracecolumns` and :mod:`training.tracevalidate`: the checks;
- :mod:`training.ragged`: the per-sample rows; :mod:`training.linear_model`: the loss maths.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from training import tracebin, tracedump, tracejson, tracevalidate
from training.atomic import atomic_path
from training.config import MAX_SAMPLES, MAX_STEPS, TrainConfig
from training.data import MAX_POINTS
from training.errors import InputError
from training.files import display_name, open_limited
from training.linear_model import full_gradient_at, mse_at
from training.ragged import Ragged
from training.traceschema import (MAX_TRACE_BYTES, SCHEMA_VERSION, STEP_COLUMNS, STEP_FLOAT_COLUMNS,
                                  STEP_INT_COLUMNS, STEP_OPTIONAL_COLUMNS, STEP_RAGGED_COLUMNS, TraceStatus)

# Importers take the schema's names, TraceStatus, Ragged and the loss maths from here too.
__all__ = ["SCHEMA_VERSION", "STEP_FLOAT_COLUMNS", "STEP_RAGGED_COLUMNS", "MAX_TRACE_BYTES", "Ragged", "Trace",
           "TraceStatus", "mse_at", "full_gradient_at"]


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
    # The autograd graphs of the chosen steps (issue 22), each in its JSON form (checked and
    # written by training.tracegraphs): {"step": k, "grouped": false, "nodes": [{"id", "op",
    # "label", "value", "grad", "param"?}], "edges": [[from, to], ...], "edge_grads": [...]}.
    graphs: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        lists = [c for c in STEP_RAGGED_COLUMNS if c in self.steps and not isinstance(self.steps[c], Ragged)]
        if lists:  # lists of lists (a trace built by hand) become Ragged; the caller's dict is left alone
            rows = {c: Ragged.from_rows(self.steps[c], np.int64 if c == "indices" else np.float64) for c in lists}
            self.steps = {**self.steps, **rows}
        if self.settings is None:
            self.settings = tracevalidate.settings_of(self.config, self.steps, lambda m: InputError(f"trace: {m}"))

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
        return tracedump.document_parts(config=self.config, versions=self.versions, status=self.status.to_dict(),
                                        final_a=self.final_a, final_b=self.final_b, n_steps=self.n_steps,
                                        x=self.x, y=self.y, steps=self.steps, graphs=self.graphs)

    def to_file(self, path: str | Path) -> Path:
        """Write atomically: a temporary file in the same folder, renamed at the end.

        ``*.sgdtrace`` is the compact binary trace (:mod:`training.tracebin`); any other name
        gets the JSON text, written a piece at a time (see :meth:`json_parts`)."""
        with atomic_path(path) as tmp:
            if Path(path).suffix == tracebin.SUFFIX:
                with open(tmp, "wb") as f:
                    self.write_binary(f)
            else:
                with open(tmp, "w", encoding="utf-8") as f:
                    for part in self.json_parts():
                        f.write(part)
        return Path(path)

    def write_binary(self, f) -> None:
        """Write the binary trace (what :meth:`to_file` writes to a ``*.sgdtrace`` file) to
        the open binary file ``f``: a cache or a worker can keep it in memory."""
        indices = self.steps["indices"]
        header = {"schema_version": SCHEMA_VERSION, "config": tracedump.plain(self.config), "versions": self.versions,
                  "status": self.status.to_dict(), "final": {"a": float(self.final_a), "b": float(self.final_b)},
                  "n_steps": self.n_steps}
        if self.graphs:  # absent otherwise: a trace without graphs is written as before they existed
            header["graphs"] = self.graphs
        arrays = {"data.x": self.x, "data.y": self.y, "steps.lengths": indices.lengths}
        for col in STEP_COLUMNS:
            if col in self.steps:
                value = self.steps[col]
                arrays[f"steps.{col}"] = value.values if isinstance(value, Ragged) else value
        layout = _binary_layout(self.has_velocity)
        tracebin.write_binary(f, header, [(name, np.asarray(arrays[name])) for name, _, _ in layout])

    _write_binary = write_binary  # its old name, kept for code written against it

    # ----------------------------------------------------------------- reading
    @classmethod
    def from_file(cls, path: str | Path) -> "Trace":
        """Load a trace.json (read a chunk at a time) or a binary ``*.sgdtrace`` (told apart by
        its first bytes, whatever the name), at most :data:`MAX_TRACE_BYTES`. Only a regular
        file is read: a device, a pipe or a socket is refused at once."""
        name = display_name(path)
        with open_limited(path, what="trace file", limit=MAX_TRACE_BYTES, pipes=False) as f:
            head = f.read(len(tracebin.MAGIC))
            if head == tracebin.MAGIC:
                doc = tracebin.read_binary(f, name, f.size, _binary_layout, _BINARY_LIMITS)
                return cls.from_dict(tracevalidate.binary_columns(doc), name)
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
        return cls(**tracevalidate.check_document(doc, name))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        # The same JSON text; compared a piece at a time (both sides cut it the same way).
        return all(a == b for a, b in zip_longest(self.json_parts(), other.json_parts()))


def _parse(read, name: str) -> Any:
    """The streaming parse: a dict as json.loads gives, the big arrays as column objects."""
    return tracejson.parse_json(read, name, {c: (lambda c=c: tracevalidate.step_column(c)) for c in STEP_COLUMNS},
                                {"x": lambda: tracevalidate.data_column("data.x"),
                                 "y": lambda: tracevalidate.data_column("data.y")})


def _binary_layout(has_velocity: bool) -> list:
    return tracebin._layout(STEP_INT_COLUMNS, STEP_FLOAT_COLUMNS, STEP_OPTIONAL_COLUMNS, STEP_RAGGED_COLUMNS,
                            has_velocity)


_BINARY_LIMITS = {"points": MAX_POINTS, "steps": MAX_STEPS, "samples": MAX_SAMPLES}
