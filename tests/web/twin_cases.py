"""Random configurations for the twin's exactness test (tests/web/test_twin.py): every
optimizer and its settings, batch sizes 1..n, shuffle on and off with random seeds (some past
2**53), drop_last both ways, learning rates from tiny to diverging, random starting points,
zero_grad both ways, some graph steps; on the article's data, synthetic data and a CSV file.
A fixed seed, so a failure names a case that comes back."""
from __future__ import annotations

import math
import random
from pathlib import Path

from training.batches import batches_per_epoch
from training.config import TrainConfig
from training.data import DataSpec, Dataset, load_data

__all__ = ["data_sets", "random_configs", "SQRT_OPTIMIZERS"]

# Optimizers that take a square root: torch's (MKL's vsSqrt) is not IEEE's; the twin computes
# the one MKL's generic kernel does (scenes/web/twin/sqrt.js, docs/twin.md), which is this
# machine's; on a CPU where MKL takes another kernel these runs can differ by a few ulps.
SQRT_OPTIMIZERS = ("adam", "rmsprop", "adagrad")


def data_sets(folder: Path) -> list[tuple[DataSpec, Dataset]]:
    """The article's six points, two synthetic sets (one with outliers) and a CSV file."""
    csv = folder / "points.csv"
    rows = ["x,y"] + [f"{0.37 * i - 2.1:.6g},{math.sin(i) * 3 + 0.5 * i:.6g}" for i in range(23)]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    specs = [DataSpec(), DataSpec(kind="synthetic", n=40, noise=0.2, seed=3),
             DataSpec(kind="synthetic", n=11, slope=-2.0, intercept=4.0, noise=1.0, outliers=2, seed=9,
                      x_min=-3.0, x_max=5.0),
             DataSpec(kind="csv", path=str(csv))]
    return [(s, load_data(s)) for s in specs]


def random_configs(count: int, sets: list[tuple[DataSpec, Dataset]], seed: int = 20251207,
                   max_steps: int = 160) -> list[tuple[TrainConfig, Dataset]]:
    rnd = random.Random(seed)
    optimizers = ["sgd", "momentum", "adam", "rmsprop", "adagrad"]
    out = []
    for i in range(count):
        spec, data = sets[i % len(sets)]
        n = len(data)
        opt = optimizers[(i // len(sets)) % len(optimizers)]
        batch = rnd.choice([1, 2, n, rnd.randint(1, n)])
        drop_last = rnd.random() < 0.5
        per = batches_per_epoch(n, batch, drop_last)
        if per == 0:
            drop_last, per = False, batches_per_epoch(n, batch, False)
        epochs = max(1, min(rnd.randint(1, 40), max_steps // per))
        kw = dict(data=spec, optimizer=opt, batch_size=batch, drop_last=drop_last, epochs=epochs,
                  lr=10 ** rnd.uniform(-6, 1.2), shuffle=rnd.random() < 0.6,
                  seed=rnd.choice([0, 7, rnd.randint(0, 2**32), rnd.randint(0, 2**64 - 1)]),
                  init_a=rnd.uniform(-5, 5), init_b=rnd.uniform(-5, 5), zero_grad=rnd.random() < 0.75,
                  weight_decay=rnd.choice([0.0, 0.0, 10 ** rnd.uniform(-4, 0)]))
        if opt in ("sgd", "rmsprop") and rnd.random() < 0.6:
            kw["momentum"] = rnd.choice([0.0, rnd.uniform(0, 0.99)])
        if opt == "momentum" and rnd.random() < 0.5:
            kw["momentum"] = rnd.uniform(0.01, 0.99)
        if opt in ("sgd", "momentum") and rnd.random() < 0.4:
            kw["nesterov"] = TrainConfig(**{k: v for k, v in kw.items() if k != "data"}).effective_momentum > 0
        if opt == "adam":
            kw.update(beta1=rnd.choice([0.9, rnd.uniform(0, 0.999)]), beta2=rnd.choice([0.999, rnd.uniform(0.5, 0.9999)]))
        if opt in SQRT_OPTIMIZERS:
            kw["eps"] = rnd.choice([1e-8, 10 ** rnd.uniform(-10, -1)])
        if opt == "rmsprop":
            kw["alpha"] = rnd.choice([0.99, rnd.uniform(0.5, 0.999)])
        if rnd.random() < 0.15:
            last = per * epochs
            kw["graph_steps"] = sorted({1, rnd.randint(1, last), last})
        out.append((TrainConfig(**kw), data))
    return out
