"""Where a legend goes: the first of its places where it covers none of the run's marks."""
from __future__ import annotations

import numpy as np

from scenes.layout_check import Box, polyline_hits

__all__ = ["LEGEND_PLACES", "count_hits", "mark_reach", "place_legend"]

LEGEND_PLACES = ("upper right", "upper left", "lower left", "lower right", "center right",
                 "center left", "upper center", "lower center")


def place_legend(leg, renderer, marks: list[np.ndarray], obstacles: list[Box],
                 prefer: tuple[str, ...]) -> bool:
    """Put ``leg`` where it covers no mark (pixel polylines, NaN rows break them) and no
    obstacle box: the first free place of ``prefer``, then of the other places. When none
    is free: the place that covers the fewest, and False."""
    best, best_hits = None, None
    reach = mark_reach(marks)
    for loc in (*prefer, *(p for p in LEGEND_PLACES if p not in prefer)):
        leg.set_loc(loc)
        e = leg.get_window_extent(renderer)
        box = Box(e.x0 + 1, e.y0 + 1, e.x1 - 1, e.y1 - 1)
        hits = count_hits(marks, reach, box)
        hits += sum(1 for o in obstacles if min(o.overlap(box)) > 0)
        if hits == 0:
            return True
        if best_hits is None or hits < best_hits:
            best, best_hits = loc, hits
    leg.set_loc(best)
    return False


def count_hits(marks: list[np.ndarray], reach: np.ndarray, box: Box) -> int:
    """How many of ``marks`` enter ``box`` (:func:`polyline_hits`). Only a mark whose points'
    box (``reach``, from :func:`mark_reach`) meets it, edges included, can: its segments lie within
    that box. The others are not looked at point by point."""
    near = ~((reach[:, 2] < box.x0) | (reach[:, 0] > box.x1) | (reach[:, 3] < box.y0) | (reach[:, 1] > box.y1))
    return sum(polyline_hits(marks[i], box) for i in np.flatnonzero(near))


def mark_reach(marks: list[np.ndarray]) -> np.ndarray:
    """Per mark, the box of its finite points (x0, y0, x1, y1); NaN for a mark with none."""
    out = np.full((len(marks), 4), np.nan)
    for i, m in enumerate(marks):
        p = np.asarray(m, dtype=float).reshape(-1, 2)
        p = p[np.isfinite(p).all(axis=1)]
        if len(p):
            out[i, :2], out[i, 2:] = p.min(axis=0), p.max(axis=0)
    return out
