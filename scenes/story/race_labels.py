"""Direct labels at a race's path heads, nudged apart vertically so that none overlaps
another (the least-squares stacking every race backend places its labels with)."""
from __future__ import annotations

import numpy as np

__all__ = ["spread_labels"]


def spread_labels(u: np.ndarray, v: np.ndarray, width: float, height: float,
                  lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """New v (view fractions) for labels at (u, v), ``width`` x ``height`` each, so no two
    labels whose columns overlap (|Δu| < width, and so on through neighbours) overlap
    vertically; each group is kept as near its heads as it can be (least squares), inside
    [lo + height/2, hi − height/2] when it fits there."""
    v = np.asarray(v, dtype=float).copy()
    u = np.asarray(u, dtype=float)
    n = len(v)
    group = np.arange(n)  # labels that share a column, through neighbours: one stack
    for i in range(n):
        for j in range(i + 1, n):
            if abs(u[i] - u[j]) < width and group[i] != group[j]:
                group[group == group[j]] = group[i]
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        order = members[np.lexsort((members, v[members]))]
        v[order] = _stack(v[order], height, lo + height / 2, hi - height / 2)
    return v


def _stack(want: np.ndarray, h: float, lo: float, hi: float) -> np.ndarray:
    """Positions >= h apart, in the order of ``want`` (sorted), nearest to it in least squares
    (blocks of touching labels sit at their mean), then pushed inside [lo, hi]."""
    blocks: list[list[float]] = []  # [first position, count, sum of (want - offset)]
    for w in want:
        blocks.append([w, 1, w])
        while len(blocks) > 1 and blocks[-2][0] + blocks[-2][1] * h > blocks[-1][0]:
            top = blocks.pop()
            prev = blocks[-1]
            total = prev[2] + top[2] - top[1] * prev[1] * h
            count = prev[1] + top[1]
            blocks[-1] = [total / count, count, total]
    x = np.concatenate([b[0] + h * np.arange(b[1]) for b in blocks])
    for i in range(len(x)):  # inside the view, still h apart: up from the bottom ...
        x[i] = max(x[i], lo if i == 0 else x[i - 1] + h)
    for i in range(len(x) - 1, -1, -1):  # ... and down from the top (wins if both cannot hold)
        x[i] = min(x[i], hi if i == len(x) - 1 else x[i + 1] - h)
    return x
