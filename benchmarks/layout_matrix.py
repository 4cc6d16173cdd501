"""The matrix of runs the layout check covers, and the runner that checks it.

Not the full cross product (4 batch sizes x 4 data sets x 3 optimizers x 5 sizes x 2 themes
= 480 scenes): the runs below form a covering design over batch size x data set x optimizer
(each batch size, data set and optimizer appears, most pairs of them too, plus a diverging
run), and each run is drawn at every size in both themes. That is 12 runs x 10 = 120
matplotlib scenes, about 30 checked frames each. ``covering()`` picks 12 of them in which
every size x theme pair and every run appears: the sampled check of the fast tests.

Manim draws 16:9 only (its qualities are 854x480 to 3840x2160, one layout in scene units),
so its matrix is the walkthrough of every run in both themes, and the fit, loss and
parameter scenes of every run in one theme, the themes taking turns: 60 scenes
(``--family models``: the same for the other models' 5 runs, 25 scenes). ``--backprop`` adds
each run's backprop scene (recorded with its first three steps' graphs).

    .venv/bin/python benchmarks/layout_matrix.py [--backend mpl|manim|both] [--subset] [--workers 2]
        [--views fit,graph,loss,params] [--family line|models|all] [--backprop]

prints every problem found and the time taken; exits 1 if there is any problem. ``--views``
checks the matplotlib matrix with other views than the default ones; with ``graph`` among
them every run is recorded with its first three steps' autograd graphs (``graph_steps=(1, 2, 3)``).

"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from training.config import TrainConfig  # noqa: E402  (no torch: record imports it lazily)
from training.data import DataSpec  # noqa: E402

SIZES = ((960, 540), (1280, 720), (1920, 1080), (1080, 1080), (1080, 1920))
THEMES = ("light", "dark")
NOISY_CSV = str(ROOT / "assets" / "data" / "noisy_line.csv")
OUTLIERS = DataSpec(kind="synthetic", n=1000, noise=0.08, outliers=12, seed=3)
SYNTH_200 = DataSpec(kind="synthetic", n=200, seed=1)

# name -> settings. Data sets: the article's six points, the noisy CSV (40 points, two
# outliers), 200 synthetic points, 1,000 synthetic points with outliers.
RUNS: dict[str, TrainConfig] = {
    "article": TrainConfig(),                                            # SGD, b=2, 300 steps
    "article-b1-shuffled": TrainConfig(batch_size=1, shuffle=True, epochs=30),
    "momentum": TrainConfig(optimizer="momentum", epochs=60),           # assets/configs/momentum.toml
    "adam": TrainConfig(optimizer="adam", lr=0.05, epochs=100),         # assets/configs/adam.toml
    "diverging": TrainConfig(lr=1.0, epochs=20),                         # assets/configs/too_large_lr.toml
    "noisy-csv": TrainConfig(data=DataSpec(kind="csv", path=NOISY_CSV), lr=0.05, batch_size=8,
                             epochs=60, init_a=0.0, init_b=0.5),         # assets/configs/noisy_csv.toml
    "noisy-momentum-b1": TrainConfig(data=DataSpec(kind="csv", path=NOISY_CSV), optimizer="momentum",
                                     lr=0.02, batch_size=1, epochs=5, shuffle=True),
    "noisy-adam-b32": TrainConfig(data=DataSpec(kind="csv", path=NOISY_CSV), optimizer="adam",
                                  lr=0.05, batch_size=32, epochs=40, drop_last=False),
    "adam-200-b32": TrainConfig(data=SYNTH_200, optimizer="adam", lr=0.05, batch_size=32,
                                epochs=20, shuffle=True),                # the run
    "sgd-200-b2": TrainConfig(data=SYNTH_200, lr=0.2, batch_size=2, epochs=3, shuffle=True),
    "outliers-momentum-b32": TrainConfig(data=OUTLIERS, optimizer="momentum", lr=0.05, batch_size=32,
                                         epochs=8, shuffle=True),
    "outliers-sgd-b8": TrainConfig(data=OUTLIERS, lr=0.1, batch_size=8, epochs=2),
}


# The other model families (issue 23), as their bundled configs run them (assets/configs/*.toml),
# and two variants: a wider ReLU network and a degree-8 polynomial. ``--family models`` checks
# these instead of the line's runs (at MODEL_SIZES, both themes), ``--family all`` both.
def _csv(name: str) -> DataSpec:
    return DataSpec(kind="csv", path=str(ROOT / "assets" / "data" / name))


MODEL_RUNS: dict[str, TrainConfig] = {
    "poly3": TrainConfig(data=_csv("poly_valley.csv"), model="poly", degree=3, lr=0.3, batch_size=6,
                         epochs=60),                                     # assets/configs/poly3.toml
    "logistic": TrainConfig(data=_csv("pass_fail.csv"), model="logistic", lr=0.5, batch_size=5,
                            epochs=60, shuffle=True),                    # assets/configs/logistic.toml
    "mlp-sine": TrainConfig(data=_csv("sine.csv"), model="mlp", hidden=8, activation="tanh", lr=0.1,
                            batch_size=8, epochs=150, shuffle=True),     # assets/configs/mlp_sine.toml
    "mlp16-relu": TrainConfig(data=_csv("sine.csv"), model="mlp", hidden=16, activation="relu", lr=0.1,
                              batch_size=8, epochs=150, shuffle=True),
    "poly8": TrainConfig(data=_csv("poly_valley.csv"), model="poly", degree=8, lr=0.3, batch_size=6,
                         epochs=60),
}
FAMILIES = {"line": RUNS, "models": MODEL_RUNS, "all": {**RUNS, **MODEL_RUNS}}
MODEL_SIZES = ((1280, 720), (960, 540), (1080, 1080), (720, 1280))  # the models' sweep

GRAPH_STEPS = (1, 2, 3)  # the steps (counted from 1) whose graphs a run with the graph view records


@dataclass(frozen=True)
class Case:
    run: str
    size: tuple[int, int]
    theme: str
    views: tuple[str, ...] = ()  # () = the default views

    @property
    def label(self) -> str:
        return f"{self.run} {self.size[0]}x{self.size[1]} {self.theme}" + (
            f" [{','.join(self.views)}]" if self.views else "")

    @property
    def slug(self) -> str:
        return f"{self.run}_{self.size[0]}x{self.size[1]}_{self.theme}" + (
            f"_{'-'.join(self.views)}" if self.views else "")


def full_matrix(views: tuple[str, ...] = (), sizes=SIZES, runs=RUNS) -> list[Case]:
    return [Case(r, size, th, views) for r in runs for size in sizes for th in THEMES]


def covering(views: tuple[str, ...] = ()) -> list[Case]:
    """Every size x theme pair and every run, in len(RUNS) cases (runs walk the pairs)."""
    pairs = [(size, th) for size in SIZES for th in THEMES]
    return [Case(r, *pairs[i % len(pairs)], views) for i, r in enumerate(RUNS)]


@lru_cache(maxsize=None)
def trace_of(run: str, graphs: bool = False):
    """The recorded trace of a run (recorded once per process: torch, a second at most);
    with ``graphs``, with the autograd graphs of its steps GRAPH_STEPS (the graph view's)."""
    import dataclasses

    from training.recorder import record

    config = FAMILIES["all"][run]
    return record(dataclasses.replace(config, graph_steps=GRAPH_STEPS) if graphs else config)


def check_case(case: Case, on_frame=None) -> list:
    """The layout problems of one case (matplotlib), every checked frame."""
    from scenes.mpl.layout_check import check_frames

    return check_frames(trace_of(case.run, "graph" in case.views), case.size, case.theme,
                        views=case.views or None, on_frame=on_frame, label=f"{case.label}: ")


def _check_case_str(case: Case) -> tuple[str, list[str], float]:
    t = time.perf_counter()
    probs = check_case(case)
    return case.label, [str(p) for p in probs], time.perf_counter() - t


MANIM_SCENES = ("walkthrough", "fit", "loss", "params")


def manim_cases(runs=None) -> list[tuple[str, str, str]]:
    """(run, theme, scene): the walkthrough of every run in both themes; the single-view
    scenes of every run in one theme, the themes taking turns (each scene meets both)."""
    runs = list(runs or RUNS)
    out = [(r, th, "walkthrough") for r in runs for th in THEMES]
    out += [(r, THEMES[(i + j) % 2], sc) for i, r in enumerate(runs) for j, sc in enumerate(MANIM_SCENES[1:])]
    return out


def backprop_cases(runs) -> list[tuple[str, str, str]]:
    """(run, theme, "backprop"): the backprop scene of each run (its steps GRAPH_STEPS'
    graphs), the themes taking turns. A network's graph is the crowded one (40 to 60 s a run)."""
    return [(r, THEMES[i % 2], "backprop") for i, r in enumerate(runs)]


def check_manim_case(run: str, theme: str, scene: str, on_frame=None) -> list:
    from scenes.manim.layout_check import check_scene_run

    return check_scene_run(trace_of(run, scene == "backprop"), scene=scene, theme=theme, on_frame=on_frame,
                           label=f"manim {scene} {run} {theme}: ")


def _check_manim_str(case) -> tuple[str, list[str], float]:
    t = time.perf_counter()
    probs = check_manim_case(*case)
    return f"manim {case[2]} {case[0]} {case[1]}", [str(p) for p in probs], time.perf_counter() - t


def worker_init() -> None:
    """A private Manim cache per process: Manim's text and Typst caches are not safe to
    share between processes writing at once (one reads a file the other is writing)."""
    import atexit
    import shutil
    import tempfile
    from multiprocessing import util

    path = tempfile.mkdtemp(prefix="sgd-anim-layout-")
    os.environ["SGD_ANIM_CACHE"] = path
    atexit.register(shutil.rmtree, path, ignore_errors=True)  # the main process
    # A pool worker leaves through os._exit: only multiprocessing's finalizers run there.
    util.Finalize(None, shutil.rmtree, args=(path,), kwargs={"ignore_errors": True}, exitpriority=10)


def _run(fn, cases, workers: int) -> tuple[int, int]:
    n_bad = n_probs = 0
    if workers > 1:
        with ProcessPoolExecutor(workers, initializer=worker_init) as pool:
            results = pool.map(fn, cases)
            for label, probs, dt in results:
                n_bad, n_probs = _report(label, probs, dt, n_bad, n_probs)
    else:
        for case in cases:
            label, probs, dt = fn(case)
            n_bad, n_probs = _report(label, probs, dt, n_bad, n_probs)
    return n_bad, n_probs


def _report(label, probs, dt, n_bad, n_probs):
    print(f"{'FAIL' if probs else 'ok  '} {label}  ({dt:.1f} s{f', {len(probs)} problems' if probs else ''})",
          flush=True)
    for p in probs[:8]:
        print("     ", p)
    if len(probs) > 8:
        print(f"      ... and {len(probs) - 8} more")
    return n_bad + bool(probs), n_probs + len(probs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("mpl", "manim", "both"), default="both")
    ap.add_argument("--subset", action="store_true", help="the covering subset of the fast tests")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--run", action="append", help="only these runs (repeatable)")
    ap.add_argument("--views", default="", help="matplotlib: these views, e.g. fit,graph,loss,params "
                                                "(with graph: each run records its first 3 steps' graphs)")
    ap.add_argument("--size", action="append", help="matplotlib: these sizes, WxH (repeatable)")
    ap.add_argument("--theme", choices=THEMES)
    ap.add_argument("--backprop", action="store_true", help="Manim: the backprop scene of each run too "
                                                             "(recorded with its first 3 steps' graphs)")
    ap.add_argument("--family", choices=tuple(FAMILIES), default="line",
                    help="the line's runs (default), the other models' (poly3, logistic, "
                         "mlp-sine, mlp16-relu, poly8; matplotlib: at 1280x720, 960x540, 1080x1080, "
                         "720x1280 unless --size; Manim: every scene), or all")
    args = ap.parse_args(argv)
    views = tuple(v for v in args.views.split(",") if v)
    if views:
        from scenes.mpl.views import check_views
        from training.errors import InputError
        try:
            views = check_views(views)
        except InputError as e:
            ap.error(str(e))
    worker_init()
    t0 = time.perf_counter()
    bad = probs = count = 0
    if args.backend in ("mpl", "both"):
        runs = FAMILIES[args.family]
        default_sizes = MODEL_SIZES if args.family == "models" else SIZES
        sizes = [tuple(int(v) for v in s.split("x")) for s in args.size] if args.size else default_sizes
        cases = covering(views) if args.subset else full_matrix(views, sizes, runs)
        cases = [c for c in cases if (not args.run or c.run in args.run) and c.size in sizes
                 and (not args.theme or c.theme == args.theme)]
        b, p = _run(_check_case_str, cases, args.workers)
        bad, probs, count = bad + b, probs + p, count + len(cases)
    if args.backend in ("manim", "both"):
        family = list(FAMILIES[args.family])
        runs = args.run or (family[::3] if args.subset else family)
        cases = [*manim_cases(runs), *(backprop_cases(runs) if args.backprop else ())]
        cases = [c for c in cases if not args.theme or c[1] == args.theme]
        b, p = _run(_check_manim_str, cases, args.workers)
        bad, probs, count = bad + b, probs + p, count + len(cases)
    print(f"{count} cases, {bad} with problems, {probs} problems, {time.perf_counter() - t0:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
