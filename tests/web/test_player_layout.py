"""The layout check over the web player, in headless Chromium: the same rules and the same
matrix of runs, sizes and themes as the matplotlib and Manim frames (benchmarks/layout_matrix.py),
at every beat boundary and the final frame. DOM text is measured with ranges, canvas text
through a probe around ``fillText`` (scenes/web/layout_check.py).
"""
from __future__ import annotations

from functools import lru_cache

import pytest

from tests import browser

pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))]

from benchmarks.layout_matrix import Case, covering, trace_of  # noqa: E402
from scenes.mpl.layout_check import frames_to_check  # noqa: E402
from scenes.story import Story  # noqa: E402
from scenes.web.layout_check import check_page, install_probe, page_items, show_frame  # noqa: E402
from scenes.web.page import player_page  # noqa: E402
from tests.matrix import player_slow_params  # noqa: E402

SETTLE_JS = """
var done = arguments[arguments.length - 1];
requestAnimationFrame(function () { requestAnimationFrame(function () { done(true); }); });
"""


@pytest.fixture(scope="module")
def driver():
    with browser.chrome(1280, 720) as d:
        install_probe(d)
        yield d


@pytest.fixture(scope="module")
def page_of(tmp_path_factory):
    folder = tmp_path_factory.mktemp("player-layout")

    @lru_cache(maxsize=None)
    def make(run: str, theme: str):
        path = folder / f"{run}-{theme}.html"
        path.write_text(player_page(trace_of(run), theme=theme), encoding="utf-8")
        return path, frames_to_check(Story(trace_of(run)).plan())
    return make


def _resize(driver, size: tuple[int, int]) -> None:
    driver.set_window_size(*size)
    driver.execute_async_script(SETTLE_JS)  # the player's resize handlers have run


def problems_of(driver, page_of, run: str, sizes, theme: str) -> list[str]:
    path, frames = page_of(run, theme)
    browser.open_page(driver, path)
    out = []
    for size in sizes:
        _resize(driver, size)
        for f in frames:
            show_frame(driver, f)
            out += [str(p) for p in check_page(driver, f"player {run} {size[0]}x{size[1]} {theme} frame {f}")]
    return out


@pytest.mark.parametrize("case", covering(), ids=lambda c: c.slug)
def test_sampled_matrix_passes_the_player(driver, page_of, case: Case):
    assert problems_of(driver, page_of, case.run, [case.size], case.theme) == []


@pytest.mark.parametrize("run, theme, sizes", player_slow_params())
def test_full_matrix_passes_the_player(driver, page_of, run: str, theme: str, sizes):
    """A page per run and theme, at the sizes of the pairwise design that
    test_sampled_matrix_passes_the_player leaves; with --full-matrix, at all the others too
    (tests/matrix.py)."""
    assert problems_of(driver, page_of, run, sizes, theme) == []


def test_the_probe_sees_canvas_and_dom_text(driver, page_of):
    """Not an empty check: the tick labels, axis labels and legends drawn on the canvases and
    the page's own text are all there to be checked."""
    path, frames = page_of("article", "light")
    browser.open_page(driver, path)
    _resize(driver, (1280, 720))
    show_frame(driver, frames[-1])
    items, frame, cells = page_items(driver)
    by_panel = {}
    for it in items:
        by_panel.setdefault(it.panel, []).append(it.name)
    assert {"step", "batch loss", "full-data loss"} <= set(by_panel["sgd-loss"])
    assert {"a (weight)", "b (bias)"} <= set(by_panel["sgd-params"])
    assert len(by_panel["sgd-fit"]) >= 8  # ticks of both axes and the axis labels
    assert any("Mini-batch" in n for n in by_panel["sgd-head"])
    assert frame.width == 1280 or abs(frame.width - 1280) < 20  # the window's width, scroll bars aside


def test_breaking_the_page_is_caught(driver, page_of):
    """The check can fail: text moved over another, and text drawn past a canvas's edge."""
    path, frames = page_of("article", "light")
    browser.open_page(driver, path)
    _resize(driver, (1280, 720))
    show_frame(driver, frames[-1])
    assert check_page(driver) == []
    driver.execute_script("var t = document.getElementById('sgd-title').getBoundingClientRect(),"
                          "    c = document.getElementById('sgd-caption');"
                          "c.style.position = 'fixed'; c.style.left = (t.left + 20) + 'px'; c.style.top = t.top + 'px';")
    found = [p for p in check_page(driver) if p.rule == "overlap"]
    assert found and any("Mini-batch" in p.message for p in found), found
    driver.execute_script("document.getElementById('sgd-caption').style.position = 'static';"
                          "var c = document.getElementById('sgd-fit').getContext('2d');"
                          "c.setTransform(1, 0, 0, 1, 0, 0); c.fillText('off the edge', -40, 30);")
    found = check_page(driver)
    assert {p.rule for p in found} == {"frame", "panel"} and all("off the edge" in p.message for p in found), found
