"""The Manim graph panel's edges cross no text (scenes/manim/panels/graph_route.py): a
network's edges ran straight through the class names ("AddmmBackward0") and the lines under
its crowded columns, and the article's own x → ŷ and ŷ → L through "input (no grad)" and
"MseLossBackward0". Built without rules (no MathTypst), each beat's texts as the layout check
reads them: class names, boxes' labels, the lines under them, the edges' gradients."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pytest.importorskip("manim")

from scenes.layout_check import TEXT, Box, polyline_hits  # noqa: E402
from scenes.story.plan import FORWARD, GRADIENT, UPDATE  # noqa: E402
from scenes.story.story import Story  # noqa: E402
from tests.graph_fixture import LINE_IDS, article_trace, with_graphs  # noqa: E402


def _panel(trace, compact=False):
    from scenes.manim.panels.graph import GraphPanel
    from scenes.manim.scenes import FULL_CELL, WALK_CELLS
    from scenes.manim.style import Style, register_font
    from scenes.story.theme import load_theme

    register_font()
    cell = WALK_CELLS["table"] if compact else FULL_CELL
    return GraphPanel(Style(load_theme("light")), Story(trace), cell, rules=False, headline=not compact,
                      compact=compact)


def _texts(mob) -> list:
    if getattr(mob, "layout_kind", None) == TEXT:
        return [mob]
    return [t for sub in mob.submobjects for t in _texts(sub)]


def _path(arrow) -> np.ndarray:
    route = getattr(arrow, "layout_route", None)  # main's edges were straight: start to end
    return np.asarray(route if route is not None else [arrow.get_start()[:2], arrow.get_end()[:2]])


def _crossed(p) -> list[tuple[int, str]]:
    """(edge, text) for every edge of the panel's graph that runs through a text it shows."""
    out = []
    for t in _texts(p.root):
        b = Box(t.get_left()[0], t.get_bottom()[1], t.get_right()[0], t.get_top()[1]).expanded(-0.01)
        out += [(e, t.layout_text) for e, (arrow, _, _) in enumerate(p.edges) if polyline_hits(_path(arrow), b)]
    return out


@pytest.mark.slow  # Manim typesets every text (a few seconds)
def test_the_article_s_graph_bends_only_the_two_edges_that_ran_through_a_class_name():
    p = _panel(with_graphs(article_trace(epochs=2), (0,)))
    for beat in (FORWARD, GRADIENT, UPDATE):
        p.show(0, beat, 1.0)
        assert _crossed(p) == [], beat
    g = p.gs.graphs[0]
    points = {tuple(e): len(_path(a)) for e, (a, _, _) in zip(g.edges, p.edges)}
    i = LINE_IDS
    bent = {(i["x"], i["pred"]), (i["pred"], i["L"])}  # past "input (no grad)", into L past "MseLossBackward0"
    assert {e for e, n in points.items() if n > 2} == bent
    assert all(points[e] == 3 for e in bent)  # one level stretch, the rest as straight as before


@pytest.fixture(scope="module")
def network():
    from scenes.job import build_job, load_config_file
    from tests.helpers import ROOT
    from training.recorder import record

    train = build_job([load_config_file(ROOT / "assets" / "configs" / "mlp_sine.toml")]).train
    return record(dataclasses.replace(train, epochs=1, graph_steps=(1,)), base_dir=ROOT)


@pytest.mark.slow  # Manim typesets every text; records a network
@pytest.mark.parametrize("compact", [False, True], ids=["backprop", "walkthrough"])
def test_a_network_s_edges_cross_no_class_name_line_or_gradient(network, compact):
    p = _panel(network, compact)
    for beat in (FORWARD, GRADIENT, UPDATE):
        p.show(0, beat, 1.0)
        assert _crossed(p) == [], beat
    if not compact:  # the crowded columns do route edges around their texts
        assert sum(len(_path(a)) > 2 for a, _, _ in p.edges) >= 4
