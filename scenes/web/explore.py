"""The explorer's grid: the runs ``--format html --explore`` records and puts behind sliders.

Learning rate × batch size × momentum, around the job's other settings. The grid reaches
into the corner where SGD diverges (learning rate 1.0 on the article's data), so a reader
can see where it breaks. No torch here: the caller records the runs (render.py, with the
trace cache) and hands over the traces.
"""
from __future__ import annotations

from dataclasses import replace

from training.config import TrainConfig
from training.errors import InputError

__all__ = ["AXES", "grid_configs", "check_explorable"]

# (setting, slider label, values): the sliders snap to these values.
AXES: tuple[tuple[str, str, tuple], ...] = (
    ("lr", "learning rate", (0.03, 0.1, 0.3, 1.0)),
    ("batch_size", "batch size", (1, 2, 6)),
    ("momentum", "momentum", (0.0, 0.9)),
)


def check_explorable(cfg: TrainConfig) -> None:
    """The grid varies SGD's momentum: only plain SGD or SGD with momentum can be explored."""
    if cfg.optimizer not in ("sgd", "momentum"):
        raise InputError(f"--explore varies SGD's learning rate, batch size and momentum; "
                         f"it does not apply to --optimizer {cfg.optimizer} (use sgd or momentum)")
    if cfg.nesterov:
        raise InputError("--explore varies the momentum from 0, which Nesterov momentum cannot take; drop --nesterov")


def grid_configs(base: TrainConfig, n_points: int) -> tuple[list[tuple[str, str, tuple]], list[tuple[dict, TrainConfig]]]:
    """The axes (batch sizes larger than the data left out) and, for every point of the grid,
    the values that vary and the full settings of that run (the base's, with those values)."""
    check_explorable(base)
    axes = []
    for key, label, values in AXES:
        if key == "batch_size":
            values = tuple(v for v in values if v <= n_points) or (n_points,)
        axes.append((key, label, values))
    runs: list[tuple[dict, TrainConfig]] = []

    def walk(i: int, chosen: dict) -> None:
        if i == len(axes):
            cfg = replace(base, optimizer="sgd", **chosen)
            cfg.validate(n_points)
            runs.append((dict(chosen), cfg))
            return
        key, _, values = axes[i]
        for v in values:
            walk(i + 1, {**chosen, key: v})

    walk(0, {})
    return axes, runs
