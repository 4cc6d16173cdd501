"""The frame plan: which step, and which beat of it, every frame of the video shows.

Detail first, then fast-forward: the first ``detail_steps`` steps play in beats
(forward pass, residuals, gradient arrows, update), the rest of the run is fast-forwarded,
and the video holds on the final fit. The frame count depends on these durations, not on
the number of steps, so 10,000 steps make a video about as long as 300. Both backends
consume the same plan: matplotlib draws it frame by frame, Manim plays its segments.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Iterator

import numpy as np

from training.errors import InputError

__all__ = ["check_fps", "MAX_FPS", "Beat", "BEATS", "INTRO", "FORWARD", "RESIDUALS", "GRADIENT", "UPDATE", "FAST", "HOLD",
           "PlanSettings", "FramePlan", "Segment", "make_plan"]


class Beat(IntEnum):
    """What a frame shows of its step. A frame is (step k, beat, t), t in [0, 1] the progress
    through the beat. The codes are what the plan's ``beat`` array holds; the web page gets
    the names, in the order of their codes (:data:`BEATS`), and derives its codes from them."""

    INTRO = 0      # the data and the starting line, before any step
    FORWARD = 1    # step k: the batch is highlighted, its predictions appear on the line (a_k, b_k)
    RESIDUALS = 2  # step k: residual segments ŷ − y grow, the batch loss appears
    GRADIENT = 3   # step k: dL/da, dL/db; the gradient and update arrows grow in parameter space
    UPDATE = 4     # step k: the line moves from (a_k, b_k) to (a_k+1, b_k+1)
    FAST = 5       # fast-forward: the state after step k
    HOLD = 6       # the final fit


# The names every importer uses (scenes.story.plan.FAST, ...): the enum's members.
INTRO, FORWARD, RESIDUALS, GRADIENT, UPDATE, FAST, HOLD = (Beat.INTRO, Beat.FORWARD, Beat.RESIDUALS, Beat.GRADIENT,
                                                          Beat.UPDATE, Beat.FAST, Beat.HOLD)
# The beats' names, indexed by code ("fast" is BEATS[FAST]); Beat(i) fails if a code is skipped.
BEATS = tuple(Beat(i).name.lower() for i in range(len(Beat)))


MAX_FPS = 120


def check_fps(fps) -> int:
    """A frame rate every backend and writer takes: a whole number from 1 to 120 (the one check)."""
    if isinstance(fps, bool) or not isinstance(fps, int) or not 1 <= fps <= MAX_FPS:
        raise InputError(f"fps must be a whole number between 1 and {MAX_FPS}, got {fps!r}")
    return fps


@dataclass(frozen=True)
class PlanSettings:
    """Timing of the video, in seconds (frames follow from ``fps``)."""

    fps: int = 30
    detail_steps: int | None = None  # None: the first epoch, at most 3 steps (the article's epoch)
    intro: float = 1.5
    # forward, residuals, gradient, update: long enough to read a formula or a table row
    beat_seconds: tuple[float, float, float, float] = (0.8, 1.0, 1.5, 1.0)
    fast_forward: float = 6.0
    hold: float = 2.5
    target_duration: float | None = None  # scale every duration to hit this total
    one_frame_per_step: bool = False      # benchmarks: exactly one FAST frame per step

    def validate(self) -> "PlanSettings":
        check_fps(self.fps)
        if self.detail_steps is not None and self.detail_steps < 0:
            raise InputError(f"detail steps must be >= 0, got {self.detail_steps}")
        if self.target_duration is not None and not 1 <= self.target_duration <= 600:
            raise InputError(f"duration must be between 1 and 600 seconds, got {self.target_duration:g}")
        return self


@dataclass(frozen=True)
class Segment:
    """A run of consecutive frames with one beat: Manim plays one animation per segment."""

    beat: int
    start: int        # first frame index
    stop: int         # one past the last frame index
    steps: np.ndarray  # the step shown by each frame of the segment

    @property
    def n_frames(self) -> int:
        return self.stop - self.start

    @property
    def name(self) -> str:
        return BEATS[self.beat]


@dataclass(frozen=True)
class FramePlan:
    """Three equal-length arrays: ``step``, ``beat`` and ``t`` (progress in the beat)."""

    step: np.ndarray
    beat: np.ndarray
    t: np.ndarray
    fps: int
    n_steps: int
    detail_steps: int

    def __len__(self) -> int:
        return len(self.step)

    @property
    def duration(self) -> float:
        return len(self) / self.fps

    def frame(self, i: int) -> tuple[int, int, float]:
        return int(self.step[i]), int(self.beat[i]), float(self.t[i])

    def segments(self) -> list[Segment]:
        """Split the plan where the beat or (outside fast-forward) the step changes."""
        out: list[Segment] = []
        if not len(self):
            return out
        key = self.beat.astype(np.int64) * (self.n_steps + 2) + np.where(self.beat == FAST, -1, self.step)
        cuts = np.flatnonzero(np.diff(key)) + 1
        bounds = [0, *cuts.tolist(), len(self)]
        for s, e in zip(bounds[:-1], bounds[1:]):
            out.append(Segment(int(self.beat[s]), s, e, self.step[s:e].copy()))
        return out

    def __iter__(self) -> Iterator[tuple[int, int, float]]:
        for i in range(len(self)):
            yield self.frame(i)


def _frames(seconds: float, fps: int, minimum: int = 1) -> int:
    return max(minimum, int(round(seconds * fps)))


def make_plan(n_steps: int, steps_per_epoch: int, settings: PlanSettings | None = None) -> FramePlan:
    """Build the plan for a trace of ``n_steps`` steps (``steps_per_epoch`` of them per epoch)."""
    s = (settings or PlanSettings()).validate()
    steps: list[np.ndarray] = []
    beats: list[np.ndarray] = []
    ts: list[np.ndarray] = []

    def add(step: np.ndarray | int, beat: int, n: int) -> None:
        step_arr = np.broadcast_to(np.asarray(step, dtype=np.int64), (n,))
        steps.append(step_arr)
        beats.append(np.full(n, beat, dtype=np.int8))
        ts.append(np.linspace(0.0, 1.0, n) if n > 1 else np.ones(n))

    if s.one_frame_per_step:
        if n_steps:
            add(np.arange(n_steps), FAST, n_steps)
        return _finish(steps, beats, ts, s.fps, n_steps, 0)

    detail = s.detail_steps if s.detail_steps is not None else min(max(steps_per_epoch, 1), 3)
    detail = min(detail, n_steps)
    scale = 1.0
    if s.target_duration is not None:
        planned = (s.intro + detail * sum(s.beat_seconds) + s.hold
                   + (s.fast_forward if n_steps > detail else 0.0))
        scale = s.target_duration / planned

    add(0, INTRO, _frames(s.intro * scale, s.fps))
    for k in range(detail):
        for beat, secs in zip((FORWARD, RESIDUALS, GRADIENT, UPDATE), s.beat_seconds):
            add(k, beat, _frames(secs * scale, s.fps))
    remaining = n_steps - detail
    if remaining > 0:
        n = _frames(s.fast_forward * scale, s.fps)
        # Ease in: early steps, where the line moves most, get more of the frames.
        u = np.linspace(0.0, 1.0, n) if n > 1 else np.ones(1)
        fast_steps = detail + np.floor((u ** 2) * (remaining - 1) + 0.5).astype(np.int64)
        add(fast_steps, FAST, n)
    last = max(n_steps - 1, 0)
    hold = _frames(s.hold * scale, s.fps)
    if s.target_duration is not None:  # rounding each beat up must not overrun the target
        used = sum(len(a) for a in steps)
        hold = max(1, min(hold, int(s.target_duration * s.fps + 1e-9) - used))
    add(last, HOLD, hold)
    return _finish(steps, beats, ts, s.fps, n_steps, detail)


def _finish(steps, beats, ts, fps, n_steps, detail) -> FramePlan:
    if not steps:
        empty = np.zeros(0)
        return FramePlan(empty.astype(np.int64), empty.astype(np.int8), empty, fps, n_steps, detail)
    return FramePlan(np.concatenate(steps), np.concatenate(beats), np.concatenate(ts), fps, n_steps, detail)
