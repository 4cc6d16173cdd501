"""The recorded autograd graph as Manim and the deck draw it: the deck's graph slides (one
after each detailed beat: forward, zero_grad(), backward(), step()) re-read with python-pptx
against a hand calculation of the article's first batch; --scene backprop refusing a trace
without graphs; and (slow) the backprop scene and the walkthrough run dry under the layout
check, in both themes."""
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
    pytest.importorskip("manim")
    from scenes.manim.layout_check import check_scene_run
    from scenes.manim.panels.graph import GraphPanel

    monkeypatch.chdir(tmp_path)
    shown = []
    real = GraphPanel.show
    monkeypatch.setattr(GraphPanel, "show", lambda self, k, beat, t: shown.append((k, beat)) or real(self, k, beat, t))
    problems = check_scene_run(_run((0, 1)), scene=scene, theme=theme,
                               plan=PlanSettings(detail_steps=2, intro=0.2, beat_seconds=(0.2, 0.2, 0.3, 0.2),
                                                 fast_forward=0.6, hold=0.3))
    assert problems == [], "\n".join(map(str, problems))
    assert {(k, b) for k, b in shown} >= {(k, b) for k in (0, 1) for b in (FORWARD, RESIDUALS, GRADIENT, UPDATE)}
