"""One process at a time turns a cached SVG into outlines.

Manim's SVGMobject parses a Text's or MathTypst's SVG (kept by content hash in the shared
cache folder: ``tex_dir``, ``text_dir``) through a temporary copy written next to it,
``<hash>_.svg``, which it deletes once parsed. Two renders typesetting the same string at
once (two ``render.py`` runs, or the workers of ``--compare --backend manim``) wrote and
deleted the same temporary file: one of them failed with "No such file or directory:
.../typst/<hash>_.svg". Typesetting is cached per process (scenes.manim.style), so holding
a lock across processes while it happens costs next to nothing.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

__all__ = ["typesetting"]


@contextlib.contextmanager
def typesetting() -> Iterator[None]:
    """Hold the cache folder's typesetting lock (an advisory file lock; where there is no
    fcntl, Windows, nothing is held)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    from manim import config

    folder = Path(config.get_dir("tex_dir")).parent
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".typeset.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
