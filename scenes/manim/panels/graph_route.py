"""How the graph panel's edges run: straight from a node's box to the next one's when that line
crosses no text, else around the texts. A network's graph has tall columns whose class names
(above a box) and value lines (under it) are wider than the box: a straight line rising into
a box from below-left ran through "AddmmBackward0" or the lines under the box it passed.

A routed edge leaves its source's box level until its column ends, crosses the gap to the
next column (where no node's text stands: a column is as wide as its widest stack), runs level
through the columns it spans at a height clear of their texts, crosses the last gap and
arrives level at its target's box. The geometry is pure numpy on :class:`Box`; the mobject
(:class:`RoutedArrow`) is a polyline and an arrow on its last, level stretch.
"""
from __future__ import annotations

import numpy as np
from manim import Arrow, VGroup, VMobject

from scenes.layout_check import ARROW, Box, polyline_hits
from scenes.manim.style import tag

__all__ = ["edge_arrows", "route_edges", "crossings", "segments", "RoutedArrow", "Segment"]

MARGIN = 0.03  # scene units: an edge keeps this far from a text's box
ARROW_STYLE = dict(stroke_width=2.5, max_tip_length_to_length_ratio=0.12, tip_length=0.16)
HEAD = 0.03    # the least level run before a routed edge's tip (a narrow gap shortens the tip)


def edge_arrows(boxes: list[tuple], edges: list[tuple[int, int]], col: dict[int, int], col_lo: list[float],
                col_hi: list[float], texts: list[Box], inside: Box) -> tuple[list, list[np.ndarray]]:
    """The graph's edges as mobjects, each tagged as an arrow with its path (``layout_route``)
    for the layout check, and their paths: ``boxes`` are each edge's (source, target) box
    mobjects; an edge straight from one's right side to the other's left is kept when it
    crosses none of ``texts``, else :func:`route_edges` takes it around them."""
    straight = [Arrow(a.get_right(), b.get_left(), buff=0.04, **ARROW_STYLE) for a, b in boxes]
    by_id = {}
    for (u, v), (a, b) in zip(edges, boxes):
        by_id[u], by_id[v] = _box(a), _box(b)
    lines, tips = route_edges(edges, [(a.get_start(), a.get_end()) for a in straight], col, by_id, col_lo, col_hi,
                              texts, inside, HEAD)
    arrows = []
    for arrow, route, tip in zip(straight, lines, tips):
        arrow = arrow if len(route) == 2 else RoutedArrow(route, tip, **ARROW_STYLE)
        arrow.layout_route = route
        arrows.append(tag(arrow, ARROW))
    return arrows, lines


def _box(m) -> Box:
    return Box(m.get_left()[0], m.get_bottom()[1], m.get_right()[0], m.get_top()[1])


def crossings(points: np.ndarray, texts: list[Box], margin: float = MARGIN) -> int:
    """How many of ``texts`` the polyline ``points`` runs through (kept ``margin`` apart)."""
    return sum(1 for b in texts if polyline_hits(points, b.expanded(margin)))


PORTS = 0.7  # the share of a box's side over which the edges that meet it level are spread


def route_edges(edges: list[tuple[int, int]], ends: list[tuple[np.ndarray, np.ndarray]], col: dict[int, int],
                boxes: dict[int, Box], col_lo: list[float], col_hi: list[float], texts: list[Box], inside: Box,
                head: float) -> tuple[list[np.ndarray], list[float]]:
    """Each edge's polyline (rows of x, y), and the longest its arrow's tip may be (its target
    shares its side with that many other edges, each tip within its own share; inf when free).

    ``edges``: (source, target) node ids; ``ends``: the straight arrow's start (the source's
    box, right side) and end (the target's box, left side); ``col``: each node's column, the
    columns spanning ``col_lo[c]``..``col_hi[c]``; ``boxes``: each node's box. An edge stays
    straight when that crosses none of ``texts`` (most of the line model's graph). Else, with
    as little changed as will do (:func:`_bent`), it runs level into its target's column
    (past a class name wider than the box under it) or out of its source's column, straight
    between. Else it is routed: level out of its source's column, a turn in the gap after it,
    level through the columns between at a height clear of their texts (:func:`_lane`), a
    turn in the gap before its target's column, and level into its target (its last stretch
    at least ``head`` long: the tip lies along it). Edges that are not straight meet a box at
    heights of their own, spread down its side in the order of the nodes at their other ends,
    and edges turning in one gap each turn at a place of their own across it."""
    out: list[np.ndarray] = [np.array([np.asarray(a, float)[:2], np.asarray(b, float)[:2]]) for a, b in ends]
    tips = [np.inf] * len(edges)
    bent, routed = [], []
    for j, (u, v) in enumerate(edges):
        if col[v] <= col[u] or col_lo[col[v]] <= col_hi[col[u]] or not crossings(out[j], texts, margin=0.0):
            continue
        b = _bent(out[j], col_hi[col[u]], col_lo[col[v]], head, texts)
        (bent if b is not None else routed).append(j)
        if b is not None:
            out[j] = b
    moved = bent + routed
    if not moved:
        return out, tips
    y0, _ = _ports(moved, edges, boxes, 0, lambda j: -boxes[edges[j][1]].y1)
    y1, share = _ports(moved, edges, boxes, 1, lambda j: -boxes[edges[j][0]].y1)
    for j in bent:  # at its own heights, if that still crosses no text
        (ax, _), (bx, _) = out[j][0], out[j][-1]
        b = _bent(np.array([(ax, y0[j]), (bx, y1[j])]), col_hi[col[edges[j][0]]], col_lo[col[edges[j][1]]],
                  head, texts)
        if b is not None:
            out[j], tips[j] = b, 0.9 * share[j]
    turns: dict[int, list[tuple[float, int, int]]] = {}  # gap (its left column) -> (|rise|, edge, which turn)
    lane: dict[int, float] = {}
    for j in routed:
        cu, cv = col[edges[j][0]], col[edges[j][1]]
        lane[j] = y0[j] if cv == cu + 1 else _lane(y0[j], y1[j], col_lo[cu + 1], col_hi[cv - 1], texts, inside)
        turns.setdefault(cu, []).append((abs(lane[j] - y0[j]), j, 0))
        turns.setdefault(cv - 1, []).append((abs(y1[j] - lane[j]), j, 1))
    at: dict[tuple[int, int], float] = {}
    for c, ts in turns.items():
        # A short rise turns first: its level stretch then passes no longer rise's turn.
        ts.sort()
        lo, hi = col_hi[c], col_lo[c + 1]
        for k, (_, j, which) in enumerate(ts):
            at[j, which] = lo + (k + 1) / (len(ts) + 1) * (hi - lo)
    for j in routed:
        (ax, _), (bx, _) = out[j]
        cu, cv = col[edges[j][0]], col[edges[j][1]]
        xa = min(max(at[j, 0], ax + 0.05), bx - head)
        xb = max(min(at[j, 1], bx - head), xa)
        if cv == cu + 1:
            pts = [(ax, y0[j]), (xa, y0[j]), (xa, y1[j]), (bx, y1[j])]
        else:
            pts = [(ax, y0[j]), (xa, y0[j]), (xa, lane[j]), (xb, lane[j]), (xb, y1[j]), (bx, y1[j])]
        pts = _clean(pts)
        if crossings(pts, texts) < crossings(out[j], texts):
            out[j], tips[j] = pts, 0.9 * share[j]
    return out, tips


def _bent(straight: np.ndarray, x_out: float, x_in: float, head: float, texts: list[Box]) -> np.ndarray | None:
    """The straight edge with as little changed as lets it cross no text, or None: level
    into its target's column (past a class name wider than the box it stands over), level
    out of its source's column, or both, the rest of the way straight."""
    (ax, ay), (bx, by) = straight
    xa, xb = max(x_out, ax), min(x_in, bx - head)
    if xb <= xa:
        return None
    for pts in ([(ax, ay), (xb, by), (bx, by)], [(ax, ay), (xa, ay), (bx, by)],
                [(ax, ay), (xa, ay), (xb, by), (bx, by)]):
        pts = _clean(pts)
        if not crossings(pts, texts):
            return pts
    return None


def _ports(moved: list[int], edges, boxes: dict[int, Box], end: int, order) -> tuple[dict[int, float], dict[int, float]]:
    """The height at which each edge of ``moved`` meets its node (``end`` 0: the source, 1:
    the target): the box's middle for one edge, else spread down :data:`PORTS` of the box's
    side in ``order``; and the height each one's share of the side is."""
    by_node: dict[int, list[int]] = {}
    for j in moved:
        by_node.setdefault(edges[j][end], []).append(j)
    at, share = {}, {}
    for node, js in by_node.items():
        b = boxes[node]
        js.sort(key=order)
        for k, j in enumerate(js):
            at[j] = (b.y0 + b.y1) / 2 + (0.5 - (k + 0.5) / len(js)) * b.height * PORTS
            share[j] = np.inf if len(js) == 1 else b.height * PORTS / len(js)
    return at, share


def _lane(y0: float, y1: float, x_in: float, x_out: float, texts: list[Box], inside: Box) -> float:
    """The height at which an edge crosses the columns from ``x_in`` to ``x_out``: its
    source's height, its target's, or just above or under a text there, the nearest their
    middle first; the first that crosses no text, else the one that crosses fewest."""
    between = [b for b in texts if b.x1 > x_in and b.x0 < x_out]
    mid = (y0 + y1) / 2
    others = sorted({y for b in between for y in (b.y1 + 2 * MARGIN, b.y0 - 2 * MARGIN)}, key=lambda y: abs(y - mid))
    best, fewest = y0, None
    for y in (y0, y1, *others):
        if not inside.y0 < y < inside.y1:
            continue
        n = crossings(np.array([(x_in, y), (x_out, y)]), texts)
        if n == 0:
            return y
        if fewest is None or n < fewest:
            best, fewest = y, n
    return best


def _clean(points) -> np.ndarray:
    """The polyline without repeated or collinear middle points."""
    out: list[np.ndarray] = []
    for p in (np.asarray(q, float) for q in points):
        if out and np.allclose(p, out[-1]):
            continue
        if len(out) >= 2:
            a, b = out[-2], out[-1]
            if abs((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])) < 1e-9:
                out[-1] = p
                continue
        out.append(p)
    return np.array(out)


class Segment:
    """One stretch of a polyline, with the ends an edge's label is placed by."""

    def __init__(self, a, b):
        self.a, self.b = np.array([a[0], a[1], 0.0]), np.array([b[0], b[1], 0.0])

    def get_start(self):
        return self.a

    def get_end(self):
        return self.b

    @property
    def length(self) -> float:
        return float(np.linalg.norm(self.b - self.a))


def segments(points: np.ndarray) -> list[Segment]:
    """A polyline's stretches, the longest first (an edge's label goes by the longest that has room)."""
    return sorted((Segment(a, b) for a, b in zip(points[:-1], points[1:])), key=lambda s: -s.length)


class RoutedArrow(VGroup):
    """An edge drawn along a polyline: the stretches before the last as a line, the last as an
    :class:`Arrow` whose tip is as long as the straight arrow's would be. Answers what the
    panel and the layout check ask of an edge (``get_start``, ``get_end``, ``get_tip``,
    ``layout_route``)."""

    def __init__(self, points: np.ndarray, tip: float = np.inf, **arrow):
        super().__init__()
        pts = np.column_stack([points, np.zeros(len(points))])
        self.body = VMobject(stroke_width=arrow.get("stroke_width", 2.5)).set_points_as_corners(pts[:-1])
        last = float(np.linalg.norm(pts[-1] - pts[-2]))
        total = float(sum(np.linalg.norm(pts[1:] - pts[:-1], axis=1)))
        # Arrow caps its tip at a share of its own length: the share of the whole edge's.
        ratio = arrow.pop("max_tip_length_to_length_ratio", 0.25) * total / max(last, 1e-9)
        # no longer than its share of its target's side, so that tips side by side stay apart
        # and no longer than most of its last stretch (a narrow gap between columns)
        arrow["tip_length"] = min(arrow.get("tip_length", 0.35), tip, 0.8 * last)
        self.head = Arrow(pts[-2], pts[-1], buff=0, max_tip_length_to_length_ratio=ratio,
                          max_stroke_width_to_length_ratio=1e3, **arrow)
        self.add(self.body, self.head)
        self.layout_route = np.asarray(points, float)

    def get_start(self):
        return self.body.get_start()

    def get_end(self):
        return self.head.get_end()

    def get_tip(self):
        return self.head.get_tip()
