"""The live page in Chromium (issue 25): a line-model run's page recomputes its run.

A slider dragged recomputes the run with the twin, and the page's run is the recorder's
(PyTorch's) run at that learning rate, bit for bit (plain SGD: docs/twin.md); the address
then reproduces it. A pasted CSV is used; bad input of every kind is refused beside its field
within 2 s and the run on screen stays. In a sandboxed iframe, the parent's postMessage sets
the run and the page tells the parent; other messages are ignored. Nothing is fetched; the
console stays free of errors. A few seconds each (one page, one browser for the module).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests import browser

pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))]

from scenes.web.page import player_page  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.recorder import record  # noqa: E402


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("live")
    path = folder / "live.html"
    path.write_text(player_page(record(TrainConfig())), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def driver():
    with browser.chrome(1280, 1000) as d:
        yield d


def assert_clean(driver, *allowed: Path):
    asked = browser.requests(driver)
    uris = {p.resolve().as_uri() for p in allowed}
    assert asked and all(u.split("#")[0] in uris for u in asked), asked
    errors = [m for m in browser.console(driver) if m["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors


def wait_for(driver, script: str, timeout: float = 2.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = driver.execute_script(script)
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {script}")


def test_dragging_the_learning_rate_recomputes_pytorchs_run(driver, page):
    from selenium.webdriver.common.action_chains import ActionChains

    browser.open_page(driver, page)
    slider = driver.find_element("id", "sgd-live-lr-slider")
    ActionChains(driver).click_and_hold(slider).move_by_offset(-30, 0).move_by_offset(-10, 0).release().perform()
    lr = wait_for(driver, "var s = window.sgdAnim.settings(); return s.lr !== 0.1 && "
                          "document.getElementById('sgd-live-status').textContent.indexOf('recomputed') >= 0 && s.lr")
    tr = driver.execute_script("return window.sgdAnim.trace()")
    assert tr["config"]["lr"] == lr and tr["n_steps"] == 300
    torch_run = record(TrainConfig(lr=lr))  # the recorder, in PyTorch: plain SGD is bit for bit
    assert tr["final"] == {"a": float(torch_run.final_a), "b": float(torch_run.final_b)}
    assert tr["steps"]["loss"] == torch_run.steps["loss"].tolist()
    # the address holds every setting: opened again, the page recomputes the same run
    driver.execute_script("window.sgdPlayer.goStep(5)")
    link = wait_for(driver, "return window.location.hash.indexOf('lr=') >= 0 && window.location.hash")
    assert "batch_size=2" in link and "optimizer=sgd" in link
    browser.open_page(driver, page, link.lstrip("#"))
    assert driver.execute_script("return window.sgdAnim.settings().lr") == lr
    assert driver.execute_script("return window.sgdAnim.trace().final") == tr["final"]
    assert_clean(driver, page)


BAD = [
    ("x,y\n1,2\nnan,3\n", "finite"), ("1,2\n2,inf\n", "finite"), ("1,2\n2,1e308\n", "3.4e38"),
    ("1,2\n2,banana\n", "not a number"), ("1,2\n", "at least 2"), ("3,1\n3,2\n3,5\n", "all x values are equal"),
]


def test_pasted_data_is_used_and_bad_input_is_refused_beside_its_field(driver, page):
    browser.open_page(driver, page)
    driver.execute_script("document.getElementById('sgd-live-data-box').open = true")
    area, use = driver.find_element("id", "sgd-live-csv"), driver.find_element("id", "sgd-live-csv-use")
    area.clear()
    area.send_keys("x,y\n0,1\n1,3\n2,5.2\n3,6.9\n4,9.1\n5,11\n6,12.8\n7,15.1\n")
    use.click()
    wait_for(driver, "return window.sgdAnim.trace().data.x.length === 8")
    # a file dropped on the page is read and used
    driver.execute_script("var dt = new DataTransfer(); dt.items.add(new File(['x,y\\n0,1\\n1,3\\n2,5.5\\n'], 'p.csv'));"
                          "document.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));")
    wait_for(driver, "return window.sgdAnim.trace().data.y.join() === '1,3,5.5'")
    area.clear()
    area.send_keys("x,y\n0,1\n1,3\n2,5.2\n3,6.9\n4,9.1\n5,11\n6,12.8\n7,15.1\n")
    use.click()
    wait_for(driver, "return window.sgdAnim.trace().data.x.length === 8")
    wait_for(driver, "return window.location.hash.indexOf('x=0,1,2,3,4,5,6,7&y=1,3,5.2,6.9') >= 0")  # small: in the link
    many = "".join(f"{i / 7:.6f},{i / 3:.6f}\n" for i in range(400))
    driver.execute_script("document.getElementById('sgd-live-csv').value = arguments[0];", many)
    use.click()
    wait_for(driver, "return document.getElementById('sgd-live-status').textContent.indexOf('the link holds the settings only') >= 0")
    wait_for(driver, "var h = window.location.hash; return h.indexOf('lr=') >= 0 && h.indexOf('x=') < 0")  # the settings only
    area.clear()
    area.send_keys("x,y\n0,1\n1,3\n2,5.2\n3,6.9\n4,9.1\n5,11\n6,12.8\n7,15.1\n")
    use.click()
    wait_for(driver, "return window.sgdAnim.trace().data.x.length === 8")
    before = driver.execute_script("return window.sgdAnim.trace().final")
    big = "x,y\n" + "".join(f"{i * 0.001},{i * 0.002}\n" for i in range(100_000))
    for text, words in [*BAD, (big, "the page recomputes at most")]:
        driver.execute_script("var a = document.getElementById('sgd-live-csv'); a.value = arguments[0];", text)
        t0 = time.monotonic()
        use.click()
        wait_for(driver, f"return document.getElementById('sgd-live-data-msg').textContent.indexOf({json.dumps(words)}) >= 0")
        assert time.monotonic() - t0 < 2.0
        assert driver.execute_script("return window.sgdAnim.trace().final") == before  # the run stayed
    # settings refused beside their fields: lr 0, negative, 1e308; batch 0, above n; 10^8 steps; __proto__
    for field, value, words in [("lr", "0", "> 0"), ("lr", "-1", "> 0"), ("lr", "1e308", "3.4e38"),
                                ("batch-size", "0", ">= 1"), ("batch-size", "9", "larger than the data"),
                                ("epochs", "25000000", "at most 10,000,000")]:
        el = driver.find_element("id", f"sgd-live-{field}")
        driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));", el, value)
        wait_for(driver, f"return document.getElementById('sgd-live-{field}-msg').textContent.indexOf({json.dumps(words)}) >= 0")
        assert driver.execute_script("return window.sgdAnim.trace().final") == before
    with pytest.raises(Exception, match="unknown optimizer '__proto__'"):
        driver.execute_script("return window.sgdAnim.set(JSON.parse('{\"optimizer\": \"__proto__\"}'))")
    assert "optimizer" in driver.execute_script("return document.getElementById('sgd-live-optimizer-msg').textContent")
    with pytest.raises(Exception, match="unknown setting"):
        driver.execute_script("return window.sgdAnim.set(JSON.parse('{\"__proto__\": {\"lr\": 5}}'))")
    assert driver.execute_script("return window.sgdAnim.trace().final") == before
    assert "unknown setting" in driver.execute_script("return document.getElementById('sgd-live-status').textContent")
    assert_clean(driver, page)


def test_a_parent_page_drives_the_page_in_a_sandboxed_iframe(driver, page):
    parent = page.parent / "article.html"
    parent.write_text(
        "<!DOCTYPE html><meta charset='utf-8'><p>try lr = 0.05</p>"
        f"<iframe id='demo' sandbox='allow-scripts' src='{page.name}' width='1000' height='700'></iframe>"
        "<script>window.got = [];"
        "window.addEventListener('message', function (e) { window.got.push(e.data); });</script>", encoding="utf-8")
    driver.get("about:blank")
    driver.get_log("performance")
    driver.get_log("browser")
    driver.get(parent.resolve().as_uri())
    time.sleep(1.0)
    post = "document.getElementById('demo').contentWindow.postMessage(arguments[0], '*');"
    driver.execute_script(post, {"bogus": 1})            # not a set payload: ignored
    driver.execute_script(post, "lr=5")                   # not an object: ignored
    driver.execute_script(post, {"lr": 0.05, "optimizer": "momentum", "momentum": 0.5})
    got = wait_for(driver, "return window.got.length && window.got", 4.0)
    assert len(got) == 1 and got[0]["type"] == "sgdanim:change"
    assert got[0]["settings"]["lr"] == 0.05 and got[0]["settings"]["optimizer"] == "momentum"
    assert got[0]["n_steps"] == 300 and got[0]["ms"] > 0
    assert_clean(driver, page, parent)


def test_a_page_the_twin_cannot_recompute_plays_and_says_why(driver, tmp_path):
    """A run recorded from a user's own loop (its config says so): the page plays the recorded
    run as before and says beside the player why its controls are not live."""
    from training.trace import Trace

    doc = json.loads(record(TrainConfig(epochs=5)).to_json())
    doc["config"]["recorded"] = {"optimizer": "SGD"}
    path = tmp_path / "loop.html"
    path.write_text(player_page(Trace.from_json(json.dumps(doc))), encoding="utf-8")
    browser.open_page(driver, path)
    note = driver.find_element("id", "sgd-live-off").text
    assert "not live" in note and "training loop of its own" in note
    assert driver.execute_script("return window.sgdAnim.live") is False
    assert driver.execute_script("return window.sgdPlayer.frames()") > 10
    assert_clean(driver, path)


def test_a_recomputed_run_shows_its_own_autograd_graph(driver, tmp_path):
    """A page recorded with its detailed steps' graphs (as render.py --format html records it)
    shows a recomputed run's graphs: a new learning rate, the graph view's new numbers."""
    from scenes.pipeline import graph_steps
    from scenes.story import Story
    from scenes.story.plan import PlanSettings
    from scenes.web.export import export_story

    def graph(cfg: TrainConfig) -> dict:
        trace = record(cfg, graph_steps=graph_steps(cfg, 6, PlanSettings()))
        return trace, export_story(Story(trace), PlanSettings(), contours=False)["graph"]["graphs"][-1]

    recorded, before = graph(TrainConfig())
    path = tmp_path / "graph.html"
    path.write_text(player_page(recorded), encoding="utf-8")
    browser.open_page(driver, path)
    last = "window.sgdPlayer.goFrame(window.sgdPlayer.frames() - 1); return document.getElementById('sgd-graph').textContent"
    shown = driver.execute_script(last)
    assert f"a.grad = {before['nodes'][4]['grad']}" in shown
    driver.execute_script("window.sgdAnim.set({lr: 0.05})")
    torch_run, after = graph(TrainConfig(lr=0.05))
    assert after["nodes"][4]["grad"] != before["nodes"][4]["grad"]
    shown = driver.execute_script(last)
    assert not driver.find_element("id", "sgd-graph-view").get_attribute("hidden")
    for n in after["nodes"]:
        assert n["value"] in shown and (not n["grad"] or f"{n['grad_name']} = {n['grad']}" in shown), n
    assert f"a.grad = {before['nodes'][4]['grad']}" not in shown
    graphs = driver.execute_script("return window.sgdAnim.trace().graphs")
    assert graphs == json.loads(json.dumps(torch_run.graphs))  # the twin's graphs are PyTorch's, bit for bit
    assert_clean(driver, path)
