"""The layout check for the Manim scenes: mobjects' bounding boxes against the frame and the
panels' cells, under the rules of :mod:`scenes.layout_check`.

The scene runs dry (``skip_animations``: each play jumps to its end, nothing is rasterised)
and is looked at after every segment of the plan: every beat boundary, the fast-forward's
end and the final fit. What is looked at is what the real render draws in that segment's
last frame, read from the lists Manim's Cairo renderer draws from (:func:`drawn_mobjects`:
the play's static mobjects, then its moving ones), not from the scene's tree alone: a
mobject the renderer still draws that the scene no longer holds (``stale``: a text replaced
during a play but left in the play's moving list) and one the scene holds that the renderer
does not draw (``hidden``) are problems, and stale texts take part in the overlap rule, as
they do on screen. Panels say which top-level mobjects are theirs (``layout_mobjects``),
and their cell and plot area (``layout_cell``, ``layout_area``, set by
:func:`scenes.manim.scenes.place`); the builders in :mod:`scenes.manim.panels` tag what
they make (:func:`scenes.manim.style.tag`): texts, legends, arrows, markers and lines.
Untagged mobjects (axes, grid, contours) are not checked; an untagged group is looked into.

Manim's camera frame is 8 units tall and 8·w/h wide; boxes are converted to the pixels of
the quality the check runs at, so the rules' one-pixel tolerance means the same as for
matplotlib.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from scenes.layout_check import ARROW, LEGEND, LINE, MARKER, TEXT, Box, Item, Problem, check_items
from scenes.story.plan import PlanSettings

__all__ = ["scene_items", "drawn_mobjects", "check_now", "check_scene_run", "run_dry", "CHECK_PLAN"]

# Beats short (the check looks at segment ends only), the first epoch in detail as by default.
CHECK_PLAN = PlanSettings(intro=0.2, beat_seconds=(0.2, 0.2, 0.3, 0.2), fast_forward=1.0, hold=0.3)


def _visible(m) -> bool:
    for sm in m.family_members_with_points():
        if sm.get_fill_opacity() > 0.02:
            return True
        if sm.get_stroke_opacity() > 0.02 and sm.get_stroke_width() > 0:
            return True
    return False


def _points(m) -> np.ndarray:
    pts = [sm.points[:, :2] for sm in m.family_members_with_points()]
    return np.concatenate(pts) if pts else np.zeros((0, 2))


class _Pixels:
    """Scene units to pixels (y up), for a W x H frame of height 8 units."""

    def __init__(self, width: int, height: int):
        self.w, self.h = width, height
        self.fw = 8.0 * width / height
        self.k = height / 8.0

    def pts(self, p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=float).reshape(-1, p.shape[-1] if np.ndim(p) > 1 else 2)[:, :2]
        return np.column_stack([(p[:, 0] + self.fw / 2) * self.k, (p[:, 1] + 4.0) * self.k])

    def box(self, x0: float, y0: float, x1: float, y1: float) -> Box:
        (a, b), (c, d) = self.pts(np.array([[x0, y0], [x1, y1]]))
        return Box(a, b, c, d)


def _describe(m) -> str:
    for attr in ("layout_text", "_shown"):
        v = getattr(m, attr, None)
        if isinstance(v, str) and v:
            return v
    return type(m).__name__


def _items_of(top, panel: str, area: Box | None, px: _Pixels, out: list[Item]) -> None:
    kind = getattr(top, "layout_kind", None)
    if kind is None:
        for sub in top.submobjects:
            _items_of(sub, panel, area, px, out)
        return
    if not _visible(top):
        return
    pts = _points(top)
    if not len(pts):
        return
    p = px.pts(pts)
    box = Box(*p.min(0), *p.max(0))
    name = _describe(top)
    if kind == TEXT:
        out.append(Item(TEXT, name, panel, box))
    elif kind == LEGEND:
        out.append(Item(LEGEND, "legend", panel, box, area=area))
    elif kind == ARROW:
        route = getattr(top, "layout_route", None)  # a graph's edge: its whole path, held off texts
        ends = px.pts(np.asarray(route) if route is not None else np.array([top.get_start(), top.get_end()]))
        out.append(Item(ARROW, f"arrow {top.get_color().to_hex()}", panel, box, points=ends, area=area,
                        edge=route is not None))
    elif kind == MARKER:
        centres = getattr(top, "layout_centres", None)
        c = px.pts(centres) if centres is not None else np.array([[(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2]])
        out.append(Item(MARKER, f"marker {name}", panel, box, points=c, area=area))
    elif kind == LINE:
        rows = []
        for sm in top.family_members_with_points():
            rows += [*px.pts(sm.points), [np.nan, np.nan]]
        out.append(Item(LINE, f"line {top.get_color().to_hex()}", panel, box, points=np.array(rows), area=area))


def drawn_mobjects(sc) -> list:
    """What Manim's Cairo renderer draws in the last frame of the play that just ended, in
    drawing order: the play's static mobjects (its cached background), then its moving ones
    (their families as they are now), or the scene's mobjects when the play listed none
    (``CairoRenderer.update_frame``). Mobjects a remover animation (FadeOut) took out are left
    out: they were faded to nothing in that frame."""
    static = list(getattr(sc, "static_mobjects", None) or [])
    moving = list(getattr(sc, "moving_mobjects", None) or [])
    if not moving:
        moving = [*sc.mobjects, *sc.foreground_mobjects]
    gone: set[int] = set()
    for anim in getattr(sc, "animations", None) or []:
        if anim.is_remover():
            gone.update(id(m) for m in anim.mobject.get_family())
    return [m for m in (*static, *moving) if id(m) not in gone]


def _family_ids(mobjects) -> set[int]:
    return {id(f) for m in mobjects for f in m.get_family()}


def scene_items(sc, width: int, height: int) -> tuple[list[Item], Box, dict[str, Box], list[Problem]]:
    """What the renderer draws now, as items; the frame; the panels' cells (pixels); and the
    mismatches between the scene and the renderer (``stale``, ``hidden``)."""
    px = _Pixels(width, height)
    drawn_list = drawn_mobjects(sc)
    drawn = _family_ids(drawn_list)
    held = _family_ids([*sc.mobjects, *sc.foreground_mobjects])
    shown = {id(m) for m in sc.mobjects}
    panels = list(sc.panels)
    loss = getattr(sc, "loss", None)
    if loss is not None and loss not in panels:
        panels.append(loss)
    items: list[Item] = []
    cells: dict[str, Box] = {}
    owned: set[int] = set()
    for p in panels:
        name = p.layout_name or type(p).__name__
        if p.layout_cell is not None:
            cells[name] = px.box(*p.layout_cell)
        area = px.box(*p.layout_area) if p.layout_area is not None else None
        for top in p.layout_mobjects():
            owned.add(id(top))
            if id(top) in shown:
                _items_of(top, name, area, px, items)
    for top in sc.mobjects:  # anything no panel claims is still held to the frame
        if id(top) not in owned:
            _items_of(top, "scene", None, px, items)
    problems: list[Problem] = []
    # Drawn but no longer in the scene: on screen all the same, so it is an item too.
    seen: set[int] = set()
    for top in drawn_list:
        for m in top.get_family():
            if id(m) in held or id(m) in seen or getattr(m, "layout_kind", None) is None or not _visible(m):
                continue
            seen.update(id(f) for f in m.get_family())
            before = len(items)
            _items_of(m, "stale", None, px, items)
            for it in items[before:]:
                problems.append(Problem("stale", f"{it.kind} {it.name!r} {it.box} is drawn but is no longer in "
                                                 "the scene (left in the play's moving list)", boxes=(it.box,)))
    # In the scene but not drawn: missing from the frame.
    for top in sc.mobjects:
        for m in _tagged(top):
            if _visible(m) and not any(id(f) in drawn for f in m.family_members_with_points()):
                problems.append(Problem("hidden", f"{m.layout_kind} {_describe(m)!r} is in the scene but the "
                                                  "renderer does not draw it"))
    return items, Box(0.0, 0.0, float(width), float(height)), cells, problems


def _tagged(top):
    """The outermost tagged mobjects of ``top``'s family (the ones the rules look at)."""
    if getattr(top, "layout_kind", None) is not None:
        yield top
        return
    for sub in top.submobjects:
        yield from _tagged(sub)


def check_now(sc, width: int, height: int, where: str = "") -> list[Problem]:
    items, frame, cells, mismatches = scene_items(sc, width, height)
    return [dataclasses.replace(p, where=where) for p in mismatches] + check_items(items, frame, cells, where)


def run_dry(trace, on_segment, *, scene: str = "walkthrough", theme="light", quality: str = "low",
            plan: PlanSettings | None = None):
    """Run ``scene`` of ``trace`` with animations skipped (nothing rasterised, no file), calling
    ``on_segment(scene, segment)`` after each segment of its plan. Returns the scene."""
    from manim import tempconfig
    from manim.renderer.cairo_renderer import CairoRenderer

    from scenes.manim.file_writer import file_writer_for
    from scenes.manim.render import QUALITIES, _manim_config
    from scenes.manim.scenes import SCENES, plan_for
    from scenes.story.theme import Theme, load_theme

    width, height, fps = QUALITIES[quality]
    th = theme if isinstance(theme, Theme) else load_theme(theme)
    frame_plan = plan_for(trace, dataclasses.replace(plan or CHECK_PLAN, fps=fps))
    with tempconfig(_manim_config(width, height, fps)):
        renderer = CairoRenderer(file_writer_class=file_writer_for(lambda frame, repeat: None),
                                 skip_animations=True)
        sc = SCENES[scene](trace, th, frame_plan, renderer=renderer, skip_animations=True,
                           on_segment=on_segment)
        sc.render()
    return sc


def check_scene_run(trace, *, scene: str = "walkthrough", theme="light", quality: str = "low",
                    plan: PlanSettings | None = None,
                    on_frame: Callable[[int, np.ndarray, str], None] | None = None,
                    label: str = "") -> list[Problem]:
    """Run ``scene`` of ``trace`` dry and check it after every segment of its plan.

    ``on_frame(i, rgba, where)``, when given, receives each of those states drawn (Manim's
    renderer draws that one frame from the lists the real render draws it from; the contact
    sheets)."""
    from scenes.manim.render import QUALITIES

    width, height, _ = QUALITIES[quality]
    problems: list[Problem] = []

    def look(sc, seg) -> None:
        where = f"{label}segment {seg.name} (step {int(seg.steps[-1]) + 1}, frame {seg.stop - 1})"
        problems.extend(check_now(sc, width, height, where))
        if on_frame is not None:
            sc.renderer.static_image = None
            sc.renderer.update_frame(sc, mobjects=drawn_mobjects(sc), ignore_skipping=True)
            on_frame(seg.stop - 1, sc.renderer.get_frame().copy(), where)

    run_dry(trace, look, scene=scene, theme=theme, quality=quality, plan=plan)
    return problems
