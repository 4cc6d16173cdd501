"""Where a command's start goes, this checkout against another (issue 26: the PNG, and the
startup part of the cached default command), in CPU seconds of one process.

    python benchmarks/bench_startup.py --baseline ../main --repeat 5 --case png
    python benchmarks/bench_startup.py --baseline ../main --repeat 5 --case first-frame

``png``: ``render.py --trace T --format png``, by stage: the imports (numpy, matplotlib, ours),
the scene's layout (``Scene()``), the drawing (``FrameRenderer.poster``) and the rest (the PNG,
the exit). ``first-frame``: the default command, its trace cached, stopped when the first
video frame is asked for (the imports and the layout, before the frames and the encoders).
Each run is a fresh interpreter running this file as a harness around ``render.py``; the two
checkouts take turns. The harness imports the timed modules before ``render.main`` starts, so
the cycle collector's pause at the start (render.py ``_settle``) covers fewer imports here
than in a plain run: whole commands are timed by ``bench_commands.py``. ``--bytecode`` as
there: compiled modules kept in a private folder for both checkouts (without it, a checkout
whose ``__pycache__`` was filled by .ci/setup.sh loads its modules compiled while another
compiles them at every start, when PYTHONDONTWRITEBYTECODE is set).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def harness(case: str, args: list[str]) -> None:
    """In the child: time the stages of ``render.py args`` and print them as one line."""
    marks = [("start", time.process_time())]
    import importlib
    for name in ("numpy", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        importlib.import_module(name)
    import scenes.mpl.render as R
    import scenes.mpl.views.scene as S
    marks.append(("imports", time.process_time()))

    def timed(owner, name, label, stop=False):
        f = getattr(owner, name)

        def g(*a, **k):
            marks.append(("before " + label, time.process_time()))
            if stop:
                report()
                os._exit(0)
            out = f(*a, **k)
            marks.append((label, time.process_time()))
            return out
        setattr(owner, name, g)

    def report():
        marks.append(("end", time.process_time()))
        out = {}
        for (_, t0), (name, t1) in zip(marks, marks[1:]):
            out[name] = out.get(name, 0.0) + t1 - t0
        print("STAGES " + " ".join(f"{k.replace(' ', '_')}={v:.4f}" for k, v in out.items()), flush=True)

    timed(S.Scene, "__init__", "layout")
    if case == "png":
        timed(R.FrameRenderer, "poster", "draw")
    else:
        timed(R.FrameRenderer, "frame", "first frame", stop=True)
    sys.argv = ["render.py", *args]
    import runpy
    try:
        runpy.run_path(str(Path.cwd() / "render.py"), run_name="__main__")
    except SystemExit:
        pass
    report()


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--harness":
        harness(sys.argv[2], sys.argv[3:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", type=Path, required=True, help="the other checkout (e.g. ../main)")
    ap.add_argument("--case", choices=("png", "first-frame"), default="png")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--bytecode", action="store_true", help="keep compiled modules (see the docstring)")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    env = {**os.environ, "SGD_ANIM_CACHE": str(work / "cache")}
    if a.bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pyc")
    subprocess.run([sys.executable, str(ROOT / "render.py"), "--record-only", "--out", str(work / "rec"), "--quiet"],
                   env={**env, "PYTHONPATH": str(ROOT)}, check=True)
    args = (["--trace", str(work / "rec" / "trace.json"), "--format", "png"] if a.case == "png" else [])
    roots = {"before": a.baseline.resolve(), "after": ROOT}
    stages: dict[str, list[dict[str, float]]] = {k: [] for k in roots}
    for i in range(a.repeat + 1):  # the first round warms the caches up
        for k in (list(roots) if i % 2 else list(roots)[::-1]):
            out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--harness", a.case, *args,
                                  "--out", str(work / k), "--quiet"], env={**env, "PYTHONPATH": str(roots[k])},
                                 cwd=roots[k], check=True, capture_output=True, text=True).stdout
            line = next(x for x in out.splitlines() if x.startswith("STAGES "))
            if i:
                stages[k].append({p.split("=")[0]: float(p.split("=")[1]) for p in line.split()[1:]})
    shutil.rmtree(work, ignore_errors=True)
    names = list(dict.fromkeys(n for runs in stages.values() for r in runs for n in r))
    print(f"{a.case}: CPU seconds by stage, median of {a.repeat} (load {os.getloadavg()[0]:.1f})"
          + (", compiled modules kept" if a.bytecode else ""))
    for n in [*names, "total"]:
        med = {k: statistics.median(sum(r.values()) if n == "total" else r.get(n, 0.0) for r in runs)
               for k, runs in stages.items()}
        print(f"  {n:20s} before {med['before']:.3f}  after {med['after']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
