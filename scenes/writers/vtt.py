"""WebVTT captions beside a video: the beats' captions at the plan's beat boundaries.

The cues come from the story (:meth:`scenes.story.story.Story.captions`: one per plan
segment); this module only formats them. A cue starts at its first frame: the time is
rounded *up* to the millisecond, so it falls inside that frame's display interval
``[i/fps, (i+1)/fps)`` (for any fps below 1000) and a player switches caption on the very
frame the picture does. :func:`frame_at` maps a time back to the frame shown then.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator, Sequence

from training.atomic import atomic_path

__all__ = ["VIDEO_FORMATS", "SUBTITLE_FORMATS", "cue_ms", "timestamp", "frame_at", "vtt_text",
           "vtt_file", "parse_vtt"]

from scenes.outputs import SUBTITLE_FORMATS, VIDEO_FORMATS  # noqa: E402  (declared once there)


def cue_ms(frame: int, fps: int) -> int:
    """The first whole millisecond at or after frame ``frame`` starts (integer arithmetic)."""
    return -(-int(frame) * 1000 // int(fps))


def timestamp(ms: int) -> str:
    """``HH:MM:SS.mmm``."""
    s, ms = divmod(int(ms), 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def frame_at(ms: int, fps: int) -> int:
    """The frame on screen at ``ms`` milliseconds (frame i shows from i/fps to (i+1)/fps)."""
    return int(ms) * int(fps) // 1000


def _clean(text: str) -> str:
    # A cue's text ends at a blank line and "-->" would read as a timing line; "<" and "&"
    # start markup in WebVTT, so they are written as entities.
    text = " ".join(text.split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vtt_text(cues: Sequence[tuple[int, int, str]], fps: int) -> str:
    """A WebVTT document of ``(start_frame, stop_frame, text)`` cues at ``fps``."""
    lines = ["WEBVTT", ""]
    for i, (start, stop, text) in enumerate(cues, 1):
        if stop <= start:
            continue
        lines += [str(i), f"{timestamp(cue_ms(start, fps))} --> {timestamp(cue_ms(stop, fps))}",
                  _clean(text), ""]
    return "\n".join(lines)


def parse_vtt(text: str) -> list[tuple[int, int, str]]:
    """``(start_ms, stop_ms, text)`` of every cue of a WebVTT document (the subset we write)."""
    def ms(stamp: str) -> int:
        hms, _, frac = stamp.partition(".")
        h, m, s = (int(v) for v in hms.split(":"))
        return ((h * 60 + m) * 60 + s) * 1000 + int(frac)

    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        rows = [r for r in block.split("\n") if r]
        for j, row in enumerate(rows):
            if "-->" in row:
                a, _, b = row.partition("-->")
                body = "\n".join(rows[j + 1:])
                body = body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                out.append((ms(a.strip()), ms(b.split()[0]), body))
                break
    return out


@contextlib.contextmanager
def vtt_file(path: str | Path, cues: Sequence[tuple[int, int, str]], fps: int) -> Iterator[Path]:
    """Write the captions to a temporary file beside ``path`` and yield it (ffmpeg reads it as
    the subtitle input while the videos are encoded); it is renamed onto ``path`` when the
    block ends cleanly and removed on any error, as the videos are."""
    with atomic_path(path) as tmp:
        tmp.write_text(vtt_text(cues, fps), encoding="utf-8")
        yield tmp
