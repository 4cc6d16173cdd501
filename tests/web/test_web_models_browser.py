"""The page of every model in a real browser (headless Chromium): a polynomial, logistic
regression and a network drawn without a console error or a request, their numbers the
story's (the header's, the table's heads and rows, the lines under it as matplotlib writes
them), and a network's presenter page and explorer playing. Skipped, saying why, when
chromium, chromium-driver or selenium is missing."""
from __future__ import annotations

import pytest

from tests import browser

pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))]

from scenes.mpl.views.formatting import fmt  # noqa: E402
from scenes.mpl.views.numbers_layout import numbers_lines  # noqa: E402
from scenes.story.plan import BEATS, GRADIENT, HOLD, UPDATE  # noqa: E402
from scenes.story.story import Story  # noqa: E402
from scenes.web.page import explorer_page, player_page  # noqa: E402
from tests.web.test_web_export_models import _record  # noqa: E402



def _open(driver, path, fragment=""):
    browser.open_page(driver, path, fragment)
    assert driver.execute_script("return document.getElementById('sgd-error').hidden"), \
        driver.find_element("id", "sgd-error").text


def _clean(driver, path):
    asked = browser.requests(driver)
    assert asked and all(u.split("#")[0] == path.resolve().as_uri() for u in asked), asked
    errors = [m for m in browser.console(driver) if m["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors


def _text(driver, element_id):
    el = driver.find_element("id", element_id)
    v = el.get_attribute("data-value")
    return el.text, (float(v) if v else None)


def test_each_models_page_shows_the_storys_numbers_in_its_words(tmp_path):
    stories = {"poly": Story(_record("poly3", epochs=4)), "logistic": Story(_record("logistic", epochs=2)),
               "mlp": Story(_record("mlp_sine", hidden=3, epochs=3))}
    with browser.chrome(1280, 900) as driver:
        for name, s in stories.items():
            path = tmp_path / f"{name}.html"
            path.write_text(player_page(s, theme="dark" if name == "mlp" else "light"), encoding="utf-8")
            sums = []
            for i, (k, beat) in enumerate(((1, GRADIENT), (2, UPDATE), (s.n - 1, HOLD))):
                frag = f"step={k + 1}&beat={BEATS[beat]}" if beat != HOLD else "frame=100000"
                if i == 0:
                    _open(driver, path, frag)
                else:  # the same page, moved by its address (a link to a moment)
                    driver.execute_script("window.location.hash = arguments[0]", frag)
                player = driver.find_element("id", "sgd-player")
                assert player.get_attribute("data-beat") == BEATS[beat] and int(player.get_attribute("data-step")) == k
                heads = [th.text for th in driver.find_elements("css selector", "thead th")
                         if th.is_displayed()]
                assert heads == list(s.words.heads), (name, heads)
                # the lines under the table: matplotlib's, word for word (t is the beat's last frame)
                st = s.state(k, beat, 1.0)
                want = list(numbers_lines(s, s.geom, st))
                got = [driver.find_element("id", f"sgd-line-{i}").text for i in range(3)]
                assert got == [w.strip() for w in want], (name, beat, got, want)
                # the header: the pair and its gradient, or the norms
                if beat != HOLD:
                    if len(s.param_names) == 2:
                        text, v = _text(driver, "sgd-ga")
                        assert v == s.gu[k] and text == fmt(s.gu[k])
                        assert driver.find_element("id", "sgd-a").find_element("xpath", "..").text.startswith(
                            f"{s.param_names[0]} =")
                    else:
                        text, v = _text(driver, "sgd-ga")
                        assert v == s.grad_norm[k] and text == fmt(s.grad_norm[k])
                        text, v = _text(driver, "sgd-gb")  # the update's norm, once the beat shows it
                        want_u = s.update_norm[k] if st.show_update else None
                        assert v == want_u and text == (fmt(want_u) if st.show_update else "—")
                        assert not driver.find_element("id", "sgd-a").is_displayed()
                # the batch's rows: x, y and the prediction, as recorded
                xb, yb, pred, _ = s.batch(k)
                cells = driver.find_elements("css selector", "#sgd-rows tr")[0].find_elements("css selector", "td")
                assert [float(c.get_attribute("data-value")) for c in cells[:3]] == [xb[0], yb[0], pred[0]]
                sums.append(tuple(driver.execute_script(browser.CANVAS_SUM)))
            assert len(set(sums)) == 3, name  # the curve, the loss and the path move
            title = driver.find_element("css selector", "#sgd-fit").find_element("xpath", "..").text
            assert s.words.formula in title
            _clean(driver, path)


def test_a_networks_presenter_page_explorer_and_race_play(tmp_path):
    from selenium.webdriver.common.keys import Keys

    from scenes.story.race import RaceStory
    from scenes.story.theme import load_theme
    from scenes.web.race_export import race_page
    tr = _record("mlp_sine", hidden=3, epochs=2)
    runs = [({"lr": lr}, _record("mlp_sine", hidden=3, epochs=2, lr=lr)) for lr in (0.03, 0.1)]
    slides, explore, race = tmp_path / "slides.html", tmp_path / "explore.html", tmp_path / "race.html"
    slides.write_text(player_page(tr, presenter=True), encoding="utf-8")
    explore.write_text(explorer_page(runs, [("lr", "learning rate", (0.03, 0.1))]), encoding="utf-8")
    race.write_text(race_page(RaceStory([(f"lr={v['lr']}", t) for v, t in runs], ["lr"]), load_theme("dark")),
                    encoding="utf-8")
    with browser.chrome(1280, 800) as driver:
        _open(driver, slides)
        body = driver.find_element("tag name", "body")
        for _ in range(4):
            body.send_keys(Keys.SPACE)
        notes = driver.find_element("id", "sgd-notes").text
        assert "before the step" in notes and "parameters" in notes
        assert not driver.find_element("id", "sgd-graph-view").is_displayed()
        _clean(driver, slides)
        _open(driver, explore, "step=2&beat=update")
        before = driver.execute_script(browser.CANVAS_SUM)
        slider = driver.find_element("css selector", "#sgd-explore input[type=range]")
        slider.send_keys(Keys.RIGHT)
        after = driver.execute_script(browser.CANVAS_SUM)
        assert before[2] != after[2]  # the other run's own plane and path
        doc = driver.execute_script("return document.getElementById('sgd-player').getAttribute('data-step')")
        assert doc == "1"
        _clean(driver, explore)
        fit = "var c = document.getElementById('sgd-race-fit'); return c.toDataURL();"
        _open(driver, race, "frame=5")
        early = driver.execute_script(fit)
        _open(driver, race, "frame=100000")
        assert driver.execute_script(fit) != early  # each run's curve moved
        titles = driver.execute_script("return Array.from(document.querySelectorAll('#sgd-race h2')).map(h => h.textContent)")
        assert "Paths on one loss landscape" in titles and "Fit: each run's curve" in titles
        _clean(driver, race)
