"""What a slide deck says: the story's words for each slide, ready for a writer.

The deck writer (:mod:`scenes.writers.pptx`) knows files (clips, posters, the .pptx); the
words (each beat's caption, its speaker notes, the title slide's settings, the final slide's
summary) are the story's, derived here once from the :class:`~scenes.story.story.Story` the
run was drawn from.
"""
from __future__ import annotations

from dataclasses import dataclass

from scenes.story.captions import caption, fit_title
from scenes.story.graph import DrawnGraph, GraphFrame
from scenes.story.notes import settings_lines, slide_notes, summary_lines
from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE, FramePlan
from scenes.story.protocol import StoryLike

__all__ = ["CLIP_BEATS", "GRAPH_BEATS", "SlideText", "GraphSlide", "DeckOutline", "deck_outline", "media_slides"]

CLIP_BEATS = (FORWARD, RESIDUALS, GRADIENT, UPDATE, FAST)  # the beats that become video slides
# The beats after whose clip a run with a recorded graph adds a still slide of it: the graph
# as the beat leaves it, i.e. after the forward pass, zero_grad(), backward() and step().
GRAPH_BEATS = (FORWARD, RESIDUALS, GRADIENT, UPDATE)


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
    graph: "GraphSlide | None" = None  # the still slide of the graph that follows this clip


@dataclass(frozen=True)
class GraphSlide:
    """A slide of the recorded autograd graph: ``title`` the phase's line of code, ``text``
    what it does, ``graph`` and ``frame`` what to draw (the story's layout and its state
    at the end of the beat), ``notes`` the speaker notes."""

    title: str
    text: str
    notes: str
    graph: DrawnGraph
    frame: GraphFrame


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
        slides.append(SlideText(kind, caption(story, seg.beat, k0, k1), slide_notes(story, seg.beat, k0, k1), lines,
                                graph_slide(story, seg.beat, k0) if kind == "clip" else None))
    fits = "y' = a·x + b" if story.trace.schema_version == 1 else story.words.formula  # (the line's as always)
    title = f"{fit_title(story.optimizer)} {fits}"
    final = "Where it diverged" if story.trace.status.diverged else "The final fit"
    return DeckOutline(title, final, tuple(slides))


def graph_slide(story: StoryLike, beat: int, k: int) -> GraphSlide | None:
    """The graph slide after the clip of ``beat`` at step ``k`` (None: that step recorded no
    graph, or the beat is not one of :data:`GRAPH_BEATS`)."""
    gs = story.graph
    if beat not in GRAPH_BEATS or not gs.available:
        return None
    frame = gs.frame(k, beat, 1.0)
    if frame is None or frame.step != k:
        return None
    code, _, _ = frame.text.partition(": ")
    title = f"Step {k + 1} · {code}"
    # What each phase of the beat does (the loss, then zero_grad(), in the residuals beat),
    # and after backward() every gradient with its local rule.
    notes = "\n".join([title, "", *(line.removeprefix("graph: ") for line in gs.notes(beat, k))])
    return GraphSlide(title, frame.text, notes, gs.graphs[frame.graph], frame)
