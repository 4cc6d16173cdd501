"""Output writers shared by every backend: MP4, WebM, GIF, PNG frames, a PNG poster,
a PowerPoint deck cut at the beats.

One interface (:class:`AbstractFrameWriter`: ``setup``, ``grab_frame``, ``finish``, ``abort``
and the ``saving()`` context manager), and a registry: each writer registers itself by name
(``@register("mp4")``) and :func:`get_writer` builds one. Importing this package imports
every family module, so every writer is registered.
"""
from __future__ import annotations

from scenes.writers.base import AbstractFrameWriter
from scenes.writers.registry import WRITERS, available_writers, get_writer, register
from scenes.writers.ffmpeg import FFmpegWriter, MP4Writer, WebMWriter, ffmpeg_exe
from scenes.writers.gif import SLIDE_MAX_FPS, SLIDE_MAX_WIDTH, GifWriter
from scenes.writers.png import PngFramesWriter, write_png
from scenes.writers.null import NullWriter
from scenes.writers.pptx import DeckWriter

__all__ = ["AbstractFrameWriter", "WRITERS", "register", "get_writer", "available_writers",
           "FFmpegWriter", "MP4Writer", "WebMWriter", "GifWriter", "PngFramesWriter", "NullWriter", "DeckWriter",
           "SLIDE_MAX_WIDTH", "SLIDE_MAX_FPS", "ffmpeg_exe", "write_png"]
