"""The matplotlib graph view's edges that skip a column bend around the boxes between, and
the layout check finds an edge that runs through a text of the graph.

A network's graph (``mlp``, 8 tanh units) has an edge from the second weight's transpose
straight to the last Addmm, two columns on: drawn straight it ran through the Tanh's box
(under its class name), its arrowhead merging with the Tanh's own, and the mpl layout check
did not look at graph edges at all.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from scenes.layout_check import Box, polyline_hits
from scenes.mpl.views.graph_bend import along, bend, curve, label_places

SIZE = (1280, 720)
VIEWS = ("fit", "graph", "loss", "params")


# ----------------------------------------------------------------- the geometry, pure numpy
def test_a_clear_edge_stays_straight_and_a_blocked_one_bends_clear():
    a, b = (0.0, 0.0), (400.0, 0.0)
    assert bend(a, b, [Box(150, 30, 250, 80)]) == 0.0  # the box is above the chord
    block = Box(150, -20, 250, 20)
    rad = bend(a, b, [block])
    assert rad != 0.0 and not polyline_hits(curve(a, b, rad), block)
    assert polyline_hits(curve(a, b, 0.0), block)


def test_the_curve_is_matplotlibs_arc3():
    """The course tested is the one matplotlib draws (arc3's control point, display space)."""
    from matplotlib.patches import ConnectionStyle
    a, b, rad = (10.0, 20.0), (300.0, 80.0), 0.3
    path = ConnectionStyle("arc3", rad=rad)(a, b, shrinkA=0, shrinkB=0)
    (x0, y0), ctrl, (x1, y1) = path.vertices[:3]
    t = 0.3
    want = (1 - t) ** 2 * np.array([x0, y0]) + 2 * t * (1 - t) * ctrl + t ** 2 * np.array([x1, y1])
    assert np.allclose(along(a, b, rad, t), want, atol=1e-9)


def test_a_label_leaves_the_middle_when_another_edge_runs_through_it():
    short = ((0.0, 0.0), (0.0, 100.0), 0.0)          # a vertical edge, its label at (0, 50)
    across = ((-50.0, 50.0), (50.0, 50.0), 0.0)      # crosses it at its middle
    places = label_places([short, across], (8.0, 4.0))
    assert places[0] != (0.0, 50.0) and abs(places[0][1] - 50.0) >= 8.0
    assert label_places([short], (8.0, 4.0))[0] == (0.0, 50.0)


# ----------------------------------------------------------------- a network's graph, drawn
@pytest.fixture(scope="module")
def network_scene():
    import matplotlib

    from benchmarks.layout_matrix import MODEL_RUNS
    from scenes.mpl.render import FrameRenderer, _setup, build_plan
    from training.recorder import record

    trace = record(dataclasses.replace(MODEL_RUNS["mlp-sine"], epochs=1, graph_steps=(1,)))
    with matplotlib.rc_context({"text.hinting": "none"}):
        sc = _setup(trace, SIZE, "light", VIEWS)
        yield sc, FrameRenderer(sc, build_plan(trace, None, 4))


def _gradient_frame(sc, r):
    from scenes.story.plan import GRADIENT
    r.draw_state(0, GRADIENT, 1.0)


@pytest.mark.slow  # records a network (torch) and draws it: 4 s with the next
def test_a_network_s_graph_passes_the_layout_check_with_a_bent_edge(network_scene):
    from scenes.mpl.layout_check import check_scene
    sc, r = network_scene
    _gradient_frame(sc, r)
    v = sc.view("graph")
    bent = [a for a in v.arrows if a.get_visible() and getattr(a.get_connectionstyle(), "rad", 0.0) != 0.0]
    assert len(bent) >= 1
    assert not [p for p in check_scene(sc) if "graph" in p.message], "\n".join(map(str, check_scene(sc)))


@pytest.mark.slow
def test_the_layout_check_finds_a_graph_edge_through_a_text(network_scene):
    """The rule itself: the same frame with every edge straight again fails it."""
    from scenes.mpl.layout_check import check_scene
    sc, r = network_scene
    _gradient_frame(sc, r)
    v = sc.view("graph")
    rads = [a.get_connectionstyle() for a in v.arrows]
    try:
        for a in v.arrows:
            a.set_connectionstyle("arc3,rad=0")
        found = [p for p in check_scene(sc) if p.rule == "crosses" and p.message.startswith("graph:")]
        assert found and "TanhBackward0" in found[0].message
    finally:
        for a, cs in zip(v.arrows, rads):
            a.set_connectionstyle(cs)
