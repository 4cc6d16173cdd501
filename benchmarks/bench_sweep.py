"""Benchmark: a sweep of 48 recordings of the default run on the comparison engine.

  1. the local process pool with 1 worker against 2 workers (goal: at least 1.7x);
  2. the same 48 tasks on the local 2-process pool and on a 2-worker Dask cluster (a
     scheduler and two single-threaded workers started here on 127.0.0.1): the extra time
     per task that the cluster costs.

Each configuration is timed "cold" (a fresh pool: the workers start and import torch, what a
user's first sweep pays) and "warm" (the same pool again: the throughput of the tasks
themselves), in rounds that time every engine in turn (the machine is shared: a change of
load then hits all alike); warm figures are medians over --repeat rounds. The tasks are scenes.compare.engine.record_task, the ones
``render.py --compare`` submits; the cache is not used.

    .venv/bin/python benchmarks/bench_sweep.py                 # prints a table, writes JSON
    .venv/bin/python benchmarks/bench_sweep.py --runs 96 --json /tmp/bench_sweep.json
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scenes.compare.engine import Engine, RecordTask, record_task  # noqa: E402
from training.config import TrainConfig  # noqa: E402

GOAL = 1.7


def _tasks(n: int) -> list[tuple[str, RecordTask]]:
    return [(f"run-{i}", RecordTask(f"run-{i}", TrainConfig())) for i in range(n)]


def _time(engine: Engine, tasks) -> float:
    t0 = time.perf_counter()
    for out in engine.run(record_task, tasks):
        if out.error is not None:
            raise out.error
    return time.perf_counter() - t0


def _rounds(engines: dict, n: int, repeat: int) -> dict:
    """Cold: each engine's first batch (its workers start). Warm: ``repeat`` rounds, each
    timing every engine in turn, so that a change in the machine's load (it is shared) hits
    all of them alike; the figures are medians over the rounds, ratios taken round by round."""
    res: dict = {k: {"cold_s": _time(e, _tasks(n)), "warm_rounds_s": []} for k, e in engines.items()}
    for _ in range(repeat):
        for k, e in engines.items():
            res[k]["warm_rounds_s"].append(_time(e, _tasks(n)))
    for k in engines:
        res[k]["warm_s"] = statistics.median(res[k]["warm_rounds_s"])
    return res


def _ratio(res: dict, a: str, b: str) -> float:
    """Median over rounds of a's time / b's time."""
    return statistics.median(x / y for x, y in zip(res[a]["warm_rounds_s"], res[b]["warm_rounds_s"]))


class _Cluster:
    """A scheduler and two single-threaded workers on 127.0.0.1, for the length of a with-block."""

    def __enter__(self) -> str:
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-sweep-")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        kw = dict(cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sched = Path(self.tmp.name) / "scheduler.json"
        self.procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                        "--port", "0", "--no-dashboard", "--scheduler-file", str(sched)], **kw)]
        deadline = time.monotonic() + 60
        while not sched.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(sched.read_text())["address"]
        for i in range(2):
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "1",
                 "--no-dashboard", "--host", "127.0.0.1", "--memory-limit", "0",
                 "--local-directory", str(Path(self.tmp.name) / f"w{i}")], **kw))
        from distributed import Client
        with Client(address, timeout=30) as c:
            c.wait_for_workers(2, timeout=120)
        return address

    def __exit__(self, *exc) -> None:
        for p in self.procs[::-1]:
            p.terminate()
        for p in self.procs[::-1]:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        self.tmp.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=48)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "out" / "bench_sweep.json")
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()
    n = args.runs
    res: dict = {"runs": n, "cores": len(os.sched_getaffinity(0)), "load_avg_before": os.getloadavg()}
    with contextlib.ExitStack() as stack:
        engines = {"local_1": stack.enter_context(Engine(jobs=1)), "local_2": stack.enter_context(Engine(jobs=2))}
        if not args.no_dask:
            address = stack.enter_context(_Cluster())
            engines["dask_2"] = stack.enter_context(Engine(scheduler=address))
        res.update(_rounds(engines, n, args.repeat))
    res["load_avg_after"] = os.getloadavg()

    print(f"{n} recordings of the default run (300 steps each), {res['cores']} cores, load average "
          f"{res['load_avg_before'][0]:.1f} before, {res['load_avg_after'][0]:.1f} after; warm: median of {args.repeat} rounds")
    print(f"{'engine':<24}{'cold s':>9}{'warm s':>9}{'warm ms/run':>13}")
    for key, name in (("local_1", "local pool, 1 worker"), ("local_2", "local pool, 2 workers"),
                      ("dask_2", "Dask, 2 workers")):
        if key in res:
            r = res[key]
            print(f"{name:<24}{r['cold_s']:>9.2f}{r['warm_s']:>9.2f}{1000 * r['warm_s'] / n:>13.1f}")
    speed_cold = res["local_1"]["cold_s"] / res["local_2"]["cold_s"]
    speed_warm = _ratio(res, "local_1", "local_2")
    res["speedup_2_vs_1"] = {"cold": speed_cold, "warm": speed_warm}
    print(f"2 workers vs 1: {speed_warm:.2f}x warm, {speed_cold:.2f}x cold (goal: at least {GOAL}x)")
    if "dask_2" in res:
        warm = 1000 * statistics.median(d - l for d, l in zip(res["dask_2"]["warm_rounds_s"],
                                                              res["local_2"]["warm_rounds_s"])) / n
        cold = 1000 * (res["dask_2"]["cold_s"] - res["local_2"]["cold_s"]) / n
        res["dask_overhead_ms_per_task"] = {"cold": cold, "warm": warm}
        print(f"Dask vs local pool (2 workers each): {warm:+.1f} ms per task warm, {cold:+.1f} ms cold")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
