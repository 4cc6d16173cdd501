"""Where the graph panel's free-standing texts go: an edge's gradient beside its arrow and a
node's local rule beside its box, each at the first place clear of the texts already placed
(and of the edges, for rules), else the least crowded one. Pure geometry on Manim mobjects'
bounding boxes, so :mod:`scenes.manim.panels.graph` only says what to place."""
from __future__ import annotations

import numpy as np

from scenes.layout_check import Box, polyline_hits

__all__ = ["box_of", "hits", "place_edge_label", "place_rule"]


def box_of(m) -> Box:
    """A mobject's bounding box, in scene units."""
    return Box(m.get_left()[0], m.get_bottom()[1], m.get_right()[0], m.get_top()[1])


def hits(b: Box, taken: list[Box], lines: list[np.ndarray]) -> int:
    """How many of the boxes taken and of the polylines ``b`` runs into."""
    return (sum(1 for o in taken if min(b.x1, o.x1) > max(b.x0, o.x0) and min(b.y1, o.y1) > max(b.y0, o.y0))
            + sum(1 for p in lines if polyline_hits(p, b)))


def place_edge_label(m, arrow, extents: list[Box]):
    """``m`` (the gradient an edge carried back) above the edge, where it is clear of the
    nodes' texts: its middle first, then nearer either end; under the edge if above is full."""
    start, end = arrow.get_start(), arrow.get_end()
    d = end - start
    normal = np.array([-d[1], d[0], 0.0]) / (np.linalg.norm(d) or 1.0)
    if normal[1] < 0:
        normal = -normal
    off = normal * (0.06 + abs(normal[0]) * m.width / 2 + abs(normal[1]) * m.height / 2)
    best, fewest = None, None
    for side in (1, -1):
        for f in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
            m.move_to(start + f * d + side * off)
            n = hits(box_of(m).expanded(0.04), extents, [])
            if fewest is None or n < fewest:
                best, fewest = start + f * d + side * off, n
            if n == 0:
                return m
    return m.move_to(best)


def place_rule(m, ext: Box, taken: list[Box], lines: list[np.ndarray], inside: Box, lines_y: float,
               pad: float, clear: float):
    """``m`` (a node's local rule) beside the node whose texts span ``ext``: right of its lines
    (at height ``lines_y``), under them, left of them, above its class name; the first place
    inside ``inside`` that keeps ``clear`` from everything taken and every edge."""
    w, h = m.width, m.height
    places = [(ext.x1 + pad + w / 2, lines_y), ((ext.x0 + ext.x1) / 2, ext.y0 - pad - h / 2),
              (ext.x0 - pad - w / 2, lines_y), ((ext.x0 + ext.x1) / 2, ext.y1 + pad + h / 2)]
    best, fewest = places[0], None
    for x, y in places:
        b = Box(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        if not b.within(inside, tol=0.0):
            continue
        n = hits(b.expanded(clear), taken, lines)
        if fewest is None or n < fewest:
            best, fewest = (x, y), n
        if n == 0:
            break
    return m.move_to([best[0], best[1], 0.0])
