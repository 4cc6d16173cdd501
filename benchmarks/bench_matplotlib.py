"""Benchmark: the matplotlib renderer against a naive FuncAnimation and the encode-only limit.

Side by side in one run, on the default trace (the article's run, 300 steps), one frame per
step (300 frames), 1280x720, 30 fps:

  naive        benchmarks/naive_funcanimation.py: clears and redraws two axes per frame,
               FuncAnimation.save with FFMpegWriter (MP4) or PillowWriter (GIF)
  ours         scenes.mpl.render.render_matplotlib (all four views, blitting, workers)
  encode-only  the same frames as ours, rendered beforehand, piped to the same writers

Each case runs in its own process, so memory is measured per case: the peak of the whole
process tree (sampled RSS of the process and its children), and getrusage's
maxrss(SELF) + maxrss(CHILDREN) for comparison.

Targets: MP4 and GIF at least 10x the naive frame throughput; the GIF no larger than the
naive one; within 2x of encode-only; peak memory while writing the GIF under 500 MB.

    .venv/bin/python benchmarks/bench_matplotlib.py [--frames 300] [--size 1280x720] [--workers N]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MEMORY_LIMIT_MB = 500.0


class PeakRSS:
    """Samples the RSS of this process and all its descendants every 20 ms."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            try:
                procs = [me, *me.children(recursive=True)]
            except psutil.Error:
                procs = [me]
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.02)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def run_case(case: str, trace_path: Path, out: Path, size, workers) -> dict:
    """One measurement, in this (fresh) process."""
    from scenes.story.plan import PlanSettings
    from training.trace import Trace

    trace = Trace.from_file(trace_path)
    plan = PlanSettings(fps=30, one_frame_per_step=True)
    kind, fmt = case.split(":")
    target = out / f"{kind}.{fmt}"
    frames = trace.n_steps
    with PeakRSS() as mem:
        if kind == "naive":
            sys.path.insert(0, str(ROOT / "benchmarks"))
            from naive_funcanimation import save_naive

            t0 = time.perf_counter()
            save_naive(trace, target, fmt, fps=30, size=size)
            dt = time.perf_counter() - t0
        elif kind == "ours":
            from scenes.mpl.render import render_matplotlib

            t0 = time.perf_counter()
            render_matplotlib(trace, out, formats=(fmt,), stem="ours", size=size, plan=plan,
                              workers=workers, captions=False)  # as the naive path: no subtitle track
            dt = time.perf_counter() - t0
        else:  # encode-only: frames drawn beforehand to a file, then only piped to the writer
            import numpy as np

            from scenes.mpl.render import FrameRenderer, _palette_sample, _setup, build_plan
            from scenes.writers import get_writer

            import matplotlib

            matplotlib.rcParams["text.hinting"] = "none"  # the same pixels as render_matplotlib
            scene = _setup(trace, size, "light", ("fit", "loss", "params", "numbers"))
            fplan = build_plan(trace, plan)
            r = FrameRenderer(scene, fplan)
            raw = out / "frames.raw"
            mm = np.lib.format.open_memmap(raw, mode="w+", dtype=np.uint8,
                                           shape=(len(fplan), size[1], size[0], 4))
            for i in range(len(fplan)):
                mm[i] = r.frame(i)
            mm.flush()
            opts = {}
            if fmt == "gif":
                opts["palette_frames"] = [np.array(mm[i]) for i in _palette_sample(fplan)]
            t0 = time.perf_counter()
            with get_writer(fmt, **opts).saving(target, size, 30) as w:
                for i in range(len(fplan)):
                    w.grab_frame(mm[i])
            dt = time.perf_counter() - t0
            del mm
            raw.unlink()
            frames = len(fplan)
    ru = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
          + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return {"case": case, "seconds": dt, "frames": frames, "fps": frames / dt,
            "bytes": target.stat().st_size, "peak_tree_mb": mem.peak / 2**20, "rusage_mb": ru}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--workers", type=int, default=None, help="ours: drawing processes (default: auto)")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--trace", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    size = tuple(int(v) for v in args.size.lower().split("x"))

    if args.case:  # child process: one measurement
        res = run_case(args.case, Path(args.trace), Path(args.out), size, args.workers)
        print("RESULT " + json.dumps(res))
        return 0

    from training.recorder import record  # the parent records once; the cases never import torch

    with tempfile.TemporaryDirectory(prefix="sgd-bench-") as tmp:
        tmp = Path(tmp)
        trace_path = record().to_file(tmp / "trace.json")
        cases = ["naive:mp4", "ours:mp4", "encode:mp4", "naive:gif", "ours:gif", "encode:gif"]
        results = {}
        for case in cases:
            cmd = [sys.executable, __file__, "--case", case, "--trace", str(trace_path), "--out", str(tmp),
                   "--size", args.size]
            if args.workers is not None:
                cmd += ["--workers", str(args.workers)]
            p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"})
            line = [l for l in p.stdout.splitlines() if l.startswith("RESULT ")]
            if p.returncode or not line:
                print(f"{case} failed:\n{p.stderr[-2000:]}", file=sys.stderr)
                return 1
            results[case] = json.loads(line[0][7:])
            r = results[case]
            print(f"  {case:<11} {r['seconds']:7.2f} s  {r['fps']:7.1f} frames/s", file=sys.stderr)

    print(f"\n{'case':<12}{'seconds':>9}{'frames/s':>10}{'size KB':>10}{'peak MB':>9}{'rusage MB':>11}")
    for case, r in results.items():
        print(f"{case:<12}{r['seconds']:9.2f}{r['fps']:10.1f}{r['bytes'] / 1024:10.0f}"
              f"{r['peak_tree_mb']:9.0f}{r['rusage_mb']:11.0f}")
    ok = True
    print()
    for fmt in ("mp4", "gif"):
        n, o, e = results[f"naive:{fmt}"], results[f"ours:{fmt}"], results[f"encode:{fmt}"]
        speed = o["fps"] / n["fps"]
        vs_enc = e["fps"] / o["fps"]
        good = speed >= 10 and vs_enc <= 2
        line = f"{fmt}: {speed:5.1f}x naive (target >= 10x), encode-only is {vs_enc:4.2f}x faster (target <= 2x)"
        if fmt == "gif":
            smaller = o["bytes"] <= n["bytes"]
            mem_ok = o["peak_tree_mb"] < MEMORY_LIMIT_MB
            good = good and smaller and mem_ok
            line += (f", size {o['bytes'] / 1024:.0f} KB vs naive {n['bytes'] / 1024:.0f} KB"
                     f", peak memory {o['peak_tree_mb']:.0f} MB (target < {MEMORY_LIMIT_MB:.0f})")
        print(("PASS " if good else "FAIL ") + line)
        ok = ok and good
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
