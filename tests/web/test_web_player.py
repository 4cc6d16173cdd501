"""The web player in a real browser: Debian's headless Chromium, driven by Selenium as root.

Pages are loaded from file://. Every test checks that the page asked the network for nothing
but itself and that its console stayed free of errors. Numbers are read from the page's DOM
(each value carries its full-precision number in ``data-value``) and compared with the
trace's own; frame states and arrows with the story's. Skipped, saying why, when chromium,
chromium-driver or selenium is missing (.ci/setup.sh installs them).
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest

from tests import browser

pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))]

from scenes.mpl.views import _fmt  # noqa: E402
from scenes.story import Story  # noqa: E402
from scenes.story.plan import BEATS, FAST, GRADIENT, HOLD, UPDATE  # noqa: E402
from scenes.web.inline import Player  # noqa: E402
from scenes.web.page import page_from_document, player_page  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.recorder import record  # noqa: E402



@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("player")
    traces = {"sgd": record(TrainConfig()), "momentum": record(TrainConfig(optimizer="momentum", epochs=30)),
              "diverged": record(TrainConfig(lr=1.0, batch_size=1)),
              "no_step": record(TrainConfig(lr=1e30))}  # diverged at the first step: nothing recorded
    paths = {}
    for name, tr in traces.items():
        paths[name] = folder / f"{name}.html"
        paths[name].write_text(player_page(tr), encoding="utf-8")
    paths["dark"] = folder / "dark.html"
    paths["dark"].write_text(player_page(traces["sgd"], theme="dark"), encoding="utf-8")
    return folder, paths, {k: Story(v) for k, v in traces.items()}


@pytest.fixture(scope="module")
def driver():
    with browser.chrome(1280, 900) as d:
        yield d


def load(driver, path: Path, fragment: str = ""):
    browser.open_page(driver, path, fragment)
    assert driver.execute_script("return document.getElementById('sgd-error').hidden"), \
        driver.find_element("id", "sgd-error").text


def assert_clean(driver, path: Path):
    """Nothing was requested but the page itself; nothing went to the console as an error."""
    asked = browser.requests(driver)
    assert asked and all(u.split("#")[0] == path.resolve().as_uri() for u in asked), asked
    errors = [m for m in browser.console(driver) if m["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors


def value(driver, element_id: str) -> tuple[str, float | None]:
    el = driver.find_element("id", element_id)
    v = el.get_attribute("data-value")
    return el.text, (float(v) if v else None)


def assert_numbers_are_the_trace(driver, story: Story, k: int, beat: int):
    """The header and the table show exactly the trace's values at step k, formatted as the
    matplotlib views format them."""
    s = story
    assert int(driver.find_element("id", "sgd-player").get_attribute("data-step")) == k
    if beat not in (HOLD,):
        for el, col in (("sgd-ga", s.grad_a), ("sgd-gb", s.grad_b)):
            text, v = value(driver, el)
            if beat in (GRADIENT, UPDATE, FAST):
                assert v == col[k] and text == _fmt(col[k]), (el, text, v, col[k])
        text, v = value(driver, "sgd-L")
        if beat in (GRADIENT, UPDATE, FAST):
            assert v == s.loss[k] and text == _fmt(s.loss[k], 5)
        assert driver.find_element("id", "sgd-epoch").text == f"{s.epoch[k] + 1}/{s.epochs}"
        assert driver.find_element("id", "sgd-batch").text == f"{s.batch_idx[k] + 1}/{s.steps_per_epoch}"
    xb, yb, pred, res = s.batch(k if beat != HOLD else s.n - 1)
    sa, sb = s.shares(k if beat != HOLD else s.n - 1)
    rows = driver.find_elements("css selector", "#sgd-rows tr")
    if beat == 0:  # the intro: no batch yet
        assert all(c.text == "" for row in rows for c in row.find_elements("css selector", "td"))
        return
    all_shown = beat in (GRADIENT, UPDATE, FAST, HOLD)
    for i, row in enumerate(rows[:len(xb)]):
        cells = row.find_elements("css selector", "td")
        for j, (cell, want) in enumerate(zip(cells, (xb[i], yb[i], pred[i], res[i], sa[i], sb[i]))):
            v = cell.get_attribute("data-value")
            if v is None:  # a column this beat has not revealed yet
                assert not all_shown and j >= 2 and cell.text == ""
                continue
            assert float(v) == want and cell.text == _fmt(want), (i, j, v, want, cell.text)


@pytest.mark.slow  # it plays in real time, 4.5 s
def test_no_network_no_console_error_and_playing_changes_pixels(driver, pages):
    _, paths, _ = pages
    load(driver, paths["sgd"])
    before = driver.execute_script(browser.CANVAS_SUM)
    driver.find_element("id", "sgd-play").click()
    time.sleep(2.0)  # past the intro: the batch is highlighted, the predictions appear
    assert driver.execute_script("return window.sgdPlayer.state().playing")
    after = driver.execute_script(browser.CANVAS_SUM)
    assert before[0] != after[0], (before, after)  # the fit view moved
    frame = int(driver.find_element("id", "sgd-player").get_attribute("data-frame"))
    assert 40 < frame < 100  # about 30 frames a second
    time.sleep(2.5)  # the backward pass: arrows grow in parameter space, the loss has a point
    later = driver.execute_script(browser.CANVAS_SUM)
    assert later[2] != after[2] and later[1] != before[1], (after, later)
    driver.find_element("id", "sgd-play").click()
    assert not driver.execute_script("return window.sgdPlayer.state().playing")
    assert_clean(driver, paths["sgd"])


@pytest.mark.parametrize("k", [0, 1, 2, 3, 41, 150, 299])
def test_a_step_in_the_url_shows_exactly_the_traces_numbers(driver, pages, k):
    _, paths, stories = pages
    load(driver, paths["sgd"], f"step={k + 1}")  # steps are counted from 1, as the captions do
    story = stories["sgd"]
    beat = UPDATE if k < 3 else FAST
    assert driver.find_element("id", "sgd-player").get_attribute("data-beat") == BEATS[beat]
    assert_numbers_are_the_trace(driver, story, k, beat)
    a, b = story.ab_after(k)
    assert value(driver, "sgd-a")[1] == a and value(driver, "sgd-b")[1] == b  # the line after the step
    if beat == FAST:
        lines = [driver.find_element("id", f"sgd-line-{i}").text for i in range(3)]
        assert lines[0] == f"batch loss L = {_fmt(story.loss[k], 5)}"
        assert lines[1] == f"a:  {_fmt(story.a[k])} → {_fmt(story.a_after[k])}   (Δa = {_fmt(story.update_a[k])})"
    assert_clean(driver, paths["sgd"])


def test_scrubbing_shows_the_step_of_the_frame(driver, pages):
    from selenium.webdriver.common.action_chains import ActionChains
    _, paths, stories = pages
    story = stories["sgd"]
    plan = story.plan()
    load(driver, paths["sgd"])
    scrub = driver.find_element("id", "sgd-scrub")
    seen = set()
    for frac in (0.22, 0.5, 0.7, 0.93):
        width = scrub.size["width"]
        ActionChains(driver).move_to_element_with_offset(scrub, int((frac - 0.5) * width), 0).click().perform()
        frame = int(driver.find_element("id", "sgd-player").get_attribute("data-frame"))
        k, beat, t = plan.frame(frame)
        assert abs(frame / (len(plan) - 1) - frac) < 0.03
        assert_numbers_are_the_trace(driver, story, k, beat)
        seen.add(beat)
    assert FAST in seen
    assert_clean(driver, paths["sgd"])


def test_frame_states_and_arrows_are_the_storys(driver, pages):
    _, paths, stories = pages
    story = stories["momentum"]
    plan = story.plan()
    load(driver, paths["momentum"])
    frames = sorted(set(np.linspace(0, len(plan) - 1, 60).astype(int).tolist()) | {70, 100, 130, 160})
    for i in frames:
        driver.execute_script("window.sgdPlayer.goFrame(arguments[0])", i)
        got = driver.execute_script("return window.sgdPlayer.state()")
        want = story.state(*plan.frame(i))
        assert got["frame"] == i
        for f in ("step", "beat", "path_n", "loss_n", "batch", "show_loss", "show_grad", "show_update"):
            assert got[f] == getattr(want, f), (i, f)
        for f in ("t", "a", "b", "pred_alpha", "residual_frac", "arrow_frac"):
            assert got[f] == getattr(want, f), (i, f, got[f], getattr(want, f))  # exact: same doubles
        assert (got["ghost"] is None) == (want.ghost is None) and (got["tip"] is None) == (want.path_tip is None)
        if want.ghost is not None:
            assert tuple(got["ghost"]) == want.ghost
    g = story.geom.params
    span = np.array([g.x1 - g.x0, g.y1 - g.y0])
    carried = False
    for k in (0, 1, 2, 5, 50, story.n - 1):
        for grow in (0.3, 1.0):
            got = {a["key"]: a for a in driver.execute_script("return window.sgdPlayer.arrows(arguments[0], arguments[1])", k, grow)}
            want = story.arrows(k, grow)
            assert set(got) == set(want)
            carried = carried or "carry" in want
            for key, arrow in want.items():
                # The magnified vectors travel as float32: a millionth of the view is far below a pixel.
                assert np.allclose(np.array(got[key]["end"]) / span, np.array(arrow.end) / span, atol=1e-6)
                assert got[key]["clipped"] == arrow.clipped
    assert carried  # the momentum arrow was among them
    assert_clean(driver, paths["momentum"])


def test_numbers_are_formatted_as_python_formats_them(driver, pages):
    _, paths, _ = pages
    load(driver, paths["sgd"])
    values = [0.0, -0.0, 1.0, -1.0, 0.03125, -0.03125, 1.03125, 0.00015625, 2.5e-4, 0.0215, -0.0176, 3.46e-4,
              9.99995, 99.99995, 999.95, 9999.5, 1e4, 12345.678, -65.76, 2214.1, 0.5046999454498291,
              1e-300, 5e-324, 3.4e38, -1.2345e-7, 0.00099999, 0.001, 0.0010005, float("inf"), float("nan")]
    rng = np.random.default_rng(0)
    values += (rng.standard_normal(300) * 10.0 ** rng.integers(-6, 7, 300)).tolist()
    values += [float(np.float32(v)) for v in rng.uniform(-3, 3, 200)]
    js = [v if math.isfinite(v) else None for v in values]
    got = driver.execute_script(
        "var vals = arguments[0], inf = arguments[1];"
        "return vals.map(function (v, i) { var x = v === null ? (i === inf ? Infinity : NaN) : v;"
        " return [window.sgdPlayer.fmt(x), window.sgdPlayer.fmt(x, 5)]; })", js, values.index(float("inf")))
    for v, (four, five) in zip(values, got):
        assert four == _fmt(v) and five == _fmt(v, 5), (v, four, _fmt(v), five, _fmt(v, 5))


def test_keyboard_and_buttons_move_by_beat_and_by_step(driver, pages):
    from selenium.webdriver.common.keys import Keys
    _, paths, stories = pages
    story = stories["sgd"]
    plan = story.plan()
    load(driver, paths["sgd"])
    body = driver.find_element("tag name", "body")
    segs = plan.segments()

    def where():
        p = driver.find_element("id", "sgd-player")
        return int(p.get_attribute("data-frame")), int(p.get_attribute("data-step")), p.get_attribute("data-beat")

    body.send_keys(Keys.ARROW_RIGHT)  # next beat: step 1's forward pass
    assert where() == (segs[1].start, 0, "forward")
    body.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert where() == (segs[3].start, 0, "gradient")
    body.send_keys(Keys.ARROW_UP)  # next step, same moment of its gradient beat
    assert where()[1:] == (1, "gradient")
    assert_numbers_are_the_trace(driver, story, 1, GRADIENT)
    driver.find_element("id", "sgd-step-back").click()
    assert where()[1:] == (0, "gradient")
    body.send_keys(Keys.END)
    assert where() == (len(plan) - 1, story.n - 1, "hold")
    assert_numbers_are_the_trace(driver, story, story.n - 1, HOLD)
    assert driver.find_element("id", "sgd-line-0").text == f"final:  a = {_fmt(story.trace.final_a)}     b = {_fmt(story.trace.final_b)}"
    driver.find_element("id", "sgd-step-back").click()  # from the end: the last step, fast-forwarded
    assert where()[1:] == (story.n - 1, "fast")
    body.send_keys(Keys.ARROW_DOWN)
    assert where()[1:] == (story.n - 2, "fast")
    assert_numbers_are_the_trace(driver, story, story.n - 2, FAST)
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, 5).until(lambda d: d.execute_script("return location.hash") == f"#step={story.n - 1}")
    driver.find_element("id", "sgd-beat-back").click()  # the start of the fast-forward
    assert where()[2] == "fast" and where()[0] == segs[-2].start
    body.send_keys(Keys.HOME)
    assert where() == (0, 0, "intro")
    body.send_keys(Keys.SPACE)
    assert driver.execute_script("return window.sgdPlayer.state().playing")
    body.send_keys(Keys.SPACE)
    assert not driver.execute_script("return window.sgdPlayer.state().playing")
    # speed and loop: at 4x with loop on, the end comes round again
    driver.execute_script("var s = document.getElementById('sgd-speed'); s.value = '4'; s.dispatchEvent(new Event('change'));"
                          "var l = document.getElementById('sgd-loop'); l.click();")
    driver.execute_script("window.sgdPlayer.goFrame(arguments[0])", len(plan) - 30)
    driver.find_element("id", "sgd-play").click()
    time.sleep(0.6)  # 30 frames at 4x 30 fps: 0.25 s to the end, then round again
    state = driver.execute_script("return window.sgdPlayer.state()")
    assert state["playing"] and state["frame"] < len(plan) - 30
    driver.find_element("id", "sgd-play").click()
    assert_clean(driver, paths["sgd"])


def test_diverged_run_draws_and_says_where(driver, pages):
    _, paths, stories = pages
    story = stories["diverged"]
    load(driver, paths["diverged"], f"frame={len(story.plan()) - 1}")
    caption = driver.find_element("id", "sgd-caption")
    assert caption.text == f"Diverged at step {story.trace.status.step}: learning rate 1 is too large"
    assert "warn" in caption.get_attribute("class")
    assert_numbers_are_the_trace(driver, story, story.n - 1, HOLD)
    assert_clean(driver, paths["diverged"])


def test_a_run_without_a_single_step_still_plays(driver, pages):
    from selenium.webdriver.common.keys import Keys
    _, paths, stories = pages
    story = stories["no_step"]
    assert story.n == 0
    load(driver, paths["no_step"])
    body = driver.find_element("tag name", "body")
    body.send_keys(Keys.END)
    assert driver.find_element("id", "sgd-caption").text == "Diverged at step 0: learning rate 1e+30 is too large"
    assert driver.find_element("id", "sgd-line-1").text == "no steps were recorded"
    assert value(driver, "sgd-a")[1] == story.trace.final_a
    body.send_keys(Keys.ARROW_UP, Keys.ARROW_DOWN, Keys.HOME, Keys.ARROW_RIGHT)
    assert_clean(driver, paths["no_step"])


def test_an_unknown_version_is_refused_with_a_visible_message(driver, pages, tmp_path):
    from scenes.story.theme import load_theme
    from scenes.web.export import document, export_story
    _, _, stories = pages
    doc = document([export_story(stories["sgd"], theme=load_theme("light"))], load_theme("light"))
    doc["version"] = 99
    path = tmp_path / "v99.html"
    path.write_text(page_from_document(doc, "v99"), encoding="utf-8")
    browser.open_page(driver, path)
    error = driver.find_element("id", "sgd-error")
    assert error.is_displayed() and "version 99" in error.text and "version 1" in error.text
    assert not driver.find_element("id", "sgd-player").is_displayed()


def test_the_notebook_iframe_plays_from_srcdoc(driver, pages, tmp_path):
    """What Jupyter and Colab show: the page inside an iframe's srcdoc, sandboxed."""
    _, paths, _ = pages
    outer = tmp_path / "notebook.html"
    player = Player(paths["sgd"].read_text(encoding="utf-8"))
    outer.write_text("<!DOCTYPE html><html><body><p>a notebook cell</p>" + player._repr_html_() + "</body></html>",
                     encoding="utf-8")
    driver.get("about:blank")
    driver.get_log("performance")
    driver.get_log("browser")
    driver.get(outer.resolve().as_uri())
    deadline = time.monotonic() + 30
    while True:  # the frame may still hold its first, empty document: look again until the page is in
        driver.switch_to.default_content()
        driver.switch_to.frame(driver.find_element("tag name", "iframe"))
        if driver.execute_script("return document.documentElement.getAttribute('data-ready') === '1'"):
            break
        assert time.monotonic() < deadline, driver.execute_script("return [document.URL, document.readyState]")
        time.sleep(0.2)
    try:
        before = driver.execute_script(browser.CANVAS_SUM)
        driver.find_element("id", "sgd-beat-fwd").click()
        driver.find_element("id", "sgd-beat-fwd").click()
        assert driver.execute_script(browser.CANVAS_SUM) != before
        assert driver.find_element("id", "sgd-caption").text.startswith("Step 1 · residuals")
    finally:
        driver.switch_to.default_content()
    asked = [u for u in browser.requests(driver) if not u.startswith("about:")]
    assert asked == [outer.resolve().as_uri()], asked
    assert not [m for m in browser.console(driver) if m["level"] == "SEVERE"]


@pytest.mark.slow  # two more browsers
def test_hidpi_canvases_are_drawn_at_device_pixels_and_layout_follows_the_width(pages, tmp_path):
    _, paths, _ = pages
    with browser.chrome(400, 900, scale=2) as d:
        load(d, paths["dark"], "step=2&beat=gradient")
        w, css = d.execute_script("var c = document.getElementById('sgd-fit');"
                                  "return [c.width, c.getBoundingClientRect().width]")
        assert w == round(css * 2)
        # One column at 400 pixels: the parameter view sits below the fit view, not beside it.
        fit, params = (d.find_element("id", i).rect for i in ("sgd-fit", "sgd-params"))
        assert params["y"] > fit["y"] + fit["height"] and abs(params["x"] - fit["x"]) < 2
        body_bg = d.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert body_bg == "rgb(17, 20, 24)"  # the dark theme's background, #111418
        assert_clean(d, paths["dark"])
    with browser.chrome(1280, 900) as d:
        load(d, paths["sgd"])
        fit, params = (d.find_element("id", i).rect for i in ("sgd-fit", "sgd-params"))
        assert params["x"] > fit["x"] + fit["width"] and abs(params["y"] - fit["y"]) < 2  # two columns


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    from scenes.web.explore import grid_configs
    from scenes.web.page import explorer_page
    axes, grid = grid_configs(TrainConfig(epochs=15), 6)
    runs = [(values, record(cfg)) for values, cfg in grid]
    path = tmp_path_factory.mktemp("explorer") / "explore.html"
    path.write_text(explorer_page(runs, axes, initial={"lr": 0.1, "batch_size": 2, "momentum": 0.0}), encoding="utf-8")
    return path, runs


def test_explorer_sliders_switch_runs_and_leave_a_ghost(driver, explorer):
    from selenium.webdriver.common.keys import Keys
    path, runs = explorer
    load(driver, path, "frame=400")
    first = driver.execute_script("return window.sgdPlayer.state()")
    assert runs[first["run"]][0] == {"lr": 0.1, "batch_size": 2, "momentum": 0.0}
    params_before = driver.execute_script(browser.CANVAS_SUM)[2]
    slider = driver.find_element("id", "sgd-axis-lr")
    t0 = time.perf_counter()
    slider.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)  # snaps to 0.3, then 1.0
    switched = time.perf_counter() - t0
    state = driver.execute_script("return window.sgdPlayer.state()")
    values, trace = runs[state["run"]]
    assert values == {"lr": 1.0, "batch_size": 2, "momentum": 0.0} and trace.status.diverged
    assert driver.execute_script(browser.CANVAS_SUM)[2] != params_before  # the path changed
    assert switched < 2.0
    assert state["ghost_run"] is not None and runs[state["ghost_run"]][0]["lr"] == 0.3  # the run before, faint
    label = driver.find_element("id", "sgd-run").text
    assert label == f"diverged at step {trace.status.step}"
    story = Story(trace)
    assert_numbers_are_the_trace(driver, story, state["step"], state["beat"])
    driver.find_element("id", "sgd-axis-momentum").send_keys(Keys.ARROW_RIGHT)
    state = driver.execute_script("return window.sgdPlayer.state()")
    assert runs[state["run"]][0] == {"lr": 1.0, "batch_size": 2, "momentum": 0.9}
    assert_clean(driver, path)
