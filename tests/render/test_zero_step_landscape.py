"""A model of P > 2 parameters that diverges at its first step (0 steps recorded): its landscape
panel is laid out in its cell, and no note talks about a path it does not have.

The plane of a path that never moved is the plane of parameters 0 and 1, and its note above
the plot ("plane of PC1 0 %, PC2 0 % (the path does not move: ...)") is wider than the whole
cell. The axes' fit used to measure that note across: right-aligned to the axes, it overhung
their left edge by more the more they shrank, and the fit pushed the axes out of the figure
(x0 1.09 of its width, 8 pixels wide), the title wrapped and the legend was cut at the edge.
A run of one step (a straight path: "... (the path is a straight line: PC2 is an axis
orthogonal to it)") at 640x360 did the same."""
from __future__ import annotations

import pytest
from matplotlib.transforms import Bbox

from scenes.mpl.views.scene import Scene
from scenes.story.story import Story
from scenes.story.theme import load_theme
from training.config import TrainConfig

SIZE = (640, 360)
VIEW_SETS = [("fit", "loss", "params", "numbers"), ("fit", "loss", "params"), ("fit", "params"), ("params",)]


RUNS = {  # the runs whose plane's note is wider than the panel at 640x360
    "mlp, 0 steps": TrainConfig(model="mlp", hidden=8, lr=1e12),
    "poly, 0 steps": TrainConfig(model="poly", degree=3, lr=1e12),
    "mlp, 1 step": TrainConfig(model="mlp", hidden=8, epochs=1, batch_size=6),
}


@pytest.fixture(scope="module")
def traces():
    from training.recorder import record

    out = {name: record(config) for name, config in RUNS.items()}
    for name, trace in out.items():
        assert trace.schema_version == 2 and len(trace.param_names) > 2
        assert trace.n_steps == (1 if "1 step" in name else 0)
    assert out["mlp, 0 steps"].status.diverged and out["mlp, 0 steps"].status.step == 0
    return out


@pytest.fixture(scope="module")
def zero_step(traces):
    return traces["mlp, 0 steps"]


def _inside(box: Bbox, outer: Bbox, tol: float = 1.0) -> bool:
    return (box.x0 >= outer.x0 - tol and box.y0 >= outer.y0 - tol
            and box.x1 <= outer.x1 + tol and box.y1 <= outer.y1 + tol)


# Every run with the default views; the 0-step MLP with the others too (the legend goes under
# the plot in some, the panel takes the whole frame in one).
CELL_CASES = [*((run, VIEW_SETS[0]) for run in RUNS), *(("mlp, 0 steps", v) for v in VIEW_SETS[1:])]


@pytest.mark.parametrize("run, views", CELL_CASES, ids=lambda c: c if isinstance(c, str) else ",".join(c))
def test_the_params_axes_and_legend_stay_in_their_cell(traces, run, views):
    scene = Scene(traces[run], load_theme("light"), SIZE, views)
    ax, cell = scene.axes["params"], scene.cells["params"]
    frame = Bbox.from_bounds(0, 0, *SIZE)
    x0, y0, w, h = ax.get_position().bounds
    assert 0.0 <= x0 and x0 + w <= 1.0 and 0.0 <= y0 and y0 + h <= 1.0, ax.get_position()
    assert _inside(ax.bbox, cell), (ax.bbox, cell)
    # Not a sliver: the plot takes most of its cell's width (the tick labels take the rest).
    assert ax.bbox.width > 0.6 * cell.width, (ax.bbox.width, cell.width)
    assert ax.get_title(loc="left") == "Loss landscape"  # one line: it fits beside nothing
    legend = scene.view("params").legend.get_window_extent(scene.renderer)
    assert _inside(legend, frame), legend
    assert _inside(legend, cell), (legend, cell)


@pytest.mark.parametrize("run", list(RUNS))
def test_the_layout_check_passes(traces, run):
    from scenes.mpl.layout_check import check_frames

    problems = check_frames(traces[run], SIZE, "light", label=f"{run}: ")
    assert problems == [], "\n".join(map(str, problems[:8]))


def test_no_off_plane_note_without_a_path(zero_step):
    """One point (the start, the plane's centre): no "path off the plane by up to 0 (its span
    0)" in the story, the matplotlib panel or the page's document."""
    from scenes.web.export_model import export_model

    story = Story(zero_step)
    assert story.n == 0 and story.plane.land.off_plane is None
    scene = Scene(story, load_theme("light"), SIZE)
    texts = [t.get_text() for t in scene.axes["params"].texts]
    assert not any("off the plane" in t for t in texts), texts
    assert export_model(story, story.plan())["plane"]["off_plane"] is None


def test_a_run_of_steps_still_says_how_far_it_leaves_the_plane():
    from training.recorder import record

    story = Story(record(TrainConfig(model="mlp", hidden=3, lr=0.1, epochs=2)))
    note = story.plane.land.off_plane
    assert story.n > 0 and note.startswith("path off the plane by up to ")
    scene = Scene(story, load_theme("light"), SIZE)
    assert note in [t.get_text() for t in scene.axes["params"].texts]


def test_manim_strip_shows_the_plane_only(zero_step):
    pytest.importorskip("manim")
    pytest.importorskip("typst")
    from scenes.manim.panels.params import ParamsPanel
    from scenes.manim.style import Style

    story = Story(zero_step)
    params = ParamsPanel(Style(load_theme("light")), story, (3.85, 1.05), 5.5, 3.2, left=0.0, top=2.8)
    texts = [getattr(m, "layout_text", None) for m in params.faith]
    assert texts == [None, story.plane.land.label] and not params.two_rows
    label = params.faith[1]
    assert label.get_top()[1] <= 2.8 + 1e-9 and label.get_left()[0] >= 0.0 - 1e-9  # inside its cell
    assert label.get_bottom()[1] >= params.panel.y0 + params.panel.h - 1e-9  # above the plot
