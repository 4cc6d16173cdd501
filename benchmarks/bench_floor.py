"""The floor under the default command (issue 26): what the encoders alone cost, and the
least wall time the whole command's CPU allows on this machine's cores.

Three measurements, each in a fresh interpreter, every round in turn (medians):

- ``command``: ``render.py --trace T`` (the default outputs: MP4, GIF, PNG and VTT, the
  default plan's 687 frames at 1280x720), wall and CPU (the process and its encoders);
- ``encoders``: the same MP4 and GIF writers fed the same frames, drawn beforehand into a
  file (nothing drawn while timed): wall and CPU;
- ``drawing``: the frame loop alone (``FrameRenderer.frame`` for every frame), CPU.

Two cores give at most 2 CPU-s a second, and the encoders cannot finish sooner than they do
alone, so the command cannot take less than ``max(encoders' wall, command's CPU / cores)``;
and even with the drawing free, ``max(encoders' wall, (command's CPU - drawing) / cores)``.

    PYTHONPATH=. python benchmarks/bench_floor.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1280, 720)


def _cpu() -> float:
    """CPU seconds of this process and the children it waited for."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def child(case: str, trace_path: Path, out: Path) -> dict:
    """One measurement of ``encoders`` or ``drawing``, in this (fresh) process."""
    import numpy as np

    from scenes.encode import Encoders
    from scenes.mpl.render import FrameRenderer, _palette_sample, _setup, build_plan
    from scenes.mpl.views import DEFAULT_VIEWS
    from scenes.story.story import as_story
    from training.trace import Trace

    import matplotlib

    matplotlib.rcParams["text.hinting"] = "none"  # as render_matplotlib draws
    story = as_story(Trace.from_file(trace_path))
    plan = build_plan(story.trace, None, 30)
    renderer = FrameRenderer(_setup(story, SIZE, "light", DEFAULT_VIEWS), plan)
    n = len(plan)
    if case == "drawing":
        c0 = time.process_time()
        for i in range(n):
            renderer.frame(i)
        return {"cpu": time.process_time() - c0, "frames": n}
    frames = np.lib.format.open_memmap(out / "frames.npy", mode="w+", dtype=np.uint8, shape=(n, SIZE[1], SIZE[0], 4))
    for i in range(n):
        frames[i] = renderer.frame(i)
    frames.flush()
    palette = [np.array(frames[i]) for i in _palette_sample(plan)]
    targets = {f: out / f"encoders.{f}" for f in ("mp4", "gif")}
    c0, t0 = _cpu(), time.perf_counter()
    with Encoders(targets, SIZE, 30, options={"mp4": {}, "gif": {"palette_frames": palette}}, total=n) as enc:
        enc.feed(frames[i] for i in range(n))
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    return {"wall": wall, "cpu": cpu, "frames": n, "bytes": {f: p.stat().st_size for f, p in targets.items()}}


def _run(cmd: list[str], env: dict) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{p.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), p.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="rounds of the three measurements (medians)")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--trace", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.case:
        print("RESULT " + json.dumps(child(args.case, Path(args.trace), Path(args.out))))
        return 0

    from training.recorder import record

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    got: dict[str, list] = {"command": [], "encoders": [], "drawing": []}
    with tempfile.TemporaryDirectory(prefix="sgd-floor-") as tmp:
        tmp = Path(tmp)
        trace = record().to_file(tmp / "trace.json")
        for _ in range(args.repeat):
            wall, cpu, _ = _run([sys.executable, str(ROOT / "render.py"), "--trace", str(trace),
                                 "--out", str(tmp / "command"), "--quiet"], env)
            got["command"].append({"wall": wall, "cpu": cpu})
            for case in ("encoders", "drawing"):
                _, _, out = _run([sys.executable, __file__, "--case", case, "--trace", str(trace), "--out", str(tmp)], env)
                got[case].append(json.loads(out.split("RESULT ", 1)[1]))
            print(f"  round: command {wall:.2f} s / {cpu:.2f} CPU-s; encoders {got['encoders'][-1]['wall']:.2f} s / "
                  f"{got['encoders'][-1]['cpu']:.2f}; drawing {got['drawing'][-1]['cpu']:.2f} CPU-s", file=sys.stderr)
    med = {k: {f: statistics.median(r[f] for r in rs) for f in ("wall", "cpu") if f in rs[0]} for k, rs in got.items()}
    cmd, enc, draw = med["command"], med["encoders"], med["drawing"]["cpu"]
    floor = max(enc["wall"], cmd["cpu"] / cores)
    free = max(enc["wall"], (cmd["cpu"] - draw) / cores)
    print(f"command: {cmd['wall']:.2f} s wall, {cmd['cpu']:.2f} CPU-s ({got['encoders'][0]['frames']} frames, {cores} cores)")
    print(f"encoders alone (MP4 + GIF, frames drawn beforehand): {enc['wall']:.2f} s wall, {enc['cpu']:.2f} CPU-s")
    print(f"the frame loop's drawing alone: {draw:.2f} CPU-s")
    print(f"floor at this CPU: {floor:.2f} s; with the drawing free: {free:.2f} s "
          f"(goal: <= 6 s with the trace given or cached)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
