"""What the story's helpers read of a story: the captions, the frame states and the notes.

:class:`~scenes.story.story.Story` builds on those helpers, so they must not import it (that
would be an import cycle, even for type hints only). They take a :class:`StoryLike` instead:
the run's numbers per step and the few derived ones they need, which a Story has (and a test
double may have). No drawing, no torch.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from training.config import TrainConfig
from training.trace import Trace

__all__ = ["StoryLike"]


class StoryLike(Protocol):
    """A trace's numbers, indexed by step (see :class:`~scenes.story.story.Story`)."""

    trace: Trace
    settings: TrainConfig
    n: int                  # steps recorded
    lr: float
    optimizer: str
    u: np.ndarray           # the parameter plane's point before each step (the line: a, b)
    v: np.ndarray
    u_after: np.ndarray     # ... and after it
    v_after: np.ndarray
    du: np.ndarray          # the update, as an arrow in the plane
    dv: np.ndarray
    params: np.ndarray      # the parameter vector before each step, (steps, P)
    updates: np.ndarray     # the update applied, (steps, P)
    param_names: tuple[str, ...]
    a: np.ndarray           # the line's names for u, v, ... (the backends that draw only the line)
    b: np.ndarray
    a_after: np.ndarray
    b_after: np.ndarray
    loss: np.ndarray        # the batch loss of each step
    full_loss: np.ndarray   # the full-data loss before each step
    grad_a: np.ndarray
    grad_b: np.ndarray
    update_a: np.ndarray
    update_b: np.ndarray
    epoch: np.ndarray       # 0-based, per step
    batch_idx: np.ndarray   # 0-based within the epoch, per step

    @property
    def plain_sgd(self) -> bool:
        """The update is exactly −lr·g: the article's rule."""

    @property
    def start_full_loss(self) -> float: ...

    @property
    def full_loss_after(self) -> np.ndarray:
        """The full-data loss after each step."""

    @property
    def final_uv(self) -> tuple[float, float]: ...

    def params_after_step(self, k: int) -> np.ndarray: ...

    def ab_before(self, k: int) -> tuple[float, float]: ...

    def ab_after(self, k: int) -> tuple[float, float]: ...

    def batch(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x, y, ŷ and ŷ − y of step k's batch."""

    @property
    def graph(self):
        """The recorded autograd graphs and their frames (a scenes.story.graph.GraphStory)."""

    def shares(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Each sample's share of ∂L/∂a and ∂L/∂b in step k's batch."""
