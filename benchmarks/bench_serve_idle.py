"""Benchmark: render.py --serve under 1,000 idle half-open connections (issue 27, item 2).

Starts ``render.py --serve --port 0`` (from this checkout, or ``--root`` another one, to
compare before and after), opens N connections that each send the start of a request and
never finish its header, then measures:

- the server process's threads and resident memory (/proc/<pid>/status) with the idle
  connections open;
- the latency of normal requests meanwhile (a cached ``/api/trace`` and a fresh recording,
  each on a new connection);
- how long until the server has closed every idle connection (capped by ``--wait``);
- how long a client that trickles one header byte a second is held (capped by ``--wait``).

    .venv/bin/python benchmarks/bench_serve_idle.py
    .venv/bin/python benchmarks/bench_serve_idle.py --root /work/main --idle 1000 --wait 40
"""
from __future__ import annotations

import argparse
import http.client
import json
import re
import resource
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serve import start_server  # noqa: E402  (the one way the benchmarks start a server)


def threads_of(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^Threads:\s+(\d+)", text, re.M).group(1))


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return round(int(re.search(r"^VmRSS:\s+(\d+) kB", text, re.M).group(1)) / 1024, 1)


def timed_get(port: int, path: str) -> float:
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise SystemExit(f"{path}: {resp.status}")
    finally:
        conn.close()
    return (time.perf_counter() - t0) * 1000


def open_idle(port: int, n: int) -> list[socket.socket]:
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /api/trace HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the header never ends
        socks.append(s)
    return socks


def seconds_until_closed(socks: list[socket.socket], since: float, wait: float) -> tuple[float | None, int]:
    """Seconds (from ``since``) until the server closed the last of them, or None; how many it closed."""
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    left, last = len(socks), None
    while left and time.perf_counter() - since < wait:
        for key, _ in sel.select(timeout=0.2):
            try:
                data = key.fileobj.recv(4096)
            except (ConnectionResetError, BlockingIOError):
                data = b""
            if not data:  # closed (a 408 first is read as data, then the close)
                sel.unregister(key.fileobj)
                left -= 1
                last = time.perf_counter() - since
    sel.close()
    return (last if left == 0 else None), len(socks) - left


def trickle(port: int, wait: float) -> float | None:
    """Seconds a client sending one header byte a second is held, or None if still after ``wait``."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(1.0)
    t0 = time.perf_counter()
    try:
        s.sendall(b"GET /api/trace HTTP/1.1\r\n")
        while time.perf_counter() - t0 < wait:
            try:
                s.sendall(b"X")
                if s.recv(4096) == b"":
                    return time.perf_counter() - t0
                return time.perf_counter() - t0  # an answer (408) before the close
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                return time.perf_counter() - t0
        return None
    finally:
        s.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout whose render.py to run")
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--wait", type=float, default=40.0, help="seconds to wait for closes")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 2 * args.idle + 200)), hard))
    proc, port = start_server(args.root)
    try:
        timed_get(port, "/api/trace?epochs=2")  # recorded once: the cached request below is a hit
        before, rss_before = threads_of(proc.pid), rss_mb(proc.pid)
        socks = open_idle(port, args.idle)
        opened = time.perf_counter()
        time.sleep(0.5)
        during, rss_during = threads_of(proc.pid), rss_mb(proc.pid)
        cached = [timed_get(port, "/api/trace?epochs=2") for _ in range(20)]
        fresh = [timed_get(port, f"/api/trace?epochs=2&lr={0.05 + i / 1000}") for i in range(5)]
        trickled = {}
        t = threading.Thread(target=lambda: trickled.update(s=trickle(port, args.wait)))
        t.start()
        closed_after, closed = seconds_until_closed(socks, opened, args.wait)
        t.join()
        after = threads_of(proc.pid)
        for s in socks:
            s.close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    result = {
        "root": str(args.root), "idle": args.idle, "threads_before": before, "threads_with_idle": during,
        "threads_after": after, "rss_mb_before": rss_before, "rss_mb_with_idle": rss_during,
        "cached_ms": {"median": round(statistics.median(cached), 1), "max": round(max(cached), 1)},
        "fresh_ms": {"median": round(statistics.median(fresh), 1), "max": round(max(fresh), 1)},
        "idle_closed": closed, "all_idle_closed_after_s": closed_after and round(closed_after, 1),
        "trickler_cut_after_s": trickled.get("s") and round(trickled["s"], 1),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
