"""The live page's settings form as data: built from the settings table and the optimizer
registry, exported into the serve page's document as ``form`` (never into a written page),
and drawn by serve.js, which knows no setting, range, label or optimizer of its own (as
TensorFlow Playground's ``state.ts`` table drives its URL state).

The form (JSON)::

    {"settings":   [page entry, ...],      # the settings the page shows, in the table's order
                                           #   (Setting.page_entry: name, kind, label, default,
                                           #   control, slider range, rounding, ...)
     "optimizer_settings": ["momentum", "nesterov"],  # shown settings only some optimizers read
     "optimizers": [{"name": "momentum", "title": "SGD with momentum",
                     "uses": ["momentum", "nesterov"],  # which of those this one reads
                     "defaults": {"momentum": 0.9}},   # its value when none is given
                    ...],                              # every optimizer, in the registry's order
     "formats":    ["mp4", "gif", "png", "html"]}      # the export buttons (POST /api/render)

A setting is on the page when its declaration has a ``page`` entry
(:func:`training.settings.setting`). The page sends an optimizer's setting only with an
optimizer that reads it (the server refuses momentum for Adam, as the command line does).
"""
from __future__ import annotations

from typing import Iterable, Mapping

from scenes.web.serve_settings import RENDER_FORMATS
from training.config import SETTINGS
from training.optimizers import OPTIMIZERS, OptimizerSpec
from training.settings import Setting

__all__ = ["serve_form", "optimizer_uses"]


def optimizer_uses(spec: OptimizerSpec) -> tuple[str, ...]:
    """The settings this optimizer reads beyond lr and weight decay: its ``hyper`` settings,
    momentum when it takes one, nesterov when it may use it."""
    names = list(spec.hyper)
    if spec.takes_momentum and "momentum" not in names:
        names.append("momentum")
    if spec.nesterov:
        names.append("nesterov")
    return tuple(names)


def serve_form(settings: Iterable[Setting] = SETTINGS,
               optimizers: Mapping[str, OptimizerSpec] = OPTIMIZERS) -> dict:
    """The form of the serve page (see the module's doc), from these tables (by default, the
    product's: :data:`training.config.SETTINGS` and :data:`training.optimizers.OPTIMIZERS`)."""
    entries = [s.page_entry() for s in settings if s.page is not None]
    shown = [e["name"] for e in entries]
    uses = {name: optimizer_uses(spec) for name, spec in optimizers.items()}
    specific = [n for n in shown if any(n in u for u in uses.values())]
    return {
        "settings": entries,
        "optimizer_settings": specific,
        "optimizers": [{"name": name, "title": spec.title,
                        "uses": [n for n in specific if n in uses[name]],
                        "defaults": {"momentum": spec.default_momentum} if spec.takes_momentum else {}}
                       for name, spec in optimizers.items()],
        "formats": list(RENDER_FORMATS),
    }
