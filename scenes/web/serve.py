"""``render.py --serve``: a local web app around the player that records a fresh run per change.

Routes (the contract tests and tools rely on):

- ``GET /``: the player page with a settings form (:func:`scenes.web.page.page_from_document`
  with ``serve=True``; the form is built from the settings table, :mod:`scenes.web.serve_form`).
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

One job a file: :mod:`scenes.web.serve_settings` (what a request may ask for, validated as the
CLI does, and the server's bounds), :mod:`scenes.web.serve_app` (recording, the run cache,
export and render, without HTTP), :mod:`scenes.web.serve_http` (the server: connections on
an event loop), :mod:`scenes.web.serve_request` (reading a request),
:mod:`scenes.web.serve_routes` (the routes, in a worker of :mod:`scenes.web.serve_pool`),
:mod:`scenes.web.serve_limits` (the bounds on clients), :mod:`scenes.web.serve_form` (the
page's form as data); this module starts and stops it all and keeps the names callers import
from it.

Safety: binds 127.0.0.1 unless told otherwise; refuses a Host header other than the bound
address or localhost (DNS rebinding); never takes a path or a file name from a request
(pasted points stay in memory; render files get fixed names in a fresh temporary folder);
bounds request bodies (64 KB), points (10,000), steps per run (100,000), concurrent
recordings, the waiting queue and the run cache; and bounds clients (:class:`Limits`): the
time to send a request (5 s), its header (16 KB), requests in flight (40 worker threads),
connections, requests per connection, and a render's time (120 s).

No torch here (scenes never imports it): the caller passes the functions that record and render.
"""
from __future__ import annotations

import gc
import threading
import time
from pathlib import Path
from typing import Callable

from scenes.web.serve_app import App, Busy
from scenes.web.serve_http import MAX_BODY, Limits, make_server, url_of
from scenes.web.serve_settings import MAX_POINTS, MAX_SERVE_STEPS, RENDER_FORMATS, Settings, parse_settings
from training.errors import InputError

__all__ = ["MAX_BODY", "Limits", "MAX_POINTS", "MAX_SERVE_STEPS", "RENDER_FORMATS", "Settings", "App", "Busy",
           "make_server", "bind", "parse_settings", "serve", "url_of", "warm", "run_server"]


def bind(app: App, host: str, port: int, *, verbose: bool = False, limits: Limits | None = None):
    """The server on its socket, not serving yet (a port in use or a bad host fails here)."""
    limits = limits or Limits()
    _raise_open_files(limits.connections + 256)
    return make_server(app, host, port, verbose, limits)


def serve(app: App, host: str, port: int, *, open_browser: bool = False, say: Callable[[str], None] = print,
          verbose: bool = False, limits: Limits | None = None, server=None) -> None:
    """Serve until Ctrl-C; then stop, close the socket and remove any render's temporary folder.
    ``server``: one already bound (:func:`bind`), else it is bound here."""
    if server is None:
        server = bind(app, host, port, verbose=verbose, limits=limits)
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


def _raise_open_files(want: int) -> None:
    """Each connection is a file descriptor: raise the soft limit (often 1,024) towards the
    connection cap, as far as the hard limit allows, so the cap, not EMFILE, bounds them."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        top = want if hard == resource.RLIM_INFINITY else min(want, hard)
        if soft != resource.RLIM_INFINITY and soft < top:
            resource.setrlimit(resource.RLIMIT_NOFILE, (top, hard))
    except (ImportError, ValueError, OSError):  # no resource module (Windows), or not allowed
        pass


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
        # The port first: one in use (or a bad host) is said at once, not after torch's start.
        server = bind(app, host, port)
        try:
            say(f"recording the default run (torch starts) ... {warm(app):.1f} s")
        except BaseException:
            server.server_close()
            raise
        # Torch's ~300,000 objects made a full garbage collection take 0.3 s, every request
        # stalled meanwhile (one came once per ~1,000 connections): they are never scanned now.
        gc.freeze()
        serve(app, host, port, open_browser=open_browser, say=say, server=server)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP (scenes.stopping): the socket is closed
        # A render in flight ends at its next frame (scenes.stopping.check_stop) and removes
        # its folder; wait for that (a few seconds at most), so no file is left behind.
        app.wait_for_render(STOP_GRACE)
        app.cleanup()
        say("stopped")
    except OSError as e:
        if e.errno is not None and e.filename is None:
            raise InputError(f"cannot serve on {host}:{port}: {e.strerror}") from None
        raise
