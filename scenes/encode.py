"""The one place frames meet writers (as matplotlib's ``Animation.save`` is for its writers).

:class:`Encoders` opens every requested writer, and the captions file beside the videos,
hands each frame to each writer, and commits them together: each writer renames its file
into place when the block ends cleanly and removes it on any error. (The pipeline runs it
inside a staging folder, :mod:`scenes.staging`, so those names are moved into the output
folder only when the whole run has succeeded.) Every backend (the
matplotlib and Manim videos, both races) feeds its frames through it: a push loop calls it
per frame, Manim's file writer calls it as its frame sink.
"""
from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from scenes.stopping import check_stop
from scenes.writers import get_writer
from scenes.writers.base import share_frame
from scenes.writers.vtt import SUBTITLE_FORMATS, vtt_file

__all__ = ["Encoders", "PROGRESS_EVERY"]

PROGRESS_EVERY = 30  # frames between progress reports: a bar redrawn every frame costs time


class Encoders:
    """Writers for ``targets`` (format -> path) at ``size`` and ``fps``, used as a context
    manager; inside, call it with each frame (an (H, W, 3|4) uint8 array), ``repeat`` times
    in a row (a Manim ``wait`` is one frame shown for its length).

    ``options`` are per-format writer keyword arguments. ``captions`` is ``(vtt_path, cues)``:
    the captions file is entered first, so it is renamed into place last (a failed video
    leaves no .vtt either), and MP4 and WebM carry it as a soft subtitle track.
    ``progress(done, total)`` is called every ``progress_every`` frames (and at the end; Manim,
    which emits a frame with its repeat count, reports each call);
    ``frame_times`` (benchmarks) receives the wall-clock seconds each frame took to arrive.
    The last frame is kept in :attr:`last` (the poster of a backend that draws in order).
    """

    def __init__(self, targets: dict[str, Path], size: tuple[int, int], fps: int, *,
                 options: dict[str, dict] | None = None,
                 captions: tuple[Path, Sequence[tuple[int, int, str]]] | None = None,
                 total: int = 0, progress: Callable[[int, int], None] | None = None,
                 frame_times: list[float] | None = None, progress_every: int = PROGRESS_EVERY) -> None:
        self.targets, self.size, self.fps = dict(targets), size, fps
        self.options = {f: dict((options or {}).get(f, {})) for f in self.targets}
        self.captions = captions
        self.total, self.progress, self.frame_times = total, progress, frame_times
        self.every = max(1, progress_every)
        self.done = 0
        self.last: np.ndarray | None = None
        self._writers: list = []
        self._share = False
        self._stack: ExitStack | None = None
        self._t = time.perf_counter()

    def __enter__(self) -> "Encoders":
        stack = ExitStack()
        try:
            if self.captions is not None:
                path, cues = self.captions
                sub = stack.enter_context(vtt_file(path, cues, self.fps))
                for f in SUBTITLE_FORMATS:
                    if f in self.options:
                        self.options[f].setdefault("subtitles", sub)
            self._writers = [stack.enter_context(get_writer(f, **self.options[f]).saving(path, self.size, self.fps))
                             for f, path in self.targets.items()]
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        self._share = sum(w.keeps_frames for w in self._writers) > 1
        self._t = time.perf_counter()
        return self

    def __exit__(self, *exc) -> bool:
        stack, self._stack = self._stack, None
        return bool(stack.__exit__(*exc)) if stack is not None else False

    def __call__(self, frame: np.ndarray, repeat: int = 1) -> None:
        check_stop()  # a render in a server's thread ends at its next frame once a stop signal came
        if self.frame_times is not None:  # the time since the last frame, shared by its repeats
            now = time.perf_counter()
            self.frame_times.extend([(now - self._t) / repeat] * repeat)
            self._t = now
        if self._share:  # one copy that every writer keeps, not a copy each
            frame = share_frame(frame)
        for w in self._writers:
            for _ in range(repeat):
                w.grab_frame(frame)
        self.last = frame
        before, self.done = self.done, self.done + repeat
        if self.progress is not None and (self.done // self.every != before // self.every
                                          or self.done >= self.total):
            self.progress(self.done, self.total)

    def feed(self, frames) -> None:
        """Every frame of an iterable, in order."""
        for frame in frames:
            self(frame)

    @property
    def paths(self) -> list[Path]:
        return list(self.targets.values())
