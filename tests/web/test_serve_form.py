"""The serve page's settings form is data derived from the tables (scenes.web.serve_form):
the settings table's page entries (training.config) and the optimizer registry
(training.optimizers). serve.js draws whatever the form says and names no setting itself.

The fast tests check the derivation; one slow test opens the served page in Chromium and
checks that the form it draws, and the requests it sends, follow the exported form.
"""
from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from scenes.web.page import page_from_document
from scenes.web.serve_form import optimizer_uses, serve_form
from scenes.web.serve_settings import RENDER_FORMATS
from training.config import SETTINGS, setting_named
from training.optimizers import NAMES, OPTIMIZERS

ROOT = Path(__file__).resolve().parents[2]
SERVE_JS = ROOT / "scenes" / "web" / "serve.js"

# The form as the page showed it before it was data: the settings, their words and controls.
TODAY = [
    ("lr", "learning rate", "slider"), ("batch_size", "batch size", "slider"), ("epochs", "epochs", "slider"),
    ("optimizer", "optimizer", "select"), ("momentum", "momentum", "slider"), ("nesterov", "Nesterov", "check"),
    ("shuffle", "shuffle", "check"), ("seed", "seed", "field"), ("init_a", "initial a", "slider"),
    ("init_b", "initial b", "slider"), ("zero_grad", "zero_grad()", "check"),  # issue 22: the classic mistake
]


def _document(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="sgd-story">(.*?)</script>', page, re.S).group(1)
    return json.loads(block)


def test_the_form_shows_the_settings_with_a_page_entry_in_table_order():
    form = serve_form()
    assert [(e["name"], e["label"], e["control"]) for e in form["settings"]] == TODAY
    assert form["settings"] == [s.page_entry() for s in SETTINGS if s.page is not None]
    assert not any(e["name"] == "drop_last" for e in form["settings"])


def test_the_sliders_are_today_s():
    by = {e["name"]: e for e in serve_form()["settings"]}
    assert {k: by["lr"][k] for k in ("min", "max", "step", "log", "significant")} == \
        {"min": -3, "max": 0.5, "step": 0.01, "log": True, "significant": 3}
    assert (by["batch_size"]["min"], by["batch_size"]["max"], by["batch_size"]["step"]) == (1, 64, 1)
    assert by["batch_size"]["up_to_points"] is True
    assert (by["epochs"]["min"], by["epochs"]["max"], by["epochs"]["step"]) == (1, 300, 1)
    assert (by["momentum"]["max"], by["momentum"]["decimals"], by["momentum"]["unset"]) == (0.99, 2, 0)
    assert by["momentum"]["default"] is None  # None: the optimizer's own; the page shows 0
    assert (by["seed"]["min"], by["seed"]["step"]) == (0, 1) and "max" not in by["seed"]
    for k in ("init_a", "init_b"):
        assert (by[k]["min"], by[k]["max"], by[k]["step"], by[k]["decimals"], by[k]["default"]) == (-3, 3, 0.05, 2, 1.0)
    for e in serve_form()["settings"]:  # defaults are the table's
        assert e["default"] == setting_named(e["name"]).default


def test_a_new_page_entry_appears_in_the_form_at_its_place():
    beta1 = setting_named("beta1")
    table = [replace(s, page={"min": 0, "max": 0.999, "step": 0.001}) if s is beta1 else s for s in SETTINGS]
    form = serve_form(table)
    names = [e["name"] for e in form["settings"]]
    assert names == ["lr", "batch_size", "epochs", "optimizer", "momentum", "nesterov", "beta1", "shuffle", "seed",
                     "init_a", "init_b", "zero_grad"]
    entry = form["settings"][names.index("beta1")]
    assert entry["control"] == "slider" and entry["default"] == 0.9 and entry["max"] == 0.999
    # only Adam reads beta1: it is one of the optimizer's settings, used by Adam alone
    assert form["optimizer_settings"] == ["momentum", "nesterov", "beta1"]
    assert [o["name"] for o in form["optimizers"] if "beta1" in o["uses"]] == ["adam"]


def test_a_page_entry_removed_leaves_the_form():
    table = [replace(s, page=None) if s.name == "nesterov" else s for s in SETTINGS]
    form = serve_form(table)
    assert "nesterov" not in [e["name"] for e in form["settings"]]
    assert form["optimizer_settings"] == ["momentum"]
    assert all("nesterov" not in o["uses"] for o in form["optimizers"])


def test_every_optimizer_of_the_registry_is_in_the_form_with_its_facts():
    form = serve_form()
    assert [o["name"] for o in form["optimizers"]] == list(NAMES) == list(OPTIMIZERS)
    choices = next(e for e in form["settings"] if e["name"] == "optimizer")["choices"]
    assert choices == list(NAMES)
    for o in form["optimizers"]:
        spec = OPTIMIZERS[o["name"]]
        assert o["title"] == spec.title
        assert ("momentum" in o["uses"]) == spec.takes_momentum
        assert ("nesterov" in o["uses"]) == spec.nesterov
        assert o["defaults"] == ({"momentum": spec.default_momentum} if spec.takes_momentum else {})
        assert set(o["uses"]) <= set(optimizer_uses(spec))
    # the page's behaviour before the form was data
    assert {o["name"] for o in form["optimizers"] if "momentum" in o["uses"]} == {"sgd", "momentum", "rmsprop"}
    assert {o["name"] for o in form["optimizers"] if "nesterov" in o["uses"]} == {"sgd", "momentum"}
    assert [o["defaults"].get("momentum") for o in form["optimizers"]] == [0.0, 0.9, None, 0.0, None]


def test_a_new_optimizer_in_the_registry_is_in_the_form():
    sgd = OPTIMIZERS["sgd"]
    extra = replace(sgd, name="lion", title="Lion", default_momentum=None, nesterov=False, hyper=("beta1",))
    form = serve_form(SETTINGS, {**OPTIMIZERS, "lion": extra})
    lion = form["optimizers"][-1]
    assert lion == {"name": "lion", "title": "Lion", "uses": [], "defaults": {}}  # beta1 is not on the page


def test_the_export_formats_are_the_server_s():
    assert serve_form()["formats"] == list(RENDER_FORMATS)


def test_the_form_is_json_and_only_in_the_serve_page():
    form = serve_form()
    assert json.loads(json.dumps(form, allow_nan=False)) == form
    doc = {"format": "sgd-anim-player", "version": 1, "stories": []}
    assert _document(page_from_document(doc, "live", serve=True))["form"] == form
    written = page_from_document(doc, "written")
    assert "form" not in _document(written) and "sgd-serve" not in written


def test_serve_js_names_no_setting_and_no_optimizer():
    code = "\n".join(line for line in SERVE_JS.read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith(("//", "*", "/*")))
    for name in [e["name"] for e in serve_form()["settings"] if e["name"] != "optimizer"] + list(NAMES):
        assert f'"{name}"' not in code and f"form.{name}" not in code and f"'{name}'" not in code, name
    for words in ("learning rate", "initial a", "Nesterov", "0.99", "HAS_MOMENTUM", '"mp4"'):
        assert words not in code, words


# ------------------------------------------------------------------ the page in a browser
@pytest.mark.slow
def test_the_page_draws_the_exported_form_and_sends_what_it_says(tmp_path):
    """In Chromium: one labelled control per entry, in order; each optimizer greys out exactly
    the settings it does not read, and the body it POSTs holds exactly the settings it reads."""
    import threading

    from tests import browser
    if browser.missing():
        pytest.skip(browser.missing())
    from selenium.webdriver.support.ui import WebDriverWait

    from scenes.pipeline import render_outputs
    from scenes.web.serve import App, make_server
    from training.recorder import record

    app = App(lambda cfg, data: record(cfg, data), lambda job, tr, out: render_outputs(job, tr, out, use_cache=False))
    server = make_server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    form = serve_form()
    try:
        with browser.chrome(1280, 1000) as d:
            d.get(f"http://127.0.0.1:{server.server_address[1]}/")
            WebDriverWait(d, 60).until(lambda d: d.execute_script(
                "return document.documentElement.getAttribute('data-serve') === '1'"))
            labels = d.execute_script("return Array.prototype.map.call("
                                      "document.querySelectorAll('#sgd-serve .sgd-field > .name'), "
                                      "function (e) { return e.textContent; });")
            assert labels == [e["label"] for e in form["settings"]] + ["data"]
            for e in form["settings"]:
                assert d.find_element("id", "sgd-set-" + e["name"]).get_attribute("id")
                if e["control"] == "slider":
                    r = d.find_element("id", "sgd-range-" + e["name"])
                    assert (float(r.get_attribute("min")), float(r.get_attribute("max"))) == (e["min"], e["max"])
            d.execute_script("window.__bodies = []; var f = window.fetch; window.fetch = function (p, o) {"
                             " window.__bodies.push(o.body); return f.apply(this, arguments); };")
            for o in form["optimizers"]:
                d.execute_script("var s = document.getElementById('sgd-set-optimizer'); s.value = arguments[0];"
                                 "s.dispatchEvent(new Event('change', {bubbles: true}));", o["name"])
                WebDriverWait(d, 60).until(lambda d: d.execute_script("return window.__bodies.length > 0"))
                # the text as sent: its keys in the order the page wrote them
                body = json.loads(d.execute_script("var b = window.__bodies.pop(); window.__bodies = []; return b;"))
                for k in form["optimizer_settings"]:
                    disabled = d.find_element("id", "sgd-set-" + k).get_attribute("disabled") is not None
                    assert disabled == (k not in o["uses"]), (o["name"], k)
                sent = [k for k in body["settings"] if k != "data"]
                want = [e["name"] for e in form["settings"]
                        if e["name"] not in form["optimizer_settings"] or
                        (e["name"] in o["uses"] and e["control"] != "check")]
                assert sent == want, (o["name"], sent)
                momentum = o["defaults"].get("momentum")
                if momentum:
                    assert float(body["settings"]["momentum"]) == momentum
                WebDriverWait(d, 60).until(lambda d: not d.execute_script(
                    "return document.documentElement.hasAttribute('data-busy')"))
    finally:
        server.shutdown()
        server.server_close()
        app.cleanup()
