"""Benchmark: render.py --serve, slider moves in a row on the default run.

Starts ``render.py --serve --port 0`` as its own process (as a user would), waits until it
prints its URL (it records the default run once before: torch's first call is slow), warms
up with a few requests, then moves the learning-rate slider N times in a row (default 200):
each move is one ``GET /api/trace?lr=...`` with a value not asked before, so every one records
a fresh PyTorch run (no cache hit). Reports the latency from request to the whole trace
received: median and p95, and the same for ``/api/story`` (what the page itself fetches: the
run plus its exported story). Goal: p95 under 150 ms once warm.

    .venv/bin/python benchmarks/bench_serve.py
    .venv/bin/python benchmarks/bench_serve.py --moves 500 --json
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_P95_MS = 150.0


def start_server(root: Path = ROOT) -> tuple[subprocess.Popen, int]:
    """``render.py --serve`` of the checkout at ``root`` (its own code: PYTHONPATH), on a free port."""
    proc = subprocess.Popen([sys.executable, str(root / "render.py"), "--serve", "--port", "0"], cwd=root,
                            env={**os.environ, "PYTHONPATH": str(root)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 180
    while time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if m:
            return proc, int(m.group(1))
    proc.kill()
    raise SystemExit("the server did not start")


def moves(port: int, route: str, values: list[float]) -> list[float]:
    """Latency in ms of each request, on one kept-alive connection (as a browser's fetches)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    out = []
    try:
        for lr in values:
            t0 = time.perf_counter()
            conn.request("GET", f"{route}?lr={lr!r}")
            resp = conn.getresponse()
            body = resp.read()
            out.append((time.perf_counter() - t0) * 1000)
            if resp.status != 200:
                raise SystemExit(f"{route}?lr={lr}: {resp.status} {body[:200]!r}")
            if resp.will_close:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    finally:
        conn.close()
    return out


def summary(ms: list[float]) -> dict:
    s = sorted(ms)
    return {"n": len(s), "median_ms": round(statistics.median(s), 1),
            "p95_ms": round(s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))], 1),
            "max_ms": round(s[-1], 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moves", type=int, default=200)
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()
    proc, port = start_server()
    try:
        moves(port, "/api/trace", [0.0123 + i * 1e-4 for i in range(10)])  # warm up
        # a slider dragged across its range: lr from 0.01 to about 0.5, every value new
        trace_values = [round(0.01 * 1.02 ** i, 6) + 1e-7 for i in range(args.moves)]
        story_values = [v + 3e-7 for v in trace_values]
        results = {"trace": summary(moves(port, "/api/trace", trace_values)),
                   "story": summary(moves(port, "/api/story", story_values)),
                   "cached trace": summary(moves(port, "/api/trace", story_values[-50:]))}  # still in the cache (64 runs)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"render.py --serve, {args.moves} slider moves in a row on the default run (300 steps), "
              "each a fresh recording:")
        for name, r in results.items():
            print(f"  GET /api/{name.split()[-1]:<6}{' (cache hits)' if 'cached' in name else '':13} "
                  f"median {r['median_ms']:7.1f} ms   p95 {r['p95_ms']:7.1f} ms   max {r['max_ms']:7.1f} ms   (n={r['n']})")
        ok = results["trace"]["p95_ms"] < GOAL_P95_MS
        print(f"goal: trace p95 under {GOAL_P95_MS:g} ms once warm: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
