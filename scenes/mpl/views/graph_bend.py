"""How far a graph edge bends: an edge that skips a column (a network's second weight, from
its transpose straight to the last Addmm) ran straight through the box of the column between
(the Tanh's, its arrow merging with the Tanh's own). Such an edge is drawn as matplotlib's
``arc3`` curve, bent just enough to clear every other node's box and the rule under it; an
edge that clears them straight stays straight.

Pure numpy on pixel points: the graph view's data units are its pixels, and ``arc3`` bends
in display space the same way (:func:`curve` is its curve).
"""
from __future__ import annotations

import numpy as np

from scenes.layout_check import Box, polyline_hits

__all__ = ["BENDS", "LABEL_AT", "curve", "bend", "along", "label_places"]

# arc3's rad, tried in this order: straight first, then gently, either way, then more.
BENDS = (0.0, 0.1, -0.1, 0.2, -0.2, 0.3, -0.3, 0.45, -0.45)
# Where along its edge a label stands, tried in this order: the middle, then either side.
LABEL_AT = (0.5, 0.35, 0.65, 0.25, 0.75)


def _control(a, b, rad: float) -> np.ndarray:
    """arc3's control point: the middle, moved ``rad`` times the chord, square to it."""
    (x0, y0), (x1, y1) = a, b
    return np.array([(x0 + x1) / 2 + rad * (y1 - y0), (y0 + y1) / 2 - rad * (x1 - x0)])


def curve(a, b, rad: float, n: int = 41) -> np.ndarray:
    """The edge's course from ``a`` to ``b``: ``n`` points of arc3's quadratic curve."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 2 * np.asarray(a, float) + 2 * t * (1 - t) * _control(a, b, rad) + t ** 2 * np.asarray(b, float)


def along(a, b, rad: float, t: float = 0.5) -> tuple[float, float]:
    """The curve's point at ``t`` (0: ``a``, 1: ``b``)."""
    m = (1 - t) ** 2 * np.asarray(a, float) + 2 * t * (1 - t) * _control(a, b, rad) + t ** 2 * np.asarray(b, float)
    return float(m[0]), float(m[1])


def label_places(edges: list[tuple], half: tuple[float, float]) -> list[tuple[float, float]]:
    """Where each edge's label stands (``edges``: (a, b, rad) each): the middle of its edge,
    or the first place along it (LABEL_AT) where no other edge runs through a label of
    half-size ``half`` (an edge bent around a box crosses the short edges near its ends)."""
    courses = [curve(a, b, rad) for a, b, rad in edges]
    out = []
    for j, (a, b, rad) in enumerate(edges):
        others = [c for i, c in enumerate(courses) if i != j]
        place = along(a, b, rad)
        for t in LABEL_AT:
            x, y = along(a, b, rad, t)
            box = Box(x - half[0], y - half[1], x + half[0], y + half[1])
            if not any(polyline_hits(c, box) for c in others):
                place = (x, y)
                break
        out.append(place)
    return out


def bend(a, b, obstacles: list[Box]) -> float:
    """The first of BENDS whose curve enters none of ``obstacles``; if none is clear, the one
    entering the fewest (straight when that ties)."""
    best, fewest = 0.0, None
    for rad in BENDS:
        hits = sum(polyline_hits(curve(a, b, rad), o) for o in obstacles)
        if hits == 0:
            return rad
        if fewest is None or hits < fewest:
            best, fewest = rad, hits
    return best
