"""Speaker notes of each beat: the numbers a presenter reads out, one list of lines per plan
segment (the presenter page, ``--format slides``, shows them beside the picture).

Derived here, from the story, like the captions: the page only shows the text.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

from scenes.story.captions import OPTIMIZER_NAMES
from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE, FramePlan

if TYPE_CHECKING:
    from scenes.story.story import Story

__all__ = ["NOTE_ROWS", "number", "notes", "segment_notes"]

NOTE_ROWS = 4  # batch values listed in a note; a larger batch says "+N more"


def number(v: float, digits: int = 4) -> str:
    """As the views write numbers: 4 decimals, fewer as the integer part grows, scientific
    when huge or tiny, a real minus sign (the same rule as scenes.mpl.views._fmt)."""
    v = float(v)
    if not math.isfinite(v):
        return "—"
    av = abs(v)
    if av != 0 and (av >= 1e4 or av < 1e-3):
        mant, exp = f"{v:.2e}".split("e")
        return f"{mant}e{int(exp)}".replace("-", "−")
    if av >= 1:
        digits = max(1, digits - int(math.floor(math.log10(av))))
    return f"{v:.{digits}f}".replace("-", "−")


def _list(values: Sequence[float]) -> str:
    shown = ", ".join(number(v) for v in values[:NOTE_ROWS])
    more = len(values) - NOTE_ROWS
    return f"[{shown}{f', … +{more} more' if more > 0 else ''}]"


def notes(story: "Story", beat: int, first: int, last: int | None = None) -> list[str]:
    """The note of a segment of ``beat`` showing steps ``first`` .. ``last``."""
    s, tr = story, story.trace
    k = first
    if beat == INTRO:
        a0, b0 = s.ab_before(0)
        oa, ob = s.geom.optimum
        return [f"{len(tr.x)} points; the line starts at a = {number(a0)}, b = {number(b0)}",
                f"full-data loss at the start L = {number(s.start_full_loss, 5)}",
                f"{OPTIMIZER_NAMES[s.optimizer]}, learning rate {s.lr:g}, batches of {s.settings.batch_size}, "
                f"{s.epochs} epoch{'s' if s.epochs != 1 else ''}",
                f"least squares (the best line): a = {number(oa)}, b = {number(ob)}"]
    if beat == HOLD:
        if tr.status.diverged:
            return [f"diverged at step {tr.status.step} ({tr.status.reason})",
                    f"learning rate {s.lr:g} is too large for this data"]
        oa, ob = s.geom.optimum
        return [f"after {s.n} step{'s' if s.n != 1 else ''}: a = {number(tr.final_a)}, b = {number(tr.final_b)}",
                f"full-data loss L = {number(tr.final_full_loss, 5)} (at the start: {number(s.start_full_loss, 5)})",
                f"least squares: a = {number(oa)}, b = {number(ob)}"]
    if beat == FAST:
        end = last if last is not None else first
        a1, b1 = s.ab_after(end)
        return [f"steps {first + 1}–{end + 1}, epochs {int(s.epoch[first]) + 1}–{int(s.epoch[end]) + 1}",
                f"full-data loss {number(s.full_loss[first], 5)} → {number(s.full_loss_after[end], 5)}",
                f"a = {number(a1)}, b = {number(b1)} after step {end + 1}"]
    xb, yb, pred, res = s.batch(k)
    a, b = s.ab_before(k)
    head = f"step {k + 1}: epoch {int(s.epoch[k]) + 1}, batch {int(s.batch_idx[k]) + 1} of {s.steps_per_epoch}"
    if beat == FORWARD:
        return [head, f"x = {_list(xb)}", f"y = {_list(yb)}",
                f"ŷ = a·x + b with a = {number(a)}, b = {number(b)}: ŷ = {_list(pred)}"]
    if beat == RESIDUALS:
        return [head, f"ŷ = {_list(pred)}", f"residuals ŷ − y = {_list(res)}",
                f"batch loss L = mean((ŷ − y)²) = {number(s.loss[k], 5)}"]
    if beat == GRADIENT:
        sa, sb = s.shares(k)
        return [head, f"∂L/∂a = {number(s.grad_a[k])}, the sum of the shares 2/n·(ŷ − y)·x = {_list(sa)}",
                f"∂L/∂b = {number(s.grad_b[k])}, the sum of the shares 2/n·(ŷ − y) = {_list(sb)}"]
    if beat == UPDATE:
        a1, b1 = s.ab_after(k)
        lines = [head, f"a: {number(a)} → {number(a1)}  (Δa = {number(s.update_a[k])})",
                 f"b: {number(b)} → {number(b1)}  (Δb = {number(s.update_b[k])})"]
        if s.plain_sgd:
            lines.append(f"(Δa, Δb) = −lr·(∂L/∂a, ∂L/∂b) = −{s.lr:g} × ({number(s.grad_a[k])}, {number(s.grad_b[k])})")
        else:
            lines.append(f"{OPTIMIZER_NAMES[s.optimizer]} turns the gradient into this step")
        lines.append(f"full-data loss after the step L = {number(s.full_loss_after[k], 5)}")
        return lines
    raise ValueError(f"unknown beat {beat}")


def segment_notes(story: "Story", plan: FramePlan) -> list[list[str]]:
    """The note of every segment of the plan, in the plan's order (as :func:`segment_captions`)."""
    return [notes(story, seg.beat, int(seg.steps[0]), int(seg.steps[-1])) for seg in plan.segments()]
