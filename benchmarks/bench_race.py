"""A 4-run race video against a single-run video of the same length and size (goal: the race
takes at most 1.5x the time). Both are MP4s of one backend, timed side by side in one run.

    python benchmarks/bench_race.py [--size 1280x720] [--fps 30] [--seconds 16] [--repeat 2]
    python benchmarks/bench_race.py --backend manim   # low quality: 854x480, 15 fps
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scenes.compare.race import render_race  # noqa: E402
from scenes.mpl.render import render_matplotlib  # noqa: E402
from scenes.story.plan import PlanSettings  # noqa: E402
from scenes.writers import ffmpeg_exe  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.recorder import record  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=16.0)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--backend", choices=("matplotlib", "manim"), default="matplotlib")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    if args.backend == "manim":  # the single run renders at a Manim quality: the race matches it
        from scenes.manim.render import QUALITIES
        w, h, args.fps = QUALITIES["low"]
    plan = PlanSettings(fps=args.fps, target_duration=args.seconds)
    runs = [(f"lr={lr}", record(TrainConfig(lr=lr, epochs=args.epochs))) for lr in (0.03, 0.1, 0.3, 1.5)]
    single = runs[1][1]
    times: dict[str, list[float]] = {"single run": [], "4-run race": []}
    frames: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):  # interleaved: both see the same machine load
            t0 = time.perf_counter()
            if args.backend == "manim":
                from scenes.manim.render import render_manim
                render_manim(single, Path(tmp), quality="low", formats=("mp4",), stem="single", plan=plan)
            else:
                render_matplotlib(single, Path(tmp), formats=("mp4",), stem="single", fps=args.fps, size=(w, h),
                                  plan=plan, workers=1)
            times["single run"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            render_race(runs, Path(tmp), varied=["lr"], formats=("mp4",), stem="race", size=(w, h),
                        fps=args.fps, plan=plan, backend=args.backend)
            times["4-run race"].append(time.perf_counter() - t0)
        for name, stem in (("single run", "single"), ("4-run race", "race")):
            # Frames as ffmpeg counts them in each file (both went through the same MP4 writer).
            out = subprocess.run([ffmpeg_exe(), "-i", str(Path(tmp) / f"{stem}.mp4"), "-map", "0:v:0", "-c", "copy",
                                  "-f", "null", "-"], capture_output=True, text=True).stderr
            frames[name] = int(out.rsplit("frame=", 1)[1].split()[0])
    best = {k: min(v) for k, v in times.items()}
    print(f"{args.backend}, {w}x{h}, {args.fps} fps, {args.seconds:g} s, best of {args.repeat}")
    for k, v in best.items():
        print(f"  {k:11s} {v:6.2f} s  ({frames[k]} frames, {frames[k] / v:5.1f} frames/s)")
    ratio = best["4-run race"] / best["single run"]
    print(f"  ratio race / single: {ratio:.2f}x  (goal <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
