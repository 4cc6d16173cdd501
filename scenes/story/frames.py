"""What each frame shows, as numbers: the line, the path, the arrows, the revealed values.

One place turns a plan frame (step k, beat, t) into the state the views draw, so they stay
thin and agree with each other. It does so in two parts: :func:`reveal` says what a beat shows
at progress t, relative to the frame's step and without any number of the trace (a
:class:`Reveal`), and :func:`frame_state` applies that rule to step k of a story. The web
player receives the same rules as data and applies them in the browser, so a video and the
player cannot disagree on what a beat reveals. No drawing and no torch here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE
from scenes.story.protocol import StoryLike

__all__ = ["FrameState", "Reveal", "frame_state", "reveal", "apply_reveal", "ease"]


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
    u: float                # the point in the parameter plane (the line: a and b, the line drawn)
    v: float
    ghost: tuple[float, float] | None = None  # the previous point (the line: drawn faint)
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
    # The model's parameters drawn (the curve), P values, and the previous curve's (drawn
    # faint); tuples, so that two states compare by value.
    params: tuple[float, ...] | None = None
    ghost_params: tuple[float, ...] | None = None

    # The line's names for the plane's point: its plane is (a, b).
    a = property(lambda self: self.u)
    b = property(lambda self: self.v)


@dataclass(frozen=True, kw_only=True)
class Reveal:
    """What a beat shows at one moment, relative to the frame's step k: a rule, no numbers.

    The line drawn is ``line`` ("before": (a_k, b_k); "after": the parameters after step k;
    "final": the run's final ones) moved by ``u`` times step k's update. The ghost line is
    "previous" (a_k−1, b_k−1; none at k = 0), "before" (a_k, b_k) or "" (none). The path shows
    k + ``path`` recorded points (all of them when None) and ends at the line when ``tip``;
    the loss curve shows k + ``loss`` steps (all when None). ``start``: the frame is about
    step 0 whatever k is (the intro)."""

    line: str = "before"
    u: float = 0.0
    ghost: str = ""
    tip: bool = False
    path: int | None = 1
    loss: int | None = 0
    start: bool = False
    batch: bool = False
    pred_alpha: float = 0.0
    residual_frac: float = 0.0
    arrow_frac: float = 0.0
    show_loss: bool = False
    show_grad: bool = False
    show_update: bool = False


def reveal(beat: int, t: float) -> Reveal:
    """What ``beat`` shows at progress ``t`` in [0, 1]."""
    if beat == INTRO:
        return Reveal(start=True, path=1, loss=0)
    if beat == HOLD:  # the final fit
        return Reveal(line="final", tip=True, path=None, loss=None, show_loss=True, show_grad=True,
                      show_update=True)
    common = dict(batch=True, path=1)
    if beat == FORWARD:
        return Reveal(**common, ghost="previous", loss=0, pred_alpha=min(1.0, max(0.0, (t - 0.25) / 0.5)))
    if beat == RESIDUALS:
        return Reveal(**common, ghost="previous", loss=1 if t >= 0.5 else 0, pred_alpha=1.0,
                      residual_frac=ease(min(1.0, t / 0.7)), show_loss=t >= 0.5)
    if beat == GRADIENT:
        return Reveal(**common, ghost="previous", loss=1, pred_alpha=1.0, residual_frac=1.0,
                      arrow_frac=ease(min(1.0, t / 0.7)), show_loss=True, show_grad=True)
    revealed = dict(ghost="before", tip=True, loss=1, arrow_frac=1.0, show_loss=True, show_grad=True,
                    show_update=True)
    if beat == UPDATE:  # the line moves from (a_k, b_k) by the update
        return Reveal(**common, **revealed, line="before", u=ease(t))
    if beat == FAST:  # the state after step k
        return Reveal(**common, **revealed, line="after")
    raise ValueError(f"unknown beat {beat}")


def apply_reveal(story: StoryLike, k: int, beat: int, t: float, r: Reveal) -> FrameState:
    """The rule ``r`` applied to step k of ``story``: the plane's point (u, v) and the
    model's parameter vector moved alike (the point is the vector's place in the plane)."""
    s = story
    if s.n == 0:
        u, v = s.final_uv
        p = s.trace.final_params
        return FrameState(step=0, beat=beat, t=t, u=u, v=v, path_tip=(u, v), params=_values(p))
    k = 0 if r.start else int(min(max(k, 0), s.n - 1))
    uk, vk = float(s.u[k]), float(s.v[k])
    if r.line == "before":
        base, pbase = (uk, vk), s.params[k]
    elif r.line == "after":
        base, pbase = (float(s.u_after[k]), float(s.v_after[k])), s.params_after_step(k)
    else:
        base, pbase = s.final_uv, s.trace.final_params
    if r.u:
        u, v = base[0] + r.u * float(s.du[k]), base[1] + r.u * float(s.dv[k])
        p = pbase + r.u * s.updates[k]
    else:
        (u, v), p = base, pbase
    ghost, gp = None, None
    if r.ghost == "before":
        ghost, gp = (uk, vk), s.params[k]
    elif r.ghost == "previous" and k > 0:
        ghost, gp = (float(s.u[k - 1]), float(s.v[k - 1])), s.params[k - 1]
    return FrameState(step=k, beat=beat, t=t, u=u, v=v, ghost=ghost,
                      path_n=s.n if r.path is None else k + r.path,
                      path_tip=(u, v) if r.tip else None,
                      loss_n=s.n if r.loss is None else k + r.loss,
                      batch=r.batch, pred_alpha=r.pred_alpha, residual_frac=r.residual_frac,
                      arrow_frac=r.arrow_frac, show_loss=r.show_loss, show_grad=r.show_grad,
                      show_update=r.show_update, params=_values(p), ghost_params=_values(gp))


def _values(p: np.ndarray | None) -> tuple[float, ...] | None:
    return None if p is None else tuple(np.asarray(p, dtype=np.float64).tolist())


def frame_state(story: StoryLike, k: int, beat: int, t: float) -> FrameState:
    """What frame (step k, beat, t) shows."""
    return apply_reveal(story, k, beat, t, reveal(beat, t))
