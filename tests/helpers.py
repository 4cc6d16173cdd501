"""Helpers the test files share: the repository's paths, the command line (in this process and
as a real one), colours, and traces built by hand.

Import them (``from tests.helpers import ROOT, run_main``); the fixtures that wrap them live in
tests/conftest.py.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

__all__ = ["ROOT", "RENDER_PY", "snapshot", "earlier_outputs", "run_main", "run_render_py", "default_sigint", "hex_rgb", "trace_doc",
           "doc_paths", "synthetic_trace"]

ROOT = Path(__file__).resolve().parent.parent
RENDER_PY = ROOT / "render.py"


# ------------------------------------------------------------------ the command line
def run_main(capsys, *argv) -> tuple[int, str, str]:
    """``render.main(argv)`` in this process: (exit code, stdout, stderr) of this run only.

    Arguments may be paths or numbers; they are passed as text, as a shell would."""
    import render

    capsys.readouterr()  # what earlier runs of the test printed is not this run's
    code = render.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_render_py(*argv, cwd: Path | str = ROOT, env: dict | None = None,
                  timeout: float = 300) -> subprocess.CompletedProcess:
    """``python render.py argv`` as a real process (text output captured). ``env`` adds to, or
    overrides, this process's environment (whose SGD_ANIM_CACHE is the worker's own)."""
    return subprocess.run([sys.executable, str(RENDER_PY), *(str(a) for a in argv)], cwd=cwd,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout)


def default_sigint() -> None:
    """``preexec_fn`` of a child the test will Ctrl-C (SIGINT). pytest-xdist's workers ignore
    SIGINT, and an ignored signal stays ignored across exec: Python would then not turn it
    into KeyboardInterrupt, and the child would not notice."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# ------------------------------------------------------------------ colours
def hex_rgb(color: str) -> np.ndarray:
    """``"#RRGGBB"`` as a float array [r, g, b] (0-255), to compare with a frame's pixels."""
    color = color.lstrip("#")
    return np.array([int(color[i:i + 2], 16) for i in (0, 2, 4)], dtype=float)


# ------------------------------------------------------------------ traces built by hand
def trace_doc(n_points: int = 5, n_steps: int = 4, batch: int = 2, diverged: bool = False) -> dict:
    """A valid trace document (schema 1), built in plain Python without torch: the data on a
    line, ``n_steps`` steps of plain SGD (lr 0.1) over batches taken in order."""
    from training.trace import SCHEMA_VERSION

    x = [0.2 * (i + 1) for i in range(n_points)]
    y = [0.5 * v + 0.1 for v in x]
    steps: dict[str, list] = {k: [] for k in ("epoch", "batch", "a", "b", "loss", "full_loss", "grad_a",
                                             "grad_b", "update_a", "update_b", "indices", "pred", "residual")}
    a, b = 1.0, 1.0
    per_epoch = n_points // batch
    for k in range(n_steps):
        idx = [(k % per_epoch) * batch + j for j in range(batch)]
        pred = [a * x[i] + b for i in idx]
        res = [p - y[i] for p, i in zip(pred, idx)]
        ga = 2 * sum(r * x[i] for r, i in zip(res, idx)) / batch
        gb = 2 * sum(res) / batch
        steps["epoch"].append(k // per_epoch)
        steps["batch"].append(k % per_epoch)
        for key, val in (("a", a), ("b", b), ("loss", sum(r * r for r in res) / batch), ("full_loss", 0.5),
                         ("grad_a", ga), ("grad_b", gb), ("update_a", -0.1 * ga), ("update_b", -0.1 * gb)):
            steps[key].append(val)
        steps["indices"].append(idx)
        steps["pred"].append(pred)
        steps["residual"].append(res)
        a, b = a - 0.1 * ga, b - 0.1 * gb
    return {
        "schema_version": SCHEMA_VERSION,
        "config": {"lr": 0.1, "batch_size": batch, "data": {"kind": "article"}},
        "versions": {"numpy": "x"},
        "status": {"state": "diverged", "step": n_steps, "reason": "test"} if diverged else {"state": "completed"},
        "final": {"a": a, "b": b},
        "n_steps": n_steps,
        "data": {"x": x, "y": y},
        "steps": steps,
    }


def doc_paths(doc: dict) -> list[tuple]:
    """Every path to a value in a document (keys and list indices), down to list items."""
    out: list[tuple] = []
    stack: list[tuple] = [()]
    while stack:
        path = stack.pop()
        node = doc
        for p in path:
            node = node[p]
        if path:
            out.append(path)
        if isinstance(node, dict):
            stack.extend(path + (k,) for k in node)
        elif isinstance(node, list):
            stack.extend(path + (i,) for i in range(len(node)))
    return sorted(out, key=repr)


def synthetic_trace(n_steps: int, batch: int = 1, n_points: int = 6, velocity: bool = False,
                    seed: int = 0, diverged: bool = False):
    """A valid Trace built with numpy only, of any length: random float64 values (long reprs,
    exact round trips), not a run of SGD."""
    from training import trace as trace_module
    from training.ragged import Ragged

    rng = np.random.default_rng(seed)
    x = np.linspace(0.2, 1.2, n_points)
    y = 0.5 * x + 0.1
    per_epoch = n_points // batch
    k = np.arange(n_steps)
    steps: dict = {"epoch": k // per_epoch, "batch": k % per_epoch}
    for col in ("a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b"):
        steps[col] = rng.standard_normal(n_steps)
    if velocity:
        steps["velocity_a"], steps["velocity_b"] = rng.standard_normal(n_steps), rng.standard_normal(n_steps)
    offsets = np.arange(n_steps + 1, dtype=np.int64) * batch
    idx = ((k % per_epoch)[:, None] * batch + np.arange(batch)).reshape(-1)
    steps["indices"] = Ragged(idx, offsets)
    steps["pred"] = Ragged(rng.standard_normal(n_steps * batch), offsets)
    steps["residual"] = Ragged(rng.standard_normal(n_steps * batch), offsets)
    status = trace_module.TraceStatus("diverged", n_steps, "test") if diverged else trace_module.TraceStatus()
    return trace_module.Trace(config={"lr": 0.1, "batch_size": batch, "data": {"kind": "article"}, "optimizer": "sgd"},
                              versions={"numpy": np.__version__}, x=x, y=y, steps=steps,
                              final_a=0.5, final_b=0.1, status=status)


def snapshot(folder: Path) -> dict:
    """Every entry under ``folder``: a file's bytes, inode and mtime (unchanged = not replaced)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        st = p.lstat()
        out[p.relative_to(folder).as_posix()] = (p.read_bytes(), st.st_ino, st.st_mtime_ns) if p.is_file() else "dir"
    return out


def earlier_outputs(out: Path) -> dict:
    """An earlier run's outputs (and a file of the user's), as a folder holds them; their snapshot."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("sgd.gif", "sgd.png", "sgd.vtt", "sgd.html", "trace.json", "config.toml", "notes.txt"):
        (out / name).write_bytes(f"earlier {name}".encode())
    (out / "sgd_frames").mkdir()
    (out / "sgd_frames" / "frame_00000.png").write_bytes(b"earlier frame")
    return snapshot(out)
