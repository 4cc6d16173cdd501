"""Manim backend timings.

1. Seconds of render time per second of video, default walkthrough, low (480p15) and high
   (1080p60).
2. Per-frame cost is flat: the last tenth of the frames is no more than 1.5x slower per frame
   than the first tenth (frame times from a hook on the renderer's frame output). Also
   reported for the fast-forward alone, where a growing path or curve would show.
3. A 10,000-step trace with the same plan renders within 1.3x the time of the default.

Usage: python benchmarks/bench_manim.py [--skip-high] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scenes.manim.render import QUALITIES, render_manim  # noqa: E402
from scenes.manim.scenes import plan_for  # noqa: E402
from scenes.story.plan import FAST, PlanSettings  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.data import DataSpec  # noqa: E402
from training.recorder import record  # noqa: E402


# The same plan for both traces: the first 3 steps in detail (the default's first epoch).
SAME = PlanSettings(detail_steps=3)


def run(trace, quality: str, settings: PlanSettings = SAME) -> dict:
    fps = QUALITIES[quality][2]
    settings = PlanSettings(**{**settings.__dict__, "fps": fps})
    plan = plan_for(trace, settings)
    times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        render_manim(trace, Path(tmp), quality=quality, formats=("mp4",), plan=settings,
                     frame_times=times)
        wall = time.perf_counter() - t0
    ft = np.asarray(times)
    tenth = max(1, len(ft) // 10)
    fast = ft[plan.beat[: len(ft)] == FAST]
    ftenth = max(1, len(fast) // 10)
    return {
        "quality": quality, "steps": trace.n_steps, "frames": int(len(ft)), "plan_frames": len(plan),
        "video_seconds": round(plan.duration, 2), "render_seconds": round(wall, 2),
        "render_s_per_video_s": round(wall / plan.duration, 2),
        "ms_per_frame_first_tenth": round(1e3 * ft[:tenth].mean(), 2),
        "ms_per_frame_last_tenth": round(1e3 * ft[-tenth:].mean(), 2),
        "last_over_first": round(ft[-tenth:].mean() / ft[:tenth].mean(), 3),
        "fast_forward_last_over_first": round(fast[-ftenth:].mean() / fast[:ftenth].mean(), 3)
        if len(fast) else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-high", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    default = record(TrainConfig())
    big = record(TrainConfig(data=DataSpec(kind="synthetic", n=1000), batch_size=10, epochs=100))
    results = {"low": run(default, "low")}
    print(json.dumps(results["low"]), flush=True)
    results["low_10k"] = run(big, "low")
    print(json.dumps(results["low_10k"]), flush=True)
    results["10k_over_default"] = round(results["low_10k"]["render_seconds"]
                                        / results["low"]["render_seconds"], 3)
    if not args.skip_high:
        results["high"] = run(default, "high")
        print(json.dumps(results["high"]), flush=True)
    print(json.dumps({k: v for k, v in results.items() if not isinstance(v, dict)}))
    ok = results["10k_over_default"] <= 1.3 and all(
        r["last_over_first"] <= 1.5 for r in results.values() if isinstance(r, dict))
    print("PASS" if ok else "FAIL")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
