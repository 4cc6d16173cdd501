"""Whole commands, this checkout against another, side by side (issue 26's command goals).

Each case runs ``render.py`` as a user would, in a fresh interpreter, alternately with the
baseline checkout (``--baseline``, e.g. ../main) and this one, which goes first alternating;
it prints the median wall and CPU time of each (CPU: the process and every child it waited
for, the encoders included) and their ratio, and checks that both made the same pixels.

    python benchmarks/bench_commands.py --baseline ../main --repeat 5 --case png
    python benchmarks/bench_commands.py --baseline ../main --repeat 3 --case cached

Cases: ``png`` (``--trace T --format png``), ``cached`` (the default command, its trace
cached: MP4, GIF, PNG and VTT). ``--bytecode`` lets Python keep compiled modules (in a
private folder, PYTHONPYCACHEPREFIX) where PYTHONDONTWRITEBYTECODE is set: an installed
package has them; an editable checkout run with that variable compiles every module at start.
``--cold-layout`` (the ``png`` case) removes the text sizes kept from earlier runs
(``text-metrics.json`` in the cache folder) before each run: a trace, size or theme never
rendered before.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CASES = {"png": ["--format", "png"], "cached": []}


def run(root: Path, args: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU seconds of ``render.py args`` from checkout ``root``."""
    env = {**env, "PYTHONPATH": str(root)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([sys.executable, str(root / "render.py"), *args, "--quiet"], env=env, check=True,
                   cwd=root)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def pixels(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", type=Path, required=True, help="the other checkout (e.g. ../main)")
    ap.add_argument("--case", choices=sorted(CASES), default="png")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--bytecode", action="store_true", help="keep compiled modules (see the docstring)")
    ap.add_argument("--cold-layout", action="store_true", help="no text sizes kept from earlier runs (see the docstring)")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-commands-"))
    env = {**os.environ, "SGD_ANIM_CACHE": str(work / "cache")}
    if a.bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pyc")
    roots = {"before": a.baseline.resolve(), "after": ROOT}
    try:
        # The trace (recorded once) and one untimed run of each: the cache and bytecode are warm.
        subprocess.run([sys.executable, str(ROOT / "render.py"), "--record-only", "--out", str(work / "rec"),
                        "--quiet"], env={**env, "PYTHONPATH": str(ROOT)}, check=True)
        extra = ["--trace", str(work / "rec" / "trace.json")] if a.case == "png" else []
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in roots}
        for i in range(a.repeat + 1):
            order = list(roots) if i % 2 else list(roots)[::-1]
            for k in order:
                out = work / k
                shutil.rmtree(out, ignore_errors=True)
                if a.cold_layout:
                    (work / "cache" / "text-metrics.json").unlink(missing_ok=True)
                w = run(roots[k], [*extra, *CASES[a.case], "--out", str(out)], env)
                if i:  # the first round warms up
                    times[k].append(w)
                    print(f"  {k:6s} wall {w[0]:6.2f} s  CPU {w[1]:6.2f} s", flush=True)
        med = {k: (statistics.median(t[0] for t in v), statistics.median(t[1] for t in v)) for k, v in times.items()}
        for k, (w, c) in med.items():
            print(f"{a.case} {k}: median wall {w:.2f} s, CPU {c:.2f} s ({a.repeat} runs)")
        print(f"{a.case} after/before: wall {med['after'][0] / med['before'][0]:.2f}, "
              f"CPU {med['after'][1] / med['before'][1]:.2f}")
        same = np.array_equal(pixels(work / "before" / "sgd.png"), pixels(work / "after" / "sgd.png"))
        sizes = [(work / k / "sgd.png").stat().st_size for k in roots]
        print(f"poster pixels identical: {same}; size {sizes[0]} -> {sizes[1]} bytes")
        return 0 if same else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
