"""render.py --serve under slow and abusive clients (issue 27, item 2): the event loop's limits.

A real server in a thread of this process, over an App whose recording is a hand-built trace
(no torch): 1,000 half-open connections hold no thread and are closed at the time limit while
a normal request is answered; a trickling client is cut at the limit; and the caps on a
request's head, requests in flight, requests per connection and a render's time answer with
their status and one line. The limits are made short here (Limits), the defaults are the
product's (docs/usage.md).
"""
from __future__ import annotations

import contextlib
import http.client
import json
import resource
import selectors
import socket
import threading
import time

import pytest

from scenes.stopping import check_stop
from scenes.web.serve import App, Limits, make_server
from tests.helpers import trace_doc
from training.trace import Trace

BASE = Trace.from_dict(trace_doc())


def _record(cfg, data):
    return BASE


@contextlib.contextmanager
def running(app: App, limits: Limits):
    server = make_server(app, "127.0.0.1", 0, limits=limits)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        app.cleanup()


def get(port: int, path: str = "/api/trace?epochs=2", timeout: float = 10) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def raw_reply(sock: socket.socket, limit: float = 10) -> bytes:
    """What the server sends until it closes the connection."""
    sock.settimeout(limit)
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    return reply


@pytest.fixture
def many_files():
    """1,000 client sockets and the server's 1,000 in one process: raise the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 2600 if hard == resource.RLIM_INFINITY else min(hard, 2600)
    if want < 2300:
        pytest.skip(f"the hard limit on open files is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.slow  # opens 1,000 sockets and waits out the idle limit (4 s)
def test_1000_idle_connections_hold_no_thread_and_are_closed_at_the_limit(many_files):
    # 3 s: on a loaded 2-core machine (the suite's other worker busy) accepting the 1,000 can
    # take over a second, and all of them must be open when the normal request is timed.
    limit = 3.0
    with running(App(_record, None), Limits(request_seconds=limit)) as server:
        port = server.server_address[1]
        assert get(port)[0] == 200  # recorded once: the request below is a cache hit
        opened = time.perf_counter()
        socks = []
        for _ in range(1000):  # connect without waiting for each, as a flood does
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            socks.append(s)
        sel = selectors.DefaultSelector()
        for s in socks:
            sel.register(s, selectors.EVENT_WRITE)
        waiting = len(socks)
        while waiting:  # each sends the start of a request whose header never ends
            for key, _ in sel.select(timeout=5):
                key.fileobj.send(b"GET /api/trace HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                sel.modify(key.fileobj, selectors.EVENT_READ)
                waiting -= 1
        while server.connections < 1000 and time.perf_counter() - opened < limit - 0.5:
            time.sleep(0.01)
        assert server.connections >= 1000
        threads = threading.active_count()
        t0 = time.perf_counter()
        status, _, _ = get(port)
        answered = time.perf_counter() - t0
        assert status == 200 and answered < 1.0, f"{answered:.2f} s"
        assert threads < 100, f"{threads} threads with 1,000 idle connections"
        # Each is closed at the limit, with a 408 (its request had started).
        replies: dict[socket.socket, bytes] = {s: b"" for s in socks}
        closed_at = []
        while len(closed_at) < len(socks) and time.perf_counter() - opened < limit + 4:
            for key, _ in sel.select(timeout=0.2):
                chunk = key.fileobj.recv(4096)
                replies[key.fileobj] += chunk
                if not chunk:
                    sel.unregister(key.fileobj)
                    closed_at.append(time.perf_counter() - opened)
        sel.close()
        for s in socks:
            s.close()
        assert len(closed_at) == 1000, f"{1000 - len(closed_at)} idle connections still open"
        # Each deadline starts at its accept, and a loaded machine accepts the 1,000 over a second or two.
        assert limit - 0.1 < min(closed_at) and max(closed_at) < limit + 3.0, (min(closed_at), max(closed_at))
        assert all(r.startswith(b"HTTP/1.1 408 ") and b'"error"' in r for r in replies.values())
        assert threading.active_count() < 100


def test_a_trickling_client_is_cut_at_the_limit():
    limit = 1.0
    with running(App(_record, None), Limits(request_seconds=limit)) as server:
        port = server.server_address[1]
        with socket.create_connection(("127.0.0.1", port)) as s:
            t0 = time.perf_counter()
            s.settimeout(0.05)
            reply = b""
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                for byte in b"GET /api/trace HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000:
                    s.send(bytes([byte]))  # a byte each 50 ms: never idle, never done
                    try:
                        chunk = s.recv(4096)
                    except socket.timeout:
                        continue
                    reply += chunk
                    if not chunk:
                        break
            cut = time.perf_counter() - t0
        assert reply.startswith(b"HTTP/1.1 408 ") and b"1 s" in reply, reply[:200]
        assert limit - 0.1 < cut < limit + 0.8, f"cut after {cut:.2f} s"
        assert get(port)[0] == 200


def test_an_idle_kept_alive_connection_is_closed_quietly():
    with running(App(_record, None), Limits(request_seconds=0.5)) as server:
        with socket.create_connection(("127.0.0.1", server.server_address[1])) as s:
            s.sendall(b"GET /api/trace?epochs=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            t0 = time.perf_counter()
            reply = raw_reply(s)
            assert time.perf_counter() - t0 < 2
        assert reply.startswith(b"HTTP/1.1 200 ") and reply.count(b"HTTP/1.1") == 1  # no 408 after it


@pytest.mark.parametrize("head, status", [
    (b"GET /api/trace HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n", 431),
    (b"GET /api/trace HTTP/1.1\r\n" + b"X-A: 1\r\n" * 150 + b"Host: 127.0.0.1\r\n\r\n", 431),
    (b"GET /api/trace HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 505),
    (b"GET /api/trace\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET /api/trace HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n", 400),
    (b"GET /api/trace HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: 1\r\n\r\n", 400),
])
def test_malformed_or_oversized_heads(head, status):
    with running(App(_record, None), Limits()) as server:
        with socket.create_connection(("127.0.0.1", server.server_address[1])) as s:
            s.sendall(head)
            reply = raw_reply(s)
    assert reply.startswith(b"HTTP/1.1 %d " % status), reply[:200]
    body = reply.split(b"\r\n\r\n", 1)[1]
    assert "\n" not in json.loads(body)["error"]


def test_expect_100_continue_is_answered():
    body = json.dumps({"settings": {"epochs": 2}}).encode()
    with running(App(_record, None), Limits()) as server:
        with socket.create_connection(("127.0.0.1", server.server_address[1])) as s:
            s.sendall(b"POST /api/trace HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
                      b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
            s.settimeout(5)
            assert s.recv(4096).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
            s.sendall(body)
            reply = raw_reply(s)
    assert reply.startswith(b"HTTP/1.1 200 ")


def test_requests_in_flight_are_capped_with_503():
    gate, inside = threading.Event(), threading.Semaphore(0)

    def slow_record(cfg, data):
        inside.release()
        gate.wait(20)
        return BASE

    with running(App(slow_record, None), Limits(in_flight=2)) as server:
        port = server.server_address[1]
        results: list[int] = []
        threads = [threading.Thread(target=lambda i=i: results.append(get(port, f"/api/trace?lr=0.{i + 1}")[0]))
                   for i in range(2)]
        for t in threads:
            t.start()
        assert inside.acquire(timeout=10) and inside.acquire(timeout=10)  # both workers are busy
        status, headers, raw = get(port, "/api/trace?lr=0.5")
        assert status == 503 and headers["Retry-After"] == "1" and "in flight" in json.loads(raw)["error"]
        gate.set()
        for t in threads:
            t.join(20)
        assert results == [200, 200]
        assert get(port, "/api/trace?lr=0.5")[0] == 200


def test_requests_per_connection_are_capped():
    with running(App(_record, None), Limits(requests_per_connection=3)) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
        closing = []
        for _ in range(3):
            conn.request("GET", "/api/trace?epochs=2")
            resp = conn.getresponse()
            resp.read()
            closing.append(resp.getheader("Connection"))
        conn.close()
    assert closing == [None, None, "close"]


def test_a_render_past_its_time_is_stopped_with_503(tmp_path, monkeypatch):
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    frames = []

    def endless_render(job, trace, out):
        while True:  # a frame loop: it asks check_stop at each frame, as scenes.encode does
            check_stop()
            frames.append(1)
            time.sleep(0.01)

    with running(App(_record, endless_render, render_seconds=0.3), Limits()) as server:
        port = server.server_address[1]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        t0 = time.perf_counter()
        conn.request("POST", "/api/render", json.dumps({"settings": {}, "format": "mp4"}))
        resp = conn.getresponse()
        took = time.perf_counter() - t0
        error = json.loads(resp.read())["error"]
        conn.close()
        assert resp.status == 503 and "limit of 0.3 s" in error and "\n" not in error
        assert 0.3 <= took < 2 and frames
        assert list(tmp_path.iterdir()) == []  # its folder removed
        check_stop()  # the limit was the render's thread's alone


def test_a_stop_closes_idle_connections_at_once():
    app = App(_record, None)
    server = make_server(app, "127.0.0.1", 0, limits=Limits(request_seconds=60))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = server.server_address[1]
    assert get(port)[0] == 200
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    for s in socks:
        s.sendall(b"GET / HTTP/1.1\r\n")
    while server.connections < 20:
        time.sleep(0.01)
    t0 = time.perf_counter()
    server.shutdown()
    server.server_close()
    assert time.perf_counter() - t0 < 1.0
    assert all(raw_reply(s, 2) == b"" for s in socks)  # closed, not left until their 60 s
    for s in socks:
        s.close()
    thread.join(5)
    assert not thread.is_alive()
