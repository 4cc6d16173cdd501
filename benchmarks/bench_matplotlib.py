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

Targets: MP4 and GIF at least 15x the naive frame throughput; the GIF no larger than the
naive one; within 1.5x of encode-only; peak memory while writing the GIF under 500 MB.

``--baseline DIR`` also times "ours" and "encode-only" with the code of another checkout
(``base:ours``, ``base:encode``), in turn with this one, and prints the ratios; with
``--repeat N`` every case runs N times, interleaved, and the medians count. ``--no-naive``
leaves out the naive cases (two minutes of the run); the summary lines then say "--".

    .venv/bin/python benchmarks/bench_matplotlib.py [--size 1280x720] [--workers N]
    .venv/bin/python benchmarks/bench_matplotlib.py --baseline ../main --repeat 3 --no-naive
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
# A case of --baseline runs with the other checkout's code (this script, its modules).
CODE = Path(os.environ.get("SGD_BENCH_CODE", ROOT))
sys.path.insert(0, str(CODE))

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


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the encoders), user + system:
    unlike wall time, it hardly moves when other work shares the machine."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


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

            c0, t0 = _cpu(), time.perf_counter()
            save_naive(trace, target, fmt, fps=30, size=size)
            dt = time.perf_counter() - t0
        elif kind == "ours":
            from scenes.mpl.render import render_matplotlib

            c0, t0 = _cpu(), time.perf_counter()
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
            c0, t0 = _cpu(), time.perf_counter()
            with get_writer(fmt, **opts).saving(target, size, 30) as w:
                for i in range(len(fplan)):
                    w.grab_frame(mm[i])
            dt = time.perf_counter() - t0
            del mm
            raw.unlink()
            frames = len(fplan)
    cpu = _cpu() - c0
    ru = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
          + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return {"case": case, "seconds": dt, "cpu": cpu, "frames": frames, "fps": frames / dt,
            "bytes": target.stat().st_size, "peak_tree_mb": mem.peak / 2**20, "rusage_mb": ru}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--workers", type=int, default=None, help="ours: drawing processes (default: auto)")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--trace", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--baseline", help="another checkout: also time its code, in turn with this one")
    ap.add_argument("--repeat", type=int, default=1, help="rounds of every case (medians)")
    ap.add_argument("--no-naive", action="store_true", help="leave out the naive FuncAnimation cases")
    args = ap.parse_args(argv)
    size = tuple(int(v) for v in args.size.lower().split("x"))

    if args.case:  # child process: one measurement
        res = run_case(args.case, Path(args.trace), Path(args.out), size, args.workers)
        print("RESULT " + json.dumps(res))
        return 0

    from training.recorder import record  # the parent records once; the cases never import torch

    kinds = ([] if args.no_naive else ["naive"]) + ["ours", "encode"]
    cases = [f"{k}:{fmt}" for fmt in ("mp4", "gif") for k in kinds]
    if args.baseline:
        cases += [f"base:{k}:{fmt}" for fmt in ("mp4", "gif") for k in ("ours", "encode")]
    runs: dict[str, list[dict]] = {c: [] for c in cases}
    with tempfile.TemporaryDirectory(prefix="sgd-bench-") as tmp:
        tmp = Path(tmp)
        trace_path = record().to_file(tmp / "trace.json")
        for rep in range(args.repeat):
            for case in cases:  # interleaved: each round runs every case once
                base = case.startswith("base:")
                code = Path(args.baseline).resolve() if base else ROOT
                out = tmp / ("base" if base else "this")
                out.mkdir(exist_ok=True)
                cmd = [sys.executable, __file__, "--case", case.removeprefix("base:"), "--trace", str(trace_path),
                       "--out", str(out), "--size", args.size]
                if args.workers is not None:
                    cmd += ["--workers", str(args.workers)]
                p = subprocess.run(cmd, capture_output=True, text=True, cwd=code,
                                   env={**os.environ, "PYTHONPATH": str(code), "SGD_BENCH_CODE": str(code),
                                        "MPLBACKEND": "Agg"})
                line = [l for l in p.stdout.splitlines() if l.startswith("RESULT ")]
                if p.returncode or not line:
                    print(f"{case} failed:\n{p.stderr[-2000:]}", file=sys.stderr)
                    return 1
                r = json.loads(line[0][7:])
                runs[case].append(r)
                print(f"  {case:<16} {r['seconds']:7.2f} s  {r['fps']:7.1f} frames/s  cpu {r['cpu']:6.2f} s",
                      file=sys.stderr)
    results = {c: _median_run(rs) for c, rs in runs.items()}

    print(f"\n{'case':<17}{'seconds':>9}{'cpu s':>8}{'frames/s':>10}{'size KB':>10}{'peak MB':>9}{'rusage MB':>11}")
    for case, r in results.items():
        print(f"{case:<17}{r['seconds']:9.2f}{r['cpu']:8.2f}{r['fps']:10.1f}{r['bytes'] / 1024:10.0f}"
              f"{r['peak_tree_mb']:9.0f}{r['rusage_mb']:11.0f}")
    ok = True
    print()
    for fmt in ("mp4", "gif"):
        n, o, e = results.get(f"naive:{fmt}"), results[f"ours:{fmt}"], results[f"encode:{fmt}"]
        speed = o["fps"] / n["fps"] if n else float("nan")
        vs_enc = e["fps"] / o["fps"]
        good = (n is None or speed >= 15) and vs_enc <= 1.5
        naive = f"{speed:5.1f}x" if n else "   --"
        line = f"{fmt}: {naive} naive (target >= 15x), encode-only is {vs_enc:4.2f}x faster (target <= 1.5x)"
        if fmt == "gif":
            mem_ok = o["peak_tree_mb"] < MEMORY_LIMIT_MB
            good = good and mem_ok and (n is None or o["bytes"] <= n["bytes"])
            line += (f", size {o['bytes'] / 1024:.0f} KB" + (f" vs naive {n['bytes'] / 1024:.0f} KB" if n else "")
                     + f", peak memory {o['peak_tree_mb']:.0f} MB (target < {MEMORY_LIMIT_MB:.0f})")
        print(("PASS " if good else "FAIL ") + line)
        ok = ok and good
        if args.baseline:
            b, be = results[f"base:ours:{fmt}"], results[f"base:encode:{fmt}"]
            print(f"     baseline: {b['seconds']:.2f} s (encode-only {be['seconds']:.2f} s, {be['fps'] / b['fps']:.2f}x);"
                  f" this {o['seconds']:.2f} s: {o['seconds'] / b['seconds']:.2f}x the baseline's time,"
                  f" {_median_cpu(runs, f'ours:{fmt}') / _median_cpu(runs, f'base:ours:{fmt}'):.2f}x its CPU,"
                  f" {o['bytes'] / b['bytes']:.3f}x its size")
        print(f"     CPU: {_median_cpu(runs, f'ours:{fmt}'):.2f} s, encode-only {_median_cpu(runs, f'encode:{fmt}'):.2f} s"
              f" ({_median_cpu(runs, f'ours:{fmt}') / _median_cpu(runs, f'encode:{fmt}'):.2f}x)")
    if args.json:
        Path(args.json).write_text(json.dumps({"median": results, "runs": runs}, indent=2))
    return 0 if ok else 1


def _median_cpu(runs: dict, case: str) -> float:
    import statistics
    return statistics.median(r["cpu"] for r in runs[case])


def _median_run(rs: list[dict]) -> dict:
    """The run of median time (an odd count) or the lower middle one: its figures stay together."""
    return sorted(rs, key=lambda r: r["seconds"])[(len(rs) - 1) // 2]


if __name__ == "__main__":
    sys.exit(main())
