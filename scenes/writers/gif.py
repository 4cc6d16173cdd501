"""The GIF encoder of both backends: looping, one palette fitted to the content, streamed."""
from __future__ import annotations

import contextlib
import math
import shutil
import subprocess
import tempfile
import threading
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import numpy as np

from scenes.colour import hex_rgb
from scenes.freed_memory import encoder_env
from scenes.writers.base import kept
from scenes.writers.ffmpeg import FFmpegWriter, ffmpeg_exe
from scenes.writers.registry import register

__all__ = ["GifWriter", "SLIDE_MAX_WIDTH", "SLIDE_MAX_FPS"]

# Caps for a GIF made from a large, fast video (Manim renders 1080p60 and 4K60): a GIF is for
# slides and chat, where 960 px is full width and 15 fps is smooth enough, while every extra
# pixel and frame makes the file bigger (LZW has no motion compensation). They are options of
# this one writer, not code in a backend, so any backend asks for them the same way.
SLIDE_MAX_WIDTH = 960
SLIDE_MAX_FPS = 15
# Bytes of frames kept while the palette is fitted in the background (about 0.3 s; 17 frames
# at 1280x720): then the next frame waits for the fit.
PALETTE_WAIT_BYTES = 64 << 20


class _PaletteJob:
    """``fit(frames)`` run in a thread: ffmpeg's palettegen, a separate process, works on
    another core while the first frames are drawn and the other encoders start."""

    def __init__(self, fit, frames) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fit, frames), name="gif-palette", daemon=True)
        self._thread.start()

    def _run(self, fit, frames) -> None:
        try:
            fit(frames)
        except BaseException as e:  # raised in the caller's thread by result()
            self._error = e

    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


def _rgb(colour: str | Sequence[int]) -> tuple[int, int, int]:
    """A hex colour (:func:`scenes.colour.hex_rgb`) or an (r, g, b) triple."""
    if isinstance(colour, str):
        return hex_rgb(colour)
    r, g, b = (int(v) for v in colour)
    return r, g, b


@register("gif")
class GifWriter(FFmpegWriter):
    """Looping GIF with one palette fitted to the video's content, streamed through ffmpeg.

    The palette comes from ``palette_frames`` (a few frames spread over the video, chosen by the
    renderer; fitted in a thread while the first frames arrive, which wait for it) or, when
    none are given, from the first ``sample`` frames. Then every frame is
    mapped onto it as it arrives (ffmpeg ``paletteuse``): memory stays at a few frames,
    whatever the length. ``diff_mode=rectangle`` re-maps only the changed part of a frame,
    and ffmpeg's GIF encoder stores only what changed, so the file stays small.

    ``palette_colors`` (``"#RRGGBB"`` or RGB triples) are colours the palette must hold though
    the sampled frames may not show them yet: a renderer that streams frames in order (Manim
    cannot draw frame 200 before frame 199) passes its theme's colours, so an element that
    first appears late keeps its colour. Each is added as a ramp toward the background (the
    commonest colour of the first frame), as antialiased edges blend it.

    ``max_width`` scales frames down (aspect kept, ``area`` filter: no ringing, so no extra
    colours) and ``max_fps`` keeps every k-th frame, k the smallest stride that brings the
    rate to at most ``max_fps``; the GIF lasts as long as the video either way.
    """

    suffix = ".gif"
    encoder = "gif"

    def __init__(self, palette_frames: Sequence[np.ndarray] | None = None, sample: int = 12,
                 dither: str = "none", palette_colors: Sequence[str | Sequence[int]] = (),
                 max_width: int | None = None, max_fps: int | None = None,
                 extra_args: Sequence[str] = (), channels: int = 4):
        super().__init__(extra_args, channels)
        if (max_width is not None and max_width < 1) or (max_fps is not None and max_fps < 1):
            raise ValueError(f"max_width and max_fps must be positive, got {max_width}, {max_fps}")
        self.palette_frames = list(palette_frames) if palette_frames is not None else None
        self.sample = sample
        self.dither = dither
        self.palette_colors = [_rgb(c) for c in palette_colors]
        self.max_width, self.max_fps = max_width, max_fps
        self.stride = 1
        self.out_size: tuple[int, int] = (0, 0)
        self._seen = 0
        self._pending: list[np.ndarray] = []
        self._palette_dir: str | None = None
        self._fitting: _PaletteJob | None = None

    @property
    def gif_fps(self) -> Fraction:
        """Frames per second of the GIF: the video's rate over the stride."""
        return Fraction(self.fps, self.stride)

    def setup(self, path: Path, size: tuple[int, int], fps: int) -> None:
        super(FFmpegWriter, self).setup(path, size, fps)  # ffmpeg starts once the palette exists
        self.stride = math.ceil(self.fps / self.max_fps) if self.max_fps and self.fps > self.max_fps else 1
        w, h = self.size
        if self.max_width and w > self.max_width:
            w, h = self.max_width, max(1, round(h * self.max_width / w))
        self.out_size = (w, h)
        self._seen = 0
        self._palette_dir = tempfile.mkdtemp(prefix="sgd-anim-palette-")
        if self.palette_frames:
            # The palette is fitted in the background: the frames that arrive meanwhile wait
            # (PALETTE_WAIT_BYTES of them at most), while the other encoders already run.
            self._fitting = _PaletteJob(self._make_palette, self.palette_frames)

    def _scale(self) -> str:
        """The ffmpeg scale filter to the GIF's size, or '' at full size."""
        if self.out_size == self.size:
            return ""
        return f"scale={self.out_size[0]}:{self.out_size[1]}:flags=area"

    def _make_palette(self, frames: Sequence[np.ndarray]) -> None:
        w, h = self.size
        pal = Path(self._palette_dir) / "palette.png"
        gen = "palettegen=max_colors=256:stats_mode=full:reserve_transparent=1"
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
               "-f", "rawvideo", "-pix_fmt", "rgba" if self.channels == 4 else "rgb24",
               "-s", f"{w}x{h}", "-i", "pipe:0",
               "-vf", ",".join(f for f in (self._scale(), gen) if f),
               "-update", "1", "-frames:v", "1", str(pal)]
        frames = list(frames)
        if self.palette_colors:
            frames.append(self._swatches(frames[0]))
        data = b"".join(self._check(f).tobytes() for f in frames)
        res = subprocess.run(cmd, input=data, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=encoder_env())
        if res.returncode != 0 or not pal.exists():
            raise RuntimeError(f"ffmpeg palettegen failed: {res.stderr.decode('utf-8', 'replace')[-300:]}")
        self._palette = pal

    def _swatches(self, first: np.ndarray) -> np.ndarray:
        """A frame tiled with ``palette_colors``, each in 8 blends toward the background."""
        w, h = self.size
        sub = np.ascontiguousarray(first[::4, ::4, :3]).reshape(-1, 3)
        colours, counts = np.unique(sub, axis=0, return_counts=True)
        bg = colours[counts.argmax()].astype(float)
        tiles = [np.round(np.asarray(c, float) * t + bg * (1 - t))
                 for c in self.palette_colors for t in np.linspace(1.0, 0.125, 8)]
        cols = math.ceil(math.sqrt(len(tiles)))
        rows = math.ceil(len(tiles) / cols)
        xs, ys = np.linspace(0, w, cols + 1).astype(int), np.linspace(0, h, rows + 1).astype(int)
        out = np.empty((h, w, self.channels), np.uint8)
        out[..., :3] = bg
        if self.channels == 4:
            out[..., 3] = 255
        for i, tile in enumerate(tiles):
            r, c = divmod(i, cols)
            out[ys[r]:ys[r + 1], xs[c]:xs[c + 1], :3] = tile
        return out

    def input_rate(self) -> str:
        r = self.gif_fps
        return f"{r.numerator}/{r.denominator}"

    def input_args(self) -> list[str]:
        return [*super().input_args(), "-i", str(self._palette)]

    def output_args(self) -> list[str]:
        use = f"paletteuse=dither={self.dither}:diff_mode=rectangle"
        scale = self._scale()
        graph = f"[0:v]{scale}[v];[v][1:v]{use}" if scale else f"[0:v][1:v]{use}"
        return ["-lavfi", graph, "-loop", "0", "-f", "gif"]

    def grab_frame(self, frame: np.ndarray) -> None:
        i, self._seen = self._seen, self._seen + 1
        if i % self.stride:
            self._check(frame)
            return
        if self.proc is None:
            self._check(frame)
            self._pending.append(kept(frame))
            fitting = self._fitting
            if fitting is None and len(self._pending) >= self.sample:
                self._flush_pending()
            elif fitting is not None and (fitting.done()
                                          or len(self._pending) * frame.nbytes >= PALETTE_WAIT_BYTES):
                self._flush_pending()
            return
        super().grab_frame(frame)

    def _flush_pending(self) -> None:
        """Fit the palette (or wait for its fit), start the encoder, and send it what waited."""
        fitting, self._fitting = self._fitting, None
        if fitting is not None:
            fitting.result()
        else:
            self._make_palette(self._pending)
        self._start()
        pending, self._pending = self._pending, []
        for f in pending:
            super().grab_frame(f)

    def finish(self) -> None:
        try:
            if self.proc is None:
                if not self._pending:
                    raise RuntimeError("a GIF needs at least one frame")
                self._flush_pending()
            super().finish()
        finally:
            self._drop_palette()

    def abort(self) -> None:
        super().abort()
        self._pending = []
        self._drop_palette()

    def _drop_palette(self) -> None:
        fitting, self._fitting = self._fitting, None
        if fitting is not None:  # its ffmpeg ends soon (a few frames); the folder goes after it
            with contextlib.suppress(Exception):
                fitting.result()
        if self._palette_dir:
            shutil.rmtree(self._palette_dir, ignore_errors=True)
            self._palette_dir = None
