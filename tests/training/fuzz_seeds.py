"""The mutation fuzzer's valid starting points and the loaders it feeds (issue 27, item 3).

Seeds are written by the real writers wherever there is one: configs by ``job_to_toml`` (the
``config.toml`` written beside every render) and the bundled example configs; traces by
``Trace.to_json`` / ``Trace.write_binary`` (plus json.dumps in other layouts, which the reader
must take too); CSV files by hand in the shapes people write (no writer exists), plus the
bundled one. Each target loads a file the way ``render.py`` does: the config reader and the
job it builds (and the data that names), the CSV reader behind ``--data file.csv``, and
``Trace.from_file`` behind ``--trace`` (JSON or binary, told apart by the first bytes).

A loaded value is checked for being usable as well: a trace writes back and reads back equal
(as JSON and as binary), a data set is finite float32-range numbers, a job is in range.
"""
from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tests.helpers import ROOT, synthetic_trace

__all__ = ["Target", "targets", "DATA_CSV"]

DATA_CSV = "data.csv"  # a CSV file beside the fuzzed config, so a config naming it loads it
FLOAT32_MAX = 3.4028234663852886e38


@dataclass
class Target:
    name: str
    suffix: str
    seeds: list[bytes]
    load: Callable[[Path], Any]      # the real entry point; raises InputError for bad input
    check: Callable[[Any], None]     # what a loaded value must satisfy (asserts)
    structure: str                   # "json", "toml", "csv" or "binary": which structure-aware mutations apply


# ------------------------------------------------------------------ configs
def _config_seeds(folder: Path) -> list[bytes]:
    from scenes.job import build_job, job_to_toml

    seeds = [p.read_bytes() for p in sorted((ROOT / "assets" / "configs").glob("*.toml"))]
    for layer in ({}, {"optimizer": "adam", "lr": 0.05, "epochs": 3, "formats": "gif,png", "size": "640x360"},
                  {"data": "synthetic:n=50,noise=0.2,seed=3", "optimizer": "momentum", "momentum": 0.9,
                   "nesterov": True, "views": "fit,loss", "duration": 12.5, "detail_steps": 3},
                  {"data": str(folder / DATA_CSV), "batch_size": 2, "drop_last": False, "shuffle": True,
                   "theme": "light", "max_gif_mb": 2.5, "stem": "run"}):
        seeds.append(job_to_toml(build_job([layer], folder), relative_to=folder).encode())
    seeds.append(b'[compare]\nlr = [0.03, 0.1, 0.3]\noptimizer = ["sgd", "adam"]\n\n[training]\nepochs = 4\n')
    seeds.append(b'[compare]\ntraces = ["a.json", "b.sgdtrace"]\n')
    seeds.append(b'[compare]\ndata = ["article", "data.csv", "synthetic:n=20"]\neach = true\n')
    seeds.append(b'[render]\npreset = "slides"\nformats = "gif"\n')
    return seeds


def _load_config(path: Path):
    from scenes.job import build_job, layers, load_config_file
    from training.data import load_data

    layer = load_config_file(path)          # as render.py: the file, its [compare] aside, then the job
    layer.pop("compare", None)
    job = build_job(layers({}, layer), path.parent)
    data = load_data(job.train.data, path.parent)
    job.train.validate(len(data))
    return job


def _check_job(job) -> None:
    t, r = job.train, job.render
    assert math.isfinite(t.lr) and t.lr > 0, t.lr
    assert t.epochs >= 1 and t.batch_size >= 1, (t.epochs, t.batch_size)
    assert r.size[0] > 0 and r.size[1] > 0 and r.size[0] % 2 == 0 and r.size[1] % 2 == 0, r.size
    assert r.fps >= 1 and r.formats, (r.fps, r.formats)


# ------------------------------------------------------------------ CSV
def _csv_seeds() -> list[bytes]:
    bundled = (ROOT / "assets" / "data" / "noisy_line.csv").read_bytes()
    return [
        b"\n".join(bundled.splitlines()[:25]) + b"\n",
        b"x,y\n0.2,0.18\n0.4,0.32\n0.6,0.42\n0.8,0.48\n1.0,0.58\n1.2,0.72\n",
        b"1,2\r\n3,5\r\n-4.5e-3,1E+2\r\n",
        b'"x","y"\n"1.5","2"\n\n  3 , 4 \n"5",6\n',
        b"\xef\xbb\xbfx,y\n1,1\n2,4\n3,9\n",
        b"0,0\n1e-300,3.4e38\n-3.4e38,-1e-300\n",
    ]


def _load_csv(path: Path):
    from training.data import DataSpec, load_data
    return load_data(DataSpec(kind="csv", path=path.name), path.parent)   # as --data file.csv


def _check_data(data) -> None:
    assert len(data) >= 2 and len(data.x) == len(data.y)
    assert data.x.dtype == np.float64 and data.y.dtype == np.float64
    assert np.all(np.abs(data.x) <= FLOAT32_MAX) and np.all(np.abs(data.y) <= FLOAT32_MAX)
    assert np.ptp(data.x) > 0


# ------------------------------------------------------------------ traces
def _traces():
    return [synthetic_trace(4, batch=2), synthetic_trace(6, batch=1, velocity=True),
            synthetic_trace(3, batch=3, diverged=True), synthetic_trace(0, diverged=True),
            synthetic_trace(8, batch=2, n_points=5, seed=7)]


LAYOUTS = [dict(), dict(indent=1), dict(separators=(",", ":")), dict(indent="\t", sort_keys=True)]


def _json_seeds() -> list[bytes]:
    out = []
    for i, tr in enumerate(_traces()):
        text = tr.to_json()
        out.append(text.encode())
        out.append(json.dumps(json.loads(text), **LAYOUTS[i % len(LAYOUTS)]).encode())
    return out


def _binary_seeds() -> list[bytes]:
    out = []
    for tr in _traces():
        buf = io.BytesIO()
        tr.write_binary(buf)
        out.append(buf.getvalue())
    return out


def _load_trace(path: Path):
    from training.trace import Trace
    return Trace.from_file(path)


def _check_trace(trace) -> None:
    from training.trace import Trace
    assert len(trace.x) == len(trace.y) >= 2
    assert all(len(v) == trace.n_steps for v in trace.steps.values())
    # Whatever loads is usable: it writes back and reads back equal, as JSON and as binary.
    assert Trace.from_json(trace.to_json(), "again.json") == trace
    buf = io.BytesIO()
    trace.write_binary(buf)
    from training import tracebin
    from training.trace import _BINARY_LIMITS, _binary_layout
    raw = buf.getvalue()
    f = io.BytesIO(raw[len(tracebin.MAGIC):])
    doc = tracebin.read_binary(f, "again.sgdtrace", len(raw), _binary_layout, _BINARY_LIMITS)
    from training import tracevalidate
    assert Trace.from_dict(tracevalidate.binary_columns(doc), "again.sgdtrace") == trace


# ------------------------------------------------------------------ all of them
def targets(folder: Path) -> list[Target]:
    """The four file inputs; ``folder`` is where the fuzzed files are written (the configs'
    relative paths point into it, and it holds a valid ``data.csv``)."""
    (folder / DATA_CSV).write_bytes(_csv_seeds()[1])
    return [
        Target("config", ".toml", _config_seeds(folder), _load_config, _check_job, "toml"),
        Target("csv", ".csv", _csv_seeds(), _load_csv, _check_data, "csv"),
        Target("trace.json", ".json", _json_seeds(), _load_trace, _check_trace, "json"),
        Target("sgdtrace", ".sgdtrace", _binary_seeds(), _load_trace, _check_trace, "binary"),
    ]
