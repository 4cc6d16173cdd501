"""What the page's export buttons need from Python (scenes/web/player/reproduce.js, export.js).

Two things go into a player page's document:

- ``reproduce``: how ``render.py`` takes each training setting, straight from the settings
  table (:data:`training.config.SETTINGS`: the flag, its kind, its default, what a bool flag
  sets), the ``--data`` syntax of synthetic data and each optimizer's own momentum, so that
  the page writes the command and the config.toml of its current run without knowing a flag
  by heart (tests/web/test_page_export.py parses what it writes back through render.py's
  parser and the config reader);
- ``trace`` in a story: the recorded run, so that the page's "trace.json" is the run it plays.
  The columns the story already holds (a, b, the losses, gradients, updates, batches, data)
  are named, not repeated (``{"story": "steps.a"}``), after checking here that they hold the
  trace's numbers exactly; any other column (a momentum buffer) is encoded as the story's are.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import numpy as np

from scenes.program import program_name
from scenes.story.story import Story
from scenes.story.theme import Theme
from scenes.web.export import decode, document, encode, export_story
from training.config import SETTINGS, TrainConfig
from training.data import SYNTHETIC_FIELDS
from training.optimizers import NAMES as OPTIMIZERS
from training.optimizers import OPTIMIZERS as SPECS
from training.trace import Trace
from training.traceschema import STEP_RAGGED_COLUMNS

__all__ = ["reproduce_table", "recorded_trace", "run_document", "pack"]

_KINDS = {float: "float", int: "int", bool: "bool", str: "str", tuple: "tuple", list: "list"}  # list: real numbers
# A trace column and where the story document holds the same numbers (scenes/web/export.py).
_IN_STORY = {"a": "steps.a", "b": "steps.b", "loss": "steps.loss", "full_loss": "steps.full_loss",
             "grad_a": "steps.grad_a", "grad_b": "steps.grad_b", "update_a": "steps.update_a",
             "update_b": "steps.update_b", "epoch": "steps.epoch", "batch": "steps.batch",
             "indices": "batches.index", "pred": "batches.pred", "residual": "batches.residual"}


@lru_cache(maxsize=None)
def reproduce_table() -> dict:
    """The settings table as the page's "copy command" and "copy config.toml" read it."""
    settings = []
    for s in SETTINGS:
        if s.name == "data":
            continue
        entry: dict[str, Any] = {"name": s.name, "flag": s.cli_flag, "kind": _KINDS[s.kind], "default": s.default}
        if s.kind is bool:
            entry["sets"] = not s.flag_inverts  # the value the flag gives (the other is the default)
        settings.append(entry)
    momentum = {name: TrainConfig(optimizer=name).effective_momentum for name in OPTIMIZERS
                if SPECS[name].takes_momentum}
    data_flag = next(s.cli_flag for s in SETTINGS if s.name == "data")
    # The command as the user runs it: sgd-anim installed, python render.py in a clone
    return {"command": program_name(), "settings": settings, "momentum_defaults": momentum,
            "data": {"flag": data_flag, "synthetic": [[k, _KINDS[t]] for k, t in SYNTHETIC_FIELDS.items()]}}


def _story_column(story: dict, where: str) -> np.ndarray | None:
    part, key = where.split(".")
    enc = story.get(part, {}).get(key)
    return None if enc is None else decode(enc)


PACK_AT = 32  # a list of at least this many numbers is packed (base64), as the story's columns are


def pack(value: Any) -> Any:
    """``value`` with every long list of numbers (flat, or a rectangle of rows) as
    ``{"__array__": encoded, "shape": [...]}``; reproduce.js's ``unpack`` is the inverse."""
    if isinstance(value, dict):
        return {k: pack(v) for k, v in value.items()}
    if not isinstance(value, list):
        return value
    rows = value and all(isinstance(r, list) for r in value)
    cells = [c for r in value for c in r] if rows else value
    numbers = all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in cells)
    if numbers and len(cells) >= PACK_AT and (not rows or len({len(r) for r in value}) == 1):
        shape = [len(value), len(value[0])] if rows else [len(value)]
        return {"__array__": encode(np.asarray(cells, dtype=np.float64), "exact"), "shape": shape}
    return [pack(v) for v in value]


def recorded_trace(trace: Trace, story: dict) -> dict:
    """The recorded run in the trace.json shape: its columns named in ``story`` (the exported
    story of this trace) where the story holds them exactly, its long lists packed."""
    doc = json.loads(trace.to_json())
    columns: dict[str, Any] = {}
    offsets = _story_column(story, "batches.offsets")
    for name, values in doc["steps"].items():
        ragged = name in STEP_RAGGED_COLUMNS  # one row a step, as long as its batch
        lengths = [len(row) for row in values] if ragged else None
        flat = np.asarray([v for row in values for v in row] if ragged else values, dtype=np.float64)
        where = _IN_STORY.get(name)
        held = _story_column(story, where) if where and trace.n_steps else None
        same_rows = not ragged or (offsets is not None and np.array_equal(np.cumsum([0, *lengths]), offsets))
        if held is not None and same_rows and held.shape == flat.shape and np.array_equal(held.astype(np.float64), flat):
            columns[name] = {"story": where}
        elif ragged:
            columns[name] = {"values": encode(flat, "exact"), "offsets": encode(np.cumsum([0, *lengths]), "index")}
        else:
            columns[name] = {"packed": pack(values)}
    xy = [_story_column(story, f"data.{k}") for k in "xy"]
    same_data = all(h is not None and np.array_equal(h, np.asarray(doc["data"][k])) for h, k in zip(xy, "xy"))
    out = {k: pack(v) for k, v in doc.items() if k not in ("steps", "data")}
    out["data"] = {"story": "data"} if same_data else {k: encode(doc["data"][k], "exact") for k in "xy"}
    out["columns"] = columns
    out["order"] = list(doc["steps"])  # the columns in the order trace.json writes them
    seed = doc["config"].get("seed")
    if isinstance(seed, int) and abs(seed) > 2**53:  # more digits than a JavaScript number keeps
        out["seed_text"] = str(seed)
    return out


def run_document(story: Story, plan, theme: Theme, *, generator: str = "sgd-anim") -> dict:
    """One run's document, as the player page, the notebook widget and --serve draw it: the
    story, the recorded trace its "trace.json" button writes, and the settings table its
    "copy command" and "copy config.toml" read."""
    exported = export_story(story, plan, theme=theme)
    exported["trace"] = recorded_trace(story.trace, exported)
    doc = document([exported], theme, generator=generator)
    doc["reproduce"] = reproduce_table()
    return doc
