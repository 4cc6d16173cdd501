"""render.py --serve: the live web app (scenes.web.serve).

A real server on a free port, in a thread of this process (a subprocess for Ctrl-C): its
traces are checked against an independent float64 recomputation, its refusals against the
CLI's messages, and its bounds (body size, steps, points, the Host header, one render at a
time, the recording queue). One browser test (slow) moves a slider on the page.
"""
from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import urlencode

import numpy as np
import pytest

import render
from scenes.pipeline import render_outputs
from scenes.web.serve import MAX_BODY, App, Busy, make_server, parse_settings
from tests.helpers import RENDER_PY, default_sigint, run_main
from training.config import TrainConfig
from training.data import ARTICLE_X, ARTICLE_Y
from training.errors import InputError
from training.recorder import record
from training.trace import Trace



def _render(job, trace, out):
    return render_outputs(job, trace, out, use_cache=False)


@contextlib.contextmanager
def running(app: App):
    server = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        app.cleanup()


@pytest.fixture(scope="module")
def port():
    app = App(lambda cfg, data: record(cfg, data), _render)
    with running(app) as p:
        yield p


def _small_render(job, trace, out):
    """The server's render at a test's size and rate (320x180, 10 fps): the reply is checked."""
    small = dataclasses.replace(job.render, size=(320, 180), fps=10)
    return _render(dataclasses.replace(job, render=small), trace, out)


@pytest.fixture(scope="module")
def small_port():
    app = App(lambda cfg, data: record(cfg, data), _small_render)
    with running(app) as p:
        yield p


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def get_json(port: int, path: str):
    status, headers, body = request(port, "GET", path)
    return status, json.loads(body)


def post_json(port: int, path: str, obj) -> tuple[int, dict, bytes]:
    return request(port, "POST", path, json.dumps(obj).encode(), {"Content-Type": "application/json"})


# ------------------------------------------------------------------ an independent recomputation
def reference(lr: float, batch_size: int, epochs: int, momentum: float = 0.0, nesterov: bool = False,
              a: float = 1.0, b: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The article's run in float64 numpy, in data order, with PyTorch's SGD update
    (buffer = μ·buffer + g, first buffer = g; Nesterov steps by g + μ·buffer)."""
    x, y = np.array(ARTICLE_X), np.array(ARTICLE_Y)
    va = vb = None
    path_a, path_b = [], []
    for _ in range(epochs):
        for s in range(0, len(x) - len(x) % batch_size, batch_size):
            xb, yb = x[s:s + batch_size], y[s:s + batch_size]
            path_a.append(a)
            path_b.append(b)
            r = a * xb + b - yb
            ga, gb = 2 * np.mean(r * xb), 2 * np.mean(r)
            if momentum:
                va = ga if va is None else momentum * va + ga
                vb = gb if vb is None else momentum * vb + gb
                ga, gb = (ga + momentum * va, gb + momentum * vb) if nesterov else (va, vb)
            a, b = a - lr * ga, b - lr * gb
    return np.array(path_a + [a]), np.array(path_b + [b])


def trace_path(trace: Trace) -> tuple[np.ndarray, np.ndarray]:
    return (np.append(np.asarray(trace.steps["a"], float), trace.final_a),
            np.append(np.asarray(trace.steps["b"], float), trace.final_b))


@pytest.mark.parametrize("settings", [
    dict(lr=0.3, batch_size=2, optimizer="momentum", momentum=0.9, epochs=40),
    dict(lr=0.05, batch_size=3, epochs=60),
    dict(lr=0.2, batch_size=1, optimizer="sgd", momentum=0.5, nesterov="true", epochs=20, init_a=-1, init_b=0.5),
])
def test_trace_matches_a_float64_recomputation(port, settings):
    status, doc = get_json(port, "/api/trace?" + urlencode(settings))
    assert status == 200, doc
    assert doc["schema_version"] == 1
    trace = Trace.from_dict(doc)
    assert trace.settings.lr == settings["lr"] and trace.settings.batch_size == settings["batch_size"]
    want_a, want_b = reference(settings["lr"], settings["batch_size"], settings["epochs"],
                               float(settings.get("momentum", 0.9 if settings.get("optimizer") == "momentum" else 0)),
                               settings.get("nesterov") == "true",
                               float(settings.get("init_a", 1)), float(settings.get("init_b", 1)))
    got_a, got_b = trace_path(trace)
    assert len(got_a) == len(want_a)
    np.testing.assert_allclose(got_a, want_a, rtol=1e-5, atol=2e-5)  # PyTorch trains in float32
    np.testing.assert_allclose(got_b, want_b, rtol=1e-5, atol=2e-5)


def test_trace_is_the_cli_s_recording(port):
    status, doc = get_json(port, "/api/trace?lr=0.1")
    assert status == 200
    assert Trace.from_dict(doc) == record(TrainConfig())


def cli_error(argv: list[str], capsys, tmp_path) -> str:
    code, _, err = run_main(capsys, *argv, "--record-only", "--out", tmp_path / "out")
    assert code == 2, err
    err = err.strip()
    assert err.startswith("sgd-anim: error: "), err
    return err[len("sgd-anim: error: "):]


@pytest.mark.parametrize("query, argv", [
    ({"lr": "-1"}, ["--lr", "-1"]),
    ({"lr": "nan"}, ["--lr", "nan"]),
    ({"batch_size": "0"}, ["--batch-size", "0"]),
    ({"batch_size": "7"}, ["--batch-size", "7"]),
    ({"epochs": "0"}, ["--epochs", "0"]),
    ({"optimizer": "lbfgs"}, ["--optimizer", "lbfgs"]),
    ({"optimizer": "adam", "momentum": "0.5"}, ["--optimizer", "adam", "--momentum", "0.5"]),
    ({"momentum": "1.5"}, ["--momentum", "1.5"]),
    ({"nesterov": "true"}, ["--nesterov"]),
    ({"seed": "-3"}, ["--seed", "-3"]),
    ({"init_a": "1e39"}, ["--init-a", "1e39"]),
    ({"data": "synthetic:n=5,bogus=1"}, ["--data", "synthetic:n=5,bogus=1"]),
])
def test_bad_values_are_400_with_the_cli_s_message(port, query, argv, capsys, tmp_path):
    status, doc = get_json(port, "/api/trace?" + urlencode(query))
    assert status == 400 and set(doc) == {"error"}, doc
    assert doc["error"] == cli_error(argv, capsys, tmp_path)


@pytest.mark.parametrize("query, words", [
    ({"lr": "abc"}, "lr must be a number"),
    ({"batch_size": "2.5"}, "batch size must be a whole number"),
    ({"shuffle": "maybe"}, "shuffle must be true or false"),
    ({"bogus": "1"}, "unknown setting"),
    ({"data": "/etc/passwd"}, "the server reads no file"),
    ({"data": "assets/data/article.csv"}, "the server reads no file"),
    ({"data": "pasted"}, "needs the points"),
    ({"points": "1,2\n3,4"}, "only apply with data 'pasted'"),
    ({"epochs": "100000", "batch_size": "1"}, "at most 100,000"),
    ({"data": "synthetic:n=20000"}, "between 2 and 10,000"),
])
def test_other_bad_values_are_400(port, query, words):
    status, doc = get_json(port, "/api/trace?" + urlencode(query))
    assert status == 400 and words in doc["error"], doc
    assert "\n" not in doc["error"]


def test_a_repeated_parameter_is_refused(port):
    status, doc = get_json(port, "/api/trace?lr=0.1&lr=0.2")
    assert status == 400 and "twice" in doc["error"]


def test_oversized_body_is_refused_unread(port):
    body = json.dumps({"settings": {}, "points": "1,2\n" * (MAX_BODY // 4)}).encode()
    assert len(body) > MAX_BODY
    status, _, raw = request(port, "POST", "/api/story", body, {"Content-Type": "application/json"})
    assert status == 413 and "at most 65,536" in json.loads(raw)["error"]
    # a claimed length is enough: nothing is read
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("POST", "/api/trace")
    conn.putheader("Content-Length", str(10**9))
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 413
    conn.close()


def test_a_body_needs_a_length(port):
    import socket
    body = b'{"settings": {}}'
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /api/story HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 411 ") and b'"error"' in reply


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"settings": {"lr": NaN}}', b'{"settings": 3}',
                                  b'{"settings": {}, "path": "/etc/passwd"}'])
def test_bad_bodies_are_400(port, body):
    status, _, raw = request(port, "POST", "/api/story", body, {"Content-Type": "application/json"})
    assert status == 400 and json.loads(raw)["error"]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example", "", "localhost:1"])
def test_a_foreign_host_header_is_refused(port, host):
    status, _, raw = request(port, "GET", "/api/trace", headers={"Host": host})
    assert status == 403 and "address" in json.loads(raw)["error"]
    status, _, _ = request(port, "GET", "/", headers={"Host": host})
    assert status == 403


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_local_host_headers_are_served(port, host):
    status, _, _ = request(port, "GET", "/api/trace?epochs=3", headers={"Host": f"{host}:{port}"})
    assert status == 200


def test_pasted_points_are_read_from_the_body_in_memory(port):
    points = "x,y\n0,1\n1,3\n2,5\n3,7\n"
    status, _, raw = post_json(port, "/api/trace", {"settings": {"data": "pasted", "lr": 0.05, "epochs": 5},
                                                     "points": points})
    assert status == 200, raw
    trace = Trace.from_dict(json.loads(raw))
    assert list(trace.x) == [0, 1, 2, 3] and list(trace.y) == [1, 3, 5, 7]
    status, _, raw = post_json(port, "/api/trace", {"settings": {"data": "pasted"}, "points": "1,2\n1,oops\n"})
    assert status == 400 and "row 2" in json.loads(raw)["error"]
    many = "".join(f"{i % 10},{i % 7}\n" for i in range(10_001))
    status, _, raw = post_json(port, "/api/trace", {"settings": {"data": "pasted", "batch_size": 100, "epochs": 1},
                                                     "points": many})
    assert status == 400 and "at most 10,000" in json.loads(raw)["error"], raw


def test_story_is_the_player_document(port):
    status, _, raw = post_json(port, "/api/story", {"settings": {"lr": 0.2, "optimizer": "momentum"}})
    assert status == 200
    doc = json.loads(raw)
    assert doc["format"] == "sgd-anim-player" and doc["version"] == 1
    assert doc["stories"][0]["run"]["lr"] == 0.2 and doc["stories"][0]["run"]["optimizer"] == "momentum"
    status, doc2 = get_json(port, "/api/story?lr=0.2&optimizer=momentum")
    assert status == 200 and doc2 == doc


def test_the_page_may_fetch_only_its_server(port):
    status, headers, raw = request(port, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = raw.decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "sgdPlayer.load" in page
    from scenes.web.page import player_page
    offline = player_page(record(TrainConfig(epochs=2)))
    assert "connect-src 'none'" in offline and "sgd-serve" not in offline


def test_unknown_routes_and_methods(port):
    assert request(port, "GET", "/etc/passwd")[0] == 404
    assert request(port, "GET", "/api/../../etc/passwd")[0] == 404
    assert request(port, "DELETE", "/api/trace")[0] == 405


def test_html_render_is_streamed_and_its_folder_deleted(port, tmp_path, monkeypatch):
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the server runs in this process
    status, headers, raw = post_json(port, "/api/render", {"settings": {"lr": 0.2, "epochs": 10}, "format": "html"})
    assert status == 200, raw
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Content-Disposition"] == 'attachment; filename="sgd.html"'
    assert b"sgd-anim-player" in raw and b"connect-src 'none'" in raw  # the offline page, not the serve page
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("fmt, magic, ctype", [("png", b"\x89PNG", "image/png"), ("gif", b"GIF89a", "image/gif"),
                                               ("mp4", b"ftyp", "video/mp4")])
def test_video_renders_come_back_as_files(small_port, fmt, magic, ctype):
    status, headers, raw = post_json(small_port, "/api/render", {"settings": {"lr": 0.2, "epochs": 3}, "format": fmt})
    assert status == 200, raw[:300]
    assert headers["Content-Type"] == ctype and headers["Content-Disposition"] == f'attachment; filename="sgd.{fmt}"'
    assert magic in raw[:16]


@pytest.mark.parametrize("fmt", ["webm", "../x", "frames", 3])
def test_render_formats_are_a_fixed_list(port, fmt):
    status, _, raw = post_json(port, "/api/render", {"settings": {}, "format": fmt})
    assert status == 400 and "format" in json.loads(raw)["error"]


def test_a_second_render_is_503_with_retry_after():
    started, release = threading.Event(), threading.Event()

    def slow_render(job, trace, out):
        started.set()
        release.wait(30)
        return _render(job, trace, out)

    app = App(lambda cfg, data: record(cfg, data), slow_render)
    with running(app) as p:
        result = {}
        t = threading.Thread(target=lambda: result.update(
            first=post_json(p, "/api/render", {"settings": {"epochs": 5}, "format": "html"})))
        t.start()
        assert started.wait(30)
        status, headers, raw = post_json(p, "/api/render", {"settings": {"epochs": 5}, "format": "html"})
        assert status == 503 and int(headers["Retry-After"]) > 0 and json.loads(raw)["error"]
        release.set()
        t.join(60)
        assert result["first"][0] == 200


def test_trace_requests_wait_in_a_queue_and_only_a_full_queue_is_503():
    base = record(TrainConfig(epochs=2))
    gate = threading.Event()

    def slow_record(cfg, data):
        gate.wait(30)
        return base

    app = App(slow_record, _render, recorders=1, queue=16)
    with running(app) as p:
        results: list[int] = []
        lock = threading.Lock()

        def one(i):
            status, _ = get_json(p, f"/api/trace?lr={0.01 * (i + 1)}&epochs=2")
            with lock:
                results.append(status)

        # one recording plus 16 waiting: all are answered once the recorder is free
        threads = [threading.Thread(target=one, args=(i,)) for i in range(17)]
        for t in threads:
            t.start()
        deadline = time.time() + 20
        while app._waiting < 16 and time.time() < deadline:
            time.sleep(0.02)
        assert app._waiting == 16
        status, doc = get_json(p, "/api/trace?lr=0.9&epochs=2")  # the queue is full
        assert status == 503 and "waiting" in doc["error"]
        gate.set()
        for t in threads:
            t.join(60)
        assert results == [200] * 17


def test_parse_settings_is_the_cli_s_validation():
    s = parse_settings({"lr": "0.3", "batch_size": "3", "optimizer": "MOMENTUM", "shuffle": "on", "seed": "4"})
    assert s.train == TrainConfig(lr=0.3, batch_size=3, optimizer="momentum", shuffle=True, seed=4)
    assert parse_settings({"lr": 0.3}).key == parse_settings({"lr": "0.3"}).key
    with pytest.raises(InputError):
        parse_settings({"lr": True})


def test_busy_is_not_an_input_error():
    assert not issubclass(Busy, InputError)


@pytest.mark.slow  # a server that trains: torch's import takes seconds
@pytest.mark.subprocess
def test_ctrl_c_stops_it_cleanly_and_leaves_no_file(tmp_path, tmp_path_factory):
    # The run is recorded (an empty trace cache), whatever ran before. Torch keeps its own
    # cache (torchinductor_USER, made when a first optimizer imports torch._dynamo) in TMPDIR
    # unless told: elsewhere, since TMPDIR is where the server's files must not be left.
    elsewhere = tmp_path_factory.mktemp("serve-caches")
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1",
           "SGD_ANIM_CACHE": str(elsewhere / "sgd-anim"), "TORCHINDUCTOR_CACHE_DIR": str(elsewhere / "torch")}
    proc = subprocess.Popen([sys.executable, str(RENDER_PY), "--serve", "--port", "0"], cwd=tmp_path,
                            env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            preexec_fn=default_sigint)
    try:
        url = None
        deadline = time.time() + 120
        while time.time() < deadline and url is None:
            line = proc.stderr.readline()
            if not line:
                break
            m = re.search(r"(http://127\.0\.0\.1:(\d+)/)", line)
            url = m and m.group(1)
        assert url, "the server printed no URL"
        p = int(url.rsplit(":", 1)[1].strip("/"))
        assert get_json(p, "/api/trace?epochs=2")[0] == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "stopped" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, words", [
    (["--port", "9000"], "only apply with --serve"),
    (["--serve", "--lr", "0.3"], "--serve takes its settings from the page"),
    (["--serve", "--port", "70000"], "port must be between"),
])
def test_serve_flags_are_checked(argv, words, capsys):
    assert render.main(argv) == 2
    assert words in capsys.readouterr().err


# ------------------------------------------------------------------ the page in a browser
@pytest.mark.slow
@pytest.mark.browser
def test_moving_a_slider_redraws_a_fresh_run(port):
    from tests import browser
    if browser.missing():
        pytest.skip(browser.missing())
    with browser.chrome(1280, 1000) as d:
        d.get("about:blank")
        d.get_log("performance")
        d.get(f"http://127.0.0.1:{port}/")
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(d, 60).until(lambda d: d.execute_script(
            "return document.documentElement.getAttribute('data-serve') === '1'"))
        # move the learning-rate slider (log scale) to 10^-1.3 and pick momentum: each is an input event
        d.execute_script("""
            var r = document.getElementById('sgd-range-lr'); r.value = '-1.3';
            r.dispatchEvent(new Event('input', {bubbles: true}));
            var o = document.getElementById('sgd-set-optimizer'); o.value = 'momentum';
            o.dispatchEvent(new Event('change', {bubbles: true}));""")
        WebDriverWait(d, 60).until(lambda d: d.execute_script(
            "return document.documentElement.getAttribute('data-loaded') !== null && "
            "!document.documentElement.hasAttribute('data-busy')"))
        lr = float(d.find_element("id", "sgd-set-lr").get_attribute("value"))
        assert lr == 0.0501  # the slider's value, to 3 digits, is what the page sends
        mom = float(d.find_element("id", "sgd-set-momentum").get_attribute("value"))
        assert mom == 0.9
        want_a, want_b = reference(lr, 2, 100, momentum=0.9)
        for k in (0, 5, 150, 299):
            d.execute_script(f"window.sgdPlayer.goStep({k});")
            st = d.execute_script("return window.sgdPlayer.state();")
            assert st["step"] == k
            a = float(d.find_element("id", "sgd-a").get_attribute("data-value"))
            b = float(d.find_element("id", "sgd-b").get_attribute("data-value"))
            # the step's line: before or after its update, as the beat shows it
            j = k if abs(a - want_a[k]) < 2e-5 else k + 1
            assert abs(a - want_a[j]) < 2e-5 and abs(b - want_b[j]) < 2e-5, (k, a, b, want_a[k:k + 2])
        assert abs(want_a[-1] - 1) > 0.1  # a run that moved: the check is not of the starting point
        assert "steps" in d.find_element("id", "sgd-status").text
        # a bad value: the server's message shows, the run stays
        d.execute_script("""var e = document.getElementById('sgd-set-epochs'); e.value = '0';
                            e.dispatchEvent(new Event('input', {bubbles: true}));""")
        WebDriverWait(d, 30).until(lambda d: "epochs must be" in d.find_element("id", "sgd-status").text)
        urls = browser.requests(d)
        assert urls and all(u.startswith(f"http://127.0.0.1:{port}/") for u in urls), urls
        errors = [m for m in browser.console(d) if m["level"] == "SEVERE" and "400" not in m["message"]]
        assert not errors, errors
