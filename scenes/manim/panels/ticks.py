"""Axis ticks: where they go (matplotlib's locator, so both backends agree) and their labels."""
from __future__ import annotations

import numpy as np

__all__ = ["nice_ticks", "tick_label"]


def nice_ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    from matplotlib.ticker import MaxNLocator

    t = MaxNLocator(nbins=n, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
    return t[(t >= lo - 1e-12) & (t <= hi + 1e-12)]


def tick_label(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-3:
        return f"{v:.0e}"
    return f"{v:g}".replace("-", "−")
