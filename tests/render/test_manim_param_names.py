"""Manim's parameter panel keeps a module's long parameter names inside its cell.

A loop recorded with ``render.py --run`` (``nn.Linear(1, 1)`` under a loss that is not MSE: a
schema-2 trace) names its axes "0.weight[0]" and "0.bias[0]": wider and taller (brackets,
descenders) than the line's a and b, they left the panel (the x label under the cell's
bottom, off the frame in the single view; the y label over the cell's top): 30 layout
problems in the walkthrough, 45 in the params scene. The labels keep their full names and
size, as matplotlib's params view writes them; the plot gives room. The line's a and b stay
where they were.
"""
from __future__ import annotations

import pytest
import torch
from torch import nn

pytest.importorskip("manim")
pytest.importorskip("typst")

from scenes.manim.panels.base import Panel  # noqa: E402
from scenes.manim.panels.params import ParamsPanel  # noqa: E402
from scenes.manim.scenes import FULL, FULL_CELL, WALK_CELLS, _walk_layout  # noqa: E402
from scenes.manim.style import TEXT, Style  # noqa: E402
from scenes.story.geometry import Limits  # noqa: E402
from scenes.story.story import Story  # noqa: E402
from scenes.story.theme import load_theme  # noqa: E402
from tests.user_loop import record_loop  # noqa: E402

EPS = 1e-6  # scene units: a box on the cell's edge is inside


def _l1_loop(model: nn.Module):
    """The article's six points, batches of two, SGD, under L1Loss, no x, y given (as --run)."""
    X = torch.tensor([0.2, 0.4, 0.6, 0.8, 1.0, 1.2]).view(-1, 1)
    Y = torch.tensor([0.18, 0.32, 0.42, 0.48, 0.58, 0.72]).view(-1, 1)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(1.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return record_loop(model, opt, nn.L1Loss(), X, Y, epochs=3, batch=2, given=False)


@pytest.fixture(scope="module")
def stories():
    return {"sequential": Story(_l1_loop(nn.Sequential(nn.Linear(1, 1)))),
            "linear": Story(_l1_loop(nn.Linear(1, 1)))}


@pytest.fixture(scope="module")
def style():
    return Style(load_theme("light"))


def _panels(style, story):
    """The panel as the walkthrough and the single params view lay it out, with their cells."""
    L = _walk_layout()
    return [(ParamsPanel(style, story, *L["params"], cell=WALK_CELLS["params"], arrow_steps=range(3)),
             WALK_CELLS["params"]),
            (ParamsPanel(style, story, FULL["center"], FULL["width"], FULL["height"], cell=FULL_CELL,
                         arrow_steps=range(3)), FULL_CELL)]


def _texts(m):
    """The outermost text-tagged mobjects under ``m``."""
    if getattr(m, "layout_kind", None) == TEXT:
        return [m]
    return [t for sub in m.submobjects for t in _texts(sub)]


def _outside(m, cell) -> bool:
    x0, y0, x1, y1 = cell
    return (m.get_left()[0] < x0 - EPS or m.get_right()[0] > x1 + EPS
            or m.get_bottom()[1] < y0 - EPS or m.get_top()[1] > y1 + EPS)


@pytest.mark.parametrize("kind, names", [("sequential", ("0.weight[0]", "0.bias[0]")),
                                          ("linear", ("weight[0]", "bias[0]"))])
def test_a_modules_parameter_names_stay_in_the_panels_cell_at_full_size(stories, style, kind, names):
    story = stories[kind]
    assert story.trace.schema_version == 2 and story.plane.names == names
    for panel, cell in _panels(style, story):
        texts = _texts(panel.static)
        labels = {t.layout_text: t for t in texts if t.layout_text in {f'"{n}"' for n in names}}
        assert len(labels) == 2, [t.layout_text for t in texts]  # the full names, not cut short
        for text, m in labels.items():
            assert m.height == pytest.approx(style.math(text, "label", "muted").height)  # not shrunk
        bad = [(t.layout_text, t.get_left()[0], t.get_bottom()[1], t.get_right()[0], t.get_top()[1])
               for t in texts + _texts(panel.legend) if _outside(t, cell)]
        assert not bad, f"texts leave the cell {cell}: {bad}"


def test_the_lines_a_and_b_stay_where_they_were(style):
    """A label that fits its cell is never moved: the panel with a cell draws a and b where the
    panel without one does (the article's frames are unchanged)."""
    lim = Limits(-0.5, 2.5, -0.5, 2.5)
    for center, w, h, cell in [(*_walk_layout()["params"], WALK_CELLS["params"]),
                               (FULL["center"], FULL["width"], FULL["height"], FULL_CELL)]:
        plain = Panel(style, center, w, h, lim, left=cell[0])
        celled = Panel(style, center, w, h, lim, left=cell[0], cell=cell, xlabel="a")
        assert (celled.x0, celled.y0, celled.w, celled.h) == (plain.x0, plain.y0, plain.w, plain.h)
        for m0, m1 in zip(plain.frame("a", "b").get_family(), celled.frame("a", "b").get_family()):
            assert (m0.points == m1.points).all()


def test_a_name_too_long_for_the_cell_shrinks_into_it(style):
    """A name wider than the room beside the y axis (a deep module's) is scaled to fit it rather than
    leave; as the x label it moves left, clear of the cell's right edge."""
    name = '"encoder.layers.0.linear_projection.weight[0]"'
    cell = WALK_CELLS["params"]
    center, w, h = _walk_layout()["params"]
    P = Panel(style, center, w, h, Limits(-0.5, 2.5, -0.5, 2.5), left=cell[0], cell=cell, xlabel=name)
    texts = _texts(P.frame(name, name))
    long = [t for t in texts if t.layout_text == name]
    xl, yl = sorted(long, key=lambda t: t.get_bottom()[1])
    full = style.math(name, "label", "muted").width
    assert xl.width == pytest.approx(full) and yl.width < 0.5 * full
    assert not [t.layout_text for t in texts if _outside(t, cell)]


@pytest.mark.slow  # Manim's dry run of the params scene (a second or two)
def test_the_layout_check_finds_nothing_in_the_params_scene(stories):
    from scenes.manim.layout_check import check_scene_run

    problems = check_scene_run(stories["sequential"].trace, scene="params")
    assert not problems, "\n".join(map(str, problems[:10]))
