"""Output writers: MP4, WebM, GIF, PNG frames (and a null writer for tests), found by name.

One interface, as matplotlib's ``AbstractMovieWriter``: ``setup``, ``grab_frame``, ``finish``,
and ``saving()``, a context manager that finishes on success and cleans up on any failure.
Every file goes through :func:`training.atomic.atomic_path`: a failed or interrupted render
leaves no partial file and keeps an earlier file of the same name intact.

Video goes to ffmpeg (the binary inside imageio-ffmpeg, no system ffmpeg) as raw RGB frames
over stdin, one frame at a time: nothing is held in memory beyond the frame being written.
"""
from __future__ import annotations

import contextlib
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from training.atomic import atomic_path
from training.errors import InputError

__all__ = ["FrameWriter", "NullWriter", "FFmpegWriter", "MP4Writer", "WebMWriter", "GifWriter",
           "PngFramesWriter", "WRITERS", "register", "get_writer", "available_writers",
           "ffmpeg_exe", "write_png"]


QUEUE_FRAMES = 3  # frames waiting for the encoder: overlap without holding the video in memory


def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped in the imageio-ffmpeg wheel."""
    try:
        import imageio_ffmpeg
    except ImportError:  # pragma: no cover - a dependency of the project
        raise InputError("writing video needs imageio-ffmpeg: pip install imageio-ffmpeg") from None
    return imageio_ffmpeg.get_ffmpeg_exe()


class FrameWriter:
    """Base writer: frames are (height, width, 4) uint8 RGBA arrays (matplotlib's own buffer,
    passed on without a copy; alpha is ignored), or (height, width, 3) RGB with ``channels=3``."""

    name = "base"
    suffix = ""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.size: tuple[int, int] = (0, 0)
        self.fps = 30
        self.frames_written = 0
        self.channels = 4

    def setup(self, path: Path, size: tuple[int, int], fps: int) -> None:
        w, h = size
        if w <= 0 or h <= 0:
            raise InputError(f"frame size must be positive, got {w}x{h}")
        self.path, self.size, self.fps = Path(path), (int(w), int(h)), int(fps)
        self.frames_written = 0

    def grab_frame(self, frame: np.ndarray) -> None:
        self.frames_written += 1

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
    def saving(self, path: str | Path, size: tuple[int, int], fps: int) -> Iterator["FrameWriter"]:
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


class NullWriter(FrameWriter):
    """Counts frames and keeps the last one; writes nothing (tests, dry runs)."""

    name = "null"

    def __init__(self) -> None:
        super().__init__()
        self.last: np.ndarray | None = None

    def grab_frame(self, frame: np.ndarray) -> None:
        self.last = frame
        self.frames_written += 1

    @contextlib.contextmanager
    def saving(self, path=None, size=(0, 0), fps=30):  # no file at all
        self.size, self.fps, self.frames_written = tuple(size), fps, 0
        yield self


class FFmpegWriter(FrameWriter):
    """Pipes raw RGB frames to an ffmpeg subprocess. Subclasses give the output options."""

    name = "ffmpeg"

    def __init__(self, extra_args: Sequence[str] = (), channels: int = 4) -> None:
        super().__init__()
        self.extra_args = list(extra_args)
        self.channels = channels
        self.proc: subprocess.Popen | None = None
        self._log = None
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None

    def output_args(self) -> list[str]:
        raise NotImplementedError

    def input_args(self) -> list[str]:
        w, h = self.size
        pix = "rgba" if self.channels == 4 else "rgb24"
        return ["-f", "rawvideo", "-pix_fmt", pix, "-s", f"{w}x{h}", "-framerate", str(self.fps),
                "-i", "pipe:0"]

    def command(self) -> list[str]:
        return [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                *self.input_args(), *self.output_args(), *self.extra_args, str(self.path)]

    def setup(self, path: Path, size: tuple[int, int], fps: int) -> None:
        super().setup(path, size, fps)
        self._start()

    def _start(self) -> None:
        # ffmpeg's messages go to a file, not a pipe: a chatty encoder can never block us.
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=self._log)
        # A thread feeds the pipe: while a write waits for ffmpeg to take the frame (the GIL
        # is released), the next frame is already being drawn. A few frames in flight at most.
        self._queue = queue.Queue(maxsize=QUEUE_FRAMES)
        self._failed = None
        self._thread = threading.Thread(target=self._pump, args=(self.proc.stdin, self._queue),
                                        name=f"{self.name}-pipe", daemon=True)
        self._thread.start()

    def _pump(self, stdin, frames: "queue.Queue") -> None:
        while True:
            frame = frames.get()
            if frame is None:
                return
            if self._failed is None:
                try:
                    stdin.write(memoryview(frame).cast("B"))
                except (BrokenPipeError, OSError) as e:  # the encoder stopped; keep draining
                    self._failed = e

    def _stop_pump(self) -> None:
        thread = getattr(self, "_thread", None)
        if thread is not None:
            self._queue.put(None)
            thread.join()
            self._thread = None

    def _error(self, what: str) -> RuntimeError:
        msg = ""
        if self._log is not None:
            self._log.seek(0)
            msg = self._log.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            msg = " | ".join(msg)
        if "No space left on device" in msg:
            return RuntimeError(f"the disk is full: no space left on device while writing {self.name.upper()}")
        return RuntimeError(f"ffmpeg ({self.name}) {what}: {msg or 'no message'}")

    def grab_frame(self, frame: np.ndarray) -> None:
        frame = self._check(frame)
        if self._failed is not None:
            self._stop_pump()
            self.proc.wait()
            raise self._error("stopped while receiving frames")
        self._queue.put(frame.copy())  # a copy: the caller draws the next frame into its buffer
        self.frames_written += 1

    def finish(self) -> None:
        proc = self.proc
        self._stop_pump()
        if self._failed is not None:
            proc.wait()
            raise self._error("stopped while receiving frames")
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
        rc = proc.wait()
        if rc != 0:
            raise self._error(f"exited with code {rc}")
        self._close_log()

    def abort(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.kill()  # first: a write blocked in the pump thread then fails and it drains
        self._stop_pump()
        if proc is not None:
            with contextlib.suppress(Exception):
                proc.stdin.close()
            proc.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class MP4Writer(FFmpegWriter):
    """H.264 in MP4: yuv420p, even width and height, +faststart (plays in every browser)."""

    name = "mp4"
    suffix = ".mp4"

    def __init__(self, crf: int = 20, preset: str = "veryfast", extra_args: Sequence[str] = (),
                 channels: int = 4):
        super().__init__(extra_args, channels)
        self.crf, self.preset = crf, preset

    def setup(self, path: Path, size: tuple[int, int], fps: int) -> None:
        if size[0] % 2 or size[1] % 2:
            raise InputError(f"H.264 needs an even width and height, got {size[0]}x{size[1]}")
        super().setup(path, size, fps)

    def output_args(self) -> list[str]:
        # "animation" tuning suits flat colours and sharp lines; GOP of 10 s for seeking.
        return ["-c:v", "libx264", "-preset", self.preset, "-tune", "animation", "-crf", str(self.crf),
                "-pix_fmt", "yuv420p", "-g", str(self.fps * 10), "-movflags", "+faststart",
                "-f", "mp4"]


class WebMWriter(FFmpegWriter):
    """VP9 in WebM, constant quality; realtime speed settings (flat graphics compress well)."""

    name = "webm"
    suffix = ".webm"

    def __init__(self, crf: int = 33, cpu_used: int = 8, extra_args: Sequence[str] = (),
                 channels: int = 4):
        super().__init__(extra_args, channels)
        self.crf, self.cpu_used = crf, cpu_used

    def output_args(self) -> list[str]:
        return ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", str(self.crf), "-pix_fmt", "yuv420p",
                "-deadline", "realtime", "-cpu-used", str(self.cpu_used), "-row-mt", "1",
                "-f", "webm"]


class GifWriter(FFmpegWriter):
    """Looping GIF with one palette fitted to the video's content, streamed through ffmpeg.

    The palette comes from ``palette_frames`` (a few frames spread over the video, chosen by the
    renderer) or, when none are given, from the first ``sample`` frames. Then every frame is
    mapped onto it as it arrives (ffmpeg ``paletteuse``): memory stays at a few frames,
    whatever the length. ``diff_mode=rectangle`` re-maps only the changed part of a frame,
    and ffmpeg's GIF encoder stores only what changed, so the file stays small.
    """

    name = "gif"
    suffix = ".gif"

    def __init__(self, palette_frames: Sequence[np.ndarray] | None = None, sample: int = 12,
                 dither: str = "none", extra_args: Sequence[str] = (), channels: int = 4):
        super().__init__(extra_args, channels)
        self.palette_frames = list(palette_frames) if palette_frames is not None else None
        self.sample = sample
        self.dither = dither
        self._pending: list[np.ndarray] = []
        self._palette_dir: str | None = None

    def setup(self, path: Path, size: tuple[int, int], fps: int) -> None:
        FrameWriter.setup(self, path, size, fps)
        self._palette_dir = tempfile.mkdtemp(prefix="sgd-anim-palette-")
        if self.palette_frames:
            self._make_palette(self.palette_frames)
            self._start()

    def _make_palette(self, frames: Sequence[np.ndarray]) -> None:
        w, h = self.size
        pal = Path(self._palette_dir) / "palette.png"
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
               "-f", "rawvideo", "-pix_fmt", "rgba" if self.channels == 4 else "rgb24",
               "-s", f"{w}x{h}", "-i", "pipe:0",
               "-vf", "palettegen=max_colors=256:stats_mode=full:reserve_transparent=1",
               "-update", "1", "-frames:v", "1", str(pal)]
        data = b"".join(self._check(f).tobytes() for f in frames)
        res = subprocess.run(cmd, input=data, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if res.returncode != 0 or not pal.exists():
            raise RuntimeError(f"ffmpeg palettegen failed: {res.stderr.decode('utf-8', 'replace')[-300:]}")
        self._palette = pal

    def input_args(self) -> list[str]:
        return [*super().input_args(), "-i", str(self._palette)]

    def output_args(self) -> list[str]:
        dither = self.dither if self.dither != "none" else "none"
        return ["-lavfi", f"[0:v][1:v]paletteuse=dither={dither}:diff_mode=rectangle",
                "-loop", "0", "-f", "gif"]

    def grab_frame(self, frame: np.ndarray) -> None:
        if self.proc is None:
            self._pending.append(self._check(frame).copy())
            if len(self._pending) >= self.sample:
                self._flush_pending()
            return
        super().grab_frame(frame)

    def _flush_pending(self) -> None:
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
        if self._palette_dir:
            shutil.rmtree(self._palette_dir, ignore_errors=True)
            self._palette_dir = None


class PngFramesWriter(FrameWriter):
    """Every frame as a PNG in a folder, written to a temporary folder renamed at the end."""

    name = "frames"
    suffix = ""

    def __init__(self, compress_level: int = 1, channels: int = 4):
        super().__init__()
        self.compress_level = compress_level
        self.channels = channels

    def grab_frame(self, frame: np.ndarray) -> None:
        from PIL import Image

        frame = self._check(frame)[..., :3]
        Image.fromarray(frame).save(self.path / f"frame_{self.frames_written:05d}.png",
                                    compress_level=self.compress_level)
        self.frames_written += 1

    @contextlib.contextmanager
    def saving(self, path: str | Path, size: tuple[int, int], fps: int):
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
        try:
            self.setup(tmp, size, fps)
            yield self
            self.finish()
            old = None
            if target.exists():  # keep the old folder until the new one is in place
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
                os.replace(target, old / "frames")
            os.replace(tmp, target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)


def write_png(path: str | Path, frame: np.ndarray) -> Path:
    """Write one RGB frame as a PNG, atomically (the poster)."""
    from PIL import Image

    with atomic_path(path) as tmp:
        Image.fromarray(np.ascontiguousarray(frame[..., :3])).save(tmp, format="PNG", optimize=True)
    return Path(path)


WRITERS: dict[str, type[FrameWriter]] = {}


def register(name: str, cls: type[FrameWriter]) -> None:
    WRITERS[name] = cls


for _cls in (MP4Writer, WebMWriter, GifWriter, PngFramesWriter, NullWriter):
    register(_cls.name, _cls)


def available_writers() -> list[str]:
    return sorted(WRITERS)


def get_writer(name: str, **options) -> FrameWriter:
    """A new writer by name (``mp4``, ``webm``, ``gif``, ``frames``, ``null``)."""
    try:
        cls = WRITERS[name]
    except KeyError:
        raise InputError(f"unknown writer {name!r}; accepted: {', '.join(available_writers())}") from None
    return cls(**options)
