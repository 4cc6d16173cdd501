"""``--format pptx``: a frame writer that cuts the video at its beats into a slide deck.

It takes the frames of the whole video, in order, like every writer (so both backends write
a deck without code of their own), and follows the frame plan: each beat of the detailed
steps and the fast-forward become a short MP4 clip (the MP4 writer's H.264) with its last
frame as poster; the intro's last frame and the final fit become the pictures of the title
and final slides. :meth:`finish` builds the deck (:mod:`scenes.writers.deck`) into the
temporary file that ``saving()`` renames into place, so a failed or refused deck leaves
nothing behind.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np

from scenes.story.deck import CLIP_BEATS, DeckOutline, media_slides
from scenes.story.plan import FAST, FramePlan
from scenes.story.theme import Theme, load_theme
from scenes.writers.base import AbstractFrameWriter
from scenes.writers.deck import (MAX_DECK_MB, DeckSlide, build_deck, check_deck_size,
                                 check_media_slides)
from scenes.writers.ffmpeg import MP4Writer
from scenes.writers.registry import register

__all__ = ["DeckWriter", "CLIP_BEATS", "media_slides", "check_deck_plan"]


def check_deck_plan(plan: FramePlan) -> None:
    """Refuse, in one line and before any frame is drawn, a deck over its slide budget."""
    check_media_slides(media_slides(plan), plan.detail_steps, has_fast=bool(np.any(plan.beat == FAST)))


def _have_pptx() -> bool:
    try:
        import pptx  # noqa: F401
    except ImportError:
        return False
    return True


@register("pptx")
class DeckWriter(AbstractFrameWriter):
    """A PowerPoint deck of the video's beats (see the module docstring).

    ``outline`` is the deck's words and ``frame_plan`` the plan the frames follow (the backend
    passes both, from its story); ``crf`` the clips' H.264 quality; ``max_mb`` the size budget.
    It knows files, not stories."""

    suffix = ".pptx"
    requires = "python-pptx (pip install python-pptx)"

    def __init__(self, outline: DeckOutline | None = None, frame_plan: FramePlan | None = None,
                 theme: str | Theme = "light", crf: int = 23, max_mb: float = MAX_DECK_MB,
                 channels: int = 4):
        super().__init__(channels)
        if outline is None or frame_plan is None:
            raise ValueError("the pptx writer needs the deck's outline and the frame plan (the backend passes them)")
        self.outline = outline
        self.plan = frame_plan
        self.theme = theme if isinstance(theme, Theme) else load_theme(theme)
        self.crf, self.max_mb = crf, max_mb
        self.segments = frame_plan.segments()
        check_deck_plan(frame_plan)
        self._dir: Path | None = None
        self._seg = 0
        self._clip: MP4Writer | None = None
        self.slides: list[DeckSlide] = []

    @classmethod
    def is_available(cls) -> bool:
        return _have_pptx()

    def setup(self, path: Path, size: tuple[int, int], fps: int) -> None:
        super().setup(path, size, fps)
        if fps != self.plan.fps:
            raise ValueError(f"frames at {fps} fps do not follow the plan's {self.plan.fps} fps")
        self._dir = Path(tempfile.mkdtemp(prefix="sgd-anim-deck-"))
        self._seg, self.slides = 0, []

    def grab_frame(self, frame: np.ndarray) -> None:
        frame = self._check(frame)
        i = self.frames_written
        if self._seg >= len(self.segments):
            raise ValueError(f"the deck's plan has {len(self.plan)} frames; got more")
        seg = self.segments[self._seg]
        if seg.beat in CLIP_BEATS:
            if self._clip is None:
                self._clip = MP4Writer(crf=self.crf, channels=self.channels)
                self._clip.setup(self._dir / f"clip_{self._seg:03d}.mp4", self.size, self.fps)
            self._clip.grab_frame(frame)
        self.frames_written += 1
        if i + 1 == seg.stop:  # the segment's last frame: its poster, and the clip is complete
            self._end_segment(seg, frame)
            self._seg += 1

    def _end_segment(self, seg, frame: np.ndarray) -> None:
        from scenes.writers.png import write_png
        image = write_png(self._dir / f"still_{self._seg:03d}.png", frame)
        text = self.outline.segments[self._seg]
        if text.kind == "clip":
            clip, self._clip = self._clip, None
            clip.finish()
            self.slides.append(DeckSlide(kind="clip", caption=text.caption, notes=text.notes, image=image,
                                         clip=clip.path, duration_ms=round(1000 * seg.n_frames / self.fps)))
            if text.graph is not None:  # the recorded graph as the beat leaves it, drawn as shapes
                self.slides.append(DeckSlide(kind="graph", caption=text.graph.title, notes=text.graph.notes,
                                             graph=text.graph))
        elif text.kind is not None:  # the title and the final slide
            self.slides.append(DeckSlide(kind=text.kind, caption=text.caption, notes=text.notes, image=image,
                                         lines=text.lines))

    def finish(self) -> None:
        try:
            if self.frames_written != len(self.plan):
                raise RuntimeError(f"the deck's plan has {len(self.plan)} frames; got {self.frames_written}")
            build_deck(self.path, self.slides, frame_size=self.size, theme=self.theme, title=self.outline.title,
                       final_title=self.outline.final_title)
            check_deck_size(self.path.stat().st_size, self.plan.detail_steps, self.max_mb)
        finally:
            self._cleanup()

    def abort(self) -> None:
        if self._clip is not None:
            self._clip.abort()
            self._clip = None
        self._cleanup()

    def _cleanup(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
