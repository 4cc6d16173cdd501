"""The race in the web player: the exported document holds exactly what RaceStory derives (paths,
loss curves, exits, the leaderboard, the samples-seen clock), and the page, in headless
Chromium from file://, shows it: no request but itself, no console error, the leaderboard of
a frame as the story's, every run's colour on the path canvas, direct labels drawn, and the
layout check clean over sizes, run counts and themes."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scenes.compare.race import render_race
from scenes.story.race import fmt_loss
from scenes.story.plan import PlanSettings
from scenes.story.race import CLOCK_LABEL, RaceStory, fmt_epoch, fmt_samples
from scenes.story.theme import load_theme
from scenes.web.export import decode
from scenes.web.race_export import KIND, race_document, race_page
from tests import browser
from training.config import TrainConfig
from training.recorder import record

PLAN = PlanSettings(fps=10, intro=0.5, fast_forward=1.5, hold=0.5)
LRS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6)


@pytest.fixture(scope="module")
def traces():
    """Calm runs of several learning rates, one run that diverges (lr 1.5), and batch sizes
    that differ (so samples seen, not steps, must be the clock)."""
    out = {f"lr={lr}": record(TrainConfig(lr=lr, epochs=6)) for lr in LRS}
    out["lr=1.5"] = record(TrainConfig(lr=1.5, epochs=6))
    out["batch_size=2"] = record(TrainConfig(lr=0.1, epochs=6, batch_size=2, drop_last=False))
    out["batch_size=4"] = record(TrainConfig(lr=0.1, epochs=6, batch_size=4, drop_last=False))
    return out


def runs_of(traces, n: int) -> list:
    """n runs, always with the diverged one and a batch-size run among them."""
    names = ["lr=0.03", "lr=1.5", "batch_size=4", "lr=0.3"] + [f"lr={lr}" for lr in LRS if f"lr={lr}" not in
                                                                ("lr=0.03", "lr=0.3")] + ["batch_size=2"]
    return [(name, traces[name]) for name in names[:n]]


@pytest.fixture(scope="module")
def four(traces):
    race = RaceStory(runs_of(traces, 4), ["lr"])
    return race, race_document(race, load_theme("light"), PLAN)


def frames_of(doc: dict) -> dict[str, np.ndarray]:
    race = doc["race"]
    n = race["n"]
    return {k: decode(v).reshape(race["plan"]["frames"], n) for k, v in race["frames"].items()}


def lookup(keep_x, keep_y, count: int, mid, head):
    """The player's documented lookup: the first ``count`` kept vertices, then mid (if any), the head."""
    xs, ys = list(keep_x[:count]), list(keep_y[:count])
    if mid is not None:
        xs.append(mid[0])
        ys.append(mid[1])
    return np.array(xs + [head[0]], dtype=np.float64), np.array(ys + [head[1]], dtype=np.float64)


def path_of(run: dict, fr: dict, i: int, r: int):
    """A run's path at frame i, read from the document as the player reads it."""
    if fr["left"][i, r]:
        ex = run["exit"]
        return lookup(decode(run["keep_a"]), decode(run["keep_b"]), ex["n"], ex["mid"], ex["point"])
    return lookup(decode(run["keep_a"]), decode(run["keep_b"]), fr["path_n"][i, r], None,
                  (fr["line_a"][i, r], fr["line_b"][i, r]))


# ------------------------------------------------------------------ the document
def test_paths_and_loss_curves_are_the_storys(four):
    race, doc = four
    plan = race.plan(PLAN)
    fr = frames_of(doc)
    runs = doc["race"]["runs"]
    assert doc["kind"] == KIND == "race" and doc["race"]["plan"]["frames"] == len(plan)
    for i in [*range(0, len(plan), 3), len(plan) - 1]:
        for r, run in enumerate(runs):
            k = int(plan.index[r, i])
            a, b, left = race.path(r, k)
            xs, ys = path_of(run, fr, i, r)
            assert np.array_equal(xs, a.astype(np.float64)) and np.array_equal(ys, b.astype(np.float64)), (i, r)
            assert bool(fr["left"][i, r]) == left
            sx, sy = race.loss_curve(r, k)
            if len(sx):
                lx, ly = lookup(decode(run["keep_samples"]), decode(run["keep_loss"]), fr["loss_n"][i, r],
                                None, (fr["loss_head_x"][i, r], fr["loss_head_y"][i, r]))
                assert np.array_equal(lx, sx) and np.array_equal(ly, sy), (i, r)
            else:
                assert math.isnan(fr["loss_head_x"][i, r])
            la, lb = race.line(r, k)
            assert (fr["line_a"][i, r], fr["line_b"][i, r]) == (la, lb)


def test_the_diverged_run_ends_with_a_mark_where_it_left(four):
    race, doc = four
    fr = frames_of(doc)
    r = [run.label for run in race.runs].index("lr=1.5")
    run = race.runs[r]
    assert run.diverged and run.exit_index is not None
    p = race.params
    # Independently: the exported head at the end lies on the view's edge, on the segment from
    # the last point inside to the first outside.
    ha, hb = doc["race"]["runs"][r]["exit"]["point"]
    on_edge = min(abs(ha - p.x0), abs(ha - p.x1), abs(hb - p.y0), abs(hb - p.y1))
    assert on_edge < 1e-9 * max(1.0, abs(p.x1) + abs(p.y1))
    e = run.exit_index
    a0, b0 = run.story.path_a[e - 1], run.story.path_b[e - 1]
    a1, b1 = run.story.path_a[e], run.story.path_b[e]
    assert p.x0 <= a0 <= p.x1 and p.y0 <= b0 <= p.y1
    t = (ha - a0) / (a1 - a0)
    assert 0 <= t <= 1 and hb == pytest.approx(b0 + t * (b1 - b0), rel=1e-9, abs=1e-12)
    assert fr["left"][-1, r] == 1 and fr["mark"][-1, r] == 1
    assert fr["mark"][0, r] == 0 and fr["left"][0, r] == 0
    calm = [i for i, rr in enumerate(race.runs) if not rr.diverged and rr.exit_index is None]
    assert calm and not fr["mark"][:, calm].any()
    # Its loss leaves the axis through the top: the cross sits there.
    assert fr["loss_mark"][-1, r] == 1 and doc["race"]["runs"][r]["loss_mark"][1] == race.loss_range[1]
    assert not fr["loss_mark"][:, calm].any() and all(doc["race"]["runs"][c]["loss_mark"] is None for c in calm)
    xs, ys = path_of(doc["race"]["runs"][r], fr, len(fr["left"]) - 1, r)
    a, b, left = race.path(r, run.n_points - 1)
    assert left and np.array_equal(xs, a) and np.array_equal(ys, b)


def test_leaderboard_at_frames_is_the_storys(four):
    race, doc = four
    plan = race.plan(PLAN)
    fr = frames_of(doc)
    statuses = doc["race"]["statuses"]
    for i in (0, len(plan) // 3, len(plan) // 2, len(plan) - 1):
        rows = race.leaderboard(plan.index[:, i])
        assert list(fr["rank_run"][i]) == [row.run for row in rows]
        assert list(fr["rank_loss"][i]) == [row.loss for row in rows]
        assert list(fr["rank_epoch"][i]) == [row.epoch for row in rows]
        assert [statuses[s] for s in fr["rank_status"][i]] == [row.status for row in rows]
    # Independently at the finish: sorted by the full-data loss in float64, the diverged last.
    final = []
    for r, run in enumerate(race.runs):
        tr = run.story.trace
        a, b = run.story.path_a[-1], run.story.path_b[-1]
        loss = float(np.mean((float(a) * tr.x.astype(np.float64) + float(b) - tr.y.astype(np.float64)) ** 2))
        final.append((loss if math.isfinite(loss) else math.inf, r))
    assert list(fr["rank_run"][-1]) == [r for _, r in sorted(final)]
    assert statuses[fr["rank_status"][-1, -1]].startswith("diverged at step")


def test_the_clock_is_samples_seen(traces):
    race = RaceStory(runs_of(traces, 4), ["lr"])
    doc = race_document(race, load_theme("light"), PLAN)["race"]
    # Independently: every run sees n points per epoch (drop_last=False keeps the short batch).
    for r, run in enumerate(race.runs):
        tr = run.story.trace
        if not run.diverged:
            assert decode(doc["runs"][r]["keep_samples"])[-1] == len(tr.x) * tr.settings.epochs
    assert doc["end_clock"] == max(len(run.story.trace.x) * run.story.trace.settings.epochs for run in race.runs)
    clock = decode(doc["plan"]["clock"])
    assert clock[0] == 0 and clock[-1] == doc["end_clock"] and np.all(np.diff(clock) >= 0)
    assert doc["clock_label"] == CLOCK_LABEL == "samples seen"
    assert all(t.startswith("samples seen: ") for t in doc["plan"]["clock_text"])
    assert doc["plan"]["clock_text"][-1] == f"samples seen: {fmt_samples(doc['end_clock'])} of " \
                                            f"{fmt_samples(doc['end_clock'])}  (finish)"
    ax = doc["loss_axis"]
    assert ax["x"] == [0.0, doc["end_clock"] * 1.02]
    assert [t[1] for t in ax["ticks"]] == [fmt_samples(t[0]) for t in ax["ticks"]] and len(ax["ticks"]) >= 3


def test_labels_are_placed_apart_inside_the_view(four):
    race, doc = four
    fr = frames_of(doc)
    w, h = doc["race"]["labels"]["width"], doc["race"]["labels"]["height"]
    for i in range(fr["label_u"].shape[0]):
        boxes = []
        for r in range(race.n):
            u, v = float(fr["label_u"][i, r]), float(fr["label_v"][i, r])
            x0 = u if fr["label_right"][i, r] else u - w
            boxes.append((x0, v - h / 2, x0 + w, v + h / 2))
            assert -1e-6 <= v - h / 2 and v + h / 2 <= 1 + 1e-6
        for p in range(len(boxes)):
            for q in range(p + 1, len(boxes)):
                A, B = boxes[p], boxes[q]
                overlap = min(A[2], B[2]) - max(A[0], B[0]) > 1e-6 and min(A[3], B[3]) - max(A[1], B[1]) > 1e-5
                assert not overlap, (i, p, q, A, B)


def test_more_than_eight_runs_export_no_labels_and_own_grid(traces):
    race = RaceStory(runs_of(traces, 12), ["lr"])
    doc = race_document(race, load_theme("light"), PLAN)["race"]
    assert doc["grid"] and "label_u" not in doc["frames"] and doc["fit_multiples"]
    assert len({run["colour"] for run in doc["runs"]}) == 8  # the 8 Okabe–Ito colours, then again


def test_render_race_writes_the_html_alone(traces, tmp_path):
    paths = render_race(runs_of(traces, 2), tmp_path, varied=["lr"], formats=("html",), plan=PLAN, fps=10)
    assert paths == [tmp_path / "compare.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compare.html"]
    text = paths[0].read_text(encoding="utf-8")
    assert '"kind":"race"' in text and "default-src 'none'" in text and "http://" not in text.split("<script>")[0]


# ------------------------------------------------------------------ in the browser
def needs_browser(test):
    """Drives Chromium: slow, marked browser, and skipped (saying why) where it is missing."""
    for mark in (pytest.mark.slow, pytest.mark.browser,
                 pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))):
        test = mark(test)
    return test

COLOUR_COUNT = """
var c = document.getElementById(arguments[0]), want = arguments[1], d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
return want.map(function (hex) {
  var r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16), b = parseInt(hex.slice(5, 7), 16), n = 0;
  for (var i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 24) n++;
  return n;
});"""

LEADERBOARD = """
return Array.prototype.map.call(document.querySelectorAll('#sgd-leader-rows li'), function (li) {
  var q = function (s) { return li.querySelector(s); };
  return { run: li.getAttribute('data-run'), rank: q('.rank').textContent, name: q('.name').textContent,
           loss: q('.loss').textContent, value: q('.loss').getAttribute('data-value'), info: q('.info').textContent };
});"""

SETTLE_JS = """
var done = arguments[arguments.length - 1];
requestAnimationFrame(function () { requestAnimationFrame(function () { done(true); }); });
"""


@pytest.fixture(scope="module")
def pages(traces, tmp_path_factory):
    folder = tmp_path_factory.mktemp("race-pages")
    made = {}
    for n in (2, 4, 8, 12):
        for theme in ("light", "dark"):
            race = RaceStory(runs_of(traces, n), ["lr"])
            path = folder / f"race{n}-{theme}.html"
            path.write_text(race_page(race, load_theme(theme), PLAN), encoding="utf-8")
            made[n, theme] = (path, race)
    return made


@pytest.fixture(scope="module")
def driver():
    from scenes.web.layout_check import install_probe

    with browser.chrome(1280, 720) as d:
        install_probe(d)
        yield d


def load(driver, path, fragment: str = ""):
    browser.open_page(driver, path, fragment)
    assert driver.execute_script("return document.getElementById('sgd-error').hidden"), \
        driver.find_element("id", "sgd-error").text


def assert_clean(driver, path):
    asked = browser.requests(driver)
    assert asked and all(u.split("#")[0] == path.resolve().as_uri() for u in asked), asked
    errors = [m for m in browser.console(driver) if m["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors


@needs_browser
@pytest.mark.parametrize("frame", [0, 13, 10_000])
def test_the_leaderboard_of_a_frame_is_the_storys(driver, pages, frame):
    path, race = pages[4, "light"]
    load(driver, path, f"frame={frame}")
    assert_clean(driver, path)
    plan = race.plan(PLAN)
    i = min(frame, len(plan) - 1)
    assert driver.find_element("id", "sgd-player").get_attribute("data-frame") == str(i)
    shown = driver.execute_script(LEADERBOARD)
    rows = race.leaderboard(plan.index[:, i])
    assert len(shown) == len(rows)
    for j, (got, row) in enumerate(zip(shown, rows)):
        assert got["rank"] == f"{j + 1}." and got["run"] == str(row.run) and got["name"] == row.label
        assert got["loss"] == fmt_loss(row.loss)
        assert (got["value"] == "inf") if math.isinf(row.loss) else float(got["value"]) == row.loss
        assert got["info"] == f"epoch {fmt_epoch(row.epoch)} · {row.status}"
    clock = driver.find_element("id", "sgd-caption").text
    assert clock.startswith("samples seen: ")


@needs_browser
@pytest.mark.parametrize("n", [4, 12])
def test_every_runs_colour_is_drawn_on_the_paths(driver, pages, n):
    path, race = pages[n, "light"]
    colours = race.colours(load_theme("light"))
    load(driver, path, "frame=0")
    start = driver.execute_script(COLOUR_COUNT, "sgd-race-params", colours)
    driver.execute_script("window.sgdPlayer.goFrame(100000)")
    end = driver.execute_script(COLOUR_COUNT, "sgd-race-params", colours)
    # Each path grows from its start to the finish: more pixels of its colour (a run that shares
    # a colour with another (12 runs, 8 colours) grows with it).
    for hexc, a, b in zip(colours, start, end):
        assert b > a + 40, (hexc, a, b)
    assert_clean(driver, path)


@needs_browser
def test_direct_labels_are_drawn_at_the_heads(driver, pages):
    from scenes.web.layout_check import page_items

    path, race = pages[4, "light"]
    load(driver, path, "frame=10000")
    items, _, cells = page_items(driver)
    drawn = {it.name for it in items if it.panel == "sgd-race-params"}
    assert {run.label for run in race.runs} <= drawn
    assert {"a (slope)", "b (intercept)"} <= drawn
    loss_texts = {it.name for it in items if it.panel == "sgd-race-loss"}
    assert CLOCK_LABEL in loss_texts and "MSE (log)" in loss_texts


@needs_browser
def test_keyboard_and_play_move_the_race(driver, pages):
    path, race = pages[4, "light"]
    load(driver, path, "frame=5")
    body = driver.find_element("tag name", "body")
    body.send_keys("\ue014")  # ArrowRight
    assert driver.execute_script("return window.sgdPlayer.state().frame") == 6
    body.send_keys("\ue012")  # ArrowLeft
    body.send_keys("\ue012")
    assert driver.execute_script("return window.sgdPlayer.state().frame") == 4
    body.send_keys("\ue011")  # Home
    assert driver.execute_script("return window.sgdPlayer.state().frame") == 0
    body.send_keys("\ue010")  # End
    assert driver.execute_script("return window.sgdPlayer.state().frame") == len(race.plan(PLAN)) - 1
    driver.execute_script("window.sgdPlayer.goFrame(0); window.sgdPlayer.play()")
    driver.execute_async_script("var done = arguments[0]; setTimeout(function () { done(1); }, 600)")
    assert driver.execute_script("return window.sgdPlayer.state().frame") > 0
    driver.execute_script("window.sgdPlayer.pause()")
    assert_clean(driver, path)


@needs_browser
def test_an_unknown_kind_is_refused_with_a_visible_message(driver, traces, tmp_path):
    from scenes.web.page import page_from_document

    race = RaceStory(runs_of(traces, 2), ["lr"])
    doc = race_document(race, load_theme("light"), PLAN)
    doc["kind"] = "tournament"
    path = tmp_path / "bad.html"
    path.write_text(page_from_document(doc, "bad"), encoding="utf-8")
    browser.open_page(driver, path)
    err = driver.find_element("id", "sgd-error")
    assert err.is_displayed() and "tournament" in err.text


SIZES = [(960, 540), (1280, 720), (1920, 1080), (1080, 1080)]


@needs_browser
@pytest.mark.parametrize("n", [2, 4, 8, 12])  # ~2 s each
def test_layout_check_passes_over_sizes_and_themes(driver, pages, n):
    from scenes.web.layout_check import check_page, show_frame

    problems = []
    for theme in ("light", "dark"):
        path, race = pages[n, theme]
        frames = len(race.plan(PLAN))
        load(driver, path)
        for size in SIZES:
            driver.set_window_size(*size)
            driver.execute_async_script(SETTLE_JS)
            for f in (0, frames // 3, frames // 2, frames - 1):
                show_frame(driver, f)
                problems += [str(p) for p in check_page(driver, f"race {n} {theme} {size[0]}x{size[1]} frame {f}")]
        assert_clean(driver, path)
    driver.set_window_size(1280, 720)
    assert problems == []


def test_the_cli_writes_the_race_page(tmp_path, capsys):
    import render

    out = tmp_path / "out"
    code = render.main(["--compare", "lr=0.05,1.5", "--epochs", "3", "--format", "html", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert (out / "compare.html").is_file() and not (out / "compare.mp4").exists()
    text = (out / "compare.html").read_text(encoding="utf-8")
    assert '"kind":"race"' in text and "Race: lr, 2 runs" in text


@needs_browser
@pytest.mark.parametrize("frame", [7, 10_000])
def test_the_page_and_the_video_show_the_same_leaderboard_and_clock(driver, pages, frame):
    """The browser and the matplotlib race draw one story: at a frame, the same rows (name,
    loss, epoch and status) and the same clock."""
    from scenes.mpl.race import RaceScene

    path, race = pages[4, "light"]
    plan = race.plan(PLAN)
    i = min(frame, len(plan) - 1)
    scene = RaceScene(race, load_theme("light"), (1280, 720))
    scene.update(plan, i, i)
    video = [(name.get_text(), loss.get_text(), info.get_text()) for _, name, loss, info in scene.leader_rows]
    load(driver, path, f"frame={i}")
    page = [(row["name"], row["loss"], row["info"]) for row in driver.execute_script(LEADERBOARD)]
    assert len(video) == race.n and page == video
    assert driver.find_element("id", "sgd-caption").get_attribute("textContent") == scene.clock.get_text()
