"""Video through ffmpeg: MP4 (H.264) and WebM (VP9), and the pipe the GIF writer shares.

ffmpeg is the binary inside the imageio-ffmpeg wheel (no system ffmpeg). Frames go to it as
raw RGBA (or RGB) over stdin, one at a time: nothing is held in memory beyond a few frames.
"""
from __future__ import annotations

import contextlib
import functools
import queue
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from scenes.freed_memory import encoder_env
from scenes.writers.base import AbstractFrameWriter, kept
from scenes.writers.registry import register
from training.errors import InputError

__all__ = ["ffmpeg_exe", "FFmpegWriter", "MP4Writer", "WebMWriter"]

QUEUE_FRAMES = 3  # frames waiting for the encoder: overlap without holding the video in memory
# How long an abort waits for the queue's lock and the pipe's thread. A Ctrl-C (an exception
# at any bytecode) can land inside the queue's own locking and leave its lock held, or the
# thread asleep, for good; the thread is a daemon, so it is then left behind.
ABORT_WAIT = 5.0


def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped in the imageio-ffmpeg wheel."""
    try:
        import imageio_ffmpeg
    except ImportError:  # pragma: no cover - a dependency of the project
        raise InputError("writing video needs imageio-ffmpeg: pip install imageio-ffmpeg") from None
    return imageio_ffmpeg.get_ffmpeg_exe()


@functools.cache
def _encoders() -> frozenset[str]:
    """The encoders this ffmpeg was built with (asked once per process)."""
    try:
        out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-encoders"], capture_output=True,
                             text=True, timeout=30).stdout
    except (InputError, RuntimeError, OSError, subprocess.SubprocessError):
        return frozenset()
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 6 and parts[0][0] == "V":  # "V....D libx264 ..."
            names.add(parts[1])
    return frozenset(names)


PIPE_BYTES = 1 << 20  # the pipe to ffmpeg: 1 MB, not Linux's 64 kB


def _widen_pipe(stdin) -> None:
    """A frame is megabytes: through a 64 kB pipe it goes in dozens of writes, each waking
    ffmpeg for a few pages. A 1 MB pipe (the most an unprivileged process may ask on Linux,
    /proc/sys/fs/pipe-max-size) takes it in a few, for less system time on both sides.
    Elsewhere, or when refused, the pipe stays as it is."""
    try:
        import fcntl
        fcntl.fcntl(stdin.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (ImportError, OSError, ValueError):
        pass


class FFmpegWriter(AbstractFrameWriter):
    """Pipes raw frames to an ffmpeg subprocess. Subclasses give the output options."""

    name = "ffmpeg"
    requires = "imageio-ffmpeg (pip install imageio-ffmpeg)"
    encoder = ""  # the ffmpeg encoder the output needs, checked by is_available()
    subtitle_codec = ""  # the container's text subtitle codec; "" when it carries none
    keeps_frames = True  # queued for the pipe's thread

    def __init__(self, extra_args: Sequence[str] = (), channels: int = 4,
                 subtitles: str | Path | None = None) -> None:
        super().__init__(channels)
        self.extra_args = list(extra_args)
        if subtitles is not None and not self.subtitle_codec:
            raise ValueError(f"the {self.name} writer cannot carry a subtitle track")
        # A WebVTT file muxed in as a soft subtitle track (scenes.writers.vtt writes it first).
        self.subtitles = Path(subtitles) if subtitles is not None else None
        self.proc: subprocess.Popen | None = None
        self._log = None
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None

    @classmethod
    def is_available(cls) -> bool:
        return bool(cls.encoder) and cls.encoder in _encoders()

    def output_args(self) -> list[str]:
        raise NotImplementedError

    def input_rate(self) -> str:
        """The frame rate of the frames sent to ffmpeg (ffmpeg accepts a ratio such as ``25/2``)."""
        return str(self.fps)

    def input_args(self) -> list[str]:
        w, h = self.size
        pix = "rgba" if self.channels == 4 else "rgb24"
        return ["-f", "rawvideo", "-pix_fmt", pix, "-s", f"{w}x{h}", "-framerate", self.input_rate(),
                "-i", "pipe:0"]

    def subtitle_args(self) -> tuple[list[str], list[str]]:
        """(input, output) arguments that add the captions as a second input and a soft track."""
        if self.subtitles is None:
            return [], []
        return (["-f", "webvtt", "-i", str(self.subtitles)],
                ["-map", "0:v", "-map", "1:s", "-c:s", self.subtitle_codec,
                 "-metadata:s:s:0", "language=eng", "-metadata:s:s:0", "title=Captions"])

    def command(self) -> list[str]:
        sub_in, sub_out = self.subtitle_args()
        return [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                *self.input_args(), *sub_in, *self.output_args(), *sub_out, *self.extra_args, str(self.path)]

    def setup(self, path: Path, size: tuple[int, int], fps: int) -> None:
        super().setup(path, size, fps)
        self._start()

    def _start(self) -> None:
        # ffmpeg's messages go to a file, not a pipe: a chatty encoder can never block us.
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=self._log, env=encoder_env())  # (scenes.freed_memory)
        _widen_pipe(self.proc.stdin)
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

    def _stop_pump(self, timeout: float | None = None) -> None:
        """Ends the pipe's thread: waiting as long as it takes (finish), or ``timeout`` at most (abort)."""
        thread = getattr(self, "_thread", None)
        if thread is not None:
            if timeout is None:
                self._queue.put(None)
            elif self._queue.mutex.acquire(timeout=timeout):  # (put itself would wait for it forever)
                self._queue.mutex.release()
                with contextlib.suppress(queue.Full):
                    self._queue.put(None, timeout=timeout)
            thread.join(timeout)
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
        contiguous = self._check(frame)  # a new array when the frame was not contiguous
        if self._failed is not None:
            self._stop_pump()
            self.proc.wait()
            raise self._error("stopped while receiving frames")
        # A copy unless shared (kept): the caller draws the next frame into its buffer.
        self._queue.put(kept(frame) if np.may_share_memory(contiguous, frame) else contiguous)
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
        self._stop_pump(timeout=ABORT_WAIT)
        if proc is not None:
            with contextlib.suppress(Exception):
                proc.stdin.close()
            proc.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


@register("mp4")
class MP4Writer(FFmpegWriter):
    """H.264 in MP4: yuv420p, even width and height, +faststart (plays in every browser)."""

    suffix = ".mp4"
    encoder = "libx264"
    subtitle_codec = "mov_text"

    def __init__(self, crf: int = 20, preset: str = "veryfast", extra_args: Sequence[str] = (),
                 channels: int = 4, subtitles: str | Path | None = None):
        super().__init__(extra_args, channels, subtitles)
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


@register("webm")
class WebMWriter(FFmpegWriter):
    """VP9 in WebM, constant quality, tuned for screen content (flat colours, sharp lines).

    Measured on the article preset (1920x1080, 20 epochs, 687 frames; PSNR of the decoded
    frames against the PNG frames of the same run; the MP4 writes 1.14 MB at 41.86 dB):

    ==========================================================  =======  ========  ========
    settings                                                    size     PSNR      CPU
    ==========================================================  =======  ========  ========
    realtime, cpu-used 8, keyframe every 128 frames (before)    2.00 MB  41.64 dB  20 s
    realtime, cpu-used 5, screen content, keyframe every 10 s   1.10 MB  41.90 dB  21 s
    good, cpu-used 4, keyframe every 10 s                       0.96 MB  41.87 dB  86 s
    ==========================================================  =======  ========  ========

    The default is the middle row: smaller than the MP4 at the same quality and as fast to
    encode (what paid: VP9's screen-content tools, and a keyframe every 10 s as in the MP4).
    ``deadline="good", cpu_used=4`` writes 16% less again for four times the encoding time
    (alternate reference frames: the picture is mostly still).
    """

    suffix = ".webm"
    encoder = "libvpx-vp9"
    subtitle_codec = "webvtt"

    def __init__(self, crf: int = 33, cpu_used: int = 5, deadline: str = "realtime",
                 extra_args: Sequence[str] = (), channels: int = 4, subtitles: str | Path | None = None):
        super().__init__(extra_args, channels, subtitles)
        self.crf, self.cpu_used, self.deadline = crf, cpu_used, deadline

    def output_args(self) -> list[str]:
        return ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", str(self.crf), "-pix_fmt", "yuv420p",
                "-deadline", self.deadline, "-cpu-used", str(self.cpu_used), "-tune-content", "screen",
                "-g", str(self.fps * 10), "-row-mt", "1", "-f", "webm"]
