"""Fuzz what a client sends to render.py --serve (issue 27, item 3): the query string's parser,
the JSON body's parser, the request head's parser, and raw bytes on a socket of a running
server. Any input ends in a result or a refusal with its status and one line (400, or the
head's 4xx/505), within a time bound; never another exception, and the server keeps answering.

In process (no interpreter per case), a few examples per property in the suite (Hypothesis'
"suite" profile, tests/conftest.py: 30 each, 210 in all, about 3 s).
A long hunt by hand: ``pytest tests/web/test_serve_fuzz.py -p no:xdist --hypothesis-profile=hunt``
(5,000 examples per property). Found while writing these, and answered 500 "failed: ..." by
the thread-per-connection handler before: a query of over 64 parameters (parse_qsl's
ValueError) and a body nested deeper than Python's recursion limit (json's RecursionError);
both are 400 now, fixed cases below. The first hunt (7 properties, 35,000 examples, 3.5 min
on one core, typical case 0-33 ms) found nothing more.
"""
from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenes.web.serve import App, Limits, make_server
from scenes.web.serve_request import HttpError, Request, parse_head
from scenes.web.serve_routes import body_request, query_settings
from scenes.web.serve_settings import Settings
from tests.helpers import trace_doc
from training.config import TRAIN_KEYS
from training.errors import InputError
from training.trace import Trace

FUZZ = settings(settings.default)
SECONDS = 2.0  # the bound on one input's answer (a parser's, or the server's)
NAMES = (*TRAIN_KEYS, "data", "points")


def assert_one_line(msg: str) -> None:
    assert msg.strip(), "empty message"
    assert "\n" not in msg and "\r" not in msg, f"not one line: {msg!r}"
    assert len(msg) < 2000, f"a {len(msg)}-character message"


def check(parse, *args) -> object:
    """``parse(*args)``: a result, or an InputError with one line, within SECONDS."""
    t0 = time.perf_counter()
    try:
        result = parse(*args)
    except InputError as e:
        assert_one_line(str(e))
        result = None
    assert time.perf_counter() - t0 < SECONDS, f"{time.perf_counter() - t0:.1f} s for {args!r:.200}"
    return result


# ------------------------------------------------------------------ the query string
values = (st.sampled_from(["", "0", "1", "-1", "0.3", "1e308", "1e-320", "nan", "inf", "-0", "true", "off",
                           "momentum", "adam", "article", "pasted", "synthetic", "synthetic:n=5",
                           "synthetic:n=10000,noise=1e300", "synthetic:n=-3", "1,2\n3,4\n5,6", "99999999999999999999"])
          | st.text(max_size=30))


@FUZZ
@given(st.text(max_size=300))
def test_any_query_string(query):
    assert check(query_settings, query) is None or True


@FUZZ
@given(st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=8), values, max_size=6))
def test_queries_of_settings(params):
    s = check(query_settings, urlencode(params))
    assert s is None or isinstance(s, Settings)


def test_too_many_parameters_is_a_400():
    with pytest.raises(InputError, match="at most 64 parameters"):
        query_settings("&".join(f"k{i}=1" for i in range(65)))


# ------------------------------------------------------------------ the JSON body
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10 ** 30), max_value=10 ** 30)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12) | values,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8)
paths = st.sampled_from(["/api/trace", "/api/story", "/api/render"])


@FUZZ
@given(st.binary(max_size=300), paths)
def test_any_body(raw, path):
    check(body_request, raw, path)


@FUZZ
@given(st.text(alphabet='{}[]",:0123456789.eE+-truefalsn NaI\\u', max_size=200), paths)
def test_json_like_bodies(text, path):
    check(body_request, text.encode(), path)


@FUZZ
@given(st.dictionaries(st.sampled_from(["settings", "points", "format", "path"]),
                       st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=6), json_values, max_size=5)
                       | json_values, max_size=3), paths)
def test_bodies_of_settings(body, path):
    check(body_request, json.dumps(body).encode(), path)


def test_a_body_nested_too_deep_is_a_400():
    with pytest.raises(InputError, match="JSON object"):
        body_request(b"[" * 60_000, "/api/trace")


# ------------------------------------------------------------------ the request head
GOOD = [b"GET /api/trace?lr=0.3&epochs=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"POST /api/story HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: 30\r\n\r\n{\"settings\": {\"epochs\": 2}}   ",
        b"HEAD / HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"]


@st.composite
def mutated(draw) -> bytes:
    """A valid request with a few bytes replaced, inserted or deleted."""
    data = bytearray(draw(st.sampled_from(GOOD)))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = draw(st.sampled_from([0, 9, 10, 13, 32, 58, 0x7f, 0xff]) | st.integers(0, 255))
        if op == "insert" or i == len(data):
            data[i:i] = bytes([byte])
        elif op == "replace":
            data[i] = byte
        else:
            del data[i]
    return bytes(data)


@FUZZ
@given(st.binary(max_size=200) | mutated())
def test_any_head(data):
    end = data.find(b"\r\n\r\n")
    head = data if end < 0 else data[:end + 4]
    try:
        req = parse_head(head, Limits())
    except HttpError as e:
        assert 400 <= e.status < 500 or e.status == 505
        assert_one_line(str(e))
    else:
        assert isinstance(req, Request) and 0 <= req.length <= Limits().max_body


# ------------------------------------------------------------------ raw bytes to a running server
@pytest.fixture(scope="module")
def port():
    base = Trace.from_dict(trace_doc())
    app = App(lambda cfg, data: base, lambda *a: [])
    server = make_server(app, "127.0.0.1", 0, limits=Limits(request_seconds=SECONDS))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def exchange(port: int, data: bytes) -> bytes:
    """Send ``data``, end the sending side, and read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=SECONDS + 3) as s:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        reply = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := s.recv(65536):
                reply += chunk
    return reply


@FUZZ
@given(st.binary(max_size=300) | mutated())
def test_raw_bytes_get_an_answer_or_a_close(port, data):
    t0 = time.perf_counter()
    reply = exchange(port, data)
    assert time.perf_counter() - t0 < SECONDS + 1
    if reply:
        status = int(reply[9:12])
        assert reply.startswith(b"HTTP/1.1 ") and status != 500 and (status < 500 or status in (503, 505)), reply[:300]
    assert exchange(port, GOOD[0].replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")).startswith(b"HTTP/1.1 200 ")
