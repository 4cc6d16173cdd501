"""What each frame shows, as numbers: the line, the path, the arrows, the revealed values.

One place turns a plan frame (step k, beat, t) into the state the views draw, so they stay
thin and agree with each other. No drawing and no torch here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE

if TYPE_CHECKING:
    from scenes.story.story import Story

__all__ = ["FrameState", "frame_state", "ease"]


def ease(t: float) -> float:
    """Smoothstep: motion starts and stops gently."""
    t = min(max(float(t), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


@dataclass(frozen=True, kw_only=True)
class FrameState:
    """Built with keywords only: what is not said is hidden (False, 0, None)."""

    step: int               # the step this frame is about (0 when there are none)
    beat: int
    t: float
    a: float                # the line drawn
    b: float
    ghost: tuple[float, float] | None = None  # the previous line, drawn faint
    path_n: int = 0         # how many recorded (before-step) points of the path are shown
    path_tip: tuple[float, float] | None = None  # an extra point at the path's end (moving or final)
    loss_n: int = 0         # how many batch-loss points are shown (steps 0..loss_n-1)
    batch: bool = False     # highlight the batch of `step`
    pred_alpha: float = 0.0     # predictions on the line, 0..1
    residual_frac: float = 0.0  # how far the residual segments have grown, 0..1
    arrow_frac: float = 0.0     # how far the parameter-space arrows have grown, 0..1
    show_loss: bool = False     # the batch loss value is revealed
    show_grad: bool = False     # the gradient values are revealed
    show_update: bool = False   # the update values are revealed


def frame_state(story: "Story", k: int, beat: int, t: float) -> FrameState:
    """What frame (step k, beat, t) shows."""
    s = story
    if s.n == 0:
        a, b = float(s.trace.final_a), float(s.trace.final_b)
        return FrameState(step=0, beat=beat, t=t, a=a, b=b, path_tip=(a, b))
    k = int(min(max(k, 0), s.n - 1))
    ak, bk = float(s.a[k]), float(s.b[k])
    ghost = (float(s.a[k - 1]), float(s.b[k - 1])) if k > 0 else None
    if beat == INTRO:
        return FrameState(step=0, beat=beat, t=t, a=ak, b=bk, path_n=1)
    common = dict(step=k, beat=beat, t=t, path_n=k + 1, batch=True)
    if beat == FORWARD:
        return FrameState(**common, a=ak, b=bk, ghost=ghost, loss_n=k,
                          pred_alpha=min(1.0, max(0.0, (t - 0.25) / 0.5)))
    if beat == RESIDUALS:
        return FrameState(**common, a=ak, b=bk, ghost=ghost, loss_n=k + 1 if t >= 0.5 else k,
                          pred_alpha=1.0, residual_frac=ease(min(1.0, t / 0.7)), show_loss=t >= 0.5)
    if beat == GRADIENT:
        return FrameState(**common, a=ak, b=bk, ghost=ghost, loss_n=k + 1, pred_alpha=1.0,
                          residual_frac=1.0, arrow_frac=ease(min(1.0, t / 0.7)), show_loss=True,
                          show_grad=True)
    revealed = dict(loss_n=k + 1, arrow_frac=1.0, show_loss=True, show_grad=True, show_update=True)
    if beat == UPDATE:
        u = ease(t)
        a, b = ak + u * float(s.update_a[k]), bk + u * float(s.update_b[k])
        return FrameState(**common, **revealed, a=a, b=b, ghost=(ak, bk), path_tip=(a, b))
    if beat == FAST:
        a, b = float(s.a_after[k]), float(s.b_after[k])
        return FrameState(**common, **revealed, a=a, b=b, ghost=(ak, bk), path_tip=(a, b))
    # HOLD: the final fit.
    a, b = float(s.trace.final_a), float(s.trace.final_b)
    return FrameState(step=k, beat=HOLD, t=t, a=a, b=b, path_n=s.n, path_tip=(a, b), loss_n=s.n,
                      show_loss=True, show_grad=True, show_update=True)
