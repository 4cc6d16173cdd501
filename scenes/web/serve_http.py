"""The HTTP server of ``render.py --serve``: connections on an asyncio event loop (one thread),
whole requests answered by a bounded pool of worker threads (:mod:`scenes.web.serve_pool`).

Why an event loop: a thread per connection (the standard library's ThreadingHTTPServer, used
before) let any client hold a thread for as long as it kept a connection open: 1,000
half-open connections were 1,002 threads, each for 30 s, and a client trickling a byte at a
time was never cut. Here a connection is a coroutine of a few kilobytes until its request is
whole (:mod:`scenes.web.serve_request` reads it, within :attr:`Limits.request_seconds` for
header and body together); only then does a worker answer it (:mod:`scenes.web.serve_routes`),
as nginx and uvicorn do. Recording and rendering stay bounded by the App (2 recordings, a
queue of 32, one render). Standard library only: no new dependency.

Safety: refuses a Host header other than the bound address or localhost (DNS rebinding);
never takes a path or a file name from a request; bounds every request (:class:`Limits`);
answers every failure with one line of JSON, never a traceback.
"""
from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time

from scenes.web.serve_app import App
from scenes.web.serve_limits import MAX_BODY, READ_LIMIT, Limits
from scenes.web.serve_pool import Pool
from scenes.web.serve_request import Buffer, HttpError, Request
from scenes.web.serve_routes import MIME, Response, encode, error, handle

__all__ = ["MAX_BODY", "MIME", "Limits", "Server", "make_server", "url_of"]

# Connections the kernel completes before the loop accepts them: a burst of 1,000 at once
# overflowed asyncio's default (100) and a new client's SYN waited 1 s to be sent again.
_BACKLOG = 2048
_LINGER_SECONDS = 2.0       # after an error: how long the rest of a request is read and dropped
_LINGER_BYTES = 1 << 20     # (so the close is a FIN, not a reset that may lose the answer)


class Server:
    """A bound socket; :meth:`serve_forever` runs the event loop until :meth:`shutdown`."""

    def __init__(self, app: App, sock: socket.socket, limits: Limits, verbose: bool = False):
        self.app, self.limits, self.verbose = app, limits, verbose
        self.socket = sock
        self.server_address = sock.getsockname()
        self.allowed_hosts = _allowed_hosts(self.server_address[0], self.server_address[1])
        self.pool = Pool(limits.in_flight)
        self.connections = 0
        self.max_connections = _connection_cap(limits.connections)
        self._reading: set[asyncio.Task] = set()   # connections waiting for a request: closed at once on stop
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._want_stop, self._finished = threading.Event(), threading.Event()

    # -- the thread that calls serve_forever (the main thread under render.py --serve)
    def serve_forever(self, poll_interval: float = 0.25) -> None:
        """Serve until :meth:`shutdown` (or a KeyboardInterrupt in this thread: a signal)."""
        self._thread = threading.Thread(target=self._run, name="sgd-serve-loop", daemon=True)
        self._thread.start()
        try:
            while not self._finished.wait(poll_interval):
                pass
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        """Stop accepting, close idle connections, let answers in flight go out (at most
        ``stop_grace`` seconds), then end the loop; returns when it has ended."""
        self._want_stop.set()
        loop = self._loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:  # the loop has just closed
                pass
        if self._thread is not None:
            self._finished.wait(self.limits.stop_grace + 5)

    def server_close(self) -> None:
        self.shutdown()
        self.socket.close()

    # -- the event loop's thread
    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        finally:
            self._finished.set()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        server = await asyncio.start_server(self._connection, sock=self.socket, backlog=_BACKLOG,
                                            limit=READ_LIMIT)
        if not self._want_stop.is_set():  # (shutdown may have come before the loop was running)
            await self._stop.wait()
        self._stopping = True
        server.close()  # no new connections
        for task in list(self._reading):
            task.cancel()
        deadline = time.monotonic() + self.limits.stop_grace
        while self._tasks and time.monotonic() < deadline:  # answers in flight go out, then close
            await asyncio.sleep(0.02)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if self.connections >= self.max_connections or self._stopping:
            writer.write(encode(error(503, "too many connections; try again shortly", {"Retry-After": "1"}),
                                close=True))
            writer.close()
            return
        self.connections += 1
        self._tasks.add(task)
        sock = writer.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # Head and body go out in one write; without this a kept-alive connection can still
            # wait for the client's delayed ACK (~40 ms) on a small answer after a large one.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await self._serve_connection(reader, writer)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:  # the stop closes it: ended quietly (asyncio's stream
            pass                        # callback would log a cancelled task's traceback)
        except Exception as e:  # noqa: BLE001 - a bug here must not end the loop: one line, when verbose
            self._log(f"connection failed: {type(e).__name__}: {e}")
        finally:
            self._reading.discard(task)
            self._tasks.discard(task)
            self.connections -= 1
            writer.close()

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buf, task = Buffer(), asyncio.current_task()
        for served in range(1, self.limits.requests_per_connection + 1):
            if self._stopping:
                return
            self._reading.add(task)
            try:
                # One deadline for the whole request: bytes trickled in do not move it.
                async with asyncio.timeout(self.limits.request_seconds):
                    req = await buf.request(reader, writer, self.limits)
            except TimeoutError:
                if buf.data:  # a request had started: say why it ends; an idle one just closes
                    await self._refuse(reader, writer, 408, f"the request took over "
                                       f"{self.limits.request_seconds:g} s to arrive")
                return
            except HttpError as e:
                await self._refuse(reader, writer, e.status, str(e))
                return
            finally:
                self._reading.discard(task)
            if req is None:
                return
            resp = await self._answer(req)
            close = resp.close or not req.keep_alive or served == self.limits.requests_per_connection \
                or self._stopping
            self._log(f'"{req.line}" {resp.status}')
            writer.write(encode(resp, head_only=req.method == "HEAD", close=close))
            async with asyncio.timeout(self.limits.send_seconds):
                await writer.drain()
            if close:
                if resp.close:
                    await self._linger(reader, writer)
                return

    async def _answer(self, req: Request) -> Response:
        """The route's answer, from a worker thread; 503 at once if every worker is busy."""
        future = self._loop.create_future()

        def done(result, err) -> None:
            def settle() -> None:
                if not future.done():
                    future.set_result(result if err is None else error(500, f"failed: {type(err).__name__}"))
            try:
                self._loop.call_soon_threadsafe(settle)
            except RuntimeError:  # the loop is closed: the server stopped; nobody waits
                pass

        if not self.pool.submit(lambda: handle(self.app, req, self.allowed_hosts), done):
            return error(503, f"the server is busy ({self.pool.busy} requests in flight); try again shortly",
                         {"Retry-After": "1"})
        return await future

    async def _refuse(self, reader, writer, status: int, message: str) -> None:
        self._log(f"refused: {status} {message}")
        writer.write(encode(error(status, message), close=True))
        async with asyncio.timeout(self.limits.send_seconds):
            await writer.drain()
        await self._linger(reader, writer)

    async def _linger(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Half-close, then read and drop what the client still sends (briefly): closing with
        unread bytes would reset the connection, and the client could lose the answer."""
        try:
            if writer.can_write_eof():
                writer.write_eof()
            async with asyncio.timeout(_LINGER_SECONDS):
                dropped = 0
                while dropped < _LINGER_BYTES and (chunk := await reader.read(65536)):
                    dropped += len(chunk)
        except (TimeoutError, ConnectionError, OSError):
            pass

    def _log(self, line: str) -> None:
        if self.verbose:
            print(f"sgd-anim serve: {line}", file=sys.stderr)


def _connection_cap(wanted: int) -> int:
    """The cap on connections, below the process's limit on open files (a listening socket, the
    render's files and FFmpeg's pipes need some): past it, accept() would fail with EMFILE."""
    try:
        import resource
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError):
        return wanted
    return wanted if soft == resource.RLIM_INFINITY else max(16, min(wanted, soft - 128))


def _allowed_hosts(host: str, port: int) -> set[str]:
    names = {"localhost", "127.0.0.1", "[::1]"}
    if host not in ("0.0.0.0", "::", ""):
        names.add(f"[{host}]" if ":" in host else host)
    return {n for name in names for n in (name, f"{name}:{port}")}


def make_server(app: App, host: str = "127.0.0.1", port: int = 8765, verbose: bool = False,
                limits: Limits | None = None) -> Server:
    """A server bound to ``host:port`` (port 0: a free one), not yet serving."""
    limits = limits or Limits()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=_BACKLOG)
    return Server(app, sock, limits, verbose)


def url_of(server: Server) -> str:
    host, port = server.server_address[:2]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else (f"[{host}]" if ":" in str(host) else host)
    return f"http://{shown}:{port}/"
