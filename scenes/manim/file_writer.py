"""Manim's frames to our writers, through Manim's own seam.

``CairoRenderer(file_writer_class=...)`` lets a renderer write through any
``SceneFileWriter``. Ours keeps Manim's bookkeeping (sections, which the renderer reads to
decide what to skip) and replaces every file operation: no media folder, no partial movie
files, no combined movie, no still image. Each frame goes to a callback instead; for a render
that is the one frame loop, :class:`scenes.encode.Encoders`, which hands it to the job's
writers (the same MP4, WebM, GIF and PNG encoders the matplotlib backend uses), keeps the
last frame for the poster and reports progress.

Works with Manim 0.19 to 0.22: 0.19 builds the writer as ``cls(renderer, scene_name)`` and
calls ``write_frame(frame, num_frames=n)``; 0.22 builds it as ``cls(settings)`` and calls
``write_frame(pixels, repeat=n)``. Both constructors are inherited unchanged.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from manim.scene.scene_file_writer import SceneFileWriter

__all__ = ["FrameSink", "file_writer_for"]

FrameSink = Callable[[np.ndarray, int], None]
"""``sink(frame, repeat)``: an (H, W, 4) uint8 RGBA frame, shown ``repeat`` times in a row."""


class _NoFilesWriter(SceneFileWriter):
    """A SceneFileWriter that writes nothing itself; :meth:`write_frame` calls ``sink``."""

    sink: FrameSink | None = None

    def write_frame(self, frame: np.ndarray, num_frames: int = 1, *, repeat: int | None = None) -> None:
        # Manim hands over a fresh array per call (the renderer copies the camera's buffer), and
        # a ``wait`` comes as one frame with a repeat count, which is passed on as is.
        n = num_frames if repeat is None else repeat
        if n > 0 and self.sink is not None:
            self.sink(frame, n)

    # -- every file operation, disabled
    def init_output_directories(self, *args: Any, **kwargs: Any) -> None:  # 0.19-0.21: no media folder
        pass

    def add_partial_movie_file(self, hash_animation: str | None) -> None:  # no partial movie files
        pass

    def is_already_cached(self, hash_invocation: str) -> bool:  # nothing is cached: render every play
        return False

    def begin_animation(self, allow_write: bool = False, *args: Any, **kwargs: Any) -> None:
        pass

    def end_animation(self, allow_write: bool = False, *args: Any, **kwargs: Any) -> None:
        pass

    def combine_to_movie(self) -> None:
        pass

    def combine_to_section_videos(self) -> None:
        pass

    def write_subcaption_file(self) -> None:
        pass

    def save_image(self, *args: Any, **kwargs: Any) -> None:  # 0.22
        pass

    def save_final_image(self, *args: Any, **kwargs: Any) -> None:  # 0.19-0.21
        pass

    def clean_cache(self) -> None:
        pass

    def flush_cache_directory(self) -> None:
        pass

    def finish(self) -> None:
        """Our writers are finished (and renamed into place) by the caller, after ``render()``."""


def file_writer_for(sink: FrameSink) -> type[SceneFileWriter]:
    """A SceneFileWriter class for ``CairoRenderer(file_writer_class=...)`` that sends every
    frame to ``sink`` and writes no file (the renderer builds the instance itself)."""

    class SinkFileWriter(_NoFilesWriter):
        pass

    SinkFileWriter.sink = staticmethod(sink)
    return SinkFileWriter
