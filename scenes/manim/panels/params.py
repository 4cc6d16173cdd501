"""The Parameters panel: the loss's contours over the parameter plane (the line's (a, b), a
model's own pair, or for P > 2 a plane through parameter space with how faithful it is), the
run's path through them, and each detail step's arrows (the full-batch gradient, the update
taken, the carried velocity)."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UL, UP, UR, Arrow, DashedLine, Dot, FadeIn, FadeOut, GrowFromPoint, Line,
                   ManimColor, ORIGIN, Rectangle, VGroup, VMobject)

from scenes.manim.panels.base import DL, DR, Panel, legend_strip, place_legend, typst_name
from scenes.manim.panels.beats import Beats, scrub
from scenes.manim.panels.draw import bounded_indices, region, set_children, set_polyline
from scenes.manim.style import ARROW, LEGEND, LINE, MARKER, Style, tag
from scenes.story.story import UPDATE_LABEL, Story

__all__ = ["ParamsPanel"]


class ParamsPanel(Beats):
    PATH_CAP = 1500

    def __init__(self, style: Style, story: Story, center, width, height, *,
                 left: float | None = None, top: float | None = None, arrow_steps=None,
                 cell: tuple[float, float, float, float] | None = None):
        """``arrow_steps``: the steps whose arrows the scene shows (the detail beats), kept
        clear of the legend; ``left``, ``top``: where the panel's cell begins and ends (room
        for tick labels, and for the legend above the plot if it must go there); ``cell``:
        the whole cell (x0, y0, x1, y1), its left and top those when not given, which the axis
        labels (a module's parameter names, "0.weight[0]") are kept inside."""
        if cell is not None:
            left = cell[0] if left is None else left
            top = cell[3] if top is None else top
        self.s, self.st, self.cell = story, style, cell
        self.arrow_steps = list(arrow_steps) if arrow_steps is not None else list(range(min(story.n, 3)))
        plane = story.plane
        self.faith = None  # P > 2: the plane's faithfulness, in a strip above the plot
        self.faith_strip = 0.0  # its height (a legend above the plot goes above it)
        if plane.land is not None:
            words = plane.land.off_plane  # None for a run of no steps: no path to be off the plane
            self.faith = VGroup(style.text(words, "tick", "text") if words else VGroup(),
                                style.text(plane.land.label, "tick", "muted"))
            off, label = self.faith
            # One row when both fit the plot's width in nearly full type (or there is one); else two rows.
            self.two_rows = bool(words) and off.width + label.width + 0.3 > 0.9 * (width - 0.9)
            row = off.height if words else label.height
            strip = (2 * row + 0.1 if self.two_rows else row) + 0.12
            height -= strip
            self.faith_strip = strip
            center = (center[0], center[1] - strip / 2)
            top = None if top is None else top - strip
        P = self.panel = self._panel_and_legend(center, width, height, left, top)
        self.static = VGroup(P.frame(*map(typst_name, plane.names)))
        if self.faith is not None:
            self._lay_strip()
        self.image = self._contour_image()
        self.contours = self._contour_lines()
        self.optimum = self._optimum_mark()
        self._path_and_dot()
        self.arrows = VGroup()

    def _panel_and_legend(self, center, width, height, left, top) -> Panel:
        """The data rectangle, with ``self.legend`` placed in it or above it."""
        style, geo = self.st, self.s.geom
        # The legend goes where it covers nothing the run draws; if there is no such place in
        # the plot (a path that wanders everywhere), in a row above it, the plot giving room.
        xlabel = typst_name(self.s.plane.names[0])  # the plot makes room under it for a long one
        P = Panel(style, center, width, height, geo.params, left=left, cell=self.cell, xlabel=xlabel)
        self.legend = tag(self._legend_rows(), LEGEND)
        if place_legend(self.legend, P, self._marks(P)):
            strip = legend_strip(self.legend, (top - (P.y0 + P.h)) if top is not None else 0.0)
            P = Panel(style, (center[0], center[1] - strip / 2), width, height - strip, geo.params, left=left,
                      cell=self.cell, xlabel=xlabel)
            if self.legend.width > P.w:
                self.legend.scale_to_fit_width(P.w)
            self.legend.next_to(P.p(geo.params.x1, geo.params.y1) + UP * self.faith_strip, UL, buff=0.1)
        return P

    def _optimum_mark(self) -> VGroup:
        """A cross at the least-squares optimum, if it is in view (else an empty group)."""
        geo, P = self.s.geom, self.panel
        optimum = VGroup()
        if geo.optimum is None:  # only the line has one in closed form
            return optimum
        a_opt, b_opt = geo.optimum
        if geo.params.contains(a_opt, b_opt):
            q = P.p(a_opt, b_opt)
            optimum = VGroup(Line(q + 0.09 * (UP + LEFT), q + 0.09 * (DOWN + RIGHT)),
                             Line(q + 0.09 * (UP + RIGHT), q + 0.09 * (DOWN + LEFT))
                             ).set_stroke(self.st.c("text"), width=3)
            tag(optimum, MARKER, centres=[q])
        return optimum

    def _path_and_dot(self) -> None:
        """The path's polyline (all of it precomputed, shown up to a point) and its head."""
        story, style, P = self.s, self.st, self.panel
        # Path: all parameter points a_0, a_1, ..., a_n, thinned to a bounded polyline.
        A, B = story.path_u, story.path_v
        self.path_idx = bounded_indices(len(A), self.PATH_CAP)
        ca, cb = P.clamp(A[self.path_idx], B[self.path_idx])
        self.path_pts = P.p(ca, cb)
        self.path = tag(VMobject(stroke_color=style.c("path"), stroke_width=2.5), LINE)
        set_polyline(self.path, self.path_pts[:1])
        self.dot = tag(Dot(P.p(*P.clamp(*story.ab_before(0))), radius=0.075, color=style.c("line")), MARKER)
        self.dot.set_stroke(style.c("background"), width=2)

    def _contour_image(self) -> VGroup:
        """Filled bands of the loss, painted from the outermost level in (the line's MSE is a
        quadratic bowl in (a, b), so each region {L < c} is one convex polygon; a landscape
        that is no bowl has regions with holes, drawn as such by :func:`region`).

        Vector shapes rather than an ImageMobject: they are drawn once into Manim's static
        background and stay sharp at any resolution.
        """
        import contourpy

        from scenes.story.palette import band_colors

        A, B, Z, levels = self.s.contours()
        bands, over = band_colors(self.st.theme, levels, float(Z.max()))  # as matplotlib fills them
        g = VGroup(Rectangle(width=self.panel.w, height=self.panel.h, stroke_width=0)
                   .set_fill(ManimColor(np.array(over)), opacity=1).move_to(self.panel.center))
        gen = contourpy.contour_generator(A, B, Z, fill_type="OuterOffset")
        lo = float(Z.min()) - 1.0
        for i in range(len(levels) - 1, -1, -1):
            polys, _ = gen.filled(lo, float(levels[i]))
            for poly, offsets in zip(polys, _):
                if len(poly) < 3:
                    continue
                m = region(self.panel.p, poly, offsets, bands[i])
                g.add(m)
        return g

    def _contour_lines(self) -> VGroup:
        import contourpy

        A, B, Z, levels = self.s.contours()
        gen = contourpy.contour_generator(A, B, Z)
        g = VGroup()
        color = self.st.c("muted")
        for lev in levels:
            for seg in gen.lines(lev):
                if len(seg) < 3:
                    continue
                m = VMobject(stroke_color=color, stroke_width=1.2, stroke_opacity=0.55)
                m.set_points_as_corners(self.panel.p(seg[:, 0], seg[:, 1]))
                g.add(m)
        return g

    def _legend_rows(self) -> VGroup:
        st, s = self.st, self.s
        items = [("update", UPDATE_LABEL)]
        if s.carry is not None:
            items.append(("velocity", s.carry.label))
        # an unknown full-batch step (a module's own loop) is not drawn: the legend says so
        items.append(("full_gradient", s.full_step_label))
        rows = VGroup()
        for key, label in items:
            rows.add(VGroup(Line(ORIGIN, RIGHT * 0.35, stroke_color=st.c(key), stroke_width=4),
                            st.text(label, "tick", "muted")).arrange(RIGHT, buff=0.12))
        return rows.arrange(DOWN, aligned_edge=LEFT, buff=0.08)

    def _marks(self, P: Panel) -> list[np.ndarray]:
        """What the run draws in the panel, as polylines: the whole path, the optimum and the
        arrows of the steps the scene shows."""
        s = self.s
        A, B = s.path_u, s.path_v
        idx = bounded_indices(len(A), self.PATH_CAP)
        marks = [P.p(*P.clamp(A[idx], B[idx]))[:, :2]]
        if s.geom.optimum is not None:
            marks.append(P.p(*s.geom.optimum)[None, :2])
        for k in self.arrow_steps:
            for arrow in filter(_finite, s.arrows(int(k)).values()):
                marks.append(P.p(np.array([arrow.start[0], arrow.end[0]]),
                                 np.array([arrow.start[1], arrow.end[1]]))[:, :2])
        return marks

    def _lay_strip(self) -> None:
        """The strip above the plot: how far the path leaves the plane at the left, the
        share of the path the plane explains at the right; smaller type if they would meet."""
        P, (off, label) = self.panel, self.faith
        corner = np.array([P.x0 + P.w, P.y0 + P.h, 0.0])
        if self.two_rows:  # the share on top, the distance under it, both at the right
            for m in (off, label):  # clear of the y label at the plot's top left corner
                if m.width > P.w - 0.45:
                    m.scale_to_fit_width(P.w - 0.45)
            off.next_to(corner, UL, buff=0.06)
            label.next_to(off, UP, buff=0.1).align_to(off, RIGHT)
            return
        room = P.w - 0.3
        if off.width + label.width > room:
            k = room / (off.width + label.width)
            off.scale(k)
            label.scale(k)
        label.next_to(corner, UL, buff=0.06)
        if off.width > 0:  # empty without a path (a run of no steps)
            off.next_to(np.array([P.x0, P.y0 + P.h, 0.0]), UR, buff=0.06).align_to(label, DOWN)

    def statics(self):
        notes = [self.faith] if self.faith is not None else []
        return [self.image, self.contours, self.static, self.optimum, self.legend, *notes]

    def dynamics(self):
        return [self.path, self.arrows, self.dot]

    def _path_upto(self, k: int):
        """The path's polyline through parameter point k (0 = the start)."""
        j = int(np.searchsorted(self.path_idx, k, side="right"))
        return self.path_pts[:j]

    def _arrow(self, arrow, key, width=5):
        """The story's arrow (data coordinates, already kept inside the view)."""
        P = self.panel
        q0, q1 = P.p(*arrow.start), P.p(*arrow.end)
        if np.linalg.norm(q1 - q0) < 1e-3:
            q1 = q0 + 1e-3 * RIGHT
        if arrow.clipped:  # cut at the view's edge: dashed and headless, not its true length
            m = DashedLine(q0, q1, color=self.st.c(key), stroke_width=width, dash_length=0.08)
        else:
            m = Arrow(q0, q1, buff=0, color=self.st.c(key), stroke_width=width,
                      max_tip_length_to_length_ratio=0.35, tip_length=0.16 * max(width, 4) / 5,
                      max_stroke_width_to_length_ratio=20)
        m.story_arrow = arrow  # the data it was drawn from (tests compare the backends with it)
        return tag(m, ARROW)

    def intro(self):
        return [FadeIn(self.dot, scale=0.5)]

    ARROWS = (("full", "full_gradient", 4), ("update", "update", 6), ("carry", "velocity", 3))

    def gradient(self, k):
        s = self.s
        a0, b0 = s.ab_before(k)
        drawn = s.arrows(k)
        arrows = VGroup(*(self._arrow(drawn[key], color, width)
                          for key, color, width in self.ARROWS if key in drawn and _finite(drawn[key])))
        scale = float(s.arrow_scale[k])
        if scale > 1 and len(arrows):  # magnified, as the matplotlib view says too
            arrows.add(self._scale_note(scale))
        set_children(self.arrows, arrows)
        return [GrowFromPoint(self.arrows, self.panel.p(*self.panel.clamp(a0, b0)))]

    def _scale_note(self, scale: float):
        """The note "arrows ×scale", in a corner where it covers nothing the run draws, nor the legend."""
        P = self.panel
        note = self.st.text(f"arrows ×{scale:g}", "tick", "muted")
        place_legend(note, P, [*self._marks(P), _outline(self.legend)], [((P.lim.x1, P.lim.y1), DL), ((P.lim.x0, P.lim.y1), DR),
                                                           ((P.lim.x1, P.lim.y0), UL), ((P.lim.x0, P.lim.y0), UR)])
        return note

    def update(self, k):
        s, P = self.s, self.panel
        a0, b0 = s.ab_before(k)
        a1, b1 = s.ab_after(k)
        base = self._path_upto(k)

        def move(mob, t):
            ca, cb = P.clamp(a0 + (a1 - a0) * t, b0 + (b1 - b0) * t)
            q = P.p(ca, cb)
            self.dot.move_to(q)
            set_polyline(self.path, np.vstack([base, q[None]]))
        return [scrub(self.dot, lambda t: move(None, t)), self.arrows.animate.set_opacity(0.3)]

    def forward(self, k):
        if len(self.arrows):
            return [FadeOut(self.arrows)]  # removed from the scene; gradient() re-adds it
        return []

    def fast_begin(self, steps, index):
        set_children(self.arrows, [])
        P = self.panel

        def upd(m):
            k = int(steps[index()]) + 1  # parameter point after step k
            set_polyline(self.path, self._path_upto(k))
            a, b = self.s.ab_after(k - 1)
            self.dot.move_to(P.p(*P.clamp(a, b)))
        self.dot.add_updater(upd)
        return []

    def fast_end(self):
        self.dot.clear_updaters()

    def hold(self):
        set_polyline(self.path, self.path_pts)
        P = self.panel
        self.dot.move_to(P.p(*P.clamp(*self.s.final_uv)))
        return []


def _outline(m) -> np.ndarray:
    """A mobject's box as a closed polyline through its centre (a mark for place_legend)."""
    x0, x1, y0, y1 = m.get_left()[0], m.get_right()[0], m.get_bottom()[1], m.get_top()[1]
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0], [(x0 + x1) / 2, (y0 + y1) / 2]])


def _finite(arrow) -> bool:
    """Whether an arrow's ends are finite numbers (Manim's Arrow fails on a NaN end; the story
    leaves such arrows out already, this keeps a backend safe from any other)."""
    return bool(np.all(np.isfinite([*arrow.start, *arrow.end])))
