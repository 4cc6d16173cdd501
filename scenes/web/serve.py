"""``render.py --serve``: a local web app around the player that records a fresh run per change.

Routes (the contract tests and tools rely on):

- ``GET /``: the player page with a settings form (:func:`scenes.web.page.page_from_document`
  with ``serve=True``).
- ``GET /api/trace?lr=0.3&batch_size=2&...``: a schema-1 trace as JSON. Parameter names are the
  TOML ``[training]`` keys plus ``data`` (``article``, ``synthetic[:n=...,...]`` or ``pasted``
  with the points as CSV text in ``points``). A bad value: 400 ``{"error": "..."}`` with the
  CLI's message.
- ``GET /api/story?...`` and ``POST /api/story`` (``{"settings": {...}, "points": "..."}``): the
  exported document the page draws (:mod:`scenes.web.export`). ``POST /api/trace`` takes the
  same body as ``POST /api/story``.
- ``POST /api/render`` with ``{"settings": {...}, "format": "mp4"}``: the file, rendered through
  the normal pipeline into a temporary folder that is deleted afterwards; 503 with
  Retry-After while another render runs.

Server library: the standard library's ``http.server.ThreadingHTTPServer``. It parses HTTP
(request line, headers, limits on line length and header count) and is maintained with
CPython; the app is five routes of JSON with no streaming or websockets, so an ASGI stack
(starlette + uvicorn) would add two dependencies and an event loop for nothing this needs.
A thread per connection is fine here: recordings are bounded by a semaphore and a queue.

Safety: binds 127.0.0.1 unless told otherwise; refuses a Host header other than the bound
address or localhost (DNS rebinding); never takes a path or a file name from a request
(pasted points stay in memory; render files get fixed names in a fresh temporary folder);
bounds request bodies (64 KB), points (10,000), steps per run (100,000), concurrent
recordings, the waiting queue and the run cache.

No torch here (scenes never imports it): the caller passes the functions that record and render.
"""
from __future__ import annotations

import collections
import json
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

from training.batches import batches_per_epoch
from training.config import parse_bool
from training.errors import InputError
from training.numbers import refuse_json_constant

__all__ = ["MAX_BODY", "MAX_POINTS", "MAX_SERVE_STEPS", "RENDER_FORMATS", "Settings", "App", "make_server",
           "parse_settings", "serve"]

MAX_BODY = 64 * 1024          # bytes of a request body
MAX_POINTS = 10_000           # points of any data set served (pasted or synthetic)
MAX_SERVE_STEPS = 100_000     # steps of one run
RECORDERS = 2                 # recordings at once
QUEUE = 32                    # requests that may wait for a recorder (the issue asks for at least 16)
CACHE_RUNS = 64               # runs kept in memory (least recently used dropped first)
CACHE_BYTES = 256_000_000     # and at most this many bytes of their JSON
RENDER_FORMATS = ("mp4", "gif", "png", "html")
RETRY_AFTER = 10              # seconds: a render takes that order of time
MIME = {"mp4": "video/mp4", "gif": "image/gif", "png": "image/png", "html": "text/html; charset=utf-8"}


# ------------------------------------------------------------------ settings
@dataclass(frozen=True)
class Settings:
    """A validated request: the training settings, the data set, the cache key."""
    train: Any      # TrainConfig
    data: Any       # Dataset
    key: str


def _typed(key: str, value: Any, kind: type) -> Any:
    """A query or form value (text) as the type the CLI's flag has; typed JSON passes through
    to build_job, which checks it with the config file's messages."""
    if not isinstance(value, str) or kind is str:
        return value
    name = key.replace("_", " ")
    text = value.strip()
    if kind is bool:
        flag = parse_bool(text)
        if flag is None:
            raise InputError(f"{name} must be true or false, got {value!r}")
        return flag
    try:
        return int(text) if kind is int else float(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise InputError(f"{name} must be {what}, got {value!r}") from None


def parse_settings(params: dict[str, Any], points: str | None = None) -> Settings:
    """Query parameters or a JSON ``settings`` object to a validated run, exactly as the CLI
    validates it (:func:`scenes.job.build_job`, then ``TrainConfig.validate(n_points)``), plus
    the server's own bounds. Every refusal is an :class:`InputError` with a one-line message."""
    from scenes.job import build_job
    from training.config import TRAIN_KEYS, setting_named
    from training import cache
    from training.data import DataSpec, load_data, parse_csv_text

    if not isinstance(params, dict):
        raise InputError("settings must be an object of training settings")
    accepted = (*TRAIN_KEYS, "data")
    unknown = sorted(k for k in params if k not in accepted)
    if unknown:
        raise InputError(f"unknown setting(s) {', '.join(map(repr, unknown))}; accepted: {', '.join(accepted)}")
    layer: dict[str, Any] = {k: _typed(k, v, setting_named(k).kind) for k, v in params.items() if k in TRAIN_KEYS}
    source = params.get("data", "article")
    if not isinstance(source, str):
        raise InputError(f"data must be text ('article', 'synthetic[:n=...]' or 'pasted'), got {source!r}")
    source = source.strip()
    pasted = source == "pasted"
    if pasted:
        if not isinstance(points, str) or not points.strip():
            raise InputError("data 'pasted' needs the points as CSV text (x,y per line) in 'points'")
        spec = DataSpec(kind="csv", path="pasted")
    elif source in ("", "article") or source == "synthetic" or source.startswith("synthetic:"):
        spec = DataSpec.parse(source)
        if spec.kind == "synthetic" and not 2 <= spec.n <= MAX_POINTS:
            raise InputError(f"synthetic data: n must be between 2 and {MAX_POINTS:,} here, got {spec.n}")
    else:  # never a path from a request
        raise InputError(f"data must be 'article', 'synthetic[:n=...,noise=...]' or 'pasted', got {source!r}; "
                         "the server reads no file")
    if points is not None and not pasted:
        raise InputError("points only apply with data 'pasted'")
    layer["data"] = spec
    job = build_job([layer])  # the CLI's checks and messages
    if pasted:
        if points.count("\n") > MAX_POINTS + 1:
            raise InputError(f"pasted points: at most {MAX_POINTS:,} points are accepted")
        data = parse_csv_text(points, "pasted points")
        if len(data) > MAX_POINTS:
            raise InputError(f"pasted points: {len(data):,} points; at most {MAX_POINTS:,} are accepted")
    else:
        data = load_data(spec)
    train = job.train.validate(len(data))
    per_epoch = batches_per_epoch(len(data), train.batch_size, train.drop_last)
    steps = per_epoch * train.epochs
    if steps > MAX_SERVE_STEPS:
        raise InputError(f"{train.epochs} epochs of {per_epoch} batches is {steps:,} steps; the server records "
                         f"at most {MAX_SERVE_STEPS:,} per run (use fewer epochs or a larger batch, or the CLI)")
    return Settings(train, data, cache.cache_key(train, data))


# ------------------------------------------------------------------ the app
class Busy(Exception):
    """The queue is full (or a render runs): 503 with Retry-After."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class _LRU:
    """Runs by cache key, least recently used dropped first, bounded in count and bytes."""

    def __init__(self, max_items: int, max_bytes: int):
        self.max_items, self.max_bytes = max_items, max_bytes
        self.items: collections.OrderedDict[str, dict] = collections.OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        with self.lock:
            entry = self.items.get(key)
            if entry is not None:
                self.items.move_to_end(key)
            return entry

    def put(self, key: str, entry: dict) -> None:
        with self.lock:
            self.items[key] = entry
            self.items.move_to_end(key)
            while len(self.items) > self.max_items or (len(self.items) > 1 and self._bytes() > self.max_bytes):
                self.items.popitem(last=False)

    def _bytes(self) -> int:
        return sum(len(v.get("trace_json", b"")) + len(v.get("story_json", b"")) for v in self.items.values())


class App:
    """What the routes do, without HTTP: record (bounded), cache, export, render."""

    def __init__(self, record: Callable, render: Callable, *, theme: str = "light",
                 recorders: int = RECORDERS, queue: int = QUEUE, cache_runs: int = CACHE_RUNS):
        from scenes.story.theme import load_theme
        self._record, self._render = record, render
        self.theme_name = theme
        self.theme = load_theme(theme)
        self.cache = _LRU(cache_runs, CACHE_BYTES)
        self._recorders = threading.BoundedSemaphore(recorders)
        self._waiting = 0
        self._queue = queue
        self._lock = threading.Lock()
        self._render_lock = threading.Lock()
        self._temp_dirs: set[str] = set()

    # -- runs
    def run(self, s: Settings) -> dict:
        entry = self.cache.get(s.key)
        if entry is not None:
            return entry
        with self._lock:
            if self._waiting >= self._queue:
                raise Busy(f"{self._waiting} requests are waiting for a recording; try again shortly", 1)
            self._waiting += 1
        try:
            self._recorders.acquire()
        finally:
            with self._lock:
                self._waiting -= 1
        try:
            entry = self.cache.get(s.key)  # recorded while this request waited
            if entry is None:
                trace = self._record(s.train, s.data)
                entry = {"trace": trace, "trace_json": trace.to_json().encode("utf-8")}
                self.cache.put(s.key, entry)
            return entry
        finally:
            self._recorders.release()

    def trace_json(self, s: Settings) -> bytes:
        return self.run(s)["trace_json"]

    def story_json(self, s: Settings) -> bytes:
        entry = self.run(s)
        if "story_json" not in entry:
            entry["story_json"] = self._story_text(entry["trace"]).encode("utf-8")
            self.cache.put(s.key, entry)  # counted in the cache's bytes now
        return entry["story_json"]

    def _story_text(self, trace) -> str:
        from scenes.story.story import Story
        from scenes.web.export import MAX_ROWS, document, export_story
        from scenes.web.page import _generator
        doc = document([export_story(Story(trace), None, theme=self.theme)], self.theme, generator=_generator())
        doc["max_rows"] = MAX_ROWS
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)

    def page(self) -> bytes:
        from scenes.story.story import Story
        from scenes.web.export import document, export_story
        from scenes.web.page import _generator, page_from_document
        s = parse_settings({})
        trace = self.run(s)["trace"]
        exported = export_story(Story(trace), None, theme=self.theme)
        doc = document([exported], self.theme, generator=_generator())
        return page_from_document(doc, "sgd-anim: live", serve=True).encode("utf-8")

    # -- renders
    def render(self, s: Settings, fmt: str) -> tuple[bytes, str]:
        """The file of ``fmt`` for this run, rendered in a temporary folder (deleted again)."""
        if fmt not in RENDER_FORMATS:
            raise InputError(f"unknown format {fmt!r}; accepted: {', '.join(RENDER_FORMATS)}")
        if not self._render_lock.acquire(blocking=False):
            raise Busy("another render is running; try again when it is done", RETRY_AFTER)
        try:
            trace = self.run(s)["trace"]
            folder = tempfile.mkdtemp(prefix="sgd-anim-serve-")
            with self._lock:
                self._temp_dirs.add(folder)
            try:
                from scenes.job import build_job
                job = build_job([{"formats": fmt, "theme": self.theme_name, "stem": "sgd"}])
                job = replace(job, train=s.train, out=Path(folder))
                files = [Path(p) for p in self._render(job, trace, Path(folder))]
                target = Path(folder) / f"sgd.{fmt}"
                if target not in files or not target.is_file():
                    raise RuntimeError(f"the render wrote no {fmt} file")
                return target.read_bytes(), f"sgd.{fmt}"
            finally:
                shutil.rmtree(folder, ignore_errors=True)
                with self._lock:
                    self._temp_dirs.discard(folder)
        finally:
            self._render_lock.release()

    def cleanup(self) -> None:
        """Remove every temporary folder a render still holds (on shutdown)."""
        with self._lock:
            folders, self._temp_dirs = list(self._temp_dirs), set()
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------ HTTP
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


def serve(app: App, host: str, port: int, *, open_browser: bool = False, say: Callable[[str], None] = print,
          verbose: bool = False) -> None:
    """Serve until Ctrl-C; then stop, close the socket and remove any render's temporary folder."""
    server = make_server(app, host, port, verbose)
    try:
        url = url_of(server)
        say(f"serving the live player at {url} (Ctrl-C stops it)")
        if open_browser:
            import webbrowser
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        server.serve_forever(poll_interval=0.25)
    finally:
        server.server_close()
        app.cleanup()


def warm(app: App) -> float:
    """Record the default run once (torch's first call is slow); the seconds it took."""
    t0 = time.perf_counter()
    app.story_json(parse_settings({}))
    return time.perf_counter() - t0



STOP_GRACE = 10.0  # seconds a stop waits for the render in flight to end


def run_server(*, theme: str = "light", host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False,
               say: Callable[[str], None] = print) -> None:
    """--serve: the live web app until Ctrl-C. It records and renders through the one
    pipeline (:mod:`scenes.pipeline`), as every other run does."""
    from scenes.pipeline import render_outputs

    def record(cfg, data):
        from training.recorder import record as record_run
        return record_run(cfg, data)

    def render(job, trace, out: Path) -> list[Path]:
        return render_outputs(job, trace, out, use_cache=False)

    app = App(record, render, theme=theme)
    try:
        say(f"recording the default run (torch starts) ... {warm(app):.1f} s")
        serve(app, host, port, open_browser=open_browser, say=say)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP (scenes.stopping): the socket is closed
        # A render in flight ends at its next frame (scenes.stopping.check_stop) and removes
        # its folder; wait for that (a few seconds at most), so no file is left behind.
        if app._render_lock.acquire(timeout=STOP_GRACE):
            app._render_lock.release()
        app.cleanup()
        say("stopped")
    except OSError as e:
        if e.errno is not None and e.filename is None:
            raise InputError(f"cannot serve on {host}:{port}: {e.strerror}") from None
        raise
