"""The notebook widget in a real JupyterLab (not the harness of test_widget.py): a JupyterLab
server on 127.0.0.1 with a token, a notebook whose cells record a run and show
``scenes.player(...)``, opened in headless Chromium and run through JupyterLab's own commands.
Both ways: the page's learning-rate field reaches ``widget.settings`` and ``widget.trace`` (read
by a cell run in the kernel), a moved cell (JupyterLab loads the output's iframe again) keeps the
run, and ``widget.settings = {...}`` from Python redraws the page.

Not in the CI venv (jupyterlab is not in the dev extra: it would slow the set-up). To run it:
``pip install jupyterlab`` in the venv, then
``pytest tests/web/test_widget_jupyterlab.py -m slow -n 0`` (about 25 s). docs/live.md.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.subprocess]

try:
    import anywidget  # noqa: F401
    import jupyterlab  # noqa: F401
except ImportError as e:
    pytest.skip(f"needs jupyterlab and anywidget ({e.name} is not installed): pip install jupyterlab "
                "'sgd-anim[widget]'; the CI venv has no jupyterlab", allow_module_level=True)

from tests import browser  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.recorder import record  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
STATE = ("print('STATE', json.dumps({'settings': w.settings.get('lr'), 'lr': w.trace['config']['lr'],"
         " 'optimizer': w.trace['config']['optimizer'], 'live': w._live, 'final': w.trace['final']}))")
CELLS = [
    "import json, training, scenes\nw = scenes.player(training.record(epochs=4))\nw",
    STATE,
    "w.settings = {**w.trace['config'], 'lr': 0.05}  # a whole config: its data is named, as a trace's is",
]
IDLE = ("var w = window.jupyterapp && jupyterapp.shell.currentWidget, k = w && w.sessionContext &&"
        " w.sessionContext.session && w.sessionContext.session.kernel; return !!(k && k.status === 'idle')")
READY = ("var f = document.querySelector('.jp-OutputArea-output iframe');"
         " return !!(f && f.contentDocument && f.contentDocument.documentElement.getAttribute('data-ready') === '1'"
         " && f.contentWindow.sgdAnim && f.contentWindow.sgdAnim.live)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server over a folder holding the notebook; its URL (with the token)."""
    if browser.missing():
        pytest.skip(browser.missing())
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
                    for c in CELLS],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "w.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    args = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}", "--LabApp.expose_app_in_browser=True"]
    with open(tmp_path / "server.log", "wb") as log:
        server = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(urllib.request.Request(f"{url}/api/status", headers={"Authorization": f"token {token}"}), timeout=2)
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "server.log").read_text(errors="replace")[-2000:]
                time.sleep(0.1)
        yield f"{url}/lab/tree/w.ipynb?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_the_widget_in_jupyterlab_syncs_both_ways(lab, tmp_path):
    from selenium.webdriver.support.ui import WebDriverWait

    def until(js, *args, timeout=60):
        WebDriverWait(d, timeout).until(lambda d: d.execute_script(js, *args))

    def run(i):
        d.execute_script("var nb = jupyterapp.shell.currentWidget.content; nb.activeCellIndex = arguments[0];"
                         " jupyterapp.commands.execute('notebook:run-cell')", i)

    def state():  # what the kernel holds, printed by a cell run in the notebook
        d.execute_script("jupyterapp.shell.currentWidget.content.widgets[1].outputArea.model.clear()")
        run(1)
        out = "var c = jupyterapp.shell.currentWidget.content.widgets[1]; return c.outputArea.node.innerText"
        until(out + ".indexOf('STATE') >= 0")
        return json.loads(d.execute_script(out).split("STATE", 1)[1])

    def page(js):
        d.switch_to.frame(d.find_element("css selector", ".jp-OutputArea-output iframe"))
        try:
            return d.execute_script(js)
        finally:
            d.switch_to.default_content()

    with browser.chrome(1200, 1100) as d:
        d.get(lab)
        until(IDLE)
        run(0)
        until(READY)  # the live page, drawn in the output by anywidget's render({model, el})
        d.save_screenshot(str(tmp_path / "widget.png"))
        assert page("return document.getElementById('sgd-live-lr').value") == "0.1"
        # the model holds the document's run: the page shows the recorded one, not recomputed
        assert page("return document.getElementById('sgd-live-status').textContent") == "live: every change is recomputed in the page"
        assert state()["live"] is True
        until("var f = document.querySelector('.jp-OutputArea-output iframe');"  # as tall as its page: no inner scrollbar
              " return f.contentDocument.documentElement.scrollHeight <= f.clientHeight", timeout=10)

        # the page -> Python: the student types a learning rate
        page("var i = document.getElementById('sgd-live-lr'); i.value = '0.3'; i.dispatchEvent(new Event('change'))")
        # (the page recomputes after a debounce, then sends the run: the cell that reads it comes after)
        until("var f = document.querySelector('.jp-OutputArea-output iframe');"
              " return f.contentWindow.sgdAnim.settings().lr === 0.3")
        got = state()
        assert (got["settings"], got["lr"]) == (0.3, 0.3)
        assert got["final"] == json.loads(record(TrainConfig(epochs=4, lr=0.3)).to_json())["final"]  # PyTorch's, bit for bit

        # a moved cell: JupyterLab re-attaches the output, its iframe loads again
        page("window.before = 1")
        d.execute_script("var nb = jupyterapp.shell.currentWidget.content; nb.activeCellIndex = 0;"
                         " jupyterapp.commands.execute('notebook:move-cell-down')")
        d.execute_script("var nb = jupyterapp.shell.currentWidget.content; nb.activeCellIndex = 1;"
                         " jupyterapp.commands.execute('notebook:move-cell-up')")
        until(READY[:-1] + " && f.contentWindow.before === undefined)")  # a new page, not the first one
        assert page("return window.sgdAnim.settings().lr") == 0.3 and state()["lr"] == 0.3

        # Python -> the page
        run(2)
        until("var f = document.querySelector('.jp-OutputArea-output iframe');"
              " return f.contentWindow.sgdAnim.settings().lr === 0.05", timeout=20)
        got = state()
        assert (got["settings"], got["lr"], got["optimizer"]) == (0.05, 0.05, "sgd")
        assert got["final"] == json.loads(record(TrainConfig(epochs=4, lr=0.05)).to_json())["final"]
        d.save_screenshot(str(tmp_path / "widget-after.png"))
        errors = [m["message"] for m in browser.console(d) if m["level"] == "SEVERE"]
    assert not errors, errors
