"""Benchmark: record long runs, write their traces, load them back; time and peak memory.

For each size (default 100,000 and 1,000,000 steps: the article's 6 points, batch size 1,
as many epochs as it takes) each stage runs in a process of its own, so its peak memory
(getrusage maxrss of that process) is its own:

  record     training.record(...), then the trace written as trace.json and trace.sgdtrace
  load json  Trace.from_file(trace.json)          (no torch: what a re-render starts with)
  load bin   Trace.from_file(trace.sgdtrace)
  render     render.py --trace trace.json --format mp4 (only with --render)

Memory per step is the growth over the same stage for a one-epoch run (6 steps), divided by
the steps: it leaves out the fixed cost of the interpreter, numpy, and torch (~380 MB of
torch 2.x alone, imported and run once), which no trace format can change, but not the few
megabytes of buffers a stage uses whatever the length. With two sizes or more, the growth
from one size to the next, per step added, is the cost of a step alone.

Targets, on that growth (or on memory per step, with one size): recording at most 200 bytes
a step (14 numbers, an offset and 3 per sample at 8 bytes: 144), loading at most 300;
recording under 30 s and loading trace.json under 1 s per 100,000 steps (CPU time).

    .venv/bin/python benchmarks/bench_record.py                  # 100,000 and 1,000,000 steps
    .venv/bin/python benchmarks/bench_record.py --steps 100000   # one size
    .venv/bin/python benchmarks/bench_record.py --render         # and a re-render to MP4
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RECORD_TARGET_B = 200   # bytes per step
LOAD_TARGET_B = 300
RECORD_TARGET_S = 30.0  # CPU seconds per 100,000 steps
LOAD_TARGET_S = 1.0     # CPU seconds per 100,000 steps to load trace.json, fully validated
POINTS = 6              # the article's data


# ----------------------------------------------------------------------------- the stages
def _stage_record(steps: int, folder: Path) -> dict:
    from training.config import TrainConfig
    from training.recorder import record

    cfg = TrainConfig(batch_size=1, epochs=math.ceil(steps / POINTS))
    t0, c0 = time.perf_counter(), time.process_time()
    trace = record(cfg)
    out = {"steps": trace.n_steps, "record_s": time.perf_counter() - t0, "record_cpu": time.process_time() - c0,
           "final": [trace.final_a, trace.final_b]}
    for name, key in (("trace.json", "json"), ("trace.sgdtrace", "bin")):
        t0 = time.perf_counter()
        trace.to_file(folder / name)
        out[f"write_{key}_s"] = time.perf_counter() - t0
        out[f"{key}_mb"] = (folder / name).stat().st_size / 1e6
    return out


def _stage_load(path: Path) -> dict:
    from training.trace import Trace

    t0, c0 = time.perf_counter(), time.process_time()
    trace = Trace.from_file(path)
    return {"steps": trace.n_steps, "load_s": time.perf_counter() - t0, "load_cpu": time.process_time() - c0,
            "final": [trace.final_a, trace.final_b], "torch": "torch" in sys.modules}


def _child(argv: list[str]) -> int:
    stage, arg, result = argv
    folder = Path(result).parent
    out = _stage_record(int(arg), folder) if stage == "record" else _stage_load(Path(arg))
    Path(result).write_text(json.dumps(out), encoding="utf-8")
    return 0


# ----------------------------------------------------------------------------- the parent
def _run(cmd: list[str], result: Path | None, env: dict) -> dict:
    """Run a stage in its own process; its result, with its peak RSS (MB) and wall time."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"stage failed: {' '.join(cmd)}\n{err}")
    out = json.loads(result.read_text(encoding="utf-8")) if result is not None else {}
    scale = 1024 if sys.platform != "darwin" else 1  # ru_maxrss: KB on Linux, bytes on macOS
    out.update(peak_mb=usage.ru_maxrss * scale / 1e6, wall_s=wall,
               cpu_s=usage.ru_utime + usage.ru_stime)
    return out


def _measure(steps: int, tmp: Path, env: dict, render: bool) -> dict:
    folder = tmp / str(steps)
    folder.mkdir()
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    rec = _run([*me, "record", str(steps), str(folder / "record.out")], folder / "record.out", env)
    out = {"record": rec}
    for key, name in (("load_json", "trace.json"), ("load_bin", "trace.sgdtrace")):
        out[key] = _run([*me, "load", str(folder / name), str(folder / f"{key}.out")], folder / f"{key}.out", env)
        if out[key]["steps"] != rec["steps"] or out[key]["final"] != rec["final"]:
            raise SystemExit(f"{name}: loaded trace differs from the recorded one")
        if out[key]["torch"]:
            raise SystemExit(f"{name}: loading a trace imported torch")
    if render:
        out["render"] = _run([sys.executable, str(ROOT / "render.py"), "--quiet", "--trace", str(folder / "trace.json"),
                              "--format", "mp4", "--out", str(folder / "video")], None, env)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, nargs="+", default=[100_000, 1_000_000],
                    help="run lengths to measure (default: 100000 1000000)")
    ap.add_argument("--render", action="store_true", help="also re-render each trace to MP4 through render.py")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="sgd-anim-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "SGD_ANIM_CACHE": str(tmp / "cache"), "PYTHONPATH": str(ROOT)}
        floor = _measure(POINTS, tmp, env, args.render)  # one epoch: the fixed costs
        rows = [(n, _measure(n, tmp, env, args.render)) for n in args.steps]

    def per_step(stage: str, m: dict) -> float:
        return (m[stage]["peak_mb"] - floor[stage]["peak_mb"]) * 1e6 / m["record"]["steps"]

    def growth(stage: str, small: dict, big: dict) -> float:
        return ((big[stage]["peak_mb"] - small[stage]["peak_mb"]) * 1e6
                / (big["record"]["steps"] - small["record"]["steps"]))

    ok = True
    print(f"fixed cost (a {POINTS}-step run): record {floor['record']['peak_mb']:.0f} MB, "
          f"load json {floor['load_json']['peak_mb']:.0f} MB, load bin {floor['load_bin']['peak_mb']:.0f} MB"
          + (f", render {floor['render']['peak_mb']:.0f} MB" if args.render else ""))
    for n, m in rows:
        r, lj, lb = m["record"], m["load_json"], m["load_bin"]
        rec_b, lj_b, lb_b = per_step("record", m), per_step("load_json", m), per_step("load_bin", m)
        per_100k = r["steps"] / 100_000
        # CPU seconds: on a shared machine the wall time is the larger, and says less
        rec_ok, load_ok = r["record_cpu"] <= RECORD_TARGET_S * per_100k, lj["load_cpu"] <= LOAD_TARGET_S * per_100k
        ok &= rec_ok and load_ok
        if len(rows) == 1:
            ok &= rec_b <= RECORD_TARGET_B and lj_b <= LOAD_TARGET_B and lb_b <= LOAD_TARGET_B
        print(f"\n{r['steps']:,} steps ({POINTS} points, batch size 1)")
        print(f"  record     {r['record_s']:7.1f} s wall, {r['record_cpu']:6.1f} s CPU "
              f"({r['record_cpu'] / r['steps'] * 1e6:.0f} us/step; target {RECORD_TARGET_S * per_100k:.0f} s "
              f"{'ok' if rec_ok else 'OVER'})   peak {r['peak_mb']:6.0f} MB   "
              f"{rec_b:5.0f} B/step")
        print(f"  write      json {r['write_json_s']:5.1f} s, {r['json_mb']:6.1f} MB;   "
              f"binary {r['write_bin_s']:5.2f} s, {r['bin_mb']:6.1f} MB")
        print(f"  load json  {lj['load_s']:7.2f} s wall, {lj['load_cpu']:6.2f} s CPU "
              f"(target {LOAD_TARGET_S * per_100k:.1f} s {'ok' if load_ok else 'OVER'})   "
              f"peak {lj['peak_mb']:6.0f} MB   {lj_b:5.0f} B/step")
        print(f"  load bin   {lb['load_s']:7.2f} s wall, {lb['load_cpu']:6.2f} s CPU   peak {lb['peak_mb']:6.0f} MB   "
              f"{lb_b:5.0f} B/step")
        if args.render:
            rn = m["render"]
            print(f"  render mp4 {rn['wall_s']:7.1f} s wall, {rn['cpu_s']:6.1f} s CPU   peak {rn['peak_mb']:6.0f} MB   "
                  f"{per_step('render', m):5.0f} B/step")
    for (n1, small), (n2, big) in zip(rows, rows[1:]):
        g = {k: growth(k, small, big) for k in ("record", "load_json", "load_bin")}
        ok &= g["record"] <= RECORD_TARGET_B and g["load_json"] <= LOAD_TARGET_B and g["load_bin"] <= LOAD_TARGET_B
        print(f"\nmemory per step added, {small['record']['steps']:,} -> {big['record']['steps']:,} steps: "
              f"record {g['record']:.0f} B (target <= {RECORD_TARGET_B}), "
              f"load json {g['load_json']:.0f} B, load bin {g['load_bin']:.0f} B (targets <= {LOAD_TARGET_B})"
              + (f", render {growth('render', small, big):.0f} B" if args.render else ""))
    print("\nall targets met" if ok else "\nsome targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
