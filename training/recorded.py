"""A trace's ``config`` section read back as a typed, validated :class:`TrainConfig`.

This is the one place that interprets the settings stored in a trace. Everything downstream
(the story, every backend, ``config.toml``) reads ``trace.settings`` and never falls back
to defaults of its own. No torch here.
"""
from __future__ import annotations

import json
import math
from dataclasses import fields
from typing import Any, Callable

from training.config import SETTINGS, TrainConfig
from training.data import SYNTHETIC_FIELDS, DataSpec
from training.errors import InputError
from training.numbers import FLOAT32_MAX

__all__ = ["settings_from_config"]


def _kind(kind: type, low: float | None) -> str:
    if kind is int:
        return "count" if low == 1 else "whole"
    return {float: "number", str: "text", bool: "bool", tuple: "steps", list: "numbers"}[kind]


# How each setting of the table is checked when read back from a trace's config.
_KINDS = {s.name: _kind(s.kind, s.low) for s in SETTINGS if s.name != "data"}
_WHAT = {"number": "a finite number", "count": "a whole number >= 1", "whole": "a whole number >= 0",
         "text": "text", "bool": "true or false", "steps": "a list of whole numbers >= 1",
         "numbers": "a list of finite numbers"}


def _ok(value: Any, kind: str) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "text":
        return isinstance(value, str)
    if kind == "steps":
        return isinstance(value, list) and all(_ok(v, "count") for v in value)
    if kind == "numbers":
        return isinstance(value, list) and all(_ok(v, "number") for v in value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if kind == "number":
        try:
            return math.isfinite(value) and abs(value) <= FLOAT32_MAX
        except OverflowError:
            return False
    low = 1 if kind == "count" else 0
    return isinstance(value, int) and low <= value <= 2**64 - 1


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, float) else json.dumps(value)
    return text if len(text) <= 40 else text[:40] + "..."


def _data_spec(value: Any, bad: Callable[[str], InputError]) -> DataSpec:
    if not isinstance(value, dict):
        raise bad(f"config.data must be an object with a kind, got {_short(value)}")
    kind = value.get("kind", "article")
    if kind == "article":
        return DataSpec()
    if kind == "csv":
        path = value.get("path")
        if not isinstance(path, str):
            raise bad(f"config.data.path must be text, got {_short(path)}")
        return DataSpec(kind="csv", path=path)
    if kind == "synthetic":
        kwargs = {}
        for key, typ in SYNTHETIC_FIELDS.items():
            if key in value:
                v = value[key]
                if not _ok(v, "number") or (typ is int and not isinstance(v, int)):
                    raise bad(f"config.data.{key} must be {'a whole number' if typ is int else 'a finite number'}, "
                              f"got {_short(v)}")
                kwargs[key] = typ(v)
        return DataSpec(kind="synthetic", **kwargs)
    raise bad(f"config.data.kind must be article, csv or synthetic, got {_short(kind)}")


def settings_from_config(config: dict, *, epochs_seen: int, batch_size_seen: int,
                         bad: Callable[[str], InputError]) -> TrainConfig:
    """The typed settings of a trace's ``config``.

    A setting the config lacks (a hand-made trace) takes :class:`TrainConfig`'s default, except
    ``epochs`` and ``batch_size``, which are read off the steps (``epochs_seen``,
    ``batch_size_seen``). Keys this version does not know are kept in ``trace.config`` and
    ignored here. Adam and Adagrad have no momentum: older traces stored 0 for it, which
    is read as "none".
    """
    known = {f.name for f in fields(TrainConfig)}
    kwargs: dict[str, Any] = {}
    if "model" in config:  # {"kind": "poly", "degree": 3}: the family's settings, flat
        from training.models import model_from_dict
        config = {**config, **model_from_dict(config["model"], bad)}
    for key, kind in _KINDS.items():
        if key not in config or (key == "momentum" and config[key] is None):
            continue
        value = config[key]
        if not _ok(value, kind):
            raise bad(f"config.{key} must be {_WHAT[kind]}, got {_short(value)}")
        kwargs[key] = float(value) if kind == "number" else tuple(value) if kind == "steps" \
            else tuple(float(v) for v in value) if kind == "numbers" else value
    assert set(kwargs) <= known
    if "data" in config:
        kwargs["data"] = _data_spec(config["data"], bad)
    kwargs.setdefault("epochs", max(epochs_seen, 1))
    kwargs.setdefault("batch_size", max(batch_size_seen, 1))
    if kwargs.get("optimizer") in ("adam", "adagrad") and kwargs.get("momentum") == 0.0:
        del kwargs["momentum"]
    try:
        return TrainConfig(**kwargs).validate()
    except InputError as e:
        raise bad(f"config: {e}") from None
