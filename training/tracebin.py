"""The compact trace: the same content as trace.json, as raw little-endian columns.

For large runs (the trace cache uses it): a 1,000,000-step run at batch size 1 is about
130 MB instead of 240, loads in a fraction of a second straight into its arrays, and holds
exactly the same numbers (float64 and int64 as they are, no text conversion). The JSON
trace stays the default and the documented contract; ``Trace.to_file("run.sgdtrace")``
writes this one, and ``Trace.from_file`` reads either (it looks at the first bytes).

Layout::

    MAGIC                      16 bytes: b"SGD-ANIM TRACE\\n\\x00"
    header length              8 bytes, unsigned little-endian
    header                     UTF-8 JSON object (at most 16 MB): format_version,
                               schema_version, config, versions, status, final, n_steps,
                               "columns": [{"name", "dtype", "length"}, ...] in file order, and
                               "graphs", "param_names", "landscape" (as in trace.json) only
                               when the trace has them
    columns                    each column's raw bytes, one after the other, nothing after

The columns are data.x, data.y, the step columns (epoch, batch as "<i8"; the others "<f8"),
steps.lengths (each step's batch size, "<i8") and steps.indices ("<i8"), steps.pred and
steps.residual ("<f8"), each holding every step's values end to end. A schema-2 trace's
parameter columns (params, grads, updates, velocity) hold their rows end to end (steps × P
numbers; P from the header's "param_names").

Never pickle: the reader knows exactly these columns and dtypes, checks every length
against the header, the limits and the file's size before it allocates anything, and
refuses anything else (an unknown version, key, column or dtype; a short or a long file).
Then the trace is validated like a JSON one.
"""
from __future__ import annotations

import json
import struct
from typing import Any, Callable

import numpy as np

from training.errors import InputError, listed, shown
from training.numbers import refuse_json_constant

__all__ = ["MAGIC", "FORMAT_VERSION", "SUFFIX", "write_binary", "read_binary"]

MAGIC = b"SGD-ANIM TRACE\n\x00"
FORMAT_VERSION = 1
SUFFIX = ".sgdtrace"
MAX_HEADER_BYTES = 16 << 20
_HEADER_KEYS = {"format_version", "schema_version", "config", "versions", "status", "final", "n_steps", "columns"}
_OPTIONAL_KEYS = {"graphs", "param_names", "landscape", "module"}  # the autograd graphs, when the trace
# has any (training.tracegraphs); the parameters' names, in a schema-2 trace; its loss landscape
# (training.landscape_io), for a model of more than 2 parameters
_INT, _FLOAT = "<i8", "<f8"


_INT_COLUMNS = ("epoch", "batch")
_PARAM_COLUMNS = ("params", "grads", "updates", "velocity")  # schema 2: (steps, P), rows end to end


def _layout(step_columns, ragged_columns):
    """The columns a binary trace holds, in file order: (name, dtype, which length).
    ``step_columns`` are the trace's step columns in order (training.traceschema.step_columns)."""
    out = [("data.x", _FLOAT, "points"), ("data.y", _FLOAT, "points")]
    for c in step_columns:
        if c not in ragged_columns:
            out.append((f"steps.{c}", _INT if c in _INT_COLUMNS else _FLOAT,
                        "params" if c in _PARAM_COLUMNS else "steps"))
    out.append(("steps.lengths", _INT, "steps"))
    out += [(f"steps.{c}", _INT if c == "indices" else _FLOAT, "samples") for c in ragged_columns]
    return out


def write_binary(f, header: dict, columns: list[tuple[str, np.ndarray]]) -> None:
    """Write ``header`` (everything but the arrays) and ``columns`` to the binary file ``f``."""
    specs = []
    for name, arr in columns:
        dtype = _INT if arr.dtype.kind in "iu" else _FLOAT
        specs.append({"name": name, "dtype": dtype, "length": int(len(arr))})
    text = json.dumps({**header, "format_version": FORMAT_VERSION, "columns": specs},
                      allow_nan=False, sort_keys=True).encode("utf-8")
    f.write(MAGIC)
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for (name, arr), spec in zip(columns, specs):
        data = np.ascontiguousarray(arr, dtype=np.dtype(spec["dtype"]))
        step = 1 << 23  # 64 MB at a time: no copy of a whole column for the write
        for i in range(0, len(data), step):
            f.write(memoryview(data[i:i + step]).cast("B"))


def read_binary(f, name: str, size: int, layout_of: Callable[..., list], limits: dict[str, int]) -> dict:
    """Read a binary trace from ``f`` (positioned after the magic) into a document for
    ``Trace.from_dict``: the header's sections, and ``data`` and ``steps`` as numpy arrays
    (``steps.lengths`` included). ``size`` is the file's size; ``limits`` bounds the
    ``points``, ``steps`` and ``samples`` lengths."""
    def bad(msg: str) -> InputError:
        return InputError(f"trace file {name}: {msg} (a binary sgd-anim trace, format {FORMAT_VERSION})")

    def read_exact(n: int) -> bytes:
        parts, got = [], 0
        while got < n:
            data = f.read(n - got)
            if not data:
                raise bad("the file is truncated")
            parts.append(data)
            got += len(data)
        return b"".join(parts)

    (length,) = struct.unpack("<Q", read_exact(8))
    if length > MAX_HEADER_BYTES:
        raise bad(f"the header claims {length:,} bytes; at most {MAX_HEADER_BYTES:,} are read")
    if 24 + length > size:  # before reading: a 100-byte file claiming 16 MB allocated 16 MB
        raise bad(f"the header claims {length:,} bytes; the file is truncated")
    try:
        header = json.loads(read_exact(length).decode("utf-8"), parse_constant=refuse_json_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise bad("the header is not valid JSON") from None
    if not isinstance(header, dict):
        raise bad("the header is not a JSON object")
    if header.get("format_version") != FORMAT_VERSION:
        raise bad(f"format_version {shown(header.get('format_version'))} is not supported")
    unknown = sorted(set(header) - _HEADER_KEYS - _OPTIONAL_KEYS)
    missing = sorted(_HEADER_KEYS - set(header))
    if unknown or missing:
        raise bad("the header " + "; ".join(filter(None, [
            f"has unknown keys {listed(unknown, quote=True)}" if unknown else "",
            f"lacks {', '.join(missing)}" if missing else ""])))
    columns = header["columns"]
    if not isinstance(columns, list) or not all(isinstance(c, dict) and set(c) == {"name", "dtype", "length"}
                                                for c in columns):
        raise bad('"columns" must list objects with a name, a dtype and a length')
    names = [c["name"] for c in columns]
    layout = layout_of(any(n in ("steps.velocity_a", "steps.velocity") for n in names), header["schema_version"],
                       "steps.lr" in names)
    if names != [n for n, _, _ in layout]:
        raise bad("the columns are not the ones a trace holds, in their order: "
                  + ", ".join(n for n, _, _ in layout))
    n_steps = header["n_steps"]
    if not isinstance(n_steps, int) or isinstance(n_steps, bool) or not 0 <= n_steps <= limits["steps"]:
        raise bad(f"n_steps must be a whole number from 0 to {limits['steps']:,}")
    total = 16 + 8 + length
    expected: dict[str, int] = {"steps": n_steps}
    for spec, (col, dtype, kind) in zip(columns, layout):
        n = spec["length"]
        if spec["dtype"] != dtype:
            raise bad(f"column {col} must have dtype {dtype}, not {shown(spec['dtype'])}")
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= limits[kind]:
            raise bad(f"column {col} must hold from 0 to {limits[kind]:,} values")
        if expected.setdefault(kind, n) != n:
            raise bad(f"column {col} holds {n:,} values, not {expected[kind]:,} like the others of its kind")
        total += 8 * n
    if total != size:
        raise bad(f"the file is {size:,} bytes; its header describes {total:,}"
                  + ("; it is truncated" if size < total else ""))

    arrays: dict[str, np.ndarray] = {}
    for spec in columns:
        arr = np.empty(spec["length"], dtype=np.dtype(spec["dtype"]))
        view, got = memoryview(arr).cast("B"), 0
        while got < arr.nbytes:  # straight into the array: no bytes object of the column's size
            n = f.readinto(view[got:]) if hasattr(f, "readinto") else 0
            if not n:
                raise bad("the file is truncated")
            got += n
        view.release()
        arrays[spec["name"]] = arr.astype(arr.dtype.newbyteorder("="), copy=False)
    if f.read(1):
        raise bad("there are bytes after the last column")

    doc: dict[str, Any] = {k: header[k] for k in ("schema_version", "config", "versions", "status", "final", "n_steps",
                                                  "graphs", "param_names", "landscape", "module") if k in header}
    doc["data"] = {"x": arrays.pop("data.x"), "y": arrays.pop("data.y")}
    doc["steps"] = {key.split(".", 1)[1]: arr for key, arr in arrays.items()}
    return doc
