"""The recorded autograd graph as Manim and the deck draw it: the deck's graph slides (one
after each detailed beat: forward, zero_grad(), backward(), step()) re-read with python-pptx
against a hand calculation of the article's first batch; --scene backprop refusing a trace
without graphs; the graph panel's texts apart, inside the side margins, off the edges (the
compact one of the walkthrough too, at a legible size); and (slow) the backprop scene and the
walkthrough run dry under the layout check, which reads what the renderer draws: a text
replaced during a play must not stay drawn under its successor."""
from __future__ import annotations

import numpy as np
import pytest

from scenes.story.deck import deck_outline
from scenes.story.plan import FORWARD, GRADIENT, RESIDUALS, UPDATE, PlanSettings
from scenes.story.story import Story, plan_of
from tests.graph_fixture import article_trace, with_graphs

TINY = PlanSettings(fps=5, detail_steps=2, intro=0.4, beat_seconds=(0.4, 0.4, 0.4, 0.4), fast_forward=0.8, hold=0.4)
# The article's first batch by hand: x = 0.2, 0.4; ŷ − y = 1.02, 1.08; n = 2.
HAND_A = 0.2 * 2 * 1.02 / 2 + 0.4 * 2 * 1.08 / 2   # Σ x·∂L/∂ŷ = 0.636
HAND_B = 2 * 1.02 / 2 + 2 * 1.08 / 2               # Σ ∂L/∂ŷ = 2.100


def _run(steps=(0,)):
    return with_graphs(article_trace(epochs=2), steps)


def test_the_outline_adds_a_graph_slide_after_each_beat_of_a_step_with_a_graph():
    tr = _run((0,))  # step 1 recorded its graph, step 2 did not
    plan = plan_of(tr, TINY)
    outline = deck_outline(Story(tr), plan)
    graphs = [(seg.beat, int(seg.steps[0]), t.graph) for seg, t in zip(plan.segments(), outline.segments)
              if t.graph is not None]
    assert [(b, k) for b, k, _ in graphs] == [(FORWARD, 0), (RESIDUALS, 0), (GRADIENT, 0), (UPDATE, 0)]
    titles = [g.title for _, _, g in graphs]
    assert titles == ["Step 1 · Y_pred = model(X_batch)", "Step 1 · optimizer.zero_grad()",
                      "Step 1 · loss.backward()", "Step 1 · optimizer.step()"]
    backward = graphs[2][2]
    assert f"a.grad = {HAND_A:.3f}" in backward.notes and f"b.grad = {HAND_B:.3f}" in backward.notes
    assert "∂L/∂a = Σ x·∂L/∂ŷ" in backward.notes and "∂L/∂ŷ = 1.020, 1.080" in backward.notes
    assert "L = 1.103" in graphs[1][2].notes  # the loss, then zero_grad(), in the residuals beat
    # a run without graphs: the deck it always had
    plain = deck_outline(Story(article_trace(epochs=2)), plan)
    assert all(t.graph is None for t in plain.segments)


def _texts(slide) -> list[str]:
    return [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame and sh.text_frame.text]


def test_the_deck_draws_the_graph_as_shapes_in_each_phase(tmp_path):
    pytest.importorskip("pptx")
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    from scenes.writers import get_writer

    tr = _run((0, 1))
    plan = plan_of(tr, TINY)
    with get_writer("pptx", outline=deck_outline(Story(tr), plan), frame_plan=plan).saving(
            tmp_path / "d.pptx", (160, 90), TINY.fps) as w:
        for _ in range(len(plan)):
            w.grab_frame(np.full((90, 160, 4), 128, np.uint8))
    slides = list(Presentation(str(tmp_path / "d.pptx")).slides)
    graph = [s for s in slides if any(sh.name.startswith("Node ") for sh in s.shapes)]
    assert len(graph) == 4 * TINY.detail_steps
    assert len(slides) == 2 + (4 + 4) * TINY.detail_steps + 1  # title, clip + graph per beat, fast, final
    for s in graph:
        assert not [sh for sh in s.shapes if sh.shape_type == MSO_SHAPE_TYPE.MEDIA]  # not a video slide
        assert sum(sh.name.startswith("Node ") for sh in s.shapes) == 7
        edges = [sh for sh in s.shapes if sh.name.startswith("Edge ")]
        tail = "{http://schemas.openxmlformats.org/drawingml/2006/main}tailEnd"
        assert len(edges) == 6 and all(e.line._get_or_add_ln().find(tail).get("type") == "triangle" for e in edges)
    forward, zero, backward, step = (_texts(s) for s in graph[:4])
    assert "a.grad = None" in zero and "b.grad = None" in zero  # the first batch: nothing before
    assert not any("∂L/∂a =" in t for t in zero)
    assert f"a.grad = {HAND_A:.3f}" in backward and f"b.grad = {HAND_B:.3f}" in backward
    assert "1.020, 1.080" in backward and "∂L/∂a = Σ x·∂L/∂ŷ" in backward  # an edge's gradient, a rule
    a1, b1 = 1 - 0.1 * HAND_A, 1 - 0.1 * HAND_B  # step(): a − lr·a.grad
    assert f"1.000 → {a1:.3f}" in step and f"1.000 → {b1:.3f}" in step
    assert "1.200, 1.400" in forward and not any(".grad = 0" in t for t in forward)
    assert graph[2].notes_slide.notes_text_frame.text.startswith("Step 1 · loss.backward()")


def test_backprop_refuses_a_trace_without_graphs_before_any_work(tmp_path, one_line):
    pytest.importorskip("manim")
    from scenes.manim.render import render_manim
    from training.errors import InputError

    with pytest.raises(InputError) as e:
        render_manim(article_trace(epochs=2), tmp_path / "out", scene="backprop", quality="low")
    one_line(e.value, "--graph-steps")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow  # Manim, dry: nothing rasterised but the states looked at
@pytest.mark.parametrize("scene,theme", [("backprop", "light"), ("walkthrough", "dark")])
def test_the_graph_scenes_pass_the_layout_check(scene, theme, monkeypatch, tmp_path):
    """Every segment's end passes the layout check. And (backprop) one text per line when a text
    changes: in the real render the backward beat's last frame showed 'a.grad = None' under
    'a.grad = 0.636', and step()'s showed '1.000' under '1.000 → 0.936': what the renderer draws
    at step 1's gradient and update beats' ends holds exactly the new line (read in the same
    dry run as the check)."""
    pytest.importorskip("manim")
    from scenes.manim.layout_check import check_now, run_dry, scene_items
    from scenes.manim.panels.graph import GraphPanel
    from scenes.manim.render import QUALITIES

    monkeypatch.chdir(tmp_path)
    shown = []
    real = GraphPanel.show
    monkeypatch.setattr(GraphPanel, "show", lambda self, k, beat, t: shown.append((k, beat)) or real(self, k, beat, t))
    w, h, _ = QUALITIES["low"]
    problems, drawn = [], {}

    def look(sc, seg):  # check_scene_run's look, and the texts drawn at step 1's two beats
        problems.extend(check_now(sc, w, h, f"segment {seg.name} (step {int(seg.steps[-1]) + 1})"))
        if int(seg.steps[0]) == 0 and seg.beat in (GRADIENT, UPDATE):
            items, _, _, mismatches = scene_items(sc, w, h)
            drawn[seg.beat] = ([it.name for it in items if it.kind == "text"], mismatches)

    run_dry(_run((0, 1)), look, scene=scene, theme=theme,
            plan=PlanSettings(detail_steps=2, intro=0.2, beat_seconds=(0.2, 0.2, 0.3, 0.2), fast_forward=0.6, hold=0.3))
    assert problems == [], "\n".join(map(str, problems))
    assert {(k, b) for k, b in shown} >= {(k, b) for k in (0, 1) for b in (FORWARD, RESIDUALS, GRADIENT, UPDATE)}
    if scene != "backprop":
        return
    texts, mismatches = drawn[GRADIENT]
    assert mismatches == [] and [t for t in texts if t.startswith("a.grad")] == [f"a.grad = {HAND_A:.3f}"]
    texts, mismatches = drawn[UPDATE]
    a1, b1 = 1 - 0.1 * HAND_A, 1 - 0.1 * HAND_B
    assert mismatches == [] and {f"1.000 → {a1:.3f}", f"1.000 → {b1:.3f}"} <= set(texts)
    assert texts.count("1.000") == 1  # aᵀ's value; a's and b's old values are gone


def _swap_scene(base):
    """A scene of one group whose text a play replaces (as the graph panel's value and .grad
    lines are), run dry like the layout check runs the real scenes."""
    from manim import Text, VGroup

    from scenes.manim.panels.beats import scrub
    from scenes.manim.panels.draw import set_children
    from scenes.manim.style import tag
    from scenes.layout_check import TEXT

    class Swap(base):
        panels: list = []

        def construct(self):
            slot = VGroup(tag(Text("a.grad = None"), TEXT, text="a.grad = None"))
            self.add(slot)
            new = tag(Text("a.grad = 0.636"), TEXT, text="a.grad = 0.636")
            self.play(scrub(slot, lambda t: t > 0.5 and set_children(slot, [new])), run_time=0.2)
    return Swap


@pytest.mark.slow  # Manim
def test_the_check_sees_what_the_renderer_draws_and_live_scenes_draw_what_they_hold(tmp_path, monkeypatch):
    """Manim draws a play's moving mobjects from a list flattened when the play begins, so a
    text replaced during the play stays on screen under the new one: the check reads that list
    and says so (a plain Scene); a LiveScene (every scene of ours) draws what it holds."""
    pytest.importorskip("manim")
    from manim import Scene, tempconfig
    from manim.renderer.cairo_renderer import CairoRenderer

    from scenes.manim.file_writer import file_writer_for
    from scenes.manim.layout_check import check_now
    from scenes.manim.live import LiveScene
    from scenes.manim.render import _manim_config

    monkeypatch.chdir(tmp_path)
    found = {}
    for base in (Scene, LiveScene):
        with tempconfig(_manim_config(854, 480, 15)):
            r = CairoRenderer(file_writer_class=file_writer_for(lambda frame, repeat: None), skip_animations=True)
            sc = _swap_scene(base)(renderer=r, skip_animations=True)
            sc.render()
            found[base] = check_now(sc, 854, 480)
    rules = {p.rule for p in found[Scene]}
    assert rules == {"stale", "overlap"}, found[Scene]
    assert any("'a.grad = None'" in p.message and p.rule == "stale" for p in found[Scene])
    assert found[LiveScene] == []


def _texts_of(mob) -> list:
    from scenes.layout_check import TEXT
    if getattr(mob, "layout_kind", None) == TEXT:
        return [mob]
    return [t for sub in mob.submobjects for t in _texts_of(sub)]


def _box(m):
    from scenes.layout_check import Box
    return Box(m.get_left()[0], m.get_bottom()[1], m.get_right()[0], m.get_top()[1])


@pytest.mark.parametrize("compact", [pytest.param(False, id="backprop", marks=pytest.mark.slow),  # typesets the rules
                                     pytest.param(True, id="walkthrough", marks=pytest.mark.slow)])  # Manim
def test_the_graph_keeps_its_texts_apart_inside_margins_and_off_the_edges(compact):
    """The real renders showed ∂L/∂b's rule on "input (no grad)", the phase's sentence running
    to the frame's edge, and (walkthrough) texts too small to read with edges through them."""
    pytest.importorskip("manim")
    from scenes.layout_check import polyline_hits
    from scenes.manim.panels.graph import CLEAR, HEAD_SIDE, SIDE, GraphPanel
    from scenes.manim.scenes import FULL_CELL, WALK_CELLS
    from scenes.manim.style import Style, register_font
    from scenes.story.theme import load_theme

    register_font()
    cell = WALK_CELLS["table"] if compact else FULL_CELL
    p = GraphPanel(Style(load_theme("light")), Story(_run((0,))), cell, rules=not compact,
                   headline=not compact, compact=compact)
    for beat in (FORWARD, RESIDUALS, GRADIENT, UPDATE):
        p.show(0, beat, 1.0)
        texts = _texts_of(p.root)
        boxes = [_box(t) for t in texts]
        for t, b in zip(texts, boxes):  # inside the cell's side margins (the frame's edge)
            assert cell[0] + SIDE / 2 - 1e-6 <= b.x0 and b.x1 <= cell[2] - SIDE / 2 + 1e-6, t.layout_text
        rules = [m for nd in p.nodes.values() for m in nd.rule.submobjects]
        for r in rules:  # a local rule keeps clear of every other text
            rb = _box(r).expanded(CLEAR * 0.9)
            assert not any(min(rb.x1, b.x1) > max(rb.x0, b.x0) and min(rb.y1, b.y1) > max(rb.y0, b.y0)
                           for t, b in zip(texts, boxes) if t is not r), r
        if compact:  # no edge through a text, and type nearly the size of the axes' ticks
            for arrow, _, _ in p.edges:
                line = np.array([arrow.get_start()[:2], arrow.get_end()[:2]])
                assert not [t.layout_text for t, b in zip(texts, boxes) if polyline_hits(line, b)]
            assert p.k >= 0.9
    if not compact:
        heads = _texts_of(p.top)
        assert len(heads) >= 2 and all(_box(h).x1 - _box(h).x0 <= cell[2] - cell[0] - 2 * (SIDE + HEAD_SIDE) + 1e-6
                                       for h in heads)
