"""The one writer interface, modelled on matplotlib's ``AbstractMovieWriter``.

``setup`` opens the output, ``grab_frame`` takes one frame, ``finish`` completes the file,
``abort`` releases everything after a failure. ``saving()`` is the context manager that
does setup / yield / finish, and abort on any error. Every file goes through
:func:`training.atomic.atomic_path`: a failed or interrupted render leaves no partial file
and keeps an earlier file of the same name intact.
"""
from __future__ import annotations

import abc
import contextlib
from pathlib import Path
from typing import Iterator

import numpy as np

from training.atomic import atomic_path
from training.errors import InputError

__all__ = ["AbstractFrameWriter", "SharedFrame", "share_frame", "kept"]


class SharedFrame(np.ndarray):
    """A frame copied once for all the writers that keep frames (:func:`share_frame`): nobody
    draws into it again, so a writer may keep it as it is instead of copying it."""


def share_frame(frame: np.ndarray) -> SharedFrame:
    """One read-only copy of ``frame`` that every writer can keep (one copy, not one a writer)."""
    out = np.array(frame, order="C").view(SharedFrame)
    out.flags.writeable = False
    return out


def kept(frame: np.ndarray) -> np.ndarray:
    """``frame`` as a writer may keep it: a shared frame as it is, any other one copied."""
    return frame if isinstance(frame, SharedFrame) else frame.copy()


class AbstractFrameWriter(abc.ABC):
    """Base of every writer. Frames are (height, width, 4) uint8 RGBA arrays (matplotlib's own
    buffer, Manim's pixel array; alpha is ignored), or (height, width, 3) RGB with ``channels=3``.

    A frame passed to :meth:`grab_frame` may be reused by the caller as soon as the call
    returns: a writer that keeps it must copy it (:func:`kept`), unless it is a
    :class:`SharedFrame`. ``keeps_frames``: whether it keeps them (the encoders then share one copy).
    """

    name = "abstract"  # set by :func:`scenes.writers.registry.register`
    suffix = ""
    requires = ""  # what to install when :meth:`is_available` is False
    keeps_frames = False  # holds frames after grab_frame returns (a queue, a pipe's thread)

    def __init__(self, channels: int = 4) -> None:
        self.path: Path | None = None
        self.size: tuple[int, int] = (0, 0)
        self.fps = 30
        self.frames_written = 0
        self.channels = channels

    @classmethod
    def is_available(cls) -> bool:
        """Whether this writer can run here (its encoder or library is installed)."""
        return True

    def setup(self, path: Path, size: tuple[int, int], fps: int) -> None:
        """Open ``path`` for frames of ``size`` (width, height) at ``fps`` frames per second."""
        w, h = size
        if w <= 0 or h <= 0:
            raise InputError(f"frame size must be positive, got {w}x{h}")
        self.path, self.size, self.fps = Path(path), (int(w), int(h)), int(fps)
        self.frames_written = 0

    @abc.abstractmethod
    def grab_frame(self, frame: np.ndarray) -> None:
        """Add one frame."""

    @abc.abstractmethod
    def finish(self) -> None:
        """Complete the file. Raises if the encoder failed."""

    def abort(self) -> None:
        """Stop after a failure: release processes and files. Safe to call twice."""

    def _check(self, frame: np.ndarray) -> np.ndarray:
        w, h = self.size
        if frame.shape != (h, w, self.channels) or frame.dtype != np.uint8:
            raise ValueError(f"{self.name} writer expects ({h}, {w}, {self.channels}) uint8 frames, "
                             f"got {frame.shape} {frame.dtype}")
        return np.ascontiguousarray(frame)

    @contextlib.contextmanager
    def saving(self, path: str | Path, size: tuple[int, int], fps: int) -> Iterator["AbstractFrameWriter"]:
        """Write to a temporary name; rename onto ``path`` only when finished cleanly."""
        with atomic_path(path) as tmp:
            done = False
            try:
                self.setup(tmp, size, fps)
                yield self
                self.finish()
                done = True
            finally:
                if not done:
                    self.abort()
