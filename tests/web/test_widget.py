"""The notebook widget (scenes/web/widget.py): anywidget's ES module is the page's script, and
its synced ``settings`` and ``trace`` go both ways. In Chromium (slow), a harness page that
calls the module's ``render({model, el})`` as anywidget does: the page draws, and the model
holds the page's run."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("anywidget")

import scenes  # noqa: E402
from scenes.web.page import player_script  # noqa: E402
from scenes.web.widget import page_widget, widget_class, widget_esm  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.recorder import record  # noqa: E402
from training.trace import Trace  # noqa: E402


@pytest.fixture(scope="module")
def run():
    return record(TrainConfig(epochs=4))


def test_the_module_is_the_pages_script_and_the_player_is_the_widget(run):
    esm = widget_esm()
    assert json.dumps(player_script(live=True), ensure_ascii=False) in esm and "export default { render }" in esm
    w = scenes.player(run)
    assert isinstance(w, widget_class()) and w._esm == esm
    assert json.loads(run.to_json()) == w.trace and w.settings == run.config
    assert w.html.startswith("<!DOCTYPE html>") and '"n_steps":12' in w.html
    data = w._repr_mimebundle_()
    data = data[0] if isinstance(data, tuple) else data
    assert "application/vnd.jupyter.widget-view+json" in data and data["text/html"].startswith("<iframe srcdoc=")


def test_python_sets_settings_and_trace_and_reads_the_pages_run(run, tmp_path):
    w = page_widget(run)
    w.settings = {**w.settings, "lr": 0.3, "optimizer": "momentum", "momentum": 0.5}  # not live: PyTorch records it
    want = record(TrainConfig(epochs=4, lr=0.3, optimizer="momentum", momentum=0.5))
    assert w.trace == json.loads(want.to_json()) and w._doc["stories"][0]["run"]["lr"] == 0.3
    w.settings = {"optimizer": "adam"}  # a part: the rest stays (the momentum is the optimizer's)
    assert w.trace["config"]["optimizer"] == "adam" and w.trace["config"]["lr"] == 0.3
    other = record(TrainConfig(optimizer="adam", epochs=2))
    w.trace = json.loads(other.to_json())  # another run: the page shows it
    assert w._doc["stories"][0]["run"]["optimizer"] == "adam" and w.settings["optimizer"] == "adam"
    page_run = json.loads(record(TrainConfig(epochs=1)).to_json())
    with w._lock_property(trace=page_run), w.hold_trait_notifications():  # as a change from the page arrives
        w.trace = page_run
    assert w._doc["stories"][0]["run"]["optimizer"] == "adam"  # the page shows it already: not redrawn
    written = scenes.render(w.trace, tmp_path, formats=["html"])  # what the page found, rendered
    assert Trace.from_dict(w.trace).n_steps == 3 and [p.name for p in written] == ["sgd.html"]


HARNESS = """<!DOCTYPE html><html><body><div id="el"></div>
<script type="application/json" id="esm">{esm}</script>
<script type="application/json" id="state">{state}</script>
<script>
(async function () {{
  var esm = JSON.parse(document.getElementById("esm").textContent);
  var state = JSON.parse(document.getElementById("state").textContent), handlers = {{}};
  var model = window.model = {{ saved: 0,  // anywidget's model, as render() uses it
    get: function (k) {{ return state[k]; }},
    set: function (k, v) {{ state[k] = v; (handlers["change:" + k] || []).forEach(function (f) {{ f(); }}); }},
    on: function (e, f) {{ (handlers[e] = handlers[e] || []).push(f); }},
    off: function (e, f) {{ handlers[e] = (handlers[e] || []).filter(function (g) {{ return g !== f; }}); }},
    save_changes: function () {{ model.saved++; }} }};
  var mod = await import(URL.createObjectURL(new Blob([esm], {{ type: "text/javascript" }})));
  mod.default.render({{ model: model, el: document.getElementById("el") }});
}})();
</script></body></html>"""


@pytest.mark.slow
@pytest.mark.browser
def test_in_chromium_the_module_draws_the_page_and_fills_the_model(run, tmp_path):
    from tests import browser
    if browser.missing():
        pytest.skip(browser.missing())
    page = _harness(page_widget(run), tmp_path / "harness.html", trace={})
    own = page_widget(_own_loop())  # a run the twin cannot recompute
    own_page = _harness(own, tmp_path / "own.html")
    with browser.chrome(1000, 900) as d:
        d.get("about:blank")
        d.get_log("performance")
        d.get(page.resolve().as_uri())
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(d, 60).until(lambda d: d.execute_script("return window.model && window.model.saved > 0"))
        got = d.execute_script("return [model.get('trace'), model.get('settings'), model.get('_live'),"
                               " document.querySelector('#el iframe').contentDocument.documentElement.getAttribute('data-ready'),"
                               " document.querySelector('#el iframe').contentDocument.getElementById('sgd-export') !== null,"
                               " document.querySelector('#el iframe').contentDocument.getElementById('sgd-live-status').textContent]")
        d.save_screenshot(str(tmp_path / "widget.png"))
        fits = "return f.contentDocument.documentElement.scrollHeight <= f.clientHeight"  # no scrollbar inside
        WebDriverWait(d, 10).until(lambda d: d.execute_script(FRAME + fits))
        d.execute_script("document.getElementById('el').style.width = '450px'")  # a narrow notebook: a taller page
        WebDriverWait(d, 10).until(lambda d: d.execute_script(FRAME + fits + " && f.clientHeight > 1100"))
        d.execute_script("document.getElementById('el').style.width = ''")
        changed = _the_page_and_the_model_agree(d)
        asked = [u for u in browser.requests(d) if not u.startswith(("blob:", "about:"))]
        errors = [m for m in browser.console(d) if m["level"] in ("SEVERE", "ERROR")]
        d.get(own_page.resolve().as_uri())  # plays as recorded and says why; the model keeps Python's run
        WebDriverWait(d, 60).until(lambda d: d.execute_script("return window.model && window.model.saved > 0"))
        not_live = d.execute_script(FRAME + "var c = f.contentDocument; return [model.get('_live'), model.get('settings'),"
                                    " c.getElementById('sgd-live-off') && c.getElementById('sgd-live-off').textContent,"
                                    " !!c.getElementById('sgd-live-lr'), c.documentElement.getAttribute('data-ready')]")
        errors += [m for m in browser.console(d) if m["level"] in ("SEVERE", "ERROR")]
    assert not_live[0] is False and not_live[1] == own.settings and not_live[3] is False and not_live[4] == "1"
    assert "The controls are not live: this run was recorded from a training loop of its own" in not_live[2]
    trace, settings, live, ready, exports, status = got
    assert status == "live: every change is recomputed in the page"  # the recorded run, not recomputed on load
    assert json.loads(Trace.from_dict(trace).to_json()) == json.loads(run.to_json())
    want = {k: v for k, v in run.config.items() if k != "data"}  # the live page's settings: its points are data()
    assert settings == want and ready == "1" and exports and live is True
    assert asked == [page.resolve().as_uri()] and not errors, (asked, errors)
    for lr, got in changed.items():  # what the page recomputed is PyTorch's run (plain SGD: bit for bit)
        assert got == json.loads(record(TrainConfig(epochs=4, lr=lr)).to_json())["final"], lr


FRAME = "var f = document.querySelector('#el iframe'); "


def _harness(w, path: Path, **state) -> Path:
    """A page that shows widget ``w`` as anywidget does (``state``: the model's values to differ)."""
    state = {**{k: getattr(w, k) for k in ("_doc", "_title", "settings", "trace", "height")}, **state}
    path.write_text(HARNESS.format(esm=json.dumps(w._esm).replace("<", "\\u003c"),
                                   state=json.dumps(state).replace("<", "\\u003c")), encoding="utf-8")
    return path


def _own_loop():
    import torch
    from tests.user_loop import record_loop
    torch.manual_seed(0)
    X = torch.linspace(0, 1, 6).view(-1, 1)
    model = torch.nn.Linear(1, 1)
    return record_loop(model, torch.optim.SGD(model.parameters(), lr=0.1), torch.nn.MSELoss(), X, 0.5 * X + 0.1,
                       epochs=2, batch=2)


def _the_page_and_the_model_agree(d) -> dict:
    """Both ways, as a student and a notebook would: the page's learning rate field, the iframe
    loaded again (JupyterLab re-attaches an output when a cell moves), settings set from Python
    (a whole trace config, whose data is named) and refused settings. Returns the final a, b the
    model held after each learning rate."""
    from selenium.webdriver.support.ui import WebDriverWait

    def until(js):
        WebDriverWait(d, 30).until(lambda d: d.execute_script(FRAME + js))

    def model_lr():
        return d.execute_script("return [model.get('settings').lr, model.get('trace').config.lr]")

    finals = {}
    d.execute_script(FRAME + "var i = f.contentDocument.getElementById('sgd-live-lr'); i.value = '0.3';"
                     " i.dispatchEvent(new Event('change'))")
    until("return model.get('trace').config.lr === 0.3")
    assert model_lr() == [0.3, 0.3]
    finals[0.3] = d.execute_script("return model.get('trace').final")
    d.execute_script(FRAME + "f.contentWindow.before = 1; var p = f.parentNode; p.removeChild(f); p.appendChild(f)")
    until("return f.contentWindow.before === undefined && f.contentDocument.documentElement.getAttribute('data-ready') === '1'"
          " && f.contentWindow.sgdAnim.settings().lr === 0.3")  # the model's run, not the document's
    assert model_lr() == [0.3, 0.3]
    d.execute_script("model.set('settings', Object.assign({}, model.get('trace').config, {lr: 0.2}))")
    until("return f.contentWindow.sgdAnim.settings().lr === 0.2 && model.get('trace').config.lr === 0.2")
    finals[0.2] = d.execute_script("return model.get('trace').final")
    d.execute_script("model.set('settings', {lr: -1})")  # refused: the page says so, the model gets its settings back
    until("return model.get('settings').lr === 0.2")
    assert "must be > 0" in d.execute_script(FRAME + "return f.contentDocument.getElementById('sgd-live-lr-msg').textContent")
    return finals
