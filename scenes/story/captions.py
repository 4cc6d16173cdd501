"""The caption of each beat: one text per plan segment, the same in every backend."""
from __future__ import annotations

from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE, FramePlan
from scenes.story.protocol import StoryLike
from training.optimizers import OPTIMIZERS

__all__ = ["OPTIMIZER_NAMES", "caption", "segment_captions", "accumulates", "gradient_sum_label"]

# The captions' words for each optimizer, from its registry entry.
OPTIMIZER_NAMES = {name: spec.title for name, spec in OPTIMIZERS.items()}


def accumulates(settings) -> bool:
    """The run left out optimizer.zero_grad() (--no-zero-grad): .grad is a running sum."""
    return not getattr(settings, "zero_grad", True)


def gradient_sum_label(settings) -> str:
    """The numbers table's sum row. It shows the trace's gradient, which is .grad: this batch's
    gradient (the shares' sum), or without zero_grad() the sum over every batch so far."""
    return "accumulated .grad" if accumulates(settings) else "sum = gradient"


def _signed(v: float) -> str:
    return f"{'+' if v >= 0 else '−'} {abs(v):.3f}"


def caption(story: StoryLike, beat: int, first: int, last: int | None = None) -> str:
    """The caption of a segment of ``beat`` showing steps ``first`` .. ``last``."""
    s, tr = story, story.trace
    k = first + 1
    if beat == INTRO:
        points = f"{len(tr.x)} point{'s' if len(tr.x) != 1 else ''}"
        text = (f"{points}, batches of {s.settings.batch_size}, learning rate {s.lr:g}, "
                f"{OPTIMIZER_NAMES[s.optimizer]}")
        return text + ", no zero_grad()" if accumulates(s.settings) else text
    if beat == FORWARD:
        return f"Step {k} · forward pass: predictions ŷ = a·x + b"
    if beat == RESIDUALS:
        return f"Step {k} · residuals ŷ − y and the batch loss"
    if beat == GRADIENT:
        if accumulates(s.settings):  # the classic mistake: backward() adds to what .grad held
            return f"Step {k} · backward pass adds ∂L/∂a, ∂L/∂b to .grad"
        return f"Step {k} · backward pass: ∂L/∂a and ∂L/∂b"
    if beat == UPDATE:
        what = "a and b step against the gradient" if s.plain_sgd else f"{OPTIMIZER_NAMES[s.optimizer]} moves a and b"
        return f"Step {k} · update: {what}"
    if beat == FAST:
        e0 = int(s.epoch[first]) + 1
        e1 = int(s.epoch[last if last is not None else first]) + 1
        return f"Fast-forward: epochs {e0}–{e1}" if e1 > e0 else f"Fast-forward: epoch {e0}"
    if beat == HOLD:
        if tr.status.diverged:
            return f"Diverged at step {tr.status.step}: learning rate {s.lr:g} is too large"
        line = f"y' = {tr.final_a:.3f}·x {_signed(tr.final_b)}"
        if accumulates(s.settings):
            return f"Without zero_grad(), .grad piled up: after {s.n} step{'s' if s.n != 1 else ''} {line}"
        return f"After {s.n} step{'s' if s.n != 1 else ''}: {line}"
    raise ValueError(f"unknown beat {beat}")


def segment_captions(story: StoryLike, plan: FramePlan) -> list[tuple[int, int, str]]:
    """``(start_frame, stop_frame, caption)`` for every segment of the plan: the beat boundaries."""
    out = []
    for seg in plan.segments():
        out.append((seg.start, seg.stop, caption(story, seg.beat, int(seg.steps[0]), int(seg.steps[-1]))))
    return out
