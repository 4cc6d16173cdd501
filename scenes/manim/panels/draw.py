"""Small drawing helpers shared by the panels and the race: a line cut to a view, indices
thinned to a bounded polyline, and mobjects changed in place (the scene keeps the same ones)."""
from __future__ import annotations

import numpy as np
from manim import RIGHT, VGroup, VMobject

from scenes.story.geometry import Limits

__all__ = ["clip_line", "bounded_indices", "set_children", "set_polyline"]


def clip_line(a: float, b: float, lim: Limits):
    """The piece of y = a·x + b inside the box, or None (Liang–Barsky on x)."""
    x0, x1 = lim.x0, lim.x1
    if abs(a) < 1e-15:
        return ((x0, b), (x1, b)) if lim.y0 <= b <= lim.y1 else None
    xa, xb = sorted(((lim.y0 - b) / a, (lim.y1 - b) / a))
    lo, hi = max(x0, xa), min(x1, xb)
    if lo >= hi:
        return None
    return (lo, a * lo + b), (hi, a * hi + b)


def bounded_indices(n: int, cap: int) -> np.ndarray:
    """Indices 0..n-1 thinned to at most ``cap``, always keeping the last."""
    if n <= cap:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, cap).round().astype(int))


def set_children(group: VGroup, children) -> VGroup:
    """Replace a group's children in place (the group itself stays in the scene)."""
    group.remove(*group.submobjects)
    group.add(*children)
    return group


def set_polyline(mob: VMobject, pts: np.ndarray) -> None:
    if len(pts) >= 2:
        mob.set_points_as_corners(pts)
    elif len(pts) == 1:
        mob.set_points_as_corners([pts[0], pts[0] + 1e-4 * RIGHT])
    else:
        mob.clear_points()
