"""The routes of ``render.py --serve`` on a whole request: checks, answers, and the bytes of
an answer. Runs in a worker thread (the event loop only reads and writes); what the routes
do is :class:`scenes.web.serve_app.App`'s job.

The two parsers of what a client sends, :func:`query_settings` (a query string) and
:func:`body_request` (a JSON body), end in a result or an :class:`InputError` with one line
(400), whatever the input: tests/web/test_serve_fuzz.py holds them to it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

from scenes.web.serve_app import App, Busy, TooLong
from scenes.web.serve_request import Request
from scenes.web.serve_settings import RENDER_FORMATS, Settings, parse_settings
from training.errors import InputError
from training.numbers import refuse_json_constant

__all__ = ["MIME", "MAX_FIELDS", "Response", "error", "handle", "query_settings", "body_request", "encode"]

MIME = {"mp4": "video/mp4", "gif": "image/gif", "png": "image/png", "html": "text/html; charset=utf-8"}
MAX_FIELDS = 64  # parameters of a query string
_SAFETY = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Cross-Origin-Resource-Policy": "same-origin", "X-Frame-Options": "DENY"}


@dataclass
class Response:
    status: int
    body: bytes
    ctype: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def close(self) -> bool:
        """An error ends the connection (the request may not have been read to its end)."""
        return self.status >= 400


def error(status: int, message: str, headers: dict | None = None) -> Response:
    return Response(status, json.dumps({"error": message}).encode("utf-8"), headers=dict(headers or {}))


def encode(resp: Response, *, head_only: bool = False, close: bool = False) -> bytes:
    """The answer's bytes: status line, headers, and the body unless the request was HEAD."""
    try:
        reason = HTTPStatus(resp.status).phrase
    except ValueError:
        reason = ""
    lines = [f"HTTP/1.1 {resp.status} {reason}", "Server: sgd-anim", f"Date: {formatdate(usegmt=True)}",
             f"Content-Type: {resp.ctype}", f"Content-Length: {len(resp.body)}",
             *(f"{k}: {v}" for k, v in {**_SAFETY, **resp.headers}.items())]
    if close:
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only else head + resp.body


# ------------------------------------------------------------------ what a client sends
def query_settings(query: str) -> Settings:
    """``lr=0.3&batch_size=2&...`` (with ``points`` for pasted data) as a validated run."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:  # parse_qsl's only refusal: too many fields
        raise InputError(f"at most {MAX_FIELDS} parameters are accepted") from None
    params: dict[str, str] = {}
    for k, v in pairs:
        if k in params:
            raise InputError(f"setting {k!r} is given twice")
        params[k] = v
    points = params.pop("points", None)
    return parse_settings(params, points)


def body_request(raw: bytes, path: str) -> tuple[Settings, str | None]:
    """A POST body, ``{"settings": {...}, "points": "...", "format": "mp4"}`` (format only for
    /api/render), as a validated run and the format asked for."""
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=refuse_json_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: "[[[[..." nested deeper than Python
        raise InputError("the request body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InputError("the request body must be a JSON object")
    allowed = {"settings", "points", "format"} if path == "/api/render" else {"settings", "points"}
    extra = sorted(set(body) - allowed)
    if extra:
        shown = ", ".join(repr(k[:40]) for k in extra[:5]) + (", ..." if len(extra) > 5 else "")
        raise InputError(f"unknown field(s) {shown}; accepted: {', '.join(sorted(allowed))}")
    points = body.get("points")
    if points is not None and not isinstance(points, str):
        raise InputError("points must be CSV text (x,y per line)")
    s = parse_settings(body.get("settings", {}), points)
    if path != "/api/render":
        return s, None
    fmt = body.get("format")
    if not isinstance(fmt, str) or fmt.lower() not in RENDER_FORMATS:
        raise InputError(f"format must be one of: {', '.join(RENDER_FORMATS)}")
    return s, fmt.lower()


# ------------------------------------------------------------------ the routes
def handle(app: App, req: Request, allowed_hosts: set[str]) -> Response:
    """The answer to a whole request; every failure is one line of JSON, never a traceback."""
    if (req.headers.get("host") or "").strip().lower() not in allowed_hosts:
        return error(403, "this server answers only requests addressed to it by its own address or localhost")
    try:
        parts = urlsplit(req.target)
        if req.method in ("GET", "HEAD"):
            return _get(app, parts.path, parts.query)
        if req.method == "POST":
            return _post(app, parts.path, req.body)
        return error(405, "method not allowed")
    except InputError as e:
        return error(400, str(e))
    except Busy as e:
        return error(503, str(e), {"Retry-After": str(e.retry_after)})
    except TooLong as e:
        return error(503, str(e))
    except Exception as e:  # noqa: BLE001 - one line to the client, never a traceback
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        return error(500, f"failed: {first}")


def _get(app: App, path: str, query: str) -> Response:
    if path in ("/", "/index.html"):
        return Response(200, app.page(), "text/html; charset=utf-8")
    if path in ("/api/trace", "/api/story"):
        return _run(app, path, query_settings(query))
    return error(404, "not found")


def _post(app: App, path: str, raw: bytes) -> Response:
    if path not in ("/api/trace", "/api/story", "/api/render"):
        return error(404, "not found")
    s, fmt = body_request(raw, path)
    if fmt is None:
        return _run(app, path, s)
    data, name = app.render(s, fmt)
    return Response(200, data, MIME[fmt], {"Content-Disposition": f'attachment; filename="{name}"'})


def _run(app: App, path: str, s: Settings) -> Response:
    return Response(200, app.trace_json(s) if path == "/api/trace" else app.story_json(s))
