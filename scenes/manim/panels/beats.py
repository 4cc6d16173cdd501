"""What every panel of a Manim scene answers: one method per beat of the plan."""
from __future__ import annotations

from typing import Callable

import numpy as np
from manim import Animation, UpdateFromAlphaFunc

__all__ = ["Beats", "scrub"]


class Beats:
    """Base for panels: one method per beat returning animations (run time set by the scene).

    Conventions that keep Manim's scene list sane: ``statics()`` and ``dynamics()`` are
    top-level mobjects; introducer and remover animations (FadeIn, Write, FadeOut...) are
    only ever given top-level mobjects or fresh groups, never children of a group already
    in the scene (Manim would dissolve the parent group). Anything a panel changes during a
    play is drawn after the scene's sentinel, so Cairo redraws it every frame.
    """

    # The layout check's view of the panel: its name, the cell it owns and the plot area
    # its marks stay in (scene units: x0, y0, x1, y1), set by the scene that lays it out.
    layout_name: str = ""
    layout_cell: tuple[float, float, float, float] | None = None
    layout_area: tuple[float, float, float, float] | None = None

    def statics(self) -> list:
        return []

    def dynamics(self) -> list:
        return []

    def layout_mobjects(self) -> list:
        """Every top-level mobject the panel may have on screen (the check keeps those that are)."""
        return [*self.statics(), *self.dynamics()]

    def intro(self) -> list[Animation]:
        return []

    def forward(self, k: int) -> list[Animation]:
        return []

    def residuals(self, k: int) -> list[Animation]:
        return []

    def gradient(self, k: int) -> list[Animation]:
        return []

    def update(self, k: int) -> list[Animation]:
        return []

    def fast_begin(self, steps: np.ndarray, index: Callable[[], int]) -> list[Animation]:
        return []

    def fast_end(self) -> None:
        pass

    def hold(self) -> list[Animation]:
        return []


def scrub(mob, f: Callable[[float], None]) -> Animation:
    """An animation that calls ``f(alpha)`` each frame (``mob`` must be top-level)."""
    return UpdateFromAlphaFunc(mob, lambda m, t: f(t), suspend_mobject_updating=False)
