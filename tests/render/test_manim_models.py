"""Manim draws every model (issue 23, item 4): the fit panel's curve, the header's counters,
the formulas and the table in the model's words, the landscape's strip and the plane's loss
under the path. The numbers on screen are checked against an independent float64
computation from the recorded parameters (closed forms written out here, not the registry's)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("manim")
pytest.importorskip("typst")

from scenes.manim.panels.draw import curve_pieces  # noqa: E402
from scenes.manim.style import Style  # noqa: E402
from scenes.story.geometry import Limits  # noqa: E402
from scenes.story.story import Story  # noqa: E402
from scenes.story.theme import load_theme  # noqa: E402
from training.config import DataSpec, TrainConfig  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "assets" / "data"


def _csv(name: str) -> DataSpec:
    return DataSpec(kind="csv", path=str(DATA / name))


@pytest.fixture(scope="module")
def stories():
    from training.recorder import record

    runs = {"poly": TrainConfig(data=_csv("poly_valley.csv"), model="poly", degree=3, lr=0.3, batch_size=6, epochs=2),
            "logistic": TrainConfig(data=_csv("pass_fail.csv"), model="logistic", lr=0.5, batch_size=5, epochs=2),
            "mlp": TrainConfig(data=_csv("sine.csv"), model="mlp", hidden=3, lr=0.1, batch_size=8, epochs=2)}
    return {k: Story(record(c, base_dir=ROOT)) for k, c in runs.items()}


@pytest.fixture(scope="module")
def style():
    from scenes.manim.style import register_font

    register_font()
    return Style(load_theme("light"))


def _data_points(panel, mob) -> np.ndarray:
    """A mobject's corner points mapped back from scene units to data (x, y)."""
    P = panel.panel
    pts = mob.points[::mob.n_points_per_curve if hasattr(mob, "n_points_per_curve") else 4][:, :2]
    L = P.lim
    x = L.x0 + (pts[:, 0] - P.x0) / P.w * (L.x1 - L.x0)
    y = L.y0 + (pts[:, 1] - P.y0) / P.h * (L.y1 - L.y0)
    return np.column_stack([x, y])


def test_curve_pieces_cut_a_curve_where_it_leaves_the_view():
    xs = np.linspace(-2, 2, 81)
    ys = xs ** 3  # leaves through the bottom at x = -1 and the top at x = 1 (view y in [-1, 1])
    pieces = curve_pieces(xs, ys, Limits(-2, 2, -1, 1))
    assert len(pieces) == 1
    p = pieces[0]
    assert np.allclose(p[0], [-1, -1], atol=1e-12) and np.allclose(p[-1], [1, 1], atol=1e-12)
    assert np.all(np.abs(p[:, 1]) <= 1 + 1e-12)
    # A curve that leaves and comes back: two pieces; NaN breaks a piece too.
    assert len(curve_pieces(xs, np.sin(3 * xs) * 2, Limits(-2, 2, -1, 1))) >= 3
    assert len(curve_pieces([0, 1, 2, 3], [0, 0.5, np.nan, 0.5], Limits(0, 3, -1, 1))) == 1


def test_fit_panel_draws_the_polynomial_of_the_recorded_parameters(stories, style):
    from scenes.manim.panels.fit import FitPanel

    s = stories["poly"]
    panel = FitPanel(style, s, (0.0, 0.0), 6.0, 3.2)
    for k, params in ((0, s.params[0]), (None, s.trace.final_params)):
        if k is None:
            panel.hold()
        c = np.asarray(params, dtype=np.float64)
        got = _data_points(panel, panel.line)
        want = c[0] + c[1] * got[:, 0] + c[2] * got[:, 0] ** 2 + c[3] * got[:, 0] ** 3  # written out
        scale = max(1.0, float(np.abs(want).max()))
        assert len(got) > 50 and np.max(np.abs(got[:, 1] - want)) < 1e-9 * scale
        g = s.geom.fit
        assert g.y0 - 1e-9 <= got[:, 1].min() and got[:, 1].max() <= g.y1 + 1e-9


def test_fit_panel_draws_the_sigmoid_over_the_0_1_points(stories, style):
    from scenes.manim.panels.fit import FitPanel

    s = stories["logistic"]
    panel = FitPanel(style, s, (0.0, 0.0), 6.0, 3.2)
    panel.hold()
    w, b = s.trace.final_params
    got = _data_points(panel, panel.line)
    want = 1.0 / (1.0 + np.exp(-(w * got[:, 0] + b)))
    assert np.max(np.abs(got[:, 1] - want)) < 1e-9 and set(np.unique(s.trace.y)) <= {0.0, 1.0}


def test_header_counts_a_pair_by_its_names_and_a_vector_by_its_loss(stories, style):
    from scenes.manim.panels.header import Header

    logistic = Header(style, stories["logistic"])
    texts = [getattr(m, "layout_text", "") for m in logistic.labels.get_family()]
    assert "w =" in texts and "b =" in texts and "a =" not in texts
    s = stories["mlp"]
    h = Header(style, s)
    assert h.a is None and len(h.counters) == 3
    h.show_step(0, False)
    # The network's full-data MSE at its start, written out: tanh(W1·x + b1)·W2 + b2.
    H = 3
    p = s.params[0]
    w1, b1, w2, b2 = p[:H], p[H:2 * H], p[2 * H:3 * H], p[3 * H]
    x, y = s.trace.x, s.trace.y
    pred = np.tanh(np.outer(x, w1) + b1) @ w2 + b2
    assert h.L._shown == f"{np.mean((pred - y) ** 2):.4f}"


def test_formulas_say_the_gradient_norm_and_the_largest_updates(stories, style):
    from scenes.manim.panels.model_math import ModelMathPanel

    s = stories["mlp"]
    panel = ModelMathPanel(style, s, (-6.9, -1.2), 7.1, 2.7)
    k = 1
    panel.forward(k)
    panel.residuals(k)
    panel.gradient(k)
    panel.update(k)
    texts = [getattr(m, "layout_text", "") for m in panel.layout_mobjects() for m in m.get_family()]
    norm = math.sqrt(sum(float(g) ** 2 for g in s.trace.grads[k]))
    assert any(f"|∇L| = {norm:.4f}" in t for t in texts)
    row = [float(v) for v in s.trace.updates[k]]
    top = sorted(range(len(row)), key=lambda i: -abs(row[i]))[:3]
    line = next(t for t in texts if t.startswith("largest Δ:"))
    assert [part.split(" ")[0] for part in line[len("largest Δ: "):].split(", ")] == [s.param_names[i] for i in top]
    assert any(f"{s.loss[k]:.4f}" in t for t in texts)


def test_table_columns_follow_the_model(stories, style):
    from scenes.manim.panels.table import TablePanel

    assert TablePanel(style, stories["poly"], (0.5, -1.2), 6.4, 2.7).HEAD == (
        '"batch"', "x", "y", "hat(y)", "hat(y) - y")
    head = TablePanel(style, stories["logistic"], (0.5, -1.2), 6.4, 2.7).HEAD
    assert head[3:5] == ("p", "p - y") and len(head) == 7


def test_landscape_panels_say_how_faithful_the_plane_is(stories, style):
    from scenes.manim.panels.loss import LossPanel
    from scenes.manim.panels.params import ParamsPanel

    s = stories["mlp"]
    land = s.plane.land
    params = ParamsPanel(style, s, (3.85, 1.05), 5.5, 3.2, left=0.0, top=2.8)
    texts = [m.layout_text for m in params.faith]
    assert texts == [land.off_plane, land.label] and land.label.startswith("PC1 ")
    assert [m.layout_text for m in params.static.get_family() if getattr(m, "layout_text", None) in ("α", "β")]
    assert params.faith.get_top()[1] <= 2.8 + 1e-9  # inside its cell
    loss = LossPanel(style, s, (0.0, -2.3), 12.6, 1.7, left=-7.1, top=-1.15)
    loss.hold()
    # The third curve: the plane's loss under the projected path, before each step.
    P = loss.panel
    ys = P.lim.y0 + (loss.surface_curve.points[::4, 1] - P.y0) / P.h * (P.lim.y1 - P.lim.y0)
    want = np.clip(land.surface_loss[:-1], P.lim.y0, P.lim.y1)
    if loss.panel.log_y:
        ys = 10 ** (np.log10(P.lim.y0) + (loss.surface_curve.points[::4, 1] - P.y0) / P.h
                    * (np.log10(P.lim.y1) - np.log10(P.lim.y0)))
    assert np.allclose(ys[: len(want)], want[: len(ys)], rtol=1e-9)


@pytest.mark.slow  # Manim: the race scene played dry (nothing rasterised), a tiny network race
def test_race_of_a_network_draws_each_runs_curve_on_one_plane():
    import dataclasses

    from manim import tempconfig
    from manim.renderer.cairo_renderer import CairoRenderer

    from scenes.manim.file_writer import file_writer_for
    from scenes.manim.race import RaceScene
    from scenes.manim.render import _manim_config
    from scenes.story.plan import PlanSettings
    from scenes.story.race import RaceStory
    from training.recorder import record

    H = 3
    runs = [(opt, record(TrainConfig(data=_csv("sine.csv"), model="mlp", hidden=H, epochs=2, batch_size=8,
                                     lr=lr, optimizer=opt), base_dir=ROOT))
            for opt, lr in (("sgd", 0.1), ("adam", 0.05))]
    race = RaceStory(runs, ["optimizer"])
    plan = race.plan(dataclasses.replace(PlanSettings(), fps=2))
    with tempconfig(_manim_config(320, 180, 2)):
        renderer = CairoRenderer(file_writer_class=file_writer_for(lambda frame, repeat: None), skip_animations=True)
        sc = RaceScene(race, load_theme("dark"), plan, renderer=renderer, skip_animations=True)
        sc.render()
    assert sc.shared and sc.plane_names == ("α", "β") and len(sc.fits) == 2
    for r, P, curve in sc.fits:  # the final frame: each run's network at its final parameters
        p = runs[r][1].final_params
        pts = curve.points[::4, :2]
        L = P.lim
        x = L.x0 + (pts[:, 0] - P.x0) / P.w * (L.x1 - L.x0)
        y = L.y0 + (pts[:, 1] - P.y0) / P.h * (L.y1 - L.y0)
        want = np.tanh(np.outer(x, p[:H]) + p[H:2 * H]) @ p[2 * H:3 * H] + p[3 * H]  # written out
        assert len(x) > 50 and np.max(np.abs(y - want)) < 1e-9
    texts = {getattr(m, "layout_text", None) for m in sc.mobjects for m in m.get_family()}
    assert all(line in texts for line in race.contour_note.split("\n") if line)
    assert "★  least-squares optimum" not in texts  # a network has none


@pytest.mark.parametrize("optimizer, words", [("sgd", "Mini-batch SGD fits"), ("momentum", "SGD with momentum fits"),
                                              ("adam", "Adam fits"), ("rmsprop", "RMSprop fits")])
def test_the_walkthrough_title_names_the_optimizer_as_matplotlib_does(style, optimizer, words):
    """The walkthrough's title (the header's default) names the run's optimizer; the line's
    SGD keeps its words (and so its frames)."""
    from scenes.manim.panels.header import Header
    from scenes.manim.scenes import FitScene, Walkthrough
    from training.recorder import record

    s = Story(record(TrainConfig(optimizer=optimizer, epochs=1)))
    assert Header(style, s).title[0].layout_text == words
    assert Walkthrough.title.fget(type("S", (), {"story": s})()) == words
    assert FitScene.title == "The fit:"  # a single view names its view
