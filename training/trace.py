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
from training.config import MAX_PARAM_VALUES, MAX_SAMPLES, MAX_STEPS, TrainConfig
from training.data import MAX_POINTS
from training.errors import InputError
from training.files import display_name, open_limited
from training.landscape_io import landscape_to_dict
from training.models import MODULE_KIND
from training.models.module import RecordedModule
from training.module_views import views_to_dict
from training.linear_model import full_gradient_at, mse_at
from training.ragged import Ragged
from training.traceschema import (ALL_STEP_COLUMNS, MAX_TRACE_BYTES, PARAMS_SCHEMA, SCHEMA_VERSION, STEP_FLOAT_COLUMNS,
                                  STEP_RAGGED_COLUMNS, TraceStatus, step_columns)

# Importers take the schema's names, TraceStatus, Ragged and the loss maths from here too.
__all__ = ["SCHEMA_VERSION", "PARAMS_SCHEMA", "STEP_FLOAT_COLUMNS", "STEP_RAGGED_COLUMNS", "MAX_TRACE_BYTES", "Ragged", "Trace",
           "TraceStatus", "mse_at", "full_gradient_at"]


@dataclass
class Trace:
    """A recorded SGD run. Scalar step columns are float64/int64 numpy arrays; the per-sample
    columns (indices, pred, residual) are :class:`Ragged` rows (one per step) that share one
    offsets array. About 8 bytes a number, whether recorded or loaded.

    ``config`` is the section as stored (unknown keys kept, so a file round-trips);
    ``settings`` is that section typed and validated, and the only one later stages read.

    Two schemas (docs/trace-format.md). The line's (1): columns ``a``, ``b``, ``grad_a``, ...
    and ``final_a``, ``final_b``. Any other model's (2): ``param_names`` (P names), the 2-D
    columns ``params``, ``grads``, ``updates`` (and ``velocity``), each (steps, P), and
    ``final_params``. Whatever the schema, :attr:`param_names`, :attr:`params`,
    :attr:`grads`, :attr:`updates`, :attr:`velocity`, :attr:`final_params` and :attr:`model`
    give the run as a parameter vector (for the line: (a, b)).
    """

    config: dict
    versions: dict
    x: np.ndarray
    y: np.ndarray
    steps: dict[str, Any]
    final_a: float | None = None   # schema 1: the line's a and b after the last step
    final_b: float | None = None
    status: TraceStatus = field(default_factory=TraceStatus)
    settings: TrainConfig = field(default=None, compare=False)  # type: ignore[assignment]
    # The autograd graphs of the chosen steps (issue 22), each in its JSON form (checked and
    # written by training.tracegraphs): {"step": k, "grouped": false, "nodes": [{"id", "op",
    # "label", "value", "grad", "param"?}], "edges": [[from, to], ...], "edge_grads": [...]}.
    graphs: list[dict] = field(default_factory=list)
    # Schema 2: the parameters' names (training.models) and their values after the last step.
    # Filled in for a schema-1 trace too: ("a", "b") and [final_a, final_b].
    param_names: tuple[str, ...] = ()
    final_params: np.ndarray | None = None
    # Schema 2, a model of more than 2 parameters: the loss landscape computed at record time
    # (training.landscape_trace.Landscape: plane, grid, projected path, faithfulness), or None.
    landscape: Any = None
    # A user's own module (config.model.kind "module"): what its views need, sampled when it
    # was recorded (training.module_views.ModuleViews: its curve, its final loss, a 2-parameter
    # loss grid), so that re-rendering needs no torch; None for every other trace.
    module_views: Any = None

    def __post_init__(self) -> None:
        lists = [c for c in STEP_RAGGED_COLUMNS if c in self.steps and not isinstance(self.steps[c], Ragged)]
        if lists:  # lists of lists (a trace built by hand) become Ragged; the caller's dict is left alone
            rows = {c: Ragged.from_rows(self.steps[c], np.int64 if c == "indices" else np.float64) for c in lists}
            self.steps = {**self.steps, **rows}
        if self.settings is None:
            self.settings = tracevalidate.settings_of(self.config, self.steps, lambda m: InputError(f"trace: {m}"))
        self.param_names = tuple(self.param_names)
        if self.schema_version == SCHEMA_VERSION:
            self.param_names = self.param_names or ("a", "b")
            if self.final_params is None:
                self.final_params = np.array([self.final_a, self.final_b], dtype=np.float64)
        else:
            self.final_params = np.asarray(self.final_params, dtype=np.float64)

    def __repr__(self) -> str:
        """One line: the dataclass's own repr prints every column (45 kB for the article's run),
        and a notebook cell ending in ``trace`` or ``rec.trace`` (docs/usage.md) shows it."""
        names, values = self.param_names, np.asarray(self.final_params, dtype=np.float64).ravel()
        final = ", ".join(f"{n} = {v:.4g}" for n, v in zip(names[:4], values[:4])) + (", ..." if len(names) > 4 else "")
        state = self.status.state + (f" at step {self.status.step}" if self.status.step is not None else "")
        return (f"<Trace: {self.settings.model}, {self.n_steps} steps, {state}; final {final}; "
                f"{len(self.x)} points>")

    # ----------------------------------------------------------------- queries
    @property
    def schema_version(self) -> int:
        """1: the line's columns (a, b, ...); 2: a parameter vector (params, grads, updates)."""
        return PARAMS_SCHEMA if "params" in self.steps else SCHEMA_VERSION

    @property
    def n_steps(self) -> int:
        return len(self.steps["epoch"])

    @property
    def full_loss_is_batch(self) -> bool:
        """``steps.full_loss`` holds each step's batch loss, not the loss over all the data: a
        recording of a loop given no x, y or loss (``config.recorded.full_loss_is_batch``; a trace
        written before that member says so in ``config.recorded.full_loss``'s words)."""
        rec = self.config.get("recorded") if isinstance(self.config, dict) else None
        if not isinstance(rec, dict):
            return False
        if "full_loss_is_batch" in rec:
            return rec["full_loss_is_batch"] is True
        return str(rec.get("full_loss", "")).startswith("the batch loss")

    @property
    def has_velocity(self) -> bool:
        return "velocity_a" in self.steps or "velocity" in self.steps

    # --------------------------------------------------- the run as a parameter vector (any schema)
    @property
    def model(self):
        """The model that was trained (:class:`training.models.Model`): its names, numpy forward
        pass, loss and closed-form gradient."""
        if self.settings.model == MODULE_KIND:  # answered from what was sampled at record time
            cached = getattr(self, "_recorded_module", None)
            if cached is None or cached.views is not self.module_views:
                final = self.module_views.final_loss if self.module_views is not None else None
                path_loss = np.append(np.asarray(self.steps["full_loss"], np.float64),
                                      np.nan if final is None else final)
                path = np.vstack([self.params, self.final_params[None, :]])
                loss = str(self.config.get("recorded", {}).get("loss", "")) if isinstance(self.config.get("recorded"), dict) else ""
                self._recorded_module = RecordedModule(self.param_names, path, path_loss, self.module_views, loss)
            return self._recorded_module
        return self.settings.model_spec

    def _vector(self, col: str, first: str, second: str) -> np.ndarray:
        if self.schema_version == PARAMS_SCHEMA:  # float64 to every reader (grads, velocity may be kept in float32)
            return np.asarray(self.steps[col], dtype=np.float64)
        return np.column_stack([self.steps[first], self.steps[second]])

    @property
    def params(self) -> np.ndarray:
        """The parameters before each step, (steps, P) float64 (schema 1: a copy of a, b)."""
        return self._vector("params", "a", "b")

    @property
    def grads(self) -> np.ndarray:
        """The gradient each step used (``.grad`` before ``step()``), (steps, P)."""
        return self._vector("grads", "grad_a", "grad_b")

    @property
    def updates(self) -> np.ndarray:
        """What each step changed: params after minus params before, (steps, P)."""
        return self._vector("updates", "update_a", "update_b")

    @property
    def velocity(self) -> np.ndarray | None:
        """The optimizer's state after each step (momentum buffer or Adam's first moment),
        (steps, P), or None when the optimizer keeps none."""
        if not self.has_velocity:
            return None
        return self._vector("velocity", "velocity_a", "velocity_b")

    @property
    def params_after(self) -> np.ndarray:
        """The parameters after each step: the next step's, and ``final_params`` after the last."""
        return np.vstack([self.params[1:], self.final_params[None, :]])

    def loss_at(self, params: np.ndarray) -> np.ndarray:
        """The model's full-data loss at parameter vectors (..., P), float64 (numpy, no torch)."""
        return self.model.loss(params, self.x, self.y)

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
        if self.schema_version == PARAMS_SCHEMA:
            return float(self.loss_at(self.final_params))
        return float(self.full_loss_at(self.final_a, self.final_b))

    # ----------------------------------------------------------------- writing
    def to_json(self) -> str:
        """Readable JSON: sections indented, each column on one line. Deterministic."""
        return "".join(self.json_parts())

    def json_parts(self) -> Iterator[str]:
        """The text of :meth:`to_json` in pieces of a few megabytes at most (a long column is
        written a slice at a time), so that writing a large trace never holds its text whole."""
        return tracedump.document_parts(config=self.config, versions=self.versions, status=self.status.to_dict(),
                                        final=self._final(), n_steps=self.n_steps, x=self.x, y=self.y,
                                        steps=self.steps, graphs=self.graphs, schema=self.schema_version,
                                        param_names=self.param_names, landscape=self._landscape(),
                                        module=self._module_views())

    def _final(self) -> dict:
        """The "final" section: {"a", "b"} (schema 1) or {"params": [...]} (schema 2)."""
        if self.schema_version == PARAMS_SCHEMA:
            return {"params": [float(v) for v in self.final_params]}
        return {"a": float(self.final_a), "b": float(self.final_b)}

    def _module_views(self) -> dict | None:
        return None if self.module_views is None else views_to_dict(self.module_views)

    def _landscape(self) -> dict | None:
        if self.landscape is None:
            return None
        return landscape_to_dict(self.landscape)

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
        schema = self.schema_version
        header = {"schema_version": schema, "config": tracedump.plain(self.config), "versions": self.versions,
                  "status": self.status.to_dict(), "final": self._final(), "n_steps": self.n_steps}
        if schema == PARAMS_SCHEMA:
            header["param_names"] = list(self.param_names)
        if self.graphs:  # absent otherwise: a trace without graphs is written as before they existed
            header["graphs"] = self.graphs
        if self.landscape is not None:  # likewise
            header["landscape"] = self._landscape()
        if self.module_views is not None:
            header["module"] = self._module_views()
        arrays = {"data.x": self.x, "data.y": self.y, "steps.lengths": indices.lengths}
        for col in ALL_STEP_COLUMNS:
            if col in self.steps:
                value = self.steps[col]  # a 2-D parameter column: its rows end to end
                arrays[f"steps.{col}"] = value.values if isinstance(value, Ragged) else np.reshape(value, -1)
        layout = _binary_layout(self.has_velocity, schema, "lr" in self.steps)
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
    return tracejson.parse_json(read, name, {c: (lambda c=c: tracevalidate.step_column(c)) for c in ALL_STEP_COLUMNS},
                                {"x": lambda: tracevalidate.data_column("data.x"),
                                 "y": lambda: tracevalidate.data_column("data.y")})


def _binary_layout(has_velocity: bool, schema: Any = SCHEMA_VERSION, has_lr: bool = False) -> list:
    return tracebin._layout(step_columns(PARAMS_SCHEMA if schema == PARAMS_SCHEMA else SCHEMA_VERSION, has_velocity,
                                         has_lr),
                            STEP_RAGGED_COLUMNS)


_BINARY_LIMITS = {"points": MAX_POINTS, "steps": MAX_STEPS, "samples": MAX_SAMPLES, "params": MAX_PARAM_VALUES}
