"""The bounds ``render.py --serve`` puts on its clients, in one place (docs/usage.md lists them).

A connection costs the server a few kilobytes on its event loop and no thread until a whole
request has arrived; only then does a worker thread (at most :attr:`Limits.in_flight` of
them) answer it. A client may take :attr:`Limits.request_seconds` to send a request, header
and body together, from the moment the server starts waiting for it (the connection opened,
or the previous answer sent): a deadline, not an idle timer, so bytes trickled one at a time
do not extend it. The same time bounds the wait for the next request on a kept-alive
connection (as uvicorn's keep-alive timeout does).

Memory: a connection buffers at most its head and body plus a read ahead (16 KB here, 32 KB
in asyncio's reader: :data:`READ_LIMIT`), about 130 KB; 2,048 connections, about 260 MB at
worst, a few MB when they are idle.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits", "MAX_BODY", "READ_LIMIT"]

MAX_BODY = 64 * 1024  # bytes of a request body (the page's pasted points: 10,000 rows fit)
READ_LIMIT = 16 * 1024  # bytes read at once from a connection (asyncio's reader buffers twice this)


@dataclass(frozen=True)
class Limits:
    request_seconds: float = 5.0       # to receive a whole request (408 if it has started, else a close)
    max_head: int = 16 * 1024          # bytes of the request line and headers together (431; nginx: 4 x 8 KB)
    max_headers: int = 100             # header lines (431)
    max_body: int = MAX_BODY           # bytes of a body (413, refused before it is read)
    in_flight: int = 40                # complete requests being answered at once: the worker threads (503)
    connections: int = 2048            # open connections (a new one beyond: 503 and closed)
    requests_per_connection: int = 100  # then the answer says Connection: close
    send_seconds: float = 60.0         # to send an answer to a client that reads slowly (then closed)
    stop_grace: float = 5.0            # on stop: how long answers in flight may take to go out
