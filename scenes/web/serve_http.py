"""The HTTP side of ``render.py --serve``: the request handler (routes, checks, answers)
and the server it runs in. What the routes do is :class:`scenes.web.serve_app.App`'s job.

Server library: the standard library's ``http.server.ThreadingHTTPServer``. It parses HTTP
(request line, headers, limits on line length and header count) and is maintained with
CPython; the app is five routes of JSON with no streaming or websockets, so an ASGI stack
(starlette + uvicorn) would add two dependencies and an event loop for nothing this needs.
A thread per connection is fine here: recordings are bounded by a semaphore and a queue.

Safety: refuses a Host header other than the bound address or localhost (DNS rebinding);
never takes a path or a file name from a request; bounds request bodies (:data:`MAX_BODY`);
answers every failure with one line of JSON, never a traceback.
"""
from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from scenes.web.serve_app import App, Busy
from scenes.web.serve_settings import RENDER_FORMATS, Settings, parse_settings
from training.errors import InputError
from training.numbers import refuse_json_constant

__all__ = ["MAX_BODY", "MIME", "make_server", "url_of"]

MAX_BODY = 64 * 1024          # bytes of a request body
MIME = {"mp4": "video/mp4", "gif": "image/gif", "png": "image/png", "html": "text/html; charset=utf-8"}


class _Handler(BaseHTTPRequestHandler):
    server_version = "sgd-anim"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 30  # a client that stops sending mid-request is dropped
    # Headers and body go out in two writes: with Nagle's algorithm on, a kept-alive connection
    # waits for the client's delayed ACK (~40 ms) before the body: 90 ms for a cached trace.
    disable_nagle_algorithm = True

    @property
    def app(self) -> App:
        return self.server.app  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    # -- responses
    def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("X-Frame-Options", "DENY")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any, headers: dict | None = None) -> None:
        self._send(status, json.dumps(obj).encode("utf-8"), "application/json", headers)

    def _error(self, status: int, message: str, headers: dict | None = None) -> None:
        if status >= 400:
            self.close_connection = True
        self._json(status, {"error": message}, headers)

    # -- checks
    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").strip().lower()
        return host in self.server.allowed_hosts  # type: ignore[attr-defined]

    def _body(self) -> dict | None:
        """The JSON body (at most MAX_BODY bytes), or None after answering the error."""
        if self.headers.get("Transfer-Encoding"):
            self._error(411, "send the body with a Content-Length (no chunked encoding)")
            return None
        length = self.headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            self._error(411, "a body needs a Content-Length")
            return None
        n = int(length)
        if n > MAX_BODY:
            self._error(413, f"the request body is {n:,} bytes; at most {MAX_BODY:,} are accepted")
            return None
        raw = self.rfile.read(n)
        try:
            body = json.loads(raw.decode("utf-8"), parse_constant=refuse_json_constant)
        except (UnicodeDecodeError, ValueError):
            self._error(400, "the request body must be a JSON object")
            return None
        if not isinstance(body, dict):
            self._error(400, "the request body must be a JSON object")
            return None
        return body

    def _dispatch(self, method: str) -> None:
        if not self._host_ok():
            self._error(403, "this server answers only requests addressed to it by its own address or localhost")
            return
        path = urlsplit(self.path).path
        try:
            if method in ("GET", "HEAD"):
                self._get(path)
            elif method == "POST":
                self._post(path)
            else:
                self._error(405, "method not allowed")
        except InputError as e:
            self._error(400, str(e))
        except Busy as e:
            self._error(503, str(e), {"Retry-After": str(e.retry_after)})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # noqa: BLE001 - one line to the client, never a traceback
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            self._error(500, f"failed: {first}")

    def _get(self, path: str) -> None:
        if path in ("/", "/index.html"):
            self._send(200, self.app.page(), "text/html; charset=utf-8")
            return
        if path in ("/api/trace", "/api/story"):
            pairs = parse_qsl(urlsplit(self.path).query, keep_blank_values=True, strict_parsing=False,
                              max_num_fields=64)
            params: dict[str, str] = {}
            for k, v in pairs:
                if k in params:
                    raise InputError(f"setting {k!r} is given twice")
                params[k] = v
            points = params.pop("points", None)
            self._answer_run(path, parse_settings(params, points))
            return
        self._error(404, "not found")

    def _post(self, path: str) -> None:
        if path not in ("/api/trace", "/api/story", "/api/render"):
            self._error(404, "not found")
            return
        body = self._body()
        if body is None:
            return
        allowed = {"settings", "points", "format"} if path == "/api/render" else {"settings", "points"}
        extra = sorted(set(body) - allowed)
        if extra:
            raise InputError(f"unknown field(s) {', '.join(map(repr, extra))}; accepted: {', '.join(sorted(allowed))}")
        points = body.get("points")
        if points is not None and not isinstance(points, str):
            raise InputError("points must be CSV text (x,y per line)")
        s = parse_settings(body.get("settings", {}), points)
        if path == "/api/render":
            fmt = body.get("format")
            if not isinstance(fmt, str):
                raise InputError(f"format must be one of: {', '.join(RENDER_FORMATS)}")
            data, name = self.app.render(s, fmt.lower())
            self._send(200, data, MIME[fmt.lower()], {"Content-Disposition": f'attachment; filename="{name}"'})
            return
        self._answer_run(path, s)

    def _answer_run(self, path: str, s: Settings) -> None:
        body = self.app.trace_json(s) if path == "/api/trace" else self.app.story_json(s)
        self._send(200, body, "application/json")

    def do_GET(self) -> None:  # noqa: N802 - http.server's names
        self._dispatch("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._dispatch("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def _allowed_hosts(host: str, port: int) -> set[str]:
    names = {"localhost", "127.0.0.1", "[::1]"}
    if host not in ("0.0.0.0", "::", ""):
        names.add(f"[{host}]" if ":" in host else host)
    return {n for name in names for n in (name, f"{name}:{port}")}


def make_server(app: App, host: str = "127.0.0.1", port: int = 8765, verbose: bool = False) -> ThreadingHTTPServer:
    """A server bound to ``host:port`` (port 0: a free one), not yet serving."""
    import socket
    cls = _Server
    if ":" in host:
        cls = type("_Server6", (_Server,), {"address_family": socket.AF_INET6})
    server = cls((host, port), _Handler)
    server.app = app  # type: ignore[attr-defined]
    server.verbose = verbose  # type: ignore[attr-defined]
    server.allowed_hosts = _allowed_hosts(host, server.server_address[1])  # type: ignore[attr-defined]
    return server


def url_of(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else (f"[{host}]" if ":" in str(host) else host)
    return f"http://{shown}:{port}/"
