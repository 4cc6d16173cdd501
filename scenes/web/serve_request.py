"""Reading one HTTP/1.1 request for ``render.py --serve``: the head's parser (pure, on bytes)
and the reader that collects a request's bytes from a connection on the event loop.

Only what the server needs: origin-form targets, ``Content-Length`` bodies (no chunked
encoding: 411), ``Expect: 100-continue`` (curl sends it for bodies over 1 KB), keep-alive
as HTTP/1.1 and 1.0 define it. Everything else a client may send is refused with a status
and one line (:class:`HttpError`), never an exception of another kind: the reader runs
before any route, on bytes from anyone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from scenes.web.serve_limits import READ_LIMIT, Limits

__all__ = ["HttpError", "Request", "Buffer", "parse_head", "head_end"]

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TARGET = re.compile(rb"[\x21-\x7e]+")  # visible ASCII: no space, no control, no byte over 0x7e
_VERSION = re.compile(rb"HTTP/(\d)\.(\d)")
_FIELD_VALUE = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")  # no control byte but the tab
_HEAD_END = re.compile(rb"\r?\n\r?\n")


class HttpError(Exception):
    """A request the server refuses before any route: its status and one line."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    method: str
    target: str
    version: tuple[int, int]
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    length: int = 0                     # Content-Length (0 without one)
    body: bytes = b""

    @property
    def keep_alive(self) -> bool:
        tokens = {t.strip().lower() for t in self.headers.get("connection", "").split(",")}
        if self.version >= (1, 1):
            return "close" not in tokens
        return "keep-alive" in tokens

    @property
    def expects_continue(self) -> bool:
        return self.version >= (1, 1) and self.headers.get("expect", "").strip().lower() == "100-continue"

    @property
    def line(self) -> str:
        return f"{self.method} {self.target} HTTP/{self.version[0]}.{self.version[1]}"


def head_end(buf: bytes | bytearray) -> int:
    """Where the head ends (the index after its blank line), or -1 if it has not yet."""
    m = _HEAD_END.search(buf)
    return m.end() if m else -1


def parse_head(head: bytes, limits: Limits = Limits()) -> Request:
    """The request line and headers (up to and including the blank line) as a :class:`Request`
    with its body's length checked; :class:`HttpError` for anything else."""
    lines = head.split(b"\n")
    lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]
    while lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        raise HttpError(400, "an empty request")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not _TARGET.fullmatch(parts[1]):
        raise HttpError(400, "a bad request line (METHOD /path HTTP/1.1)")
    version = _VERSION.fullmatch(parts[2])
    if version is None:
        raise HttpError(400, "a bad request line (METHOD /path HTTP/1.1)")
    if version.group(1) != b"1":
        raise HttpError(505, "only HTTP/1.0 and HTTP/1.1 are served")
    if len(lines) - 1 > limits.max_headers:
        raise HttpError(431, f"{len(lines) - 1} header lines; at most {limits.max_headers} are accepted")
    req = Request(parts[0].decode("ascii"), parts[1].decode("ascii"), (1, int(version.group(2))))
    lengths: set[str] = set()
    for raw in lines[1:]:
        name, colon, value = raw.partition(b":")
        if not colon or not _TOKEN.fullmatch(name) or not _FIELD_VALUE.fullmatch(value):
            raise HttpError(400, "a bad header line (Name: value)")
        key, text = name.decode("ascii").lower(), value.decode("latin-1").strip(" \t")
        if key == "content-length":
            lengths.add(text)
        elif key == "host" and key in req.headers:
            raise HttpError(400, "more than one Host header")
        req.headers[key] = f"{req.headers[key]}, {text}" if key in req.headers and key != "host" else text
    return _framed(req, lengths, limits)


def _framed(req: Request, lengths: set[str], limits: Limits) -> Request:
    """The body's length, or the refusal: chunked bodies (411), a POST without a length (411),
    a length not a number (400), or over the limit (413: refused before a byte is read)."""
    if "transfer-encoding" in req.headers:
        raise HttpError(411, "send the body with a Content-Length (no chunked encoding)")
    if not lengths:
        if req.method == "POST":
            raise HttpError(411, "a body needs a Content-Length")
        return req
    if len(lengths) > 1 or not all(c in "0123456789" for c in next(iter(lengths))) or not next(iter(lengths)):
        raise HttpError(400, "a bad Content-Length (one number of bytes)")
    text = next(iter(lengths)).lstrip("0") or "0"
    if len(text) > 18 or int(text) > limits.max_body:
        shown = f"{int(text):,}" if len(text) <= 18 else "more than 10^18"
        raise HttpError(413, f"the request body is {shown} bytes; at most {limits.max_body:,} are accepted")
    req.length = int(text)
    return req


class Buffer:
    """The bytes received on a connection and not yet used (a pipelined request's start)."""

    def __init__(self) -> None:
        self.data = bytearray()

    async def fill(self, reader) -> bool:
        """Read what has arrived (waiting for some); False at the end of the stream."""
        chunk = await reader.read(READ_LIMIT)
        self.data += chunk
        return bool(chunk)

    async def request(self, reader, writer, limits: Limits) -> Request | None:
        """The next whole request (head and body), or None if the client closed before
        sending one. :class:`HttpError` for a request refused; the caller bounds the time."""
        while True:
            while self.data.startswith((b"\r\n", b"\n")):  # blank lines before it are ignored
                del self.data[:2 if self.data.startswith(b"\r\n") else 1]
            end = head_end(self.data)
            if end >= 0:
                break
            if len(self.data) > limits.max_head:
                raise HttpError(431, f"the request's header is over {limits.max_head:,} bytes")
            if not await self.fill(reader):
                if self.data:
                    raise HttpError(400, "the connection ended before the request's header did")
                return None
        if end > limits.max_head + 4:
            raise HttpError(431, f"the request's header is over {limits.max_head:,} bytes")
        req = parse_head(bytes(self.data[:end]), limits)
        del self.data[:end]
        if req.length and req.expects_continue and len(self.data) < req.length:
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        while len(self.data) < req.length:
            if not await self.fill(reader):
                raise HttpError(400, "the connection ended before the request's body did")
        req.body, self.data[:req.length] = bytes(self.data[:req.length]), b""
        return req
