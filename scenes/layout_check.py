"""The layout check: what a frame shows stays in view and legible, whatever the run and size.

Backends describe a drawn frame as :class:`Item` boxes (matplotlib from its artists' window
extents, :mod:`scenes.mpl.layout_check`; Manim from its mobjects' bounding boxes,
:mod:`scenes.manim.layout_check`) and :func:`check_items` applies one set of rules:

- ``frame``: every text, legend, arrow and marker lies inside the frame;
- ``panel``: texts and legends inside their panel's cell (a legend may sit above the plot),
  arrows inside its plot area, markers (their centres) inside its plot area;
- ``overlap``: no two texts (legends count as text) overlap;
- ``covers``: no legend covers a data mark (a point, an arrow, a stretch of a curve or path)
  of its own panel;
- ``crosses``: no edge of a graph (an arrow marked ``edge``: its ``points`` are its whole
  path) runs through a text, whichever panel the text is in.

Boxes are in pixels with y upwards, so both backends and a browser can feed the same rules.
No drawing and no backend import here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Box", "Item", "Problem", "check_items", "polyline_hits", "TEXT", "LEGEND", "ARROW", "MARKER", "LINE"]

TEXT, LEGEND, ARROW, MARKER, LINE = "text", "legend", "arrow", "marker", "line"
TOL = 1.0  # pixels: anti-aliasing and rounding, never a real overlap


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def within(self, outer: "Box", tol: float = TOL) -> bool:
        return (self.x0 >= outer.x0 - tol and self.x1 <= outer.x1 + tol
                and self.y0 >= outer.y0 - tol and self.y1 <= outer.y1 + tol)

    def overlap(self, other: "Box") -> tuple[float, float]:
        """Width and height of the intersection (<= 0 when apart)."""
        return (min(self.x1, other.x1) - max(self.x0, other.x0),
                min(self.y1, other.y1) - max(self.y0, other.y0))

    def expanded(self, d: float) -> "Box":
        return Box(self.x0 - d, self.y0 - d, self.x1 + d, self.y1 + d)

    def __str__(self) -> str:
        return f"[{self.x0:.0f}, {self.y0:.0f}, {self.x1:.0f}, {self.y1:.0f}]"


@dataclass(frozen=True)
class Item:
    """One thing drawn in a frame, as the rules see it.

    ``kind``: TEXT, LEGEND, ARROW, MARKER (``points`` are the centres) or LINE (``points``
    is a polyline, ``None`` rows break it; lines are only checked against legends).
    ``edge``: an arrow that joins two nodes of a graph, which must cross no text (``points``
    is its path, from its start to its tip).
    ``panel``: the panel it belongs to (a key of the cells); ``area``: the region its marks
    must stay in (the plot area; None: the cell). ``data``: a data mark a legend must not cover.
    """

    kind: str
    name: str
    panel: str
    box: Box
    points: np.ndarray | None = field(default=None, compare=False)
    area: Box | None = None
    data: bool = True
    edge: bool = False


@dataclass(frozen=True)
class Problem:
    rule: str      # frame, panel, overlap, covers, crosses
    message: str
    where: str = ""
    boxes: tuple[Box, ...] = field(default=(), compare=False)  # what to outline on a contact sheet

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def _short(text: str, n: int = 40) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def polyline_hits(points: np.ndarray, box: Box) -> bool:
    """Whether a polyline (rows of x, y; NaN rows break it) enters ``box``."""
    p = np.asarray(points, dtype=float)
    if len(p) == 0:
        return False
    ok = np.isfinite(p).all(axis=1)
    inside = ok & (p[:, 0] > box.x0) & (p[:, 0] < box.x1) & (p[:, 1] > box.y0) & (p[:, 1] < box.y1)
    if inside.any():
        return True
    if len(p) < 2:
        return False
    a, b = p[:-1], p[1:]
    good = ok[:-1] & ok[1:]
    a, b = a[good], b[good]
    if not len(a):
        return False
    # Liang-Barsky, vectorised: does the segment a->b cross the box?
    d = b - a
    t0, t1 = np.zeros(len(a)), np.ones(len(a))
    hit = np.ones(len(a), dtype=bool)
    for axis, lo, hi in ((0, box.x0, box.x1), (1, box.y0, box.y1)):
        for pk, qk in ((-d[:, axis], a[:, axis] - lo), (d[:, axis], hi - a[:, axis])):
            par = pk == 0
            hit &= ~(par & (qk < 0))
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(par, 0.0, qk / np.where(par, 1.0, pk))
            t0 = np.where(~par & (pk < 0), np.maximum(t0, r), t0)
            t1 = np.where(~par & (pk > 0), np.minimum(t1, r), t1)
    return bool((hit & (t0 < t1)).any())


def check_items(items: list[Item], frame: Box, cells: dict[str, Box], where: str = "",
                tol: float = TOL) -> list[Problem]:
    """Every problem of one frame, in a stable order."""
    out: list[Problem] = []

    def bad(rule: str, msg: str, *boxes: Box) -> None:
        out.append(Problem(rule, msg, where, boxes))

    for it in items:
        if it.kind in (TEXT, LEGEND, ARROW) and not it.box.within(frame, tol):
            bad("frame", f"{it.panel}: {it.kind} {_short(it.name)!r} {it.box} leaves the frame {frame}", it.box)
        elif it.kind == MARKER and it.points is not None and len(it.points):
            p = it.points
            off = ~((p[:, 0] >= frame.x0 - tol) & (p[:, 0] <= frame.x1 + tol)
                    & (p[:, 1] >= frame.y0 - tol) & (p[:, 1] <= frame.y1 + tol))
            if off.any():
                bad("frame", f"{it.panel}: {off.sum()} marker(s) of {_short(it.name)!r} leave the frame", it.box)
        cell = cells.get(it.panel)
        if cell is None:
            continue
        region = it.area or cell
        if it.kind in (TEXT, LEGEND) and not it.box.within(cell, tol):
            bad("panel", f"{it.panel}: {it.kind} {_short(it.name)!r} {it.box} leaves its panel {cell}", it.box)
        elif it.kind == ARROW and not it.box.within(region, tol):
            bad("panel", f"{it.panel}: arrow {_short(it.name)!r} {it.box} leaves the plot area {region}", it.box)
        elif it.kind == MARKER and it.points is not None and len(it.points):
            p = it.points
            off = ~((p[:, 0] >= region.x0 - tol) & (p[:, 0] <= region.x1 + tol)
                    & (p[:, 1] >= region.y0 - tol) & (p[:, 1] <= region.y1 + tol))
            if off.any():
                bad("panel", f"{it.panel}: {off.sum()} marker(s) of {_short(it.name)!r} outside the plot area {region}",
                    it.box)

    texts = [it for it in items if it.kind in (TEXT, LEGEND)]
    if len(texts) > 1:
        b = np.array([[t.box.x0, t.box.y0, t.box.x1, t.box.y1] for t in texts])
        w = np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0])
        h = np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1])
        i, j = np.nonzero(np.triu((w > tol) & (h > tol), 1))
        for a, c in zip(i.tolist(), j.tolist()):
            ta, tc = texts[a], texts[c]
            bad("overlap", f"{ta.panel}: {ta.kind} {_short(ta.name)!r} {ta.box} overlaps "
                           f"{tc.panel}: {tc.kind} {_short(tc.name)!r} {tc.box}", ta.box, tc.box)

    for e in (it for it in items if it.kind == ARROW and it.edge and it.points is not None):
        for t in texts:
            if t.box.width > 2 * tol and t.box.height > 2 * tol and polyline_hits(e.points, t.box.expanded(-tol)):
                bad("crosses", f"{e.panel}: edge {_short(e.name)!r} {e.box} runs through "
                               f"{t.panel}: {t.kind} {_short(t.name)!r} {t.box}", t.box)

    for leg in (it for it in items if it.kind == LEGEND):
        inner = leg.box.expanded(-tol)
        for it in items:
            if it.panel != leg.panel or not it.data or it.kind in (TEXT, LEGEND):
                continue
            if it.kind == ARROW:
                w, h = it.box.overlap(inner)
                hit = w > 0 and h > 0 and (it.points is None or polyline_hits(it.points, inner))
            elif it.points is not None:
                hit = polyline_hits(it.points, inner) if it.kind == LINE else bool(
                    ((it.points[:, 0] > inner.x0) & (it.points[:, 0] < inner.x1)
                     & (it.points[:, 1] > inner.y0) & (it.points[:, 1] < inner.y1)).any())
            else:
                hit = False
            if hit:
                bad("covers", f"{leg.panel}: the legend {leg.box} covers {it.kind} {_short(it.name)!r}", leg.box)
    return out
