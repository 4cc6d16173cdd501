"""A cache of recorded traces, keyed by the training configuration, the data and the
library versions: rendering the same configuration twice trains once.

Lives in $SGD_ANIM_CACHE, else $XDG_CACHE_HOME/sgd-anim, else ~/.cache/sgd-anim. Entries
are binary traces (``<key>.sgdtrace``, :mod:`training.tracebin`): the same numbers as a
trace.json, written and read back in a fraction of the time. Reading it never imports torch.
Several processes may use one cache at once: an entry is written whole under a temporary
name and renamed onto its own (:func:`training.atomic.atomic_path`), so a reader sees the
old entry or the new one, never part of one.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Iterable

from training.config import TrainConfig
from training.data import Dataset
from training.errors import InputError
from training.trace import SCHEMA_VERSION, Trace
from training.tracebin import SUFFIX
from training.versions import package_version

__all__ = ["cache_dir", "cache_key", "cache_path", "load_cached", "store"]


def cache_dir() -> Path:
    if os.environ.get("SGD_ANIM_CACHE"):
        return Path(os.environ["SGD_ANIM_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sgd-anim"


def cache_key(cfg: TrainConfig, data: Dataset, graph_steps: Iterable[int] = ()) -> str:
    """Hash of everything that determines a trace: settings (the landscape's plane among them),
    the points themselves, versions, and the steps (0-based) that carry an autograd graph
    (none: the key as before graphs)."""
    h = hashlib.sha256()
    settings = cfg.to_dict()
    settings.pop("data")  # the points are hashed below, whatever file they came from
    h.update(json.dumps(settings, sort_keys=True).encode())
    h.update(data.x.tobytes())
    h.update(data.y.tobytes())
    h.update(json.dumps([SCHEMA_VERSION, package_version("sgd-anim"), package_version("torch"), package_version("numpy")]).encode())
    if cfg.model != "line" and cfg.model_spec.n_params > 2:
        h.update(b'{"landscape": 1}')  # its trace holds a landscape: not one cached before it did
    steps = sorted({int(k) for k in graph_steps})
    if steps:
        h.update(json.dumps({"graphs": steps}).encode())
    return h.hexdigest()[:32]


def cache_path(key: str) -> Path:
    """The file of a cache entry."""
    return cache_dir() / f"{key}{SUFFIX}"


def load_cached(key: str) -> Trace | None:
    path = cache_path(key)
    try:
        before = os.stat(path)
    except OSError:
        return None
    try:
        return Trace.from_file(path)
    except (InputError, OSError):
        # A damaged entry is dropped and recorded again, unless another process has replaced
        # it meanwhile (entries are written to a temporary name and renamed: a reader sees the
        # old file or the new one, whole; the new one is not ours to drop).
        with contextlib.suppress(OSError):
            now = os.stat(path)
            if (now.st_ino, now.st_dev, now.st_mtime_ns) == (before.st_ino, before.st_dev, before.st_mtime_ns):
                path.unlink()
        return None


def store(key: str, trace: Trace) -> None:
    """Write the entry atomically (a temporary name, then a rename): concurrent writers of one
    key (the same run recorded twice at once) and readers during a write are safe."""
    try:
        trace.to_file(cache_path(key))
    except OSError:
        pass  # a cache that cannot be written only costs time
