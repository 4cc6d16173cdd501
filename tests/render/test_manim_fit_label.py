"""Manim's fit panel puts the line's formula ("y' = a·x + b") where no line of the first
steps crosses it, as it already did for a curve: fixed at the top left, a diverging run's
third line (a = 2.176, b = 1.490: y = 1.49 at x = 0) ran through it. The article's run keeps it
at the top left."""
from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # records two runs and typesets the formula (4 s)
pytest.importorskip("manim")
pytest.importorskip("typst")

from scenes.layout_check import Box, polyline_hits  # noqa: E402
from scenes.story.story import Story  # noqa: E402
from scenes.story.theme import load_theme  # noqa: E402
from training.config import TrainConfig  # noqa: E402


@pytest.fixture(scope="module")
def style():
    from scenes.manim.style import Style, register_font

    register_font()
    return Style(load_theme("light"))


def _panel(style, config):
    from scenes.manim.panels.fit import FitPanel
    from training.recorder import record

    s = Story(record(config))
    return s, FitPanel(style, s, (0.0, 0.0), 6.0, 3.2)


def _label_box(panel) -> Box:
    lab = panel.label
    (x0, y0, _), (x1, y1, _) = lab.get_corner(np.array([-1, -1, 0])), lab.get_corner(np.array([1, 1, 0]))
    return Box(x0, y0, x1, y1)


def _line(panel, a: float, b: float) -> np.ndarray:
    """The line y = a·x + b across the view, in scene units (written out, not the panel's)."""
    L = panel.panel.lim
    xs = np.linspace(L.x0, L.x1, 200)
    ys = a * xs + b
    keep = (ys >= L.y0) & (ys <= L.y1)
    return panel.panel.p(xs[keep], ys[keep])[:, :2]


def test_a_diverging_line_does_not_run_through_the_formula(style):
    s, panel = _panel(style, TrainConfig(lr=1.0, epochs=2))
    assert len(panel.label.get_family()) > 1  # (still shown)
    box = _label_box(panel)
    for k in range(min(s.n, 3)):
        a, b = float(s.trace.steps["a"][k]), float(s.trace.steps["b"][k])
        assert not polyline_hits(_line(panel, a, b), box), k
    a, b = float(s.a_after[2]), float(s.b_after[2])
    assert not polyline_hits(_line(panel, a, b), box)


def test_the_article_keeps_its_formula_at_the_top_left(style):
    _, panel = _panel(style, TrainConfig(epochs=2))
    P, box = panel.panel, _label_box(panel)
    assert box.x0 < P.x0 + 0.5 and box.y1 > P.y0 + P.h - 0.5
