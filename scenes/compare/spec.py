"""What a comparison varies: ``--compare KEY=V1,V2,...`` (repeated for a grid) or a TOML
``[compare]`` table, turned into labelled, validated runs before anything is recorded.

Values are parsed with the single-run types (``lr`` a number, ``batch_size`` a whole number,
``nesterov`` true or false, ``data`` a ``--data`` spec); every run of the grid is validated as
a single run would be, and a bad one is named by its label.
"""
from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

from training.config import COMPARE_KEYS, TrainConfig, parse_bool, setting_named
from training.data import DataSpec, load_data
from training.errors import InputError, shown

__all__ = ["COMPARE_KEYS", "MAX_RUNS", "Axis", "Run", "parse_compare_flag", "axes_from_table", "plan_runs",
           "format_value", "make_label", "folder_names", "check_run_count"]

MAX_RUNS = 256  # more than this needs --yes: a typo in a grid should not start hours of work
_TYPES = {key: setting_named(key).kind for key in COMPARE_KEYS}  # from the one settings table


@dataclass(frozen=True)
class Axis:
    """One varied setting and its values (typed), in the order given."""

    key: str
    values: tuple


@dataclass(frozen=True)
class Run:
    """One grid point: its label (``lr=0.3,batch_size=2``), folder name, varied values and settings."""

    label: str
    folder: str
    values: dict
    config: TrainConfig


NOT_RACED = ("model", "degree", "hidden", "activation")  # a race's runs are of one model


def _not_raced(key: str, where: str) -> None:
    """Runs of different models (or model shapes) have different parameters: no one picture
    holds their paths, so comparing them is refused in one line that says what to do instead."""
    if key in NOT_RACED:
        raise InputError(f"{where}: {key} cannot vary: a comparison races runs of one model (their paths share "
                         "one parameter picture); compare one model's settings, for example "
                         "--model poly --compare optimizer=sgd,momentum")


def _canonical_key(raw: str) -> str:
    key = raw.strip().lower().replace("-", "_")
    _not_raced(key, "--compare")
    if key not in COMPARE_KEYS:
        raise InputError(f"--compare: unknown setting {shown(raw.strip())}; accepted: {', '.join(COMPARE_KEYS)}")
    return key


def _split_values(key: str, text: str) -> list[str]:
    """Comma-separated values; for ``data`` a ``synthetic:n=..,noise=..`` spec keeps its commas
    (a piece such as ``noise=0.1`` continues the synthetic spec before it)."""
    pieces = [p.strip() for p in text.split(",")]
    if key != "data":
        return pieces
    merged: list[str] = []
    for p in pieces:
        if merged and merged[-1].startswith("synthetic") and re.match(r"^[a-z_]+=", p):
            merged[-1] += "," + p
        else:
            merged.append(p)
    return merged


def _parse_value(key: str, value: Any, where: str) -> Any:
    """A value as a single run would take it; text (from the command line) or TOML's own types."""
    kind = _TYPES[key]
    bad = InputError(f"{where}: {key} must be {_WHAT[kind]}, got {shown(value)}")
    if kind is DataSpec:
        if isinstance(value, DataSpec):
            return value
        if not isinstance(value, str) or not value.strip():
            raise bad
        return DataSpec.parse(value)
    if isinstance(value, str):
        text = value.strip()
        if kind is bool:
            flag = parse_bool(text)
            if flag is None:
                raise bad
            return flag
        if kind is str:
            if not text:
                raise bad
            return text.lower()
        try:
            parsed = int(text) if kind is int else float(text)
        except ValueError:
            raise bad from None
        if kind is float and not math.isfinite(parsed):
            raise InputError(f"{where}: {key} must be a finite number, got {shown(value)}")
        return parsed
    if kind is bool:
        if not isinstance(value, bool):
            raise bad
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else kind):
        raise bad
    if kind is float and isinstance(value, int) and abs(value) > 1e308:  # float() would overflow
        raise InputError(f"{where}: {key} must be a finite number, got {shown(value)}")
    return float(value) if kind is float else value


_WHAT = {float: "a number", int: "a whole number", bool: "true or false", str: "a name",
         DataSpec: "a --data spec (article, a CSV path or synthetic:...)"}


def _axis(key: str, values: Sequence[Any], where: str) -> Axis:
    if not values or any(isinstance(v, str) and not v.strip() for v in values):
        raise InputError(f"{where}: {key} needs at least one value, and no empty one (KEY=V1,V2,...)")
    typed = tuple(_parse_value(key, v, where) for v in values)
    seen: set = set()
    for v in typed:
        if v in seen:
            raise InputError(f"{where}: {key} value {format_value(key, v)} is given twice")
        seen.add(v)
    return Axis(key, typed)


def parse_compare_flag(text: str) -> Axis:
    """``KEY=V1,V2,...`` (``batch-size`` or ``batch_size``) to a typed :class:`Axis`."""
    key, sep, body = text.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--compare {shown(text)}: expected KEY=V1,V2,... (for example lr=0.03,0.1,0.3)")
    key = _canonical_key(key)
    if not body.strip():
        raise InputError(f"--compare {key}: empty list of values (expected {key}=V1,V2,...)")
    return _axis(key, _split_values(key, body), f"--compare {key}")


def axes_from_table(table: dict, where: str = "[compare]") -> list[Axis]:
    """A TOML ``[compare]`` table's varied settings (``lr = [0.03, 0.1]``), in the file's order."""
    axes = []
    for raw, values in table.items():
        key = raw.replace("-", "_")
        _not_raced(key, where)
        if key not in COMPARE_KEYS:
            raise InputError(f"{where}: unknown setting {shown(raw)}; accepted: {', '.join(COMPARE_KEYS)}, each, traces")
        if not isinstance(values, list):
            raise InputError(f"{where}: {key} must be a list of values, for example {key} = [..., ...]")
        axes.append(_axis(key, values, f"{where} {key}"))
    return axes


def format_value(key: str, value: Any) -> str:
    """How a value reads in a label: ``0.3``, ``2``, ``true``, ``momentum``, ``synthetic:n=50``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        short = f"{value:.6g}"
        return short if float(short) == value else repr(value)
    if isinstance(value, DataSpec):
        return _data_text(value)
    return str(value)


def _data_text(spec: DataSpec) -> str:
    if spec.kind == "article":
        return "article"
    if spec.kind == "csv":
        return str(spec.path)
    default = DataSpec(kind="synthetic")
    parts = [f"{k}={format_value(k, getattr(spec, k))}" for k in ("n", "slope", "intercept", "noise", "outliers",
                                                                    "seed", "x_min", "x_max")
             if getattr(spec, k) != getattr(default, k)]
    return "synthetic" + (":" + ",".join(parts) if parts else "")


def make_label(values: dict) -> str:
    """``lr=0.3`` or ``lr=0.3,batch_size=2``: the varied settings, in the grid's order."""
    return ",".join(f"{k}={format_value(k, v)}" for k, v in values.items())


def folder_names(labels: Sequence[str]) -> list[str]:
    """A file-system-safe, unique folder name per label (``runs/<name>/``): characters other
    than letters, digits and ``.=,+-_`` become ``_``; a clash gets ``-2``, ``-3``..."""
    names: list[str] = []
    taken: set[str] = set()
    for label in labels:
        base = re.sub(r"[^A-Za-z0-9.=,+_-]", "_", label)[:120].strip(".") or "run"
        name, i = base, 2
        while name.lower() in taken:  # case-insensitive file systems too
            name, i = f"{base}-{i}", i + 1
        taken.add(name.lower())
        names.append(name)
    return names


def check_run_count(n: int, yes: bool) -> None:
    if n > MAX_RUNS and not yes:
        raise InputError(f"this comparison has {n} runs, more than {MAX_RUNS}; add --yes to record them all")


def plan_runs(base: TrainConfig, axes: Sequence[Axis], base_dir: Path | None = None, *, yes: bool = False) -> list[Run]:
    """Every grid point (the first setting varies slowest), each validated as a single run,
    with the data it would train on: a bad run is an InputError that names it."""
    keys = [a.key for a in axes]
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise InputError(f"--compare {twice} is given twice; give all its values in one list")
    total = math.prod(len(a.values) for a in axes)
    check_run_count(total, yes)
    sizes: dict[DataSpec, int] = {}
    grid = [dict(zip(keys, combo)) for combo in itertools.product(*(a.values for a in axes))]
    labels = [make_label(values) for values in grid]
    runs = []
    for values, label, folder in zip(grid, labels, folder_names(labels)):
        cfg = replace(base, **values)
        try:
            if cfg.data not in sizes:
                sizes[cfg.data] = len(load_data(cfg.data, base_dir))
            cfg.validate(sizes[cfg.data])
        except InputError as e:
            raise InputError(f"run {label}: {e}") from None
        runs.append(Run(label, folder, values, cfg))
    return runs
