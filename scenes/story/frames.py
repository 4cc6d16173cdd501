"""What each frame shows, as numbers: the line, the path, the arrows, the revealed values.

One place turns a plan frame (step k, beat, t) into the state every matplotlib view draws,
so the views stay thin and agree with each other. No drawing and no torch here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenes.story.geometry import Geometry, full_gradient, sample_shares
from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE
from training.trace import Trace

__all__ = ["Story", "FrameState", "ease"]


def ease(t: float) -> float:
    """Smoothstep: motion starts and stops gently."""
    t = min(max(float(t), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


@dataclass(frozen=True)
class FrameState:
    step: int               # the step this frame is about (0 when there are none)
    beat: int
    t: float
    a: float                # the line drawn
    b: float
    ghost: tuple[float, float] | None  # the previous line, drawn faint
    path_n: int             # how many recorded (before-step) points of the path are shown
    path_tip: tuple[float, float] | None  # an extra point at the path's end (moving or final)
    loss_n: int             # how many batch-loss points are shown (steps 0..loss_n-1)
    batch: bool             # highlight the batch of `step`
    pred_alpha: float       # predictions on the line, 0..1
    residual_frac: float    # how far the residual segments have grown, 0..1
    arrow_frac: float       # how far the parameter-space arrows have grown, 0..1
    show_loss: bool         # the batch loss value is revealed
    show_grad: bool         # the gradient values are revealed
    show_update: bool       # the update values are revealed


class Story:
    """The trace's numbers, indexed the way the frames need them."""

    def __init__(self, trace: Trace, geometry: Geometry | None = None):
        self.trace = trace
        self.geom = geometry or Geometry.of(trace)
        s = trace.steps
        self.n = trace.n_steps
        self.a = np.asarray(s["a"], dtype=np.float64)
        self.b = np.asarray(s["b"], dtype=np.float64)
        self.a_after = trace.a_after
        self.b_after = trace.b_after
        self.loss = np.asarray(s["loss"], dtype=np.float64)
        self.full_loss = np.asarray(s["full_loss"], dtype=np.float64)
        self.grad_a = np.asarray(s["grad_a"], dtype=np.float64)
        self.grad_b = np.asarray(s["grad_b"], dtype=np.float64)
        self.update_a = np.asarray(s["update_a"], dtype=np.float64)
        self.update_b = np.asarray(s["update_b"], dtype=np.float64)
        self.epoch = np.asarray(s["epoch"], dtype=np.int64)
        self.batch_idx = np.asarray(s["batch"], dtype=np.int64)
        cfg = trace.config or {}
        self.lr = float(cfg.get("lr", 0.1) or 0.1)
        self.epochs = int(cfg.get("epochs", int(self.epoch.max()) + 1 if self.n else 1) or 1)
        self.batches_per_epoch = int(self.batch_idx.max()) + 1 if self.n else 1
        self.optimizer = str(cfg.get("optimizer", "sgd"))
        self.has_velocity = trace.has_velocity
        # Path of parameters: before each step, then the final point.
        self.path_a = np.append(self.a, trace.final_a)
        self.path_b = np.append(self.b, trace.final_b)

    # ------------------------------------------------------------------ per step
    def batch(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x, y, ŷ and ŷ − y of step k's batch (ŷ as autograd computed it, float32)."""
        idx = np.asarray(self.trace.steps["indices"][k], dtype=np.int64)
        pred = np.asarray(self.trace.steps["pred"][k], dtype=np.float64)
        res = np.asarray(self.trace.steps["residual"][k], dtype=np.float64)
        return self.trace.x[idx], self.trace.y[idx], pred, res

    def shares(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        xb, _, _, res = self.batch(k)
        return sample_shares(xb, res)

    def full_step(self, k: int) -> tuple[float, float]:
        """The full-batch gradient step −lr·∇L_full at step k's parameters."""
        ga, gb = full_gradient(self.a[k], self.b[k], self.trace.x, self.trace.y)
        return -self.lr * ga, -self.lr * gb

    def carry(self, k: int) -> tuple[float, float]:
        """What the optimizer added to the plain step −lr·g: the momentum carried over."""
        return (self.update_a[k] + self.lr * self.grad_a[k],
                self.update_b[k] + self.lr * self.grad_b[k])

    # ------------------------------------------------------------------ per frame
    def state(self, k: int, beat: int, t: float) -> FrameState:
        if self.n == 0:
            a, b = self.trace.final_a, self.trace.final_b
            return FrameState(0, beat, t, a, b, None, 0, (a, b), 0, False, 0.0, 0.0, 0.0,
                              False, False, False)
        k = int(min(max(k, 0), self.n - 1))
        ak, bk = float(self.a[k]), float(self.b[k])
        ghost = (float(self.a[k - 1]), float(self.b[k - 1])) if k > 0 else None
        if beat == INTRO:
            return FrameState(0, beat, t, ak, bk, None, 1, None, 0, False, 0.0, 0.0, 0.0,
                              False, False, False)
        if beat == FORWARD:
            return FrameState(k, beat, t, ak, bk, ghost, k + 1, None, k, True,
                              min(1.0, max(0.0, (t - 0.25) / 0.5)), 0.0, 0.0, False, False, False)
        if beat == RESIDUALS:
            return FrameState(k, beat, t, ak, bk, ghost, k + 1, None, k + 1 if t >= 0.5 else k, True,
                              1.0, ease(min(1.0, t / 0.7)), 0.0, t >= 0.5, False, False)
        if beat == GRADIENT:
            return FrameState(k, beat, t, ak, bk, ghost, k + 1, None, k + 1, True, 1.0, 1.0,
                              ease(min(1.0, t / 0.7)), True, True, False)
        if beat == UPDATE:
            u = ease(t)
            a = ak + u * float(self.update_a[k])
            b = bk + u * float(self.update_b[k])
            return FrameState(k, beat, t, a, b, (ak, bk), k + 1, (a, b), k + 1, True, 0.0, 0.0,
                              1.0, True, True, True)
        if beat == FAST:
            a, b = float(self.a_after[k]), float(self.b_after[k])
            return FrameState(k, beat, t, a, b, (ak, bk), k + 1, (a, b), k + 1, True, 0.0, 0.0,
                              1.0, True, True, True)
        # HOLD: the final fit.
        a, b = self.trace.final_a, self.trace.final_b
        return FrameState(k, HOLD, t, a, b, None, self.n, (a, b), self.n, False, 0.0, 0.0, 0.0,
                          True, True, True)
