"""The trace's JSON text, written a piece at a time.

:func:`document_parts` yields a trace.json in pieces of at most a few megabytes (a long
column is written a slice at a time), so that writing a large trace never holds its text
whole. The text is byte for byte what ``json.dumps`` writes for the same values (floats as
the repr of float64): sections indented, each column on one line, deterministic. It is read
back by :mod:`training.tracejson`.
"""
from __future__ import annotations

import json
from typing import Any, Iterator

import numpy as np

from training.ragged import Ragged
from training.tracegraphs import graph_parts
from training.traceschema import PARAMS_SCHEMA, SCHEMA_VERSION, step_columns

__all__ = ["WRITE_STEPS", "column_parts", "document_parts", "landscape_parts", "plain"]

WRITE_STEPS = 1 << 14         # steps per piece when writing


def _dump(value: Any) -> str:
    return json.dumps(value, allow_nan=False, separators=(", ", ": "))


def column_parts(values: Any) -> Iterator[str]:
    """A column as json.dumps writes it (``[1.0, 2.5]``, ``[[0, 1], [2]]``), in pieces."""
    n = len(values)
    if n <= WRITE_STEPS:
        yield _dump(values.tolist() if hasattr(values, "tolist") else list(values))
        return
    yield "["
    for i in range(0, n, WRITE_STEPS):
        chunk = values[i:i + WRITE_STEPS]
        text = _dump(chunk.tolist() if hasattr(chunk, "tolist") else list(chunk))
        yield (", " if i else "") + text[1:-1]
    yield "]"


def document_parts(*, config: dict, versions: dict, status: dict, final: dict,
                   n_steps: int, x: np.ndarray, y: np.ndarray, steps: dict[str, Any],
                   graphs: list[dict] | None = None, schema: int = SCHEMA_VERSION,
                   param_names: tuple[str, ...] = (), landscape: dict | None = None,
                   module: dict | None = None) -> Iterator[str]:
    """The text of a whole trace.json, in pieces. ``status`` and ``final`` are those sections
    as dicts; ``steps`` holds every column a trace has (the optional ones when the run has
    them; a schema-2 parameter column is a 2-D array, written as one list a step);
    ``graphs`` (:mod:`training.tracegraphs`) follows them when there are any. Schema 2 writes
    ``param_names`` before ``final``; ``landscape`` (a model of P > 2 parameters,
    :func:`training.landscape_io.landscape_to_dict`) comes last, one line per part."""
    names = step_columns(schema, "velocity_a" in steps or "velocity" in steps, "lr" in steps)
    config_text = json.dumps(plain(config), indent=2, sort_keys=True, allow_nan=False)
    versions_text = json.dumps(versions, sort_keys=True)
    names_line = f'  "param_names": {json.dumps(list(param_names), ensure_ascii=False)},\n' \
        if schema == PARAMS_SCHEMA else ""
    yield (
        "{\n"
        f'  "schema_version": {schema},\n'
        f'  "config": {_indent(config_text, 2)},\n'
        f'  "versions": {versions_text},\n'
        f'  "status": {json.dumps(status)},\n'
        f'{names_line}'
        f'  "final": {_dump(plain(final))},\n'
        f'  "n_steps": {n_steps},\n'
        '  "data": {\n    "x": '
    )
    yield from column_parts(x)
    yield ',\n    "y": '
    yield from column_parts(y)
    yield "\n  },\n  \"steps\": {\n"
    for i, n in enumerate(names):
        yield (",\n" if i else "") + f'    "{n}": '
        yield from column_parts(steps[n])
    yield "\n  }"
    yield from graph_parts(graphs or [])
    yield from landscape_parts(landscape)
    yield from landscape_parts(module, "module")  # a recorded module's views (training.module_views)
    yield "\n}\n"


def landscape_parts(landscape: dict | None, key: str = "landscape") -> Iterator[str]:
    """The ``"landscape"`` member (with the comma before it): each of its parts on a line;
    nothing without one, so other traces are written as before landscapes existed."""
    if landscape is None:
        return
    yield f',\n  "{key}": {{\n'
    for i, (part, value) in enumerate(landscape.items()):
        yield ("    " if not i else ",\n    ") + f'"{part}": ' + _dump(value)
    yield "\n  }"


def plain(value: Any) -> Any:
    """numpy arrays and scalars to plain Python, so json writes them exactly (repr of float64)."""
    if isinstance(value, (np.ndarray, Ragged)):
        return value.tolist()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return text.replace("\n", "\n" + pad)
