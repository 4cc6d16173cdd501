"""training: data sets, model, optimizers, the recorder and the Trace (no drawing).

``record`` is imported lazily so that ``import training.trace`` (re-rendering a saved trace)
never imports torch.
"""
from __future__ import annotations

from training.config import TrainConfig
from training.data import Dataset, DataSpec
from training.errors import InputError
from training.trace import Trace

__all__ = ["DataSpec", "Dataset", "InputError", "Trace", "TrainConfig", "record"]


def __getattr__(name: str):
    if name == "record":
        from training.recorder import record
        return record
    raise AttributeError(f"module 'training' has no attribute {name!r}")
