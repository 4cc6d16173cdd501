"""training: data sets, model, optimizers, the recorder and the Trace (no drawing).

Importing this package does not import torch: ``record`` imports it when called, so that
re-rendering a saved trace (``training.trace``) runs without torch.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from training.config import TrainConfig
from training.data import Dataset, DataSpec
from training.errors import InputError
from training.trace import Trace

__all__ = ["DataSpec", "Dataset", "InputError", "Trace", "TrainConfig", "record", "recording"]


def recording(model, optimizer, **kwargs):
    """Record your own training loop (:func:`training.loop_recorder.recording`; imports torch):

    >>> with recording(model, optimizer, x=X, y=Y, loss_fn=criterion) as rec:
    ...     ...                                 # your loop, unchanged
    >>> rec.trace, rec.save("out/trace.json")
    """
    from training.loop_recorder import recording as _recording
    return _recording(model, optimizer, **kwargs)


def record(cfg: TrainConfig | None = None, data: Dataset | DataSpec | str | None = None, *,
           base_dir: Path | None = None, progress=None, **settings) -> Trace:
    """Train a model with PyTorch (y' = a·x + b unless ``model`` says otherwise) and return
    every step as a :class:`Trace`.

    Examples
    --------
    >>> trace = record()                                   # the article's run
    >>> trace = record(lr=0.3, optimizer="momentum", epochs=40)
    >>> trace = record(data="assets/data/noisy_line.csv", batch_size=8, init_a=0.0)
    >>> trace = record(data="synthetic:n=200,noise=0.1")
    >>> trace = record(model="poly", degree=3, data="assets/data/poly_valley.csv", lr=0.3, batch_size=6)
    >>> trace.param_names, trace.params.shape               # ('c0', 'c1', 'c2', 'c3'), (steps, 4)
    """
    from training.recorder import record as _record

    cfg = cfg or TrainConfig()
    if isinstance(data, str):
        data = DataSpec.parse(data)
    if isinstance(data, DataSpec):
        cfg, data = replace(cfg, data=data), None
    if settings:
        try:
            cfg = replace(cfg, **settings)
        except TypeError:
            unknown = sorted(set(settings) - set(TrainConfig.__dataclass_fields__))
            raise InputError(f"unknown training setting(s): {', '.join(unknown)}") from None
    return _record(cfg, data, base_dir=base_dir, progress=progress)
