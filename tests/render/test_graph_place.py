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
