"""The models sgd-anim trains: one registry, one :class:`Model` class a family.

- ``line``: y' = a·x + b, MSE (the article's; the default; recorded into the schema-1 trace);
- ``poly``: y' = c0 + c1·x + ... + cK·x^K, MSE (``--degree K``, 1..8, default 3);
- ``logistic``: p = σ(w·x + b) on 0/1 labels, binary cross-entropy;
- ``mlp``: 1 → H → 1, MSE (``--hidden H``, 2..64, default 8; ``--activation tanh|relu``).

Everything else reads the registry: the settings' validation (:mod:`training.config`), the
recorder, the trace's schema 2 (``config.model``, ``param_names``). Adding a family is one
new module here. No torch at import.
"""
from __future__ import annotations

from typing import Any, Callable

from training.errors import listed
from training.models.base import Model, flatten_names
from training.models.line import Line
from training.models.logistic import Logistic
from training.models.module import MAX_MODULE_PARAMS, MODULE_KIND, Module
from training.models.mlp import ACTIVATIONS, DEFAULT_ACTIVATION, DEFAULT_HIDDEN, MLP
from training.models.poly import DEFAULT_DEGREE, MAX_DEGREE, Poly

__all__ = ["MODELS", "NAMES", "Model", "Line", "Poly", "Logistic", "MLP", "ACTIVATIONS", "MAX_DEGREE",
           "MAX_HIDDEN", "MAX_PARAMS", "MODULE_KIND", "MAX_MODULE_PARAMS", "Module", "KINDS", "FAMILY_SETTINGS", "model_of", "model_from_dict", "flatten_names"]

MODELS: dict[str, type[Model]] = {m.kind: m for m in (Line, Poly, Logistic, MLP)}
NAMES: tuple[str, ...] = tuple(MODELS)
# Which family each family setting belongs to (--degree: poly), for the refusals.
FAMILY_SETTINGS: dict[str, str] = {s: m.kind for m in MODELS.values() for s in m.settings}
_DEFAULTS = {"degree": DEFAULT_DEGREE, "hidden": DEFAULT_HIDDEN, "activation": DEFAULT_ACTIVATION}
MAX_HIDDEN = 64
MAX_PARAMS = 3 * MAX_HIDDEN + 1  # the largest model: the MLP at 64 hidden units
# Every kind a trace's config.model may name: the families above, and a user's own module
# recorded from their loop (training.recording; not one of --model's choices).
KINDS: dict[str, type[Model]] = {**MODELS, MODULE_KIND: Module}


def model_of(settings: Any) -> Model:
    """The model a TrainConfig names (``model``, ``degree``, ``hidden``, ``activation``), its
    family settings at their defaults when not given. Validated settings name a known family."""
    cls = KINDS[settings.model]
    kwargs = {}
    for key in cls.settings:
        value = getattr(settings, key, None)
        kwargs[key] = _DEFAULTS[key] if value is None else value
    return cls(**kwargs)


def model_from_dict(d: Any, bad: Callable[[str], Exception]) -> dict:
    """``config.model`` of a trace (``{"kind": "poly", "degree": 3}``) as TrainConfig settings
    (``{"model": "poly", "degree": 3}``); one-line errors through ``bad``."""
    if not isinstance(d, dict):
        raise bad(f"config.model must be an object with a kind, got {type(d).__name__}")
    kind = d.get("kind")
    if kind not in KINDS:
        raise bad(f"config.model.kind must be one of {', '.join(KINDS)}, got {kind!r:.40}")
    cls = KINDS[kind]
    unknown = sorted(set(d) - {"kind", *cls.settings})
    if unknown:
        raise bad(f"config.model: {listed(unknown)} does not apply to {kind}")
    return {"model": kind, **{k: d[k] for k in cls.settings if k in d}}
