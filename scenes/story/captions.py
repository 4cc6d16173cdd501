"""The caption of each beat: one text per plan segment, the same in every backend."""
from __future__ import annotations

from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE, FramePlan
from scenes.story.protocol import StoryLike
from training.optimizers import OPTIMIZERS

__all__ = ["OPTIMIZER_NAMES", "fit_title", "caption", "segment_captions", "accumulates", "gradient_sum_label"]

# The captions' words for each optimizer, from its registry entry.
OPTIMIZER_NAMES = {name: spec.title for name, spec in OPTIMIZERS.items()}


def fit_title(optimizer: str) -> str:
    """The title's words before the model's formula, in every backend: "Mini-batch SGD fits",
    "Adam fits"."""
    name = OPTIMIZER_NAMES[optimizer]
    return f"{name[0].upper()}{name[1:]} fits"


def accumulates(settings) -> bool:
    """The run left out optimizer.zero_grad() (--no-zero-grad): .grad is a running sum."""
    return not getattr(settings, "zero_grad", True)


def gradient_sum_label(settings) -> str:
    """The numbers table's sum row. It shows the trace's gradient, which is .grad: this batch's
    gradient (the shares' sum), or without zero_grad() the sum over every batch so far."""
    return "accumulated .grad" if accumulates(settings) else "sum = gradient"


def _signed(v: float) -> str:
    return f"{'+' if v >= 0 else '−'} {abs(v):.3f}"


def _pair(story: StoryLike) -> str:
    """The parameters by name: "a and b" (two), else "the N parameters"."""
    names = tuple(getattr(story, "param_names", ("a", "b")))
    return " and ".join(names) if len(names) == 2 else f"the {len(names)} parameters"


def _partials(story: StoryLike) -> str:
    names = tuple(getattr(story, "param_names", ("a", "b")))
    if len(names) == 2:
        return f"∂L/∂{names[0]}, ∂L/∂{names[1]}"
    return f"∇L ({len(names)} partial derivatives)"


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
        words = getattr(s, "words", None)
        formula = words.formula if words is not None else "ŷ = a·x + b"
        what = "probabilities" if formula.startswith("p ") else "predictions"
        return f"Step {k} · forward pass: {what} {formula}"
    if beat == RESIDUALS:
        words = getattr(s, "words", None)
        return f"Step {k} · residuals {words.residual if words is not None else 'ŷ − y'} and the batch loss"
    if beat == GRADIENT:
        if accumulates(s.settings):  # the classic mistake: backward() adds to what .grad held
            return f"Step {k} · backward pass adds {_partials(s)} to .grad"
        return f"Step {k} · backward pass: {_partials(s).replace(', ', ' and ')}"
    if beat == UPDATE:
        pair = _pair(s)
        what = f"{pair} step against the gradient" if s.plain_sgd else f"{OPTIMIZER_NAMES[s.optimizer]} moves {pair}"
        return f"Step {k} · update: {what}"
    if beat == FAST:
        e0 = int(s.epoch[first]) + 1
        e1 = int(s.epoch[last if last is not None else first]) + 1
        return f"Fast-forward: epochs {e0}–{e1}" if e1 > e0 else f"Fast-forward: epoch {e0}"
    if beat == HOLD:
        if tr.status.diverged:
            return f"Diverged at step {tr.status.step}: learning rate {s.lr:g} is too large"
        if tr.schema_version == 1:
            line = f"y' = {tr.final_a:.3f}·x {_signed(tr.final_b)}"
        else:
            line = f"full-data loss {tr.final_full_loss:.4g}"
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
