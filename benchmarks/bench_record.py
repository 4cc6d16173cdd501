"""Benchmark: record a 100,000-step run, write its trace, load it back.

The run: 1,000 seeded synthetic points, batch size 1, 100 epochs (100,000 optimizer steps).
Targets: record < 30 s, load < 1 s.

    .venv/bin/python benchmarks/bench_record.py [--points 1000] [--epochs 100] [--batch-size 1]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from training.config import TrainConfig  # noqa: E402
from training.data import DataSpec  # noqa: E402
from training.recorder import record  # noqa: E402
from training.trace import Trace  # noqa: E402

RECORD_TARGET_S = 30.0
LOAD_TARGET_S = 1.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.01)
    args = ap.parse_args(argv)

    cfg = TrainConfig(data=DataSpec(kind="synthetic", n=args.points, seed=0),
                      lr=args.lr, batch_size=args.batch_size, epochs=args.epochs,
                      shuffle=True, seed=0)

    t0, c0 = time.perf_counter(), time.process_time()
    trace = record(cfg)
    record_s, record_cpu = time.perf_counter() - t0, time.process_time() - c0

    with tempfile.TemporaryDirectory(prefix="sgd-anim-bench-") as tmp:
        path = Path(tmp) / "trace.json"
        t0 = time.perf_counter()
        trace.to_file(path)
        write_s = time.perf_counter() - t0
        size_mb = path.stat().st_size / 1e6

        t0, c0 = time.perf_counter(), time.process_time()
        loaded = Trace.from_file(path)
        load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0

    assert loaded.n_steps == trace.n_steps, (loaded.n_steps, trace.n_steps)
    assert loaded.final_a == trace.final_a and loaded.final_b == trace.final_b

    ok_record = record_s < RECORD_TARGET_S
    ok_load = load_s < LOAD_TARGET_S
    print(f"steps          {trace.n_steps:,} ({args.points} points, batch {args.batch_size}, "
          f"{args.epochs} epochs, status {trace.status.state})")
    # CPU seconds next to wall seconds: on a busy machine the wall time is the larger.
    print(f"record seconds {record_s:.2f} wall, {record_cpu:.2f} CPU  (target < {RECORD_TARGET_S:g} s: {'ok' if ok_record else 'OVER'})")
    print(f"write seconds  {write_s:.2f}")
    print(f"file size MB   {size_mb:.1f}")
    print(f"load seconds   {load_s:.2f} wall, {load_cpu:.2f} CPU  (target < {LOAD_TARGET_S:g} s: {'ok' if ok_load else 'OVER'})")
    return 0 if ok_record and ok_load else 1


if __name__ == "__main__":
    sys.exit(main())
