"""The matplotlib ``graph`` view (scenes/mpl/views/graph.py): registered with the views,
refused without graphs, drawn from the story's graph frames."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from scenes.mpl.views import DEFAULT_VIEWS, VIEWS, check_views
from scenes.story.plan import FORWARD, GRADIENT, RESIDUALS, UPDATE
from scenes.story.story import Story
from tests.graph_fixture import LINE_IDS as I, article_trace, with_graphs
from tests.helpers import run_main
from tests.matrix import GRAPH_CASES, GRAPH_VIEWS
from training.errors import InputError


def test_graph_is_a_view_but_not_a_default():
    assert "graph" in VIEWS and "graph" not in DEFAULT_VIEWS
    assert check_views(("fit", "graph", "loss", "params")) == ("fit", "graph", "loss", "params")
    from scenes.job import RenderSettings
    assert RenderSettings().views == DEFAULT_VIEWS


def test_views_graph_without_graphs_is_refused(capsys, tmp_path):
    """One line that says how to record them, exit 2, nothing written."""
    path = tmp_path / "trace.json"
    article_trace(epochs=1).to_file(path)
    out = tmp_path / "out"
    code, _, err = run_main(capsys, "--quiet", "--trace", path, "--out", out, "--views", "fit,graph,loss,params",
                            "--format", "png")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "--graph-steps" in err and "Traceback" not in err
    assert not out.exists()


def test_the_view_itself_refuses_a_trace_without_graphs():
    from scenes.mpl.render import _setup
    with pytest.raises(InputError, match="--graph-steps"):
        _setup(Story(article_trace(epochs=1)), (640, 360), "light", ("graph",))


@pytest.fixture(scope="module")
def scene():
    import matplotlib

    from scenes.mpl.render import FrameRenderer, _setup, build_plan
    story = Story(with_graphs(article_trace(epochs=2)))
    with matplotlib.rc_context({"text.hinting": "none"}):
        sc = _setup(story, (960, 540), "light", ("fit", "graph", "loss", "params"))
        yield sc, FrameRenderer(sc, build_plan(story.trace, None, 4))


def test_the_texts_drawn_are_the_story_s(scene):
    sc, r = scene
    v = sc.view("graph")
    r.draw_state(0, GRADIENT, 1.0)
    g = sc.story.graph.graphs[0]
    j = [n.id for n in g.nodes].index(I["a"])
    assert [t.get_text() for t in v.texts[j]] == ["AccumulateGrad", "a = 1.000", "a.grad = 0.636", "∂L/∂a = Σ x·∂L/∂ŷ"]
    e = g.edges.index((I["pred"], I["L"]))
    assert v.edge_texts[e].get_text() == "1.020\n1.080"
    assert v.phase.get_text().startswith("loss.backward()")
    r.draw_state(0, FORWARD, 0.0)
    assert v.edge_texts[e].get_text() == "" and v.texts[j][2].get_text() == "a.grad = None"
    r.draw_state(1, RESIDUALS, 0.2)
    assert v.texts[j][2].get_text() == "a.grad = 0.636"  # step 1's, until zero_grad()
    r.draw_state(0, UPDATE, 1.0)
    assert v.texts[j][1].get_text() == "a = 1.000 → 0.936"


def test_boxes_and_texts_stay_in_the_panel_and_apart(scene):
    sc, r = scene
    v = sc.view("graph")
    r.draw_state(0, GRADIENT, 1.0)
    rend = sc.renderer
    panel = v.ax.bbox
    boxes = [b.get_window_extent(rend) for b in v.boxes if b.get_visible()]
    for i, a in enumerate(boxes):
        assert panel.x0 - 1 <= a.x0 and a.x1 <= panel.x1 + 1 and panel.y0 - 1 <= a.y0 and a.y1 <= panel.y1 + 1
        assert not any(a.overlaps(b) for b in boxes[i + 1:])
    for j, texts in enumerate(v.texts[:len(boxes)]):
        for t in texts[:3]:
            if t.get_text():
                e = t.get_window_extent(rend)
                assert boxes[j].x0 <= e.x0 and e.x1 <= boxes[j].x1, t.get_text()
    frame = r.draw_state(0, GRADIENT, 1.0)
    assert frame.shape == (540, 960, 4) and np.ptp(frame[..., :3]) > 0


@pytest.mark.parametrize("run,size,theme", [pytest.param(*c, marks=() if i == 0 else pytest.mark.slow,
                                                         id=f"{c[0]}-{c[1][0]}x{c[1][1]}-{c[2]}")
                                            for i, c in enumerate(GRAPH_CASES)])
def test_layout_check_passes_with_the_graph_view(run, size, theme):
    """The layout check (docs/layout-check.md) on every checked frame, the graph view included."""
    from scenes.mpl.layout_check import check_frames
    if run == "fixture":
        trace = with_graphs(article_trace(epochs=4), steps=(0, 1, 2, 7))
    else:
        from benchmarks.layout_matrix import RUNS
        from training.recorder import record
        trace = record(dataclasses.replace(RUNS[run], graph_steps=(1, 2, 3)))
        assert [g["step"] for g in trace.graphs] == [0, 1, 2]
    problems = check_frames(trace, size, theme, views=GRAPH_VIEWS)
    assert not problems, "\n".join(str(p) for p in problems[:5])
