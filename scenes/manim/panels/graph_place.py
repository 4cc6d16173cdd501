"""Where the graph panel's free-standing texts go: an edge's gradient beside its arrow and a
node's local rule beside its box, each at the first place clear of the texts already placed
(and of the edges, for rules), else the least crowded one. Pure geometry on Manim mobjects'
bounding boxes, so :mod:`scenes.manim.panels.graph` only says what to place."""
from __future__ import annotations

import numpy as np

from scenes.layout_check import Box, polyline_hits
from scenes.manim.panels.graph_route import segments
from scenes.story.graph_text import graph_shape

__all__ = ["box_of", "hits", "label_clear", "place_edge_label", "place_gradient", "place_rule"]


def box_of(m) -> Box:
    """A mobject's bounding box, in scene units."""
    return Box(m.get_left()[0], m.get_bottom()[1], m.get_right()[0], m.get_top()[1])


def hits(b: Box, taken: list[Box], lines: list[np.ndarray]) -> int:
    """How many of the boxes taken and of the polylines ``b`` runs into."""
    return (sum(1 for o in taken if min(b.x1, o.x1) > max(b.x0, o.x0) and min(b.y1, o.y1) > max(b.y0, o.y0))
            + sum(1 for p in lines if polyline_hits(p, b)))


def place_edge_label(m, arrow, extents: list[Box], short=None, texts: list[Box] | None = None,
                     lines: list[np.ndarray] = (), inside: Box | None = None):
    """``m`` (the gradient an edge carried back) above the edge, where it is clear of the
    nodes' texts: its middle first, then nearer either end; under the edge if above is full.
    Returns the label placed (``m`` or ``short``).

    ``extents`` are whole nodes (class name, box and the lines under it as one rectangle). When
    no place is clear of them (a network's crowded graph: two columns' stacks leave a short
    edge no room) and ``texts`` is given (each text's own box: class names, boxes, the lines
    under them, the labels placed before), the least crowded place stays if it touches none of
    those; else :func:`_clear_of_texts` looks for a place for ``short`` (the tensor's shape
    alone, as matplotlib's graph view writes it: its range is in the node it flowed to), then
    for ``m``, further from the edge too."""
    start, d = arrow.get_start(), arrow.get_end() - arrow.get_start()
    normal = np.array([-d[1], d[0], 0.0]) / (np.linalg.norm(d) or 1.0)
    if normal[1] < 0:
        normal = -normal
    best, fewest = _near_edge(m, start, d, normal, extents, inside, lines)
    if fewest == 0 or texts is None:
        return m.move_to(best)
    if label_clear(m.move_to(best), texts, lines, inside):
        return m  # it runs into a node's rectangle, but into none of its texts nor any edge
    for label in (short, m):
        if label is not None:
            spot = _clear_of_texts(label, start, d, normal, texts, lines, inside)
            if spot is not None:
                return label.move_to(spot)
    return m.move_to(best)


def place_gradient(make, grad: str, route: np.ndarray, extents: list[Box], texts: list[Box],
                   lines: list[np.ndarray], inside: Box):
    """The label ``make(grad)`` of the edge along ``route`` (its polyline), beside the longest
    stretch of it where it touches no text and crosses no edge of ``lines``
    (:func:`place_edge_label` on each stretch, the longest first); else the least crowded
    place beside the longest stretch, if it crosses no edge; else a long list's length alone,
    "(16)", where that is clear (its values stand under the node it flowed to, as
    matplotlib's compact graph writes it); else that least crowded place."""
    short = graph_shape(grad)
    stretches = segments(route)

    def place(seg, text=grad, alt=short):
        return place_edge_label(make(text), seg, extents, make(alt) if alt else None, texts, lines, inside)
    for seg in stretches:
        m = place(seg)
        if label_clear(m, texts, lines, inside):
            return m
    least = place(stretches[0])
    if not hits(box_of(least), [], lines):
        return least
    length = grad.rsplit(" … ", 1)[1] if " … (" in grad else None
    for seg in stretches if length else ():
        m = place(seg, length, None)
        if label_clear(m, texts, lines, inside):
            return m
    return least


def label_clear(m, texts: list[Box], lines: list[np.ndarray], inside: Box | None) -> bool:
    """Whether ``m`` where it stands touches none of ``texts`` (kept 0.04 apart), lies across
    none of the edges ``lines`` and stays ``inside``."""
    b = box_of(m)
    return (not hits(b.expanded(0.04), texts, []) and not hits(b, [], lines)
            and (inside is None or b.within(inside, tol=0.0)))


def _offset(m, normal):
    """From the edge to ``m``'s centre: just clear of the edge, whatever its slope."""
    return normal * (0.06 + abs(normal[0]) * m.width / 2 + abs(normal[1]) * m.height / 2)


def _near_edge(m, start, d, normal, boxes: list[Box], inside: Box | None = None, lines: list[np.ndarray] = ()):
    """The first place beside the edge clear of ``boxes`` and of the edges ``lines`` (its
    middle first, above it first), else the one that runs into the fewest; and how many it
    runs into. Leaving ``inside`` counts as running into one more."""
    off = _offset(m, normal)
    best, fewest = None, None
    for side in (1, -1):
        for f in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
            at = start + f * d + side * off
            b = box_of(m.move_to(at))
            n = (hits(b.expanded(0.04), boxes, []) + hits(b, [], lines)
                 + (inside is not None and not b.within(inside, tol=0.0)))
            if fewest is None or n < fewest:
                best, fewest = at, n
            if n == 0:
                return at, 0
    return best, fewest


def _clear_of_texts(m, start, d, normal, texts: list[Box], lines: list[np.ndarray], inside: Box | None):
    """The place for ``m`` beside the edge ``start``→``start + d`` that touches no text of
    ``texts`` (kept 0.04 apart) and stays ``inside``: of those, the one that crosses the fewest
    other edges, then the nearest its edge, then the nearest its middle. None if there is none."""
    best, key, off = None, None, _offset(m, normal)
    for far in range(4):  # the usual offset, then three quarters of a line further each time
        shift = off + normal * far * m.height * 0.75
        for side in (1, -1):
            for j, f in enumerate((0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8)):
                at = start + f * d + side * shift
                b = box_of(m.move_to(at))
                if (inside is not None and not b.within(inside, tol=0.0)) or hits(b.expanded(0.04), texts, []):
                    continue
                k = (hits(b, [], lines), far, j)
                if key is None or k < key:
                    best, key = at, k
    return best


def place_rule(m, ext: Box, taken: list[Box], lines: list[np.ndarray], inside: Box, lines_y: float,
               pad: float, clear: float):
    """``m`` (a node's local rule) beside the node whose texts span ``ext``: right of its lines
    (at height ``lines_y``), under them, left of them, above its class name; the first place
    inside ``inside`` that keeps ``clear`` from everything taken and every edge. Under or above
    a node by the cell's side, a rule wider than the node slides inward to stay inside. When
    none of those is clear (a routed edge turning beside the node, an edge's label under it),
    further down: under the lines by up to three of its heights, centred, then flush with
    either side of the node."""
    w, h = m.width, m.height
    half = w / 2 + 1e-9  # (x − w/2 rounds: a rule slid to the edge must not land a hair outside)
    mid = min(max((ext.x0 + ext.x1) / 2, inside.x0 + half), inside.x1 - half)
    places = [(ext.x1 + pad + w / 2, lines_y), (mid, ext.y0 - pad - h / 2),
              (ext.x0 - pad - w / 2, lines_y), (mid, ext.y1 + pad + h / 2)]
    further = [(x, ext.y0 - pad - h / 2 - k * h / 2) for k in range(1, 7)
               for x in (mid, ext.x0 + half, ext.x1 - half)]
    best, fewest = places[0], None
    for x, y in places + further:  # the four first: the rest only when none of them is clear
        b = Box(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        if not b.within(inside, tol=0.0):
            continue
        n = hits(b.expanded(clear), taken, lines)
        if fewest is None or n < fewest:
            best, fewest = (x, y), n
        if n == 0:
            break
    return m.move_to([best[0], best[1], 0.0])
