"""Small drawing helpers shared by the panels and the race: a line cut to a view, indices
thinned to a bounded polyline, and mobjects changed in place (the scene keeps the same ones)."""
from __future__ import annotations

import numpy as np
from manim import RIGHT, VGroup, VMobject

from scenes.story.geometry import Limits

__all__ = ["clip_line", "bounded_indices", "set_children", "set_polyline", "curve_pieces", "set_pieces", "region"]


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


def curve_pieces(xs: np.ndarray, ys: np.ndarray, lim: Limits) -> list[np.ndarray]:
    """The parts of the polyline (xs, ys) inside the view's y range, each (m, 2), each
    segment cut where it leaves the view (Liang–Barsky on y): a curve that leaves the chart
    is not drawn along its edge. Non-finite values break it too."""
    lo, hi = lim.y0, lim.y1
    pts = np.column_stack([np.asarray(xs, float), np.asarray(ys, float)])
    pieces, cur = [], []
    for p, q in zip(pts[:-1], pts[1:]):
        dy = q[1] - p[1]
        if not (np.isfinite(p[1]) and np.isfinite(q[1])):
            t0, t1 = 1.0, 0.0
        elif dy == 0:
            t0, t1 = (0.0, 1.0) if lo <= p[1] <= hi else (1.0, 0.0)
        else:
            ta, tb = sorted(((lo - p[1]) / dy, (hi - p[1]) / dy))
            t0, t1 = max(0.0, ta), min(1.0, tb)
        if t0 > t1:  # this segment is wholly outside
            if cur:
                pieces.append(cur)
            cur = []
            continue
        a, b = p + t0 * (q - p), p + t1 * (q - p)
        if cur and t0 == 0.0:
            cur.append(b)
        else:
            if cur:
                pieces.append(cur)
            cur = [a, b]
        if t1 < 1.0:  # it leaves the view here
            pieces.append(cur)
            cur = []
    if cur:
        pieces.append(cur)
    return [np.array(c) for c in pieces if len(c) >= 2]


def set_pieces(mob: VMobject, pieces: list[np.ndarray]) -> bool:
    """A mobject's points as several polylines (scene points, each (m, 3)); False when there
    is nothing to draw (the mobject is then a tiny invisible stub, still in the scene)."""
    mob.clear_points()
    for pts in pieces:
        mob.start_new_path(pts[0])
        mob.add_points_as_corners(pts[1:])
    return bool(pieces)


def region(to_scene, poly: np.ndarray, offsets, colour) -> VMobject:
    """A filled contour region from contourpy's ``OuterOffset`` (its outline, then any holes,
    split at ``offsets``) mapped by ``to_scene(x, y)``: one boundary as before (the line's
    convex bowl); each further boundary a subpath, wound the other way, which Cairo's nonzero
    rule leaves out (a landscape that is no bowl has regions with holes)."""
    from manim import ManimColor

    m = VMobject(stroke_width=0).set_fill(ManimColor(np.array(colour)), opacity=1)
    if len(offsets) <= 2:
        m.set_points_as_corners(to_scene(poly[:, 0], poly[:, 1]))
        return m
    for j0, j1 in zip(offsets[:-1], offsets[1:]):
        ring = to_scene(poly[j0:j1, 0], poly[j0:j1, 1])
        m.start_new_path(ring[0])
        m.add_points_as_corners(ring[1:])
    return m
