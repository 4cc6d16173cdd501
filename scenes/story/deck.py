"""What a slide deck says: the story's words for each slide, ready for a writer.

The deck writer (:mod:`scenes.writers.pptx`) knows files (clips, posters, the .pptx); the
words (each beat's caption, its speaker notes, the title slide's settings, the final slide's
summary) are the story's, derived here once from the :class:`~scenes.story.story.Story` the
run was drawn from.
"""
from __future__ import annotations

from dataclasses import dataclass

from scenes.story.captions import OPTIMIZER_NAMES, caption
from scenes.story.notes import settings_lines, slide_notes, summary_lines
from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE, FramePlan
from scenes.story.protocol import StoryLike

__all__ = ["CLIP_BEATS", "SlideText", "DeckOutline", "deck_outline", "media_slides"]

CLIP_BEATS = (FORWARD, RESIDUALS, GRADIENT, UPDATE, FAST)  # the beats that become video slides


def media_slides(plan: FramePlan) -> int:
    """How many video slides a deck of ``plan`` holds: one per beat segment and fast-forward."""
    return sum(1 for seg in plan.segments() if seg.beat in CLIP_BEATS)


@dataclass(frozen=True)
class SlideText:
    """The words of the slide a plan segment becomes: ``kind`` is clip, title or final
    (None: the segment makes no slide)."""

    kind: str | None
    caption: str
    notes: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeckOutline:
    """The deck's words: its title, the final slide's title, and one :class:`SlideText` a segment."""

    title: str
    final_title: str
    segments: tuple[SlideText, ...]


def _kind(beat: int) -> str | None:
    if beat in CLIP_BEATS:
        return "clip"
    return {INTRO: "title", HOLD: "final"}.get(beat)


def deck_outline(story: StoryLike, plan: FramePlan) -> DeckOutline:
    """The words of the deck cut from ``plan``'s segments."""
    slides = []
    for seg in plan.segments():
        k0, k1 = int(seg.steps[0]), int(seg.steps[-1])
        kind = _kind(seg.beat)
        lines = tuple(settings_lines(story)) if kind == "title" else tuple(summary_lines(story)) if kind == "final" else ()
        slides.append(SlideText(kind, caption(story, seg.beat, k0, k1), slide_notes(story, seg.beat, k0, k1), lines))
    title = f"{OPTIMIZER_NAMES[story.optimizer]} fits y' = a·x + b"
    final = "Where it diverged" if story.trace.status.diverged else "The final fit"
    return DeckOutline(title[0].upper() + title[1:], final, tuple(slides))
