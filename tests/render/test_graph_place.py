"""Where the Manim graph panel puts its free texts (scenes/manim/panels/graph_place.py), on
hand-made geometry (rectangles stand in for typeset texts, so nothing is typeset): an edge's
gradient between two crowded stacks (mlp_sine's Tanh → ŷ, whose label sat on the class name
"AddmmBackward0"), and a local rule by the cell's side (the logistic model's ∂L/∂W, which sat
on wᵀ's lines). The real scenes: the backprop cases of the layout matrix (tests/matrix.py, --full-matrix)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("manim")

from manim import Line, Rectangle  # noqa: E402

from scenes.layout_check import Box  # noqa: E402
from scenes.manim.panels.graph_place import box_of, hits, place_edge_label, place_rule  # noqa: E402

INSIDE = Box(-6.81, -4.0, 6.81, 1.8)

# Two nodes a short edge apart: each stack (class name above, box, the lines under it) spans
# its widest line, so the two stacks leave the edge between them no room for a long label.
LEFT = (Box(-0.9, 0.25, 0.4, 0.35), Box(-0.4, -0.15, 0.0, 0.15), Box(-1.2, -0.6, 0.8, -0.2))
RIGHT = (Box(1.5, 0.1, 2.6, 0.2), Box(2.0, -0.15, 2.3, 0.15), Box(1.2, -0.6, 3.0, -0.2))
TEXTS = [*LEFT, *RIGHT]


def _extent(boxes) -> Box:
    return Box(min(b.x0 for b in boxes), min(b.y0 for b in boxes), max(b.x1 for b in boxes), max(b.y1 for b in boxes))


def _edge(x0: float, x1: float):
    return Line(np.array([x0, 0.0, 0.0]), np.array([x1, 0.0, 0.0]))


def _touching(m, boxes, gap=0.04) -> list[Box]:
    return [b for b in boxes if hits(box_of(m).expanded(gap), [b], [])]


def test_a_label_with_no_room_between_two_stacks_reads_the_shape_alone_and_touches_no_text():
    full, short = Rectangle(width=1.25, height=0.09), Rectangle(width=0.23, height=0.09)
    extents = [_extent(LEFT), _extent(RIGHT)]
    # Against the stacks alone (as before), the least crowded place lies on the left node's box.
    assert _touching(place_edge_label(full.copy(), _edge(0.0, 2.0), extents), TEXTS, gap=0.0)
    got = place_edge_label(full, _edge(0.0, 2.0), extents, short, TEXTS, [], INSIDE)
    assert got is short and _touching(got, TEXTS) == [] and box_of(got).within(INSIDE, tol=0.0)
    # Between the two boxes, beside its edge (within a line of it).
    b = box_of(got)
    assert 0.0 < b.x0 < b.x1 < 2.0 and abs((b.y0 + b.y1) / 2) < 0.2


def test_a_label_with_room_stays_where_it_always_was():
    """A long edge (the line's graph): the first place clear of the stacks, as before."""
    full, short = Rectangle(width=1.25, height=0.09), Rectangle(width=0.23, height=0.09)
    extents = [_extent(LEFT), _extent(tuple(Box(b.x0 + 4, b.y0, b.x1 + 4, b.y1) for b in RIGHT))]
    before = box_of(place_edge_label(full.copy(), _edge(0.0, 6.0), extents))
    got = place_edge_label(full, _edge(0.0, 6.0), extents, short, TEXTS, [], INSIDE)
    assert got is full and box_of(got) == before


def test_a_rule_by_the_cells_side_slides_inward_under_its_node_rather_than_onto_the_next():
    ext = Box(-6.81, 0.52, -5.09, 1.66)          # w's stack, at the cell's left margin
    neighbour = Box(-4.12, 0.52, -2.45, 1.66)    # wᵀ's stack, right of it
    rule = Rectangle(width=1.8, height=0.42)     # wider than w's stack
    got = box_of(place_rule(rule, ext, [ext, neighbour], [], INSIDE, 0.7, 0.12, 0.08))
    assert got.within(INSIDE, tol=0.0) and got.x0 == pytest.approx(INSIDE.x0)
    assert got.y1 < ext.y0 and not hits(got.expanded(0.08), [ext, neighbour], [])


# ------------------------------------------------------------------ edges around texts (graph_route)
# A network's crowded graph, by hand: column 0 holds a source at the top; column 1 a target
# lower down whose class name (above its box) and gradient line (under it) are wider than its
# box, and a second node above it; column 2 a node the long edge must pass.
COL_LO, COL_HI = [-6.0, -3.0, 0.5, 4.0], [-4.0, -0.5, 2.5, 5.0]
BOXES = {0: Box(-5.2, 1.85, -4.8, 2.15), 1: Box(-2.0, -0.15, -1.5, 0.15), 2: Box(-2.0, 1.85, -1.5, 2.15),
         3: Box(4.3, -0.15, 4.7, 0.15), 4: Box(1.3, 0.85, 1.7, 1.15), 5: Box(-5.2, -2.15, -4.8, -1.85)}
NAMES = [Box(-3.0, 0.2, -0.5, 0.3), Box(-3.0, -0.6, -0.5, -0.2),    # node 1: class name, gradient line
         Box(0.5, 0.6, 2.5, 1.4), Box(4.0, 0.2, 5.0, 0.3)]           # node 4's stack, node 3's class name
TEXTS_G = [*BOXES.values(), *NAMES]
COL = {0: 0, 5: 0, 1: 1, 2: 1, 4: 2, 3: 3}


def _ends(u, v):
    a, b = BOXES[u], BOXES[v]
    return np.array([a.x1 + 0.04, (a.y0 + a.y1) / 2, 0.0]), np.array([b.x0 - 0.04, (b.y0 + b.y1) / 2, 0.0])


def _route(edges):
    from scenes.manim.panels.graph_route import route_edges
    return route_edges(edges, [_ends(u, v) for u, v in edges], COL, BOXES, COL_LO, COL_HI, TEXTS_G, INSIDE, 0.03)


def test_an_edge_that_would_cross_a_class_name_goes_around_every_text():
    from scenes.manim.panels.graph_route import crossings
    edges = [(0, 1), (5, 1), (0, 2), (2, 3)]
    lines, tips = _route(edges)
    straight = [np.array([a[:2], b[:2]]) for a, b in (_ends(u, v) for u, v in edges)]
    # the straight lines: down into node 1 through its class name, up through its gradient
    # line, and across the columns through node 4's stack and node 3's class name
    assert [crossings(s, TEXTS_G, 0.0) for s in straight] == [1, 1, 0, 2]
    assert [crossings(p, TEXTS_G) for p in lines] == [0, 0, 0, 0]
    assert len(lines[2]) == 2 and np.allclose(lines[2], straight[2])  # clear: straight, as it was
    for p, s in zip(lines, straight):  # from the same box side to the same box side, arriving level
        assert p[0][0] == pytest.approx(s[0][0]) and p[-1][0] == pytest.approx(s[-1][0])
        assert p[-1][1] == pytest.approx(p[-2][1])
    for p in (lines[0], lines[1]):  # they turn in the gap between the two columns
        assert all(COL_HI[0] - 1e-9 <= x <= COL_LO[1] + 1e-9 for x, _ in p[1:-1])


def test_edges_that_meet_one_box_arrive_at_heights_of_their_own_with_tips_that_fit():
    lines, tips = _route([(0, 1), (5, 1)])
    ys = [p[-1][1] for p in lines]
    b = BOXES[1]
    assert ys[0] > ys[1] and all(b.y0 < y < b.y1 for y in ys)  # the upper source arrives higher
    assert all(t <= abs(ys[0] - ys[1]) + 1e-9 for t in tips)  # side by side, the tips do not touch
    (only,), (free,) = _route([(0, 1)])
    assert only[-1][1] == pytest.approx((b.y0 + b.y1) / 2) and free == np.inf
