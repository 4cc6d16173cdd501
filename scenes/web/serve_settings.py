"""What a request to ``render.py --serve`` may ask for: its training settings and data,
validated exactly as the command line validates them, plus the server's own bounds.

The settings come from a query string (text) or a JSON ``settings`` object (typed); both
reach :func:`parse_settings`, which types text by the settings table
(:data:`training.config.SETTINGS`), runs the CLI's checks (:func:`scenes.job.build_job`,
then ``TrainConfig.validate(n_points)``) and refuses what the server will not do: a data
file (never a path from a request), more points or steps than it records per run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from training.batches import batches_per_epoch
from training.config import parse_bool
from training.errors import InputError

__all__ = ["MAX_POINTS", "MAX_SERVE_STEPS", "RENDER_FORMATS", "Settings", "parse_settings"]

MAX_POINTS = 10_000           # points of any data set served (pasted or synthetic)
MAX_SERVE_STEPS = 100_000     # steps of one run
RENDER_FORMATS = ("mp4", "gif", "png", "html")  # what POST /api/render makes (the page's export buttons)


@dataclass(frozen=True)
class Settings:
    """A validated request: the training settings, the data set, the cache key."""
    train: Any      # TrainConfig
    data: Any       # Dataset
    key: str


def _typed(key: str, value: Any, kind: type) -> Any:
    """A query or form value (text) as the type the CLI's flag has; typed JSON passes through
    to build_job, which checks it with the config file's messages."""
    if not isinstance(value, str) or kind in (str, tuple, list):  # a list ("1,150,300"): build_job reads it
        return value
    name = key.replace("_", " ")
    text = value.strip()
    if kind is bool:
        flag = parse_bool(text)
        if flag is None:
            raise InputError(f"{name} must be true or false, got {value!r}")
        return flag
    try:
        return int(text) if kind is int else float(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise InputError(f"{name} must be {what}, got {value!r}") from None


def parse_settings(params: dict[str, Any], points: str | None = None) -> Settings:
    """Query parameters or a JSON ``settings`` object to a validated run, exactly as the CLI
    validates it (:func:`scenes.job.build_job`, then ``TrainConfig.validate(n_points)``), plus
    the server's own bounds. Every refusal is an :class:`InputError` with a one-line message."""
    from scenes.job import build_job
    from training.config import TRAIN_KEYS, setting_named
    from training import cache
    from training.data import DataSpec, load_data, parse_csv_text

    if not isinstance(params, dict):
        raise InputError("settings must be an object of training settings")
    accepted = (*TRAIN_KEYS, "data")
    unknown = sorted(k for k in params if k not in accepted)
    if unknown:
        raise InputError(f"unknown setting(s) {', '.join(map(repr, unknown))}; accepted: {', '.join(accepted)}")
    layer: dict[str, Any] = {k: _typed(k, v, setting_named(k).kind) for k, v in params.items() if k in TRAIN_KEYS}
    source = params.get("data", "article")
    if not isinstance(source, str):
        raise InputError(f"data must be text ('article', 'synthetic[:n=...]' or 'pasted'), got {source!r}")
    source = source.strip()
    pasted = source == "pasted"
    if pasted:
        if not isinstance(points, str) or not points.strip():
            raise InputError("data 'pasted' needs the points as CSV text (x,y per line) in 'points'")
        spec = DataSpec(kind="csv", path="pasted")
    elif source in ("", "article") or source == "synthetic" or source.startswith("synthetic:"):
        spec = DataSpec.parse(source)
        if spec.kind == "synthetic" and not 2 <= spec.n <= MAX_POINTS:
            raise InputError(f"synthetic data: n must be between 2 and {MAX_POINTS:,} here, got {spec.n}")
    else:  # never a path from a request
        raise InputError(f"data must be 'article', 'synthetic[:n=...,noise=...]' or 'pasted', got {source!r}; "
                         "the server reads no file")
    if points is not None and not pasted:
        raise InputError("points only apply with data 'pasted'")
    layer["data"] = spec
    job = build_job([layer])  # the CLI's checks and messages
    if pasted:
        if points.count("\n") > MAX_POINTS + 1:
            raise InputError(f"pasted points: at most {MAX_POINTS:,} points are accepted")
        data = parse_csv_text(points, "pasted points")
        if len(data) > MAX_POINTS:
            raise InputError(f"pasted points: {len(data):,} points; at most {MAX_POINTS:,} are accepted")
    else:
        data = load_data(spec)
    train = job.train.validate(len(data))
    per_epoch = batches_per_epoch(len(data), train.batch_size, train.drop_last)
    steps = per_epoch * train.epochs
    if steps > MAX_SERVE_STEPS:
        raise InputError(f"{train.epochs} epochs of {per_epoch} batches is {steps:,} steps; the server records "
                         f"at most {MAX_SERVE_STEPS:,} per run (use fewer epochs or a larger batch, or the CLI)")
    return Settings(train, data, cache.cache_key(train, data))
