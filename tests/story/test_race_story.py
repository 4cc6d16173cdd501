"""The race story: every number checked against an independent computation (samples seen
from the batch sizes, the plan's positions by a plain loop, the full-data loss in float64
from a, b and the points), and the render_race input checks."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scenes.compare.race import RACE_FORMATS, render_race
from scenes.story.plan import PlanSettings
from scenes.story.race import MAX_OVERLAID, OKABE_ITO, RaceStory, spread_labels
from training.config import TrainConfig
from training.data import DataSpec
from training.errors import InputError
from training.recorder import record


@pytest.fixture(scope="module")
def lr_runs():
    return [(f"lr={lr}", record(TrainConfig(lr=lr, epochs=12))) for lr in (0.03, 0.1, 0.3, 1.5)]


@pytest.fixture(scope="module")
def bs_runs():
    return [(f"batch_size={b}", record(TrainConfig(batch_size=b, epochs=8, drop_last=False))) for b in (1, 4, 6)]


def _loss64(a: float, b: float, x: np.ndarray, y: np.ndarray) -> float:
    """The MSE, written out: mean of (a·x + b − y)² in float64."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.mean((a * x + b - y) ** 2))


def test_samples_seen_follow_the_batch_sizes(bs_runs):
    race = RaceStory(bs_runs, ["batch_size"])
    n = len(bs_runs[0][1].x)  # 6 article points
    for (label, trace), run in zip(bs_runs, race.runs):
        bs = trace.settings.batch_size
        per_epoch = [min(bs, n - i) for i in range(0, n, bs)]  # drop_last=False: a short last batch
        want = np.concatenate([[0], np.cumsum(per_epoch * trace.settings.epochs)])
        assert np.array_equal(run.samples, want), label
    # Every run sees the same number of samples in the same number of epochs.
    assert len({float(r.samples[-1]) for r in race.runs}) == 1
    assert race.end_clock == n * 8


def test_plan_positions_match_a_plain_loop(bs_runs):
    race = RaceStory(bs_runs, ["batch_size"])
    plan = race.plan(PlanSettings(fps=12))
    assert plan.index.shape == (len(bs_runs), len(plan))
    assert np.all(np.diff(plan.clock) >= 0) and plan.clock[0] == 0 and plan.clock[-1] == race.end_clock
    for r, run in enumerate(race.runs):
        for i in range(0, len(plan), 7):
            c = plan.clock[i]
            k = 0
            while k + 1 < len(run.samples) and run.samples[k + 1] <= c:
                k += 1
            assert plan.index[r, i] == k
    assert np.all(plan.index[:, -1] == [r.n_points - 1 for r in race.runs])  # all at the finish


def test_plan_durations():
    runs = [("a", record(TrainConfig(epochs=3))), ("b", record(TrainConfig(epochs=3, lr=0.2)))]
    race = RaceStory(runs, ["lr"])
    s = PlanSettings(fps=10, intro=1.0, fast_forward=2.0, hold=1.0)
    assert len(race.plan(s)) == 10 + 40 + 10  # the race is twice the fast-forward
    assert len(race.plan(PlanSettings(fps=30, target_duration=12))) == 360


def test_full_data_loss_and_leaderboard_against_float64(lr_runs):
    race = RaceStory(lr_runs, ["lr"])
    plan = race.plan(PlanSettings(fps=10))
    for i in (0, len(plan) // 3, len(plan) - 1):
        rows = race.leaderboard(plan.index[:, i])
        want = []
        for r, (label, trace) in enumerate(lr_runs):
            k = int(plan.index[r, i])
            a = trace.steps["a"][k] if k < trace.n_steps else trace.final_a
            b = trace.steps["b"][k] if k < trace.n_steps else trace.final_b
            loss = _loss64(a, b, trace.x, trace.y)
            assert math.isclose(race.runs[r].path_loss[k], loss, rel_tol=1e-9, abs_tol=1e-15), label
            want.append((loss if math.isfinite(loss) else math.inf, r, label))
        assert [row.label for row in rows] == [w[2] for w in sorted(want)]
        assert [row.loss for row in rows] == pytest.approx([w[0] for w in sorted(want)], rel=1e-9)


def test_statuses_and_epochs(lr_runs):
    race = RaceStory(lr_runs, ["lr"])
    plan = race.plan(PlanSettings(fps=10))
    end = {row.label: row for row in race.leaderboard(plan.index[:, -1])}
    diverged = lr_runs[3][1]
    assert diverged.status.diverged
    assert end["lr=1.5"].status == f"diverged at step {diverged.status.step}"
    assert end["lr=1.5"].label == race.leaderboard(plan.index[:, -1])[-1].label  # last on the board
    for label in ("lr=0.03", "lr=0.1", "lr=0.3"):
        assert end[label].status == "done" and end[label].epoch == pytest.approx(12.0)
    start = race.leaderboard(plan.index[:, 0])
    assert {row.status for row in start} == {"running"} and all(row.epoch == 0 for row in start)
    # Before it diverges, the run left the view: said so while the clock still runs.
    run = race.runs[3]
    assert run.exit_index is not None and run.exit_index < run.n_points - 1
    assert race.status(3, run.exit_index) == "left the view"


def test_exit_point_is_on_the_edge_between_the_two_points(lr_runs):
    race = RaceStory(lr_runs, ["lr"])
    p = race.params
    for r, run in enumerate(race.runs):
        if run.exit_index is None:
            a, b, left = race.path(r, run.n_points - 1)
            assert not left and np.all((a >= p.x0) & (a <= p.x1) & (b >= p.y0) & (b <= p.y1))
            continue
        e = run.exit_index
        st = run.story
        a0, b0, a1, b1 = st.path_a[e - 1], st.path_b[e - 1], st.path_a[e], st.path_b[e]
        xa, xb = run.exit_point
        on_edge = min(abs(xa - p.x0), abs(xa - p.x1), abs(xb - p.y0), abs(xb - p.y1))
        assert on_edge < 1e-9 * max(1.0, abs(xa), abs(xb))
        # Collinear with the segment, and between its ends.
        cross = (a1 - a0) * (xb - b0) - (b1 - b0) * (xa - a0)
        assert abs(cross) < 1e-9 * math.hypot(a1 - a0, b1 - b0) * max(1.0, math.hypot(xa - a0, xb - b0))
        assert min(a0, a1) - 1e-12 <= xa <= max(a0, a1) + 1e-12
        a, b, left = race.path(r, run.n_points - 1)
        assert left and (a[-1], b[-1]) == (xa, xb)


def test_shared_view_is_that_of_the_calm_runs(lr_runs):
    race = RaceStory(lr_runs, ["lr"])
    calm = RaceStory(lr_runs[:3], ["lr"])
    assert race.params == calm.params  # the diverged run does not stretch the view
    A, B, L, levels = race.contours(n=9)
    x, y = lr_runs[0][1].x, lr_runs[0][1].y
    for i, j in ((0, 0), (4, 7), (8, 8)):
        assert L[i, j] == pytest.approx(_loss64(A[i, j], B[i, j], x, y), rel=1e-9, abs=1e-14)
    assert np.all(np.diff(levels) > 0) and race.shared_data and race.contour_note == ""


def test_different_data_says_whose_contours():
    runs = [(f"noise={n}", record(TrainConfig(data=DataSpec(kind="synthetic", n=20, noise=n), epochs=2,
                                              batch_size=5))) for n in (0.05, 0.3)]
    race = RaceStory(runs, ["data"])
    assert not race.shared_data and race.fit_multiples
    assert race.contour_note == "contours: loss on the data of noise=0.05"


def test_palette_and_small_multiples(lr_runs):
    assert len(set(OKABE_ITO)) == MAX_OVERLAID == 8
    race = RaceStory(lr_runs, ["lr"])
    assert [r.colour for r in race.runs] == list(OKABE_ITO[:4])
    assert not race.grid and not race.fit_multiples
    many = [(f"run {i}", lr_runs[i % 3][1]) for i in range(9)]
    big = RaceStory(many, ["seed"])
    assert big.grid and big.fit_multiples
    five = RaceStory(many[:5], ["seed"])
    assert five.fit_multiples and not five.grid
    assert "seed" in big.title and "9 runs" in big.title


def test_spread_labels_never_overlap():
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(2, 9))
        u, v = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
        if rng.uniform() < 0.5:
            v[:] = v[0] + rng.uniform(-0.02, 0.02, n)  # heads piled on one spot
        w, h = 0.2, 0.06
        out = spread_labels(u, v, w, h)
        assert np.all(out >= h / 2 - 1e-9) and np.all(out <= 1 - h / 2 + 1e-9)
        for i in range(n):
            for j in range(i + 1, n):
                if abs(u[i] - u[j]) < w:
                    assert abs(out[i] - out[j]) >= h - 1e-6, (u, v, out)


def test_spread_labels_leaves_separate_labels_alone():
    u = np.array([0.1, 0.15, 0.7])
    v = np.array([0.2, 0.5, 0.52])  # the first two share a column but are far apart
    assert np.array_equal(spread_labels(u, v, 0.2, 0.06), v)
    # Two piled labels move apart symmetrically, about their mean.
    out = spread_labels(np.array([0.4, 0.42]), np.array([0.5, 0.5]), 0.2, 0.06)
    assert out == pytest.approx([0.47, 0.53])


def test_label_positions_stay_in_the_view(lr_runs):
    race = RaceStory(lr_runs, ["lr"])
    plan = race.plan(PlanSettings(fps=10))
    from scenes.story.race import LABEL_GAP

    for width in (0.18, 0.7):  # short labels, and labels too long for either side of a head
        for i in range(0, len(plan), 11):
            for r, (u, v, ha) in enumerate(race.label_positions(plan.index[:, i], width, 0.05)):
                assert 0.025 - 1e-9 <= v <= 0.975 + 1e-9
                lo, hi = (u, u + LABEL_GAP + width) if ha == "left" else (u - LABEL_GAP - width, u)
                assert lo >= -1e-9 and hi <= 1 + 1e-9, (width, u, ha)  # the text stays in the view
                a, b, _ = race.head(r, int(plan.index[r, i]))
                head_u = (a - race.params.x0) / (race.params.x1 - race.params.x0)
                if width == 0.18:  # short labels sit at their heads
                    assert u == pytest.approx(head_u)


def test_bad_input_is_one_line(lr_runs, tmp_path, one_line):
    with pytest.raises(InputError) as e:
        RaceStory([("x", lr_runs[0][1]), ("x", lr_runs[1][1])])
    one_line(e.value, "distinct")
    for kwargs, word in (({"formats": ("svg",)}, "svg"), ({"formats": ("mp4",), "backend": "povray"}, "povray"),
                         ({"formats": ("mp4",), "fps": 0}, "fps"), ({"formats": ("mp4",), "size": (100, 10)}, "size"),
                         ({"formats": ("mp4",), "backend": "manim", "size": (720, 720)}, "16:9")):
        with pytest.raises(InputError) as e:
            render_race(lr_runs, tmp_path, varied=["lr"], **kwargs)
        one_line(e.value, word)
    with pytest.raises(InputError):
        render_race([], tmp_path, varied=["lr"], formats=("mp4",))
    assert list(tmp_path.iterdir()) == []  # nothing written before the checks
    assert {"mp4", "png", "html"} <= set(RACE_FORMATS)


def test_tags_for_low_contrast_colours(lr_runs):
    from scenes.story.race import contrast
    from scenes.story.theme import load_theme

    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    many = [(f"run {i}", lr_runs[i % 3][1]) for i in range(8)]
    race = RaceStory(many, ["seed"])
    light = load_theme("light")
    tags = race.tags(light)
    colours = race.colours(light)
    assert colours[6] == light.color("text")  # the black slot follows the theme
    assert tags[7] == "#000000" and tags[4] == "#000000"  # yellow and orange on white: dark text on a tag
    assert tags[0] is None and tags[1] is None  # blue and vermillion read on white


def test_long_paths_are_bounded_and_end_at_the_point_shown():
    import scenes.story.race as race_mod

    runs = [("lr=0.1", record(TrainConfig(epochs=400))), ("lr=0.3", record(TrainConfig(lr=0.3, epochs=400)))]
    race = RaceStory(runs, ["lr"])
    run = race.runs[0]
    assert run.n_points == 1201 and len(run.keep) == 1201  # under the cap: every point
    old = race_mod.POINTS_CAP
    race_mod.POINTS_CAP = 100
    try:
        small = RaceStory(runs, ["lr"])
    finally:
        race_mod.POINTS_CAP = old
    st = small.runs[0].story
    for k in (0, 1, 57, 600, 1200):
        a, b, left = small.path(0, k)
        assert not left and len(a) <= 101
        assert (a[-1], b[-1]) == (st.path_a[k], st.path_b[k])
        assert np.all(np.isin(a, st.path_a[:k + 1]))
        xs, ys = small.loss_curve(0, k)
        assert xs[-1] == small.runs[0].samples[k] and ys[-1] == small.runs[0].path_loss[k]


def test_epochs_read_as_tenths_and_whole_numbers_without_a_point():
    from scenes.story.race import fmt_epoch
    assert [fmt_epoch(e) for e in (0, 3.66, 7.25, 99.96, 100.0, 2 / 3)] == ["0", "3.7", "7.2", "100", "100", "0.7"]


def test_the_loss_cross_sits_where_a_run_leaves_the_axis_or_diverges():
    """Every backend puts the loss view's cross where RaceStory.loss_mark says: checked here
    against the curve itself, point by point."""
    from scenes.story.race import RaceStory
    from training.config import TrainConfig
    from training.recorder import record
    race = RaceStory([("lr=0.1", record(TrainConfig(epochs=5))), ("lr=1.5", record(TrainConfig(lr=1.5, epochs=5)))])
    top = race.loss_range[1]
    calm, wild = race.runs
    assert all(race.loss_mark(0, k) is None for k in range(calm.n_points))
    above = [k for k in range(wild.n_points) if not wild.path_loss[k] <= top]
    assert wild.diverged and above
    for k in range(wild.n_points):
        mark = race.loss_mark(1, k)
        if k < above[0]:
            assert mark is None
        else:
            assert mark == (float(wild.samples[above[0]]), top)
