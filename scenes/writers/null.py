"""A writer that writes nothing: counts frames and keeps the last one (tests, dry runs)."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import numpy as np

from scenes.writers.base import AbstractFrameWriter
from scenes.writers.registry import register

__all__ = ["NullWriter"]


@register("null")
class NullWriter(AbstractFrameWriter):
    """Counts frames and keeps the last one (a reference, not a copy); writes nothing."""

    def __init__(self, channels: int = 4) -> None:
        super().__init__(channels)
        self.last: np.ndarray | None = None

    def grab_frame(self, frame: np.ndarray) -> None:
        self.last = frame
        self.frames_written += 1

    def finish(self) -> None:
        """Nothing to complete."""

    @contextlib.contextmanager
    def saving(self, path: str | Path | None = None, size: tuple[int, int] = (0, 0),
               fps: int = 30) -> Iterator["NullWriter"]:  # no file at all
        self.size, self.fps, self.frames_written = tuple(size), fps, 0
        yield self
