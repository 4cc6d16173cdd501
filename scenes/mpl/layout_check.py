"""The layout check for the matplotlib views: a frame's artists, as window extents, against
the rules of :mod:`scenes.layout_check`.

Every visible artist of the figure is described: texts (titles, tick and axis labels, the
header's values, the table's cells), legends, arrows (FancyArrowPatch), markers (scatter
points, marker-only lines) and curves (lines with a line style, only checked against
legends). Nothing is listed by hand, so a new view is checked as soon as it draws. An artist
whose gid is ``"guide"`` (the loss view's step cursor) is drawn over legends on purpose.

:func:`check_frames` runs the check at every beat boundary (the first and last frame of each
segment of the plan, and the middle of the fast-forward) and at the final frame; it can also
hand each of those frames, drawn, to a callback (the contact sheets).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.contour import ContourSet
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text

from scenes.layout_check import ARROW, LEGEND, LINE, MARKER, TEXT, Box, Item, Problem, check_items
from scenes.story.plan import BEATS, FAST, PlanSettings

__all__ = ["scene_items", "check_scene", "check_frames", "frames_to_check"]


def _box(e) -> Box:
    return Box(float(e.x0), float(e.y0), float(e.x1), float(e.y1))


def _shown(a) -> bool:
    if not a.get_visible():
        return False
    alpha = a.get_alpha()
    return alpha is None or alpha > 0.02


def _frame_texts_of(ax) -> list[Text]:
    """The texts an axes draws: its own, titles, axis labels, offset texts, tick labels."""
    out = [ax.title, ax._left_title, ax._right_title]
    for axis in (ax.xaxis, ax.yaxis):
        out += [axis.label, axis.offsetText]
        if axis.get_visible() and ax.axison:
            for tick in axis._update_ticks():  # the ticks inside the view, as drawn
                out += [t for t in (tick.label1, tick.label2) if t.get_visible()]
    return out


def _frame_text_items(ax, name: str, renderer, cache: dict) -> list[Item]:
    """The items of an axes' titles, axis labels and tick labels. They change only with the
    axes' limits, place and titles, not from frame to frame: measured once per such state
    (laying out the tick labels is most of the check's time)."""
    key = (tuple(ax.get_xlim()), tuple(ax.get_ylim()), tuple(ax.bbox.bounds),
           ax.title.get_text(), ax._left_title.get_text(), ax._right_title.get_text(),
           ax.xaxis.label.get_text(), ax.yaxis.label.get_text())
    hit = cache.get(id(ax))
    if hit is not None and hit[0] == key:
        return hit[1]
    ax.get_tightbbox(renderer)  # puts the axis labels where a draw would (beside the tick labels)
    items = [Item(TEXT, t.get_text(), name, _box(t.get_window_extent(renderer)))
             for t in _frame_texts_of(ax) if _shown(t) and t.get_text().strip()]
    cache[id(ax)] = (key, items)
    return items


def _line_item(line: Line2D, panel: str, area: Box) -> list[Item]:
    xy = np.asarray(line.get_xydata(), dtype=float)
    if not len(xy):
        return []
    pts = line.get_transform().transform(xy)
    ls, marker = line.get_linestyle(), line.get_marker()
    has_line = ls not in ("None", "none", "", " ") and len(pts) > 1
    has_marker = marker not in (None, "None", "none", "", " ")
    data = line.get_gid() != "guide"
    name = line.get_label() if not str(line.get_label()).startswith("_") else f"line {line.get_gid() or ''}".strip()
    if has_line:  # a curve or a path: clipped at the axes by design, never over a legend
        ok = np.isfinite(pts).all(axis=1)
        box = Box(*pts[ok].min(0), *pts[ok].max(0)) if ok.any() else area
        return [Item(LINE, name, panel, box, points=pts, area=area, data=data)]
    if has_marker:
        ok = np.isfinite(pts).all(axis=1)
        pts = pts[ok]
        if not len(pts):
            return []
        return [Item(MARKER, name, panel, Box(*pts.min(0), *pts.max(0)), points=pts, area=area, data=data)]
    return []


def scene_items(scene) -> tuple[list[Item], Box, dict[str, Box]]:
    """The visible artists of ``scene`` as it stands (after ``scene.update``), the frame and
    the cells (view name, and ``header``, to pixel box)."""
    r = scene.renderer
    frame = Box(0.0, 0.0, float(scene.width), float(scene.height))
    cells = {k: _box(b) for k, b in scene.cells.items()}
    items: list[Item] = []
    cache = scene.__dict__.setdefault("_layout_text_cache", {})
    for name, ax in scene.axes.items():
        area = _box(ax.bbox)
        items += _frame_text_items(ax, name, r, cache)
        for t in ax.texts:  # notes on the plot: they may change every frame
            if _shown(t) and t.get_text().strip():
                items.append(Item(TEXT, t.get_text(), name, _box(t.get_window_extent(r))))
        for leg in [c for c in ax.get_children() if isinstance(c, Legend)]:
            if _shown(leg):
                items.append(Item(LEGEND, "legend: " + ", ".join(t.get_text() for t in leg.get_texts()),
                                  name, _box(leg.get_window_extent(r)), area=area))
        for line in ax.lines:
            if _shown(line):
                items += _line_item(line, name, area)
        # Arrows between boxes (FancyBboxPatch: the graph's nodes) are a graph's edges: each
        # must cross no text but its own label (a text with a background, on it by design).
        graph = any(isinstance(q, FancyBboxPatch) and _shown(q) for q in ax.patches)
        labels = [_box(t.get_window_extent(r)) for t in ax.texts
                  if graph and _shown(t) and t.get_text().strip() and t.get_bbox_patch() is not None]
        for patch in ax.patches:
            if isinstance(patch, FancyArrowPatch) and _shown(patch):
                path = patch.get_path()  # in pixels for an arrow patch
                ext = path.get_extents(patch.get_transform())  # ignores CLOSEPOLY's dummy vertex
                start, end = patch._posA_posB
                ends = ax.transData.transform(np.array([start, end]))
                color = patch.get_edgecolor()
                items.append(Item(ARROW, f"arrow rgb({int(color[0] * 255)}, {int(color[1] * 255)}, "
                                         f"{int(color[2] * 255)})", name,
                                  _box(ext), points=_edge_points(patch, ends, labels) if graph else ends,
                                  area=area, edge=graph))
        for coll in ax.collections:
            if isinstance(coll, ContourSet) or not _shown(coll):
                continue
            if isinstance(coll, PathCollection):
                offs = np.asarray(coll.get_offsets(), dtype=float)
                if len(offs):
                    pts = coll.get_offset_transform().transform(offs)
                    pts = pts[np.isfinite(pts).all(axis=1)]
                    if len(pts):
                        items.append(Item(MARKER, coll.get_label() if not str(coll.get_label()).startswith("_")
                                          else "points", name, Box(*pts.min(0), *pts.max(0)),
                                          points=pts, area=area))
            elif isinstance(coll, LineCollection):
                segs = coll.get_segments()
                if segs:
                    rows = []
                    for seg in segs:
                        rows += [*coll.get_transform().transform(np.asarray(seg, dtype=float)), [np.nan, np.nan]]
                    pts = np.array(rows)
                    ok = np.isfinite(pts).all(axis=1)
                    items.append(Item(LINE, "segments", name, Box(*pts[ok].min(0), *pts[ok].max(0)),
                                      points=pts, area=area))
    for t in scene.fig.texts:
        if _shown(t) and t.get_text().strip():
            items.append(Item(TEXT, t.get_text(), "header", _box(t.get_window_extent(r))))
    return items, frame, cells


def _edge_points(patch: FancyArrowPatch, ends: np.ndarray, labels: list[Box]) -> np.ndarray:
    """A graph edge's course in pixels, from its start to its tip: a straight line, or the
    quadratic curve of an ``arc3`` connection (as matplotlib bends it, in display space),
    broken (NaN) where it passes under its own label: the label whose centre is on it."""
    (x0, y0), (x1, y1) = ends
    rad = getattr(patch.get_connectionstyle(), "rad", 0.0)
    ctrl = np.array([(x0 + x1) / 2 + rad * (y1 - y0), (y0 + y1) / 2 - rad * (x1 - x0)])
    t = np.linspace(0.0, 1.0, 201)[:, None]
    pts = (1 - t) ** 2 * ends[0] + 2 * t * (1 - t) * ctrl + t ** 2 * ends[1]
    for lab in labels:
        centre = np.array([(lab.x0 + lab.x1) / 2, (lab.y0 + lab.y1) / 2])
        if np.hypot(*(pts - centre).T).min() <= 2.0:
            inside = ((pts[:, 0] >= lab.x0 - 1) & (pts[:, 0] <= lab.x1 + 1)
                      & (pts[:, 1] >= lab.y0 - 1) & (pts[:, 1] <= lab.y1 + 1))
            pts[inside] = np.nan
            break
    return pts


def check_scene(scene, where: str = "") -> list[Problem]:
    """The problems of the frame the scene shows now."""
    items, frame, cells = scene_items(scene)
    return check_items(items, frame, cells, where)


def frames_to_check(plan) -> list[int]:
    """Frame indices at every beat boundary (first and last frame of each segment), the
    middle of the fast-forward, and the final frame."""
    idx = set()
    for seg in plan.segments():
        idx.update((seg.start, seg.stop - 1))
        if seg.beat == FAST:
            idx.add((seg.start + seg.stop - 1) // 2)
    if len(plan):
        idx.add(len(plan) - 1)
    return sorted(idx)


def check_frames(trace, size=(1280, 720), theme="light", *, views: Sequence[str] | None = None,
                 plan: PlanSettings | None = None, fps: int = 30,
                 on_frame: Callable[[int, np.ndarray, str], None] | None = None,
                 label: str = "") -> list[Problem]:
    """Build the scene of ``trace`` and check it at every frame of :func:`frames_to_check`.

    ``on_frame(i, rgba, where)``, when given, receives each of those frames drawn (the
    blitting renderer's pixels, as the video has them)."""
    import matplotlib

    # As render_matplotlib draws: unhinted glyphs (their widths differ by a pixel or so).
    with matplotlib.rc_context({"text.hinting": "none"}):
        return _check_frames(trace, size, theme, views, plan, fps, on_frame, label)


def _check_frames(trace, size, theme, views, plan, fps, on_frame, label) -> list[Problem]:
    from scenes.mpl.render import FrameRenderer, _setup, build_plan, text_steps
    from scenes.mpl.views import DEFAULT_VIEWS

    scene = _setup(trace, size, theme, views or DEFAULT_VIEWS)
    frame_plan = build_plan(trace, plan, fps)
    renderer = FrameRenderer(scene, frame_plan)
    steps = text_steps(frame_plan)
    out: list[Problem] = []
    for i in frames_to_check(frame_plan):
        k, beat, t = frame_plan.frame(i)
        where = f"{label}frame {i} ({BEATS[beat]}, step {k + 1}, t={t:.2f})"
        if on_frame is not None:
            on_frame(i, renderer.frame(i), where)
        else:
            scene.update(k, beat, t, int(steps[i]))
        out += check_scene(scene, where)
    return out
