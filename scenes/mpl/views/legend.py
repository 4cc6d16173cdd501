"""Where a legend goes: the first of its places where it covers none of the run's marks."""
from __future__ import annotations

import numpy as np

from scenes.layout_check import Box, polyline_hits

__all__ = ["LEGEND_PLACES", "place_legend"]

LEGEND_PLACES = ("upper right", "upper left", "lower left", "lower right", "center right",
                 "center left", "upper center", "lower center")


def place_legend(leg, renderer, marks: list[np.ndarray], obstacles: list[Box],
                 prefer: tuple[str, ...]) -> bool:
    """Put ``leg`` where it covers no mark (pixel polylines, NaN rows break them) and no
    obstacle box: the first free place of ``prefer``, then of the other places. When none
    is free: the place that covers the fewest, and False."""
    best, best_hits = None, None
    for loc in (*prefer, *(p for p in LEGEND_PLACES if p not in prefer)):
        leg.set_loc(loc)
        e = leg.get_window_extent(renderer)
        box = Box(e.x0 + 1, e.y0 + 1, e.x1 - 1, e.y1 - 1)
        hits = sum(polyline_hits(m, box) for m in marks)
        hits += sum(1 for o in obstacles if min(o.overlap(box)) > 0)
        if hits == 0:
            return True
        if best_hits is None or hits < best_hits:
            best, best_hits = loc, hits
    leg.set_loc(best)
    return False
