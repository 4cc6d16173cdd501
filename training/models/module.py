"""A user's own ``torch.nn`` module, recorded from their own loop (:mod:`training.loop_recorder`).

Not a family one can train from settings: ``--model module`` is refused by the recorder. Its
parameters' names are the module's own (:func:`flatten_names` of ``named_parameters()``),
stored in the trace's ``param_names``; this class has no numpy forward pass (the views that
need one, the loss over a plane, say so instead of drawing).
"""
from __future__ import annotations

from dataclasses import dataclass

from training.errors import InputError
from training.models.base import Model

__all__ = ["Module", "MODULE_KIND", "MAX_MODULE_PARAMS"]

MODULE_KIND = "module"
# The most parameters a recording keeps per step (its step cap falls as P grows, see
# training.config.max_steps: 375 steps at this size). Its names fit a binary trace's header.
MAX_MODULE_PARAMS = 100_000


@dataclass(frozen=True)
class Module(Model):
    kind = MODULE_KIND
    title = "PyTorch module"
    graph_output = "output"

    @property
    def param_names(self) -> tuple[str, ...]:
        return ()  # the trace's own (any names: checked for being distinct, not against a family)

    def module(self):
        raise InputError("model 'module' is a module recorded from your own training loop "
                         "(training.loop_recorder); it cannot be trained from settings")

    def start(self) -> None:
        return None

    def output(self, params, x):
        raise InputError("a module recorded from your own loop has no numpy forward pass here: "
                         "this view needs one (the line, poly, logistic and mlp have one)")
