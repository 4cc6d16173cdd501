"""The graph view's story (scenes/story/graph*.py): layout, phases in step with the beats, texts
and numbers, checked on graphs built in float64 closed form (tests/graph_fixture.py) and
against the article's hand calculation."""
from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from scenes.story.graph import BEAT_PHASES, GraphStory, graph_reveal
from scenes.story.graph_layout import graph_error, layout_graph
from scenes.story.graph_text import graph_number, graph_value
from scenes.story.plan import BEATS, FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE
from scenes.story.story import Story
from tests.graph_fixture import LINE_IDS as I, article_trace, line_graph, with_graphs


@pytest.fixture(scope="module")
def story():
    return Story(with_graphs(article_trace(), steps=(0, 1, 2)))


def test_fixture_is_the_article_by_hand():
    """The article's first batch: x = 0.2, 0.4, residuals 1.02 and 1.08, so L = 1.1034,
    ∂L/∂ŷ = 2(ŷ − y)/n = 1.02, 1.08, ∂L/∂a = 0.2·1.02 + 0.4·1.08 = 0.636, ∂L/∂b = 2.1."""
    g = line_graph(article_trace(), 0)
    by = {n["id"]: n for n in g["nodes"]}
    assert by[I["L"]]["value"] == pytest.approx((1.02 ** 2 + 1.08 ** 2) / 2, abs=1e-12)
    assert by[I["pred"]]["grad"] == pytest.approx([1.02, 1.08], abs=1e-12)
    assert by[I["a"]]["grad"] == pytest.approx(0.2 * 1.02 + 0.4 * 1.08, abs=1e-12)
    assert by[I["b"]]["grad"] == pytest.approx(1.02 + 1.08, abs=1e-12)


def test_layout_leaves_operations_loss(story):
    lay = story.graph.graphs[0].layout
    assert (lay.n_cols, lay.n_rows) == (4, 3)
    # Each leaf just left of the operation that takes it: every edge joins neighbouring columns.
    assert {k: lay.col[i] for k, i in I.items()} == {"a": 0, "aT": 1, "b": 1, "x": 1, "pred": 2, "y": 2, "L": 3}
    assert {k: lay.row[i] for k, i in I.items()} == {"a": 0, "aT": 0, "b": 1, "x": 2, "pred": 1, "y": 2, "L": 1.5}
    assert all(lay.col[v] == lay.col[u] + 1 for u, v in line_graph(article_trace(), 0)["edges"])
    assert lay.x(I["L"]) == 1.0 and lay.y(I["y"]) == 1.0 and lay.x(I["a"]) == 0.0 and lay.y(I["L"]) == 0.75


def test_layout_does_not_depend_on_the_listing_order():
    g = line_graph(article_trace(), 0)
    ref = layout_graph(g).to_dict()["nodes"]
    for seed in range(5):
        nodes = list(g["nodes"])
        random.Random(seed).shuffle(nodes)
        shuffled = layout_graph({**g, "nodes": nodes}).to_dict()["nodes"]
        assert sorted(shuffled, key=lambda n: n["id"]) == sorted(ref, key=lambda n: n["id"])


def test_layout_spreads_a_wide_column():
    """Many operations with the same inputs get distinct rows, at least one apart."""
    nodes = [{"id": 0, "op": "SumBackward0", "label": "L"}] + [
        {"id": i, "op": "MulBackward0", "label": f"m{i}"} for i in range(1, 6)] + [
        {"id": 6, "op": "AccumulateGrad", "label": "w", "param": "w"}]
    edges = [[6, i] for i in range(1, 6)] + [[i, 0] for i in range(1, 6)]
    lay = layout_graph({"step": 0, "nodes": nodes, "edges": edges})
    rows = sorted(lay.row[i] for i in range(1, 6))
    assert all(b - a >= 1 - 1e-12 for a, b in zip(rows, rows[1:]))
    assert lay.col[0] == 2 and lay.n_rows >= 5


def test_texts_of_the_article_batch(story):
    g = story.graph.graphs[0]
    n = {k: g.node(i) for k, i in I.items()}
    assert (n["L"].value, n["pred"].value, n["pred"].grad) == ("1.103", "1.200, 1.400", "1.020, 1.080")
    assert (n["a"].grad, n["b"].grad, n["a"].grad_name, n["b"].grad_name) == ("0.636", "2.100", "a.grad", "b.grad")
    assert (n["a"].grad_before, n["a"].value_after, n["b"].value_after) == ("None", "0.936", "0.790")
    assert n["pred"].rule == "∂L/∂ŷ = 2(ŷ − y)/n"
    assert n["a"].rule == "∂L/∂a = Σ x·∂L/∂ŷ" and n["b"].rule == "∂L/∂b = Σ ∂L/∂ŷ"
    assert n["x"].grad == "" and n["x"].op_text == "input (no grad)"
    assert g.edge_grads[g.edges.index((I["pred"], I["L"]))] == "1.020, 1.080"
    assert g.texts["loss"].endswith("L = 1.103") and "a and b" in g.texts["backward"]


def test_number_formats():
    assert [graph_number(v) for v in (0.636, 2.1, -1.02, 12.345, 123.45, 1234.5, 3.4e-5, None, float("nan"))] == [
        "0.636", "2.100", "−1.020", "12.35", "123.5", "1234", "3.40e−5", "None", "—"]
    assert graph_value([1.0, 2.0, 3.0, 4.0]) == "1.000, 2.000, 3.000 … (4)"
    assert graph_value([[0.5]]) != ""  # nested lists are not the contract's, but do not crash
    assert graph_value({"shape": [32, 1], "head": [0.1], "min": -0.5, "max": 2.25}) == "32×1: −0.500 … 2.250"


def _show(story, k, beat, t):
    return story.graph.frame(k, beat, t)


def test_phases_follow_the_beats(story):
    plan = story.plan()
    phases = []
    for k, beat, t in plan:
        if k == 0 and beat in BEAT_PHASES:
            p = _show(story, k, beat, t).phase
            if not phases or phases[-1] != p:
                phases.append(p)
    assert phases == ["forward", "loss", "zero_grad", "backward", "step"]
    assert _show(story, 0, INTRO, 0.5).phase == "intro"
    assert all(graph_reveal(b, 1.0).phase == "recorded" for b in (FAST, HOLD))


def test_forward_lights_left_to_right_and_backward_runs_right_to_left(story):
    lay = story.graph.graphs[0].layout
    lit_at, reached_at = {}, {}
    for t in np.linspace(0, 1, 41):
        for i, ns in _show(story, 0, FORWARD, t).nodes.items():
            if ns.lit and i not in lit_at:
                lit_at[i] = t
        for i, ns in _show(story, 0, GRADIENT, t).nodes.items():
            if ns.grad and i not in reached_at and i not in (I["a"], I["b"]):
                reached_at[i] = t
    assert I["L"] not in lit_at  # the loss lights in the residuals beat
    assert lit_at[I["a"]] < lit_at[I["aT"]] < lit_at[I["pred"]]
    assert reached_at[I["L"]] < reached_at[I["pred"]] < reached_at[I["aT"]]
    assert _show(story, 0, RESIDUALS, 0.1).nodes[I["L"]].value == "1.103"
    assert [lay.col[i] for i in sorted(lit_at, key=lit_at.get)] == sorted(lay.col[i] for i in lit_at)


def test_grad_fills_is_cleared_and_step_moves(story):
    """Step 2 (k = 1): .grad holds step 1's gradient through the forward pass, zero_grad()
    sets it to None, backward() fills this batch's, step() shows a and b move."""
    tr = story.trace
    prev = graph_number(tr.steps["grad_a"][0])
    assert _show(story, 1, FORWARD, 0.5).nodes[I["a"]].grad == prev == "0.636"
    assert _show(story, 1, RESIDUALS, 0.9).nodes[I["a"]].grad == "None"
    assert _show(story, 1, GRADIENT, 0.3).nodes[I["a"]].grad == "None"
    done = _show(story, 1, GRADIENT, 1.0)
    assert done.nodes[I["a"]].grad == graph_number(tr.steps["grad_a"][1])
    assert done.nodes[I["a"]].rule and done.edges[0].grad == graph_number(tr.steps["grad_a"][1])
    moved = _show(story, 1, UPDATE, 1.0).nodes[I["b"]].value
    assert moved == f"{graph_number(tr.steps['b'][1])} → {graph_number(tr.steps['b'][2])}"
    assert _show(story, 1, UPDATE, 0.0).nodes[I["b"]].value == graph_number(tr.steps["b"][1])


def test_without_zero_grad_the_grad_is_kept(story):
    gs = GraphStory(Story(with_graphs(article_trace(zero_grad=False))))
    gs.zero_grad = False
    f = gs.frame(1, RESIDUALS, 0.9)
    assert f.phase == "zero_grad" and "skipped" in f.text
    assert f.nodes[I["a"]].grad == "0.636"  # step 1's gradient, kept: backward() adds to it
    st = gs.story.trace.steps
    x, y = np.array([0.6, 0.8]), np.array([0.42, 0.48])  # step 2's batch, by hand
    total = 0.636 + float(np.sum(x * (st["a"][1] * x + st["b"][1] - y)))  # the running sum
    assert st["grad_a"][1] == pytest.approx(total, abs=1e-12)
    assert gs.frame(1, GRADIENT, 1.0).nodes[I["a"]].grad == graph_number(total)


def test_after_the_detail_the_latest_recorded_graph(story):
    s = Story(with_graphs(article_trace(), steps=(0, 4)))
    f = s.graph.frame(2, FORWARD, 0.5)  # step 3 has no graph: step 1's, complete, said so
    assert (f.step, f.phase) == (0, "recorded") and "step 1's graph" in f.note
    f = s.graph.frame(7, FAST, 1.0)
    assert (f.step, f.phase) == (4, "recorded") and "step 5's graph" in f.note
    assert s.graph.frame(s.n - 1, HOLD, 1.0).step == 4
    late = Story(with_graphs(article_trace(), steps=(3,)))
    f = late.graph.frame(1, GRADIENT, 0.5)
    assert f.phase == "intro" and "recorded at step 4" in f.note


def test_no_graphs():
    s = Story(article_trace())
    assert not s.graph.available and s.graph.frame(0, FORWARD, 0.5) is None
    assert s.graph.notes(FORWARD, 0) == []


def test_notes_say_what_each_phase_does(story):
    plain = Story(article_trace())
    for beat in BEAT_PHASES:
        base = plain.notes(plain.plan())[0]  # the intro's: unchanged
        lines = story.graph.notes(beat, 0)
        assert lines and all(line.startswith(("graph: ", "    ")) for line in lines)
    assert base == story.notes(story.plan())[0]
    grad_lines = story.graph.notes(GRADIENT, 0)
    assert "    a.grad = 0.636 (∂L/∂a = Σ x·∂L/∂ŷ)" in grad_lines
    plan = story.plan()
    seg = [i for i, sg in enumerate(plan.segments()) if sg.beat == GRADIENT][0]
    assert story.notes(plan)[seg][-len(grad_lines):] == grad_lines
    assert BEATS[GRADIENT] == "gradient"


def test_grouped_and_bad_graphs():
    g = line_graph(article_trace(), 0)
    s = Story(dataclasses.replace(article_trace(), graphs=[{**g, "grouped": True}]))
    assert "grouped by module" in s.graph.frame(0, FORWARD, 0.5).note
    bad = {**g, "edges": g["edges"] + [[0, 99]], "edge_grads": g["edge_grads"] + [None]}
    assert "unknown node" in graph_error(bad)
    with pytest.raises(ValueError, match="unknown node"):
        Story(dataclasses.replace(article_trace(), graphs=[bad])).graph.graphs


def test_the_page_gets_the_story_s_graph(story):
    """The page's document carries the layout and texts as computed here (the player lays
    nothing out) and the rule of every frame of the detailed beats."""
    from scenes.web.export import export_story
    doc = export_story(story, contours=False)
    G = doc["graph"]
    g0 = G["graphs"][0]
    assert g0["layout"] == story.graph.graphs[0].layout.to_dict()
    assert [n["grad"] for n in g0["nodes"] if n["param"]] == ["2.100", "0.636"]  # b then a: the graph's order
    plan = story.plan()
    from scenes.story.graph import graph_reveal
    for seg, rule in zip(plan.segments(), G["rules"]):
        assert (rule is None) == (seg.beat not in BEAT_PHASES and seg.beat != INTRO)
        if isinstance(rule, int):  # an earlier segment's equal table
            rule = G["rules"][rule]
            assert isinstance(rule, dict)
        if rule is not None:  # each field: its value at every frame, or the one value all frames hold
            for j, t in enumerate(plan.t[seg.start:seg.stop]):
                want = graph_reveal(seg.beat, float(t))
                assert {k: v[j] if isinstance(v, list) else v for k, v in rule.items()} == want.__dict__
    assert any(isinstance(r, int) for r in G["rules"]) and any(isinstance(v, str) for r in G["rules"]
                                                                 if isinstance(r, dict) for v in r.values())
    assert G["index"][:3] == [0, 1, 2] and G["zero_grad"] is True
    assert "graph" not in export_story(Story(article_trace()), contours=False)


def test_an_edge_with_little_room_keeps_a_summarys_shape_alone():
    """matplotlib's graph view and Manim's crowded edges write a summary as its shape."""
    from scenes.story.graph_text import graph_shape

    assert graph_shape("8×8: −0.049 … 0.040") == "8×8"
    assert graph_shape("8: −0.826 … 0.536") == "(8)"
    assert graph_shape("0.636") is None and graph_shape("1.020, 1.080, 0.960 … (6)") is None
