"""The layout check: its rules catch what they are for (on hand-made boxes and on real scenes
broken on purpose), the views pass it over a covering sample of the matrix of runs (a
pairwise design of it in the slow tests, all of it with --full-matrix: tests/matrix.py), and
the issue's seven defects stay gone."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.layout_matrix import (MANIM_SCENES, MODEL_RUNS, RUNS, SIZES, THEMES, Case, check_case,
                                      check_manim_case, covering, full_matrix, manim_cases, trace_of)
from scenes.layout_check import ARROW, LEGEND, LINE, MARKER, TEXT, Box, Item, check_items
from scenes.mpl.layout_check import check_scene, frames_to_check
from scenes.mpl.render import FrameRenderer, _setup, build_plan
from scenes.story.plan import FAST, GRADIENT, HOLD
from scenes.story.captions import fit_title
from tests.matrix import (ISSUE_CASES, MANIM_MODELS, MANIM_SAMPLE, MANIM_SUITE, MPL_FAST, SECOND,
                          manim_model_params, manim_slow_params, mpl_slow_params, player_slow_params)

FRAME = Box(0, 0, 400, 300)
CELLS = {"a": Box(0, 0, 200, 300), "b": Box(200, 0, 400, 300)}
AREA = Box(30, 30, 190, 270)


def rules(items):
    return sorted({p.rule for p in check_items(items, FRAME, CELLS)})


# ------------------------------------------------------------------ the rules, on boxes
def test_rules_pass_a_clean_layout():
    items = [Item(TEXT, "title", "a", Box(10, 275, 120, 295)),
             Item(TEXT, "value", "a", Box(121.5, 275, 180, 295)),  # touching by less than a pixel
             Item(LEGEND, "legend", "a", Box(120, 200, 185, 260), area=AREA),
             Item(LINE, "curve", "a", Box(30, 30, 110, 150), points=np.array([[30, 150], [110, 30]]), area=AREA),
             Item(ARROW, "arrow", "b", Box(250, 100, 300, 150), points=np.array([[250, 100], [300, 150]]),
                  area=Box(230, 30, 390, 270)),
             Item(MARKER, "points", "b", Box(240, 40, 380, 260), points=np.array([[240, 40], [380, 260]]),
                  area=Box(230, 30, 390, 270))]
    assert check_items(items, FRAME, CELLS) == []


@pytest.mark.parametrize("item, rule", [
    (Item(TEXT, "cut at the left", "a", Box(-12, 100, 20, 115)), "frame"),
    (Item(TEXT, "in the neighbour's cell", "a", Box(150, 100, 230, 115)), "panel"),
    (Item(LEGEND, "legend", "b", Box(180, 100, 260, 140), area=Box(230, 30, 390, 270)), "panel"),
    (Item(ARROW, "arrow", "a", Box(150, 200, 196, 280), area=AREA), "panel"),
    (Item(MARKER, "point", "a", Box(192, 100, 192, 100), points=np.array([[192.0, 100.0]]), area=AREA), "panel"),
    (Item(MARKER, "point", "b", Box(405, 100, 405, 100), points=np.array([[405.0, 100.0]])), "frame"),
])
def test_each_rule_reports_what_it_is_for(item, rule):
    assert rule in rules([item])


def test_overlapping_texts_are_reported_with_both_boxes():
    a = Item(TEXT, "−0.0053", "a", Box(100, 50, 140, 62))
    b = Item(TEXT, "−2.14e−4", "a", Box(137, 50, 185, 62))  # three pixels into its neighbour
    probs = check_items([a, b], FRAME, CELLS)
    assert [p.rule for p in probs] == ["overlap"]
    assert set(probs[0].boxes) == {a.box, b.box} and "−0.0053" in probs[0].message


def test_a_legend_crossed_by_a_segment_is_reported_even_without_a_vertex_inside():
    legend = Item(LEGEND, "legend", "a", Box(100, 100, 180, 160), area=AREA)
    through = Item(LINE, "loss", "a", Box(40, 40, 190, 260), points=np.array([[40, 40], [190, 260]]), area=AREA)
    beside = Item(LINE, "loss", "a", Box(40, 40, 90, 260), points=np.array([[40, 40], [90, 260]]), area=AREA)
    guide = Item(LINE, "cursor", "a", Box(140, 30, 140, 270), points=np.array([[140, 30], [140, 270]]),
                 area=AREA, data=False)
    assert rules([legend, through]) == ["covers"]
    assert rules([legend, beside]) == []
    assert rules([legend, guide]) == []  # a guide line may cross a legend
    broken = Item(LINE, "path", "a", Box(40, 40, 190, 260),
                  points=np.array([[40, 40], [np.nan, np.nan], [190, 260]]), area=AREA)
    assert rules([legend, broken]) == []  # NaN rows break a polyline


def test_a_graph_edge_through_a_text_is_reported_wherever_it_bends():
    """A graph's edge (an arrow marked ``edge``, its whole path in ``points``) must cross no
    text: the network's Tanh → ŷ ran straight through ŷ's class name "AddmmBackward0". Only
    texts touching texts were reported before; an arrow of a plot (a gradient arrow ending at
    its label) is not held to it."""
    name = Item(TEXT, "AddmmBackward0", "a", Box(100, 120, 160, 130))
    through = Item(ARROW, "arrow", "a", Box(40, 60, 150, 140), points=np.array([[40.0, 60.0], [150.0, 140.0]]),
                   edge=True)
    probs = check_items([name, through], FRAME, CELLS)
    assert [p.rule for p in probs] == ["crosses"] and "AddmmBackward0" in probs[0].message
    assert probs[0].boxes == (name.box,)
    # Routed around it: level, up in the gap left of the name, level under it: nothing to report.
    routed = np.array([[40.0, 60.0], [90.0, 60.0], [90.0, 110.0], [150.0, 110.0]])
    assert rules([name, Item(ARROW, "arrow", "a", Box(40, 60, 150, 110), points=routed, edge=True)]) == []
    # A bend of the path through the text counts, not only its ends' straight line.
    bent = np.array([[40.0, 60.0], [130.0, 125.0], [150.0, 110.0]])
    assert rules([name, Item(ARROW, "arrow", "a", Box(40, 60, 150, 125), points=bent, edge=True)]) == ["crosses"]
    assert rules([name, Item(ARROW, "arrow", "a", Box(40, 60, 150, 125), points=np.array([bent[0], bent[-1]]),
                             edge=True)]) == []
    # An arrow that is not a graph's edge may end on a text (a plot's arrow and its label).
    assert rules([name, Item(ARROW, "arrow", "a", through.box, points=through.points)]) == []


# ------------------------------------------------------------------ matplotlib, broken on purpose
@pytest.fixture(scope="module")
def article():
    return trace_of("article")


def scene_at(trace, size=(960, 540), theme="light", beat=GRADIENT, step=1):
    scene = _setup(trace, size, theme, ("fit", "loss", "params", "numbers"))
    plan = build_plan(trace)
    renderer = FrameRenderer(scene, plan)
    i = int(np.flatnonzero((plan.beat == beat) & (plan.step == step))[-1])
    renderer.frame(i)
    return scene


def test_a_real_frame_passes_and_breaking_it_is_caught(article):
    scene = scene_at(article)
    assert check_scene(scene) == []

    nv = scene.view("numbers")
    # 1. A text moved out of its panel (the numbers' last line, below the frame).
    line = nv.lines[0]
    x, y = line.get_position()
    line.set_position((x, -0.4))
    probs = check_scene(scene)
    assert {"frame", "panel"} <= {p.rule for p in probs}
    assert all(line.get_text()[:20] in p.message for p in probs)
    line.set_position((x, y))
    assert check_scene(scene) == []

    # 2. Two texts on top of each other (a right-aligned value run into the column before it).
    cell, neighbour = nv.cells[0][3], nv.cells[0][2]
    cell.set_text("−0.0053000")
    probs = check_scene(scene)
    assert [p.rule for p in probs] == ["overlap"] and neighbour.get_text() in probs[0].message
    cell.set_text("0.1")
    assert check_scene(scene) == []

    # 3. The loss legend moved onto the curve; 4. an arrow pointing out of its plot.
    lv = scene.view("loss")
    lv.update(scene.story.state(scene.story.n - 1, HOLD, 1.0))  # the whole curve
    lv.legend.set_loc("upper left")  # where a falling loss starts
    assert "covers" in {p.rule for p in check_scene(scene)}
    pv = scene.view("params")
    g = scene.geom.params
    arrow = pv.arrows["update"]
    arrow.set_positions((g.x0 + 0.5 * (g.x1 - g.x0), g.y0 + 0.5 * (g.y1 - g.y0)), (g.x1 + (g.x1 - g.x0), g.y1))
    arrow.set_visible(True)
    assert any(p.rule == "panel" and "arrow" in p.message for p in check_scene(scene))


def test_the_header_and_table_guards_shrink_text_rather_than_collide(article):
    scene = scene_at(article, (960, 540), "dark")
    nv = scene.view("numbers")
    for j, cell in enumerate(nv.cells[0]):  # a value wider than any the layout measured
        nv._set_cell(cell, "−8.88e−188", j)
    line = nv.lines[1]
    line.set_text("a:  −8.888e+88 → −8.888e+88   (Δa = −8.888e+88)   and a long tail of words")
    nv._fit_line(line)
    assert check_scene(scene) == []


def test_frames_to_check_are_every_beat_boundary_and_the_final_frame(article):
    plan = build_plan(article)
    idx = frames_to_check(plan)
    for seg in plan.segments():
        assert seg.start in idx and seg.stop - 1 in idx
    assert idx[-1] == len(plan) - 1 and plan.beat[idx[-1]] == HOLD
    assert any(plan.beat[i] == FAST and i not in {s.start for s in plan.segments()} for i in idx)


# ------------------------------------------------------------------ Manim, broken on purpose
@pytest.mark.slow  # Manim
def test_manim_check_catches_a_mobject_moved_off_the_frame_and_onto_another():
    pytest.importorskip("manim")
    from manim import LEFT

    from scenes.manim.layout_check import check_now, run_dry
    from scenes.manim.render import QUALITIES

    w, h, _ = QUALITIES["low"]
    seen = {}

    class Seen(Exception):
        """Raised once the first gradient beat is looked at: the rest of the run would not be."""

    def look(sc, seg):
        if seg.name != "gradient":
            return
        seen["clean"] = check_now(sc, w, h)
        sc.header.title.shift(LEFT * 1.0)  # its left edge leaves the frame
        seen["off"] = check_now(sc, w, h)
        sc.header.title.shift(-LEFT * 1.0)
        legend = sc.params.legend
        legend.move_to(sc.params.dot.get_center())  # onto the current point and its arrows
        seen["covers"] = check_now(sc, w, h)
        legend.move_to(sc.fit.label.get_center())  # into the fit panel, over its label
        seen["panel"] = check_now(sc, w, h)
        raise Seen

    with pytest.raises(Seen):  # the scene stops there: a dry run of one step, not of the whole video
        run_dry(trace_of("momentum"), look, scene="walkthrough", theme="light")
    assert seen["clean"] == []
    assert any(p.rule == "frame" and fit_title("momentum") in p.message for p in seen["off"])  # the title
    assert any(p.rule == "covers" for p in seen["covers"])
    assert {"panel", "overlap"} <= {p.rule for p in seen["panel"]}


# ------------------------------------------------------------------ the matrix
# Which cases the fast tests, the slow tests and --full-matrix check: tests/matrix.py.
@pytest.mark.parametrize("case", covering(), ids=lambda c: c.slug)
def test_sampled_matrix_passes_matplotlib(case):
    assert [str(p) for p in check_case(case)] == []


def test_the_sample_covers_every_size_theme_and_run():
    cases = covering()
    assert {(c.size, c.theme) for c in cases} == {(s, t) for s in SIZES for t in THEMES}
    assert {c.run for c in cases} == set(RUNS)
    settings = [RUNS[r] for r in RUNS]
    assert {s.batch_size for s in settings} >= {1, 2, 8, 32}
    assert {s.optimizer for s in settings} >= {"sgd", "momentum", "adam"}
    assert {s.data.kind for s in settings} == {"article", "csv", "synthetic"}
    assert any(s.data.kind == "synthetic" and s.data.n == 1000 and s.data.outliers for s in settings)
    assert trace_of("diverging").status.diverged


def test_the_designs_check_every_pair_and_together_the_whole_matrix_once():
    everything = full_matrix()
    assert set(ISSUE_CASES) <= set(everything) and not set(SECOND) & set(covering())
    for design in (covering(), SECOND):  # each: every run once, every size x theme pair
        assert sorted(c.run for c in design) == sorted(RUNS)
        assert {(c.size, c.theme) for c in design} == {(s, t) for s in SIZES for t in THEMES}
    assert {(c.run, c.theme) for c in covering() + SECOND} == {(r, t) for r in RUNS for t in THEMES}
    slow = [p.values[0] for p in mpl_slow_params()]
    assert len(slow) == len(set(slow)) and not set(slow) & set(MPL_FAST)
    assert sorted(MPL_FAST + slow, key=repr) == sorted(everything, key=repr)  # each case once
    assert {p.values[0] for p in mpl_slow_params() if not p.marks} == set(SECOND) - set(MPL_FAST)
    # Manim: every run, every scene x theme pair, in the suite; with the rest, its matrix once.
    manim = MANIM_SAMPLE + [tuple(p.values) for p in manim_slow_params()]
    assert sorted(manim) == sorted(manim_cases()) and len(manim) == len(set(manim)) == 60
    assert set(MANIM_SAMPLE) <= set(MANIM_SUITE) and sorted(r for r, _, _ in MANIM_SUITE) == sorted(RUNS)
    assert {(sc, t) for _, t, sc in MANIM_SUITE} == {(sc, t) for sc in MANIM_SCENES for t in THEMES}
    # The player (tests/web/test_player_layout.py): a page per run and theme, at some sizes.
    player = {True: [], False: []}
    for p in player_slow_params():
        run, theme, sizes = p.values
        player[bool(p.marks)] += [Case(run, size, theme) for size in sizes]
    assert player[False] == []  # the suite checks the page at covering()'s cases (tests/matrix.py)
    assert sorted(covering() + player[True], key=repr) == sorted(everything, key=repr)


@pytest.mark.slow  # Manim
@pytest.mark.parametrize("run, theme, scene", MANIM_SAMPLE)
def test_sampled_matrix_passes_manim(run, theme, scene):
    pytest.importorskip("manim")
    assert [str(p) for p in check_manim_case(run, theme, scene)] == []


@pytest.mark.slow
@pytest.mark.parametrize("case", mpl_slow_params())
def test_full_matrix_passes_matplotlib(case):
    """The cases of the matrix the fast tests leave out: the pairwise design's, and with
    --full-matrix all the others."""
    assert [str(p) for p in check_case(case)] == []


@pytest.mark.slow
@pytest.mark.parametrize("run, theme, scene", manim_slow_params())
def test_full_matrix_passes_manim(run, theme, scene):
    """Manim's matrix but test_sampled_matrix_passes_manim's cases: every run x scene pair,
    and with --full-matrix each walkthrough in its other theme too."""
    pytest.importorskip("manim")
    assert [str(p) for p in check_manim_case(run, theme, scene)] == []


@pytest.mark.slow
@pytest.mark.parametrize("run, theme, scene", manim_model_params())
def test_model_matrix_passes_manim(run, theme, scene):
    """The other models' views in Manim (a landscape, a sigmoid, formulas in a model's words)."""
    pytest.importorskip("manim")
    assert [str(p) for p in check_manim_case(run, theme, scene)] == []


def test_the_manim_model_matrix_covers_every_model_run_scene_and_theme():
    cases = manim_cases(MODEL_RUNS)
    assert {(r, sc) for r, _, sc in cases} == {(r, sc) for r in MODEL_RUNS for sc in MANIM_SCENES}
    assert {(sc, t) for _, t, sc in cases} == {(sc, t) for sc in MANIM_SCENES for t in THEMES}
    assert set(MANIM_MODELS) <= set(cases)
    # and each model's backprop scene (--full-matrix), in both themes between them
    backprop = [tuple(p.values) for p in manim_model_params() if p.values[2] == "backprop"]
    assert {r for r, _, _ in backprop} == set(MODEL_RUNS) and {t for _, t, _ in backprop} == set(THEMES)


def test_the_manim_matrix_covers_every_run_scene_and_theme():
    cases = manim_cases()
    assert {(r, t) for r, t, sc in cases if sc == "walkthrough"} == {(r, t) for r in RUNS for t in THEMES}
    assert {(sc, t) for _, t, sc in cases} == {(sc, t) for sc in MANIM_SCENES for t in THEMES}
    assert {(r, sc) for r, _, sc in cases} == {(r, sc) for r in RUNS for sc in MANIM_SCENES}


# ------------------------------------------------------------------ the issue's defects
@pytest.mark.parametrize("case", ISSUE_CASES, ids=lambda c: c.slug)
def test_the_issue_runs_pass(case):
    assert [str(p) for p in check_case(case)] == [], ISSUE_CASES[case]


def test_square_and_tall_frames_get_their_own_arrangement(article):
    for size, arrangement in (((1080, 1080), "square"), ((1080, 1920), "tall")):
        scene = scene_at(article, size, "dark", beat=HOLD, step=article.n_steps - 1)
        assert scene.arrangement == arrangement
        boxes = {k: v for k, v in scene.cells.items()}
        # 5. plots no longer stretched tall: every plot at least as wide as it is tall ...
        for name in ("fit", "params", "loss"):
            bb = scene.axes[name].bbox
            assert bb.width >= bb.height * 0.95, (size, name, bb.bounds)
        # ... the numbers panel no taller than what it shows (it was half empty) ...
        nv = scene.view("numbers")
        r = scene.renderer
        lowest = min(t.get_window_extent(r).y0 for t in nv.ax.texts if t.get_text())
        cell = boxes["numbers"]
        assert (cell.y1 - lowest) / cell.height > 0.7, (size, cell.bounds, lowest)
        # ... and the caption never crowds the title: its own row, or an em apart.
        hd = scene.header
        if hd.same_row:
            title = scene.fig.texts[0].get_window_extent(r)
            for text in scene._captions.values():
                hd.caption.set_text(text)
                assert hd.caption.get_window_extent(r).x0 - title.x1 >= hd.px(hd.sz("text"))


def test_contour_bands_are_the_themes_blues_in_both_backends():
    """6. The dark theme's high-loss band was khaki (cividis' yellow end on a dark panel)."""
    from scenes.story.palette import band_colors
    from scenes.story.theme import load_theme

    story = trace_of("article")
    from scenes.story.story import Story

    A, B, L, levels = Story(story).contours()
    for name in ("light", "dark"):
        bands, over = band_colors(load_theme(name), levels, float(L.max()))
        for r, g, b in [*bands, over]:
            assert b >= max(r, g), (name, (r, g, b))  # blue leads: no yellow, no khaki
    # matplotlib fills with exactly these colours
    scene = _setup(story, (640, 360), "dark", ("params",))
    cs = [c for c in scene.axes["params"].collections if c.__class__.__name__ == "QuadContourSet"]
    filled = [c for c in cs if c.filled][0]
    bands, over = band_colors(scene.theme, levels, float(L.max()))
    assert np.allclose(filled.cmap(np.arange(len(bands)))[:, :3], np.array(bands))
    assert np.allclose(filled.cmap.get_over()[:3], over)
