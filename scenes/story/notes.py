"""Speaker notes: each batch's numbers, the run's settings and its summary, as plain text.

One definition for every place a presenter reads them: the PowerPoint deck (``--format pptx``),
the manim-slides presentation and the player's presenter page (``--format slides``). A beat of
a detail step carries the article's per-batch table: x, y, ŷ, ŷ − y, each sample's share of
∂L/∂a and ∂L/∂b, the batch loss L, the gradient and the update. The numbers come from the
story (the recorded run); nothing here draws.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenes.story import model_notes  # any model but the line: its notes in its words
from scenes.story.captions import OPTIMIZER_NAMES, caption
from scenes.story.geometry import least_squares
from scenes.story.loss_words import path_loss_words
from scenes.story.numbers import NOTE_ROWS, note_table
from scenes.story.numbers import fmt_note as num  # a number as the notes print it
from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE, FramePlan
from scenes.story.protocol import StoryLike

__all__ = ["BeatNumbers", "beat_numbers", "num", "settings_lines", "summary_lines", "notes", "slide_notes",
           "segment_notes", "NOTE_ROWS"]



@dataclass(frozen=True, kw_only=True)
class BeatNumbers:
    """The numbers of step k's batch, as recorded (float32 from PyTorch, held as float64)."""

    step: int          # 0-based
    epoch: int         # 0-based
    batch: int         # 0-based, within the epoch
    a: float           # the parameters before the step
    b: float
    x: np.ndarray
    y: np.ndarray
    pred: np.ndarray   # ŷ = a·x + b, as autograd computed it
    residual: np.ndarray  # ŷ − y
    share_a: np.ndarray   # each sample's share of ∂L/∂a: 2/n·(ŷ − y)·x
    share_b: np.ndarray   # each sample's share of ∂L/∂b: 2/n·(ŷ − y)
    loss: float        # L = mean((ŷ − y)²), the batch loss
    grad_a: float      # ∂L/∂a and ∂L/∂b, as autograd computed them
    grad_b: float
    update_a: float    # the update the optimizer applied
    update_b: float
    a_after: float
    b_after: float


def beat_numbers(story: StoryLike, k: int) -> BeatNumbers:
    """The numbers of step ``k`` (0-based) of ``story``."""
    x, y, pred, res = story.batch(k)
    sa, sb = story.shares(k)
    a, b = story.ab_before(k)
    a1, b1 = story.ab_after(k)
    return BeatNumbers(step=k, epoch=int(story.epoch[k]), batch=int(story.batch_idx[k]), a=a, b=b,
                       x=np.asarray(x, np.float64), y=np.asarray(y, np.float64), pred=pred, residual=res,
                       share_a=sa, share_b=sb, loss=float(story.loss[k]),
                       grad_a=float(story.grad_a[k]), grad_b=float(story.grad_b[k]),
                       update_a=float(story.update_a[k]), update_b=float(story.update_b[k]),
                       a_after=a1, b_after=b1)


def _table(n: BeatNumbers) -> list[str]:
    """The batch as aligned columns, with each sample's shares of the gradient."""
    cols = ("x", "y", "ŷ", "ŷ − y", "∂L/∂a share", "∂L/∂b share")
    rows = [[num(v) for v in row] for row in zip(n.x, n.y, n.pred, n.residual, n.share_a, n.share_b)]
    return note_table(cols, rows, f"; the sums below are over all {len(rows)}")


def batch_lines(story: StoryLike, k: int) -> list[str]:
    """Step k's batch as text: where it is in the run, the table, L, the gradient, the update."""
    n = beat_numbers(story, k)
    rule = (f"update = −lr·∂L/∂(a, b) with lr = {story.lr:g}" if story.plain_sgd
            else f"update applied by {OPTIMIZER_NAMES[story.optimizer]} (lr = {story.lr:g})")
    return [f"Step {n.step + 1}: batch {n.batch + 1} of epoch {n.epoch + 1}, {len(n.x)} samples; "
            f"before the step a = {num(n.a)}, b = {num(n.b)}",
            *_table(n),
            f"L = mean((ŷ − y)²) = {num(n.loss)}",
            f"∂L/∂a = {num(n.grad_a)}, ∂L/∂b = {num(n.grad_b)} (the sums of the shares)",
            f"{rule}: Δa = {num(n.update_a)}, Δb = {num(n.update_b)}",
            f"after the step a = {num(n.a_after)}, b = {num(n.b_after)}"]


def settings_lines(story: StoryLike) -> list[str]:
    """The run's settings, one per line (the title slide)."""
    if story.trace.schema_version != 1:
        return model_notes.settings_lines(story)
    s = story.settings
    return [*model_notes.training_lines(story), f"data: {model_notes.data_words(story)}" + (", shuffled" if s.shuffle else ""),
            f"start: a = {num(s.init_a)}, b = {num(s.init_b)}"]


def summary_lines(story: StoryLike) -> list[str]:
    """The final fit and the least-squares reference it heads for (the final slide)."""
    tr = story.trace
    if tr.schema_version != 1:
        return model_notes.summary_lines(story)
    a_ls, b_ls = least_squares(tr.x, tr.y)
    lines = []
    if tr.status.diverged:
        lines.append(f"diverged at step {tr.status.step}: {tr.status.reason}")
    # Short lines: they sit in a narrow column beside the picture.
    lines += [f"after {story.n} steps:", f"    a = {num(tr.final_a)}, b = {num(tr.final_b)}",
              f"    full-data loss {num(tr.final_full_loss)}",
              "at the start:", f"    full-data loss {num(story.start_full_loss)}",
              "least squares:", f"    a = {num(a_ls)}, b = {num(b_ls)}",
              f"    full-data loss {num(tr.full_loss_at(a_ls, b_ls))}"]
    return lines


def notes(story: StoryLike, beat: int, first: int, last: int | None = None) -> list[str]:
    """The lines of the note of a segment of ``beat`` showing steps ``first`` .. ``last``."""
    if beat == INTRO:
        return [*settings_lines(story), f"{path_loss_words(story.trace)} at the start: {num(story.start_full_loss)}"]
    if beat in (FORWARD, RESIDUALS, GRADIENT, UPDATE):
        graph = getattr(story, "graph", None)  # what the recorded graph shows in this beat, if any
        lines = batch_lines(story, first) if story.trace.schema_version == 1 else model_notes.batch_lines(story, first)
        return lines + (graph.notes(beat, first) if graph is not None else [])
    if beat == FAST:
        last = first if last is None else last
        if story.trace.schema_version != 1:
            return model_notes.fast_lines(story, first, last)
        a1, b1 = story.ab_after(last)
        # (steps.full_loss holds the batch loss when the loop was recorded without x, y: the
        # line's loss over its data is computed, as after the step)
        before = (float(story.trace.full_loss_at(*story.ab_before(first))) if story.trace.full_loss_is_batch
                  else story.full_loss[first])
        return [f"steps {first + 1} to {last + 1}, epochs {int(story.epoch[first]) + 1} to {int(story.epoch[last]) + 1}",
                f"full-data loss {num(before)} → {num(story.full_loss_after[last])}",
                f"after step {last + 1}: a = {num(a1)}, b = {num(b1)}"]
    if beat == HOLD:
        return summary_lines(story)
    raise ValueError(f"unknown beat {beat}")


def slide_notes(story: StoryLike, beat: int, first: int, last: int | None = None) -> str:
    """The speaker notes of a slide (deck, manim-slides): the caption, then the note's lines."""
    return "\n".join([caption(story, beat, first, last), "", *notes(story, beat, first, last)])


def segment_notes(story: StoryLike, plan: FramePlan) -> list[list[str]]:
    """The note of every segment of the plan, in the plan's order (as the captions)."""
    return [notes(story, seg.beat, int(seg.steps[0]), int(seg.steps[-1])) for seg in plan.segments()]
