"""Training settings as one dataclass: what produced a trace, validated with clear messages."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

from training.batches import batches_per_epoch
from training.data import DataSpec
from training.errors import InputError
from training.numbers import FLOAT32_MAX  # training runs in float32: larger settings overflow in torch

__all__ = ["OPTIMIZERS", "MAX_STEPS", "MAX_SAMPLES", "TrainConfig", "parse_bool"]

OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop", "adagrad")


def parse_bool(text: str) -> bool | None:
    """A true/false setting written as text (a query string, a --compare value): True, False,
    or None when the text is neither."""
    word = text.strip().lower()
    return True if word in ("true", "yes", "on", "1") else False if word in ("false", "no", "off", "0") else None
# How long a run may be, so that every allowed run fits in 4 GB of memory, recorded, loaded or
# rendered. A trace holds 8 bytes a number: per step 14 numbers and an offset (120 bytes), per
# sample (one per point of each batch) an index, a prediction and a residual (24 bytes).
# Measured, re-rendering 10,000,000 steps to MP4: 3.25 GB with 10,000,000 samples, 4.21 GB with
# 50,000,000; so at most 20,000,000 samples (about 3.5 GB). Recording 1,000,000 steps peaks at
# 0.51 GB (torch alone takes 0.38), so the caps record in about 2 GB.
MAX_STEPS = 10_000_000
MAX_SAMPLES = 20_000_000
MAX_SEED = 2**64 - 1  # torch.manual_seed accepts 0 .. 2**64 - 1


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a recorded run. Defaults are the article's run."""

    data: DataSpec = field(default_factory=DataSpec)
    lr: float = 0.1
    batch_size: int = 2
    epochs: int = 100
    optimizer: str = "sgd"
    momentum: float | None = None  # None: 0.9 for "momentum", 0 for "sgd", 0 for "rmsprop"
    nesterov: bool = False
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    alpha: float = 0.99  # RMSprop smoothing constant
    weight_decay: float = 0.0
    shuffle: bool = False
    seed: int = 0
    init_a: float = 1.0
    init_b: float = 1.0
    drop_last: bool = True  # the article's len(X) // batch_size drops a short last batch

    @property
    def effective_momentum(self) -> float:
        if self.momentum is not None:
            return self.momentum
        return 0.9 if self.optimizer == "momentum" else 0.0

    def validate(self, n_points: int | None = None) -> "TrainConfig":
        """Raise :class:`InputError` for the first setting that is out of range."""
        def finite(name: str, value: float) -> None:
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
                raise InputError(f"{name} must be a finite number, got {value!r}")
            if abs(value) > FLOAT32_MAX:
                raise InputError(f"{name} must be a finite number within +-3.4e38 (training runs in float32), got {value:g}")

        for name in ("lr", "beta1", "beta2", "eps", "alpha", "weight_decay", "init_a", "init_b"):
            finite(name, getattr(self, name))
        if self.lr <= 0:
            raise InputError(f"learning rate must be > 0, got {self.lr:g}")
        for name in ("batch_size", "epochs", "seed"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise InputError(f"{name.replace('_', ' ')} must be a whole number, got {value!r}")
        if not 0 <= self.seed <= MAX_SEED:
            raise InputError(f"seed must be a whole number from 0 to {MAX_SEED}, got {self.seed}")
        if self.batch_size < 1:
            raise InputError(f"batch size must be >= 1, got {self.batch_size}")
        if self.epochs < 1:
            raise InputError(f"epochs must be >= 1, got {self.epochs}")
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"unknown optimizer {self.optimizer!r}; accepted: {', '.join(OPTIMIZERS)}")
        if self.momentum is not None:
            finite("momentum", self.momentum)
            if not 0 <= self.momentum < 1:
                raise InputError(f"momentum must be in [0, 1), got {self.momentum:g}")
            if self.optimizer in ("adam", "adagrad"):
                raise InputError(f"--momentum does not apply to {self.optimizer}; use it with sgd, momentum or rmsprop")
        if self.nesterov and (self.optimizer not in ("sgd", "momentum") or self.effective_momentum <= 0):
            raise InputError("nesterov needs SGD with momentum > 0 (for example --optimizer momentum)")
        for name in ("beta1", "beta2", "alpha"):
            if not 0 <= getattr(self, name) < 1:
                raise InputError(f"{name} must be in [0, 1), got {getattr(self, name):g}")
        if self.eps <= 0:
            raise InputError(f"eps must be > 0, got {self.eps:g}")
        if self.weight_decay < 0:
            raise InputError(f"weight decay must be >= 0, got {self.weight_decay:g}")
        if n_points is not None:
            if self.batch_size > n_points:
                raise InputError(f"batch size {self.batch_size} is larger than the data ({n_points} points)")
            per_epoch = batches_per_epoch(n_points, self.batch_size, self.drop_last)
            if per_epoch * self.epochs > MAX_STEPS:
                raise InputError(
                    f"{self.epochs} epochs of {per_epoch} batches is {per_epoch * self.epochs:,} steps; "
                    f"at most {MAX_STEPS:,} are allowed (so that a run fits in 4 GB of memory)")
            samples = (per_epoch * self.batch_size if self.drop_last else n_points) * self.epochs
            if samples > MAX_SAMPLES:
                raise InputError(
                    f"{self.epochs} epochs of {samples // self.epochs:,} samples records {samples:,} samples "
                    f"(a prediction and a residual each); at most {MAX_SAMPLES:,} are allowed "
                    "(so that a run fits in 4 GB of memory): use fewer epochs, points or a smaller batch")
        return self

    @property
    def has_momentum(self) -> bool:
        """Adam and Adagrad take no momentum setting (Adam's first moment is its own)."""
        return self.optimizer not in ("adam", "adagrad")

    def to_dict(self) -> dict:
        """As stored in a trace: the momentum actually used, and none for Adam and Adagrad."""
        d = asdict(self)
        d["data"] = self.data.to_dict()
        if self.has_momentum:
            d["momentum"] = self.effective_momentum
        else:
            del d["momentum"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise InputError(f"unknown training setting(s): {', '.join(unknown)}; accepted: {', '.join(sorted(known))}")
        kwargs = dict(d)
        data = kwargs.get("data")
        if isinstance(data, dict):
            kwargs["data"] = DataSpec(**data)
        return cls(**kwargs)
