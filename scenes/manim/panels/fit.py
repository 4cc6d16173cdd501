"""The Fit panel: the data points, the model's line (or curve: a polynomial, the sigmoid of
logistic regression over its 0/1 points, a network's curve, sampled by the story), and each
batch's predictions and residuals as the beats go; during the fast-forward it follows the run."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from manim import ORIGIN, RIGHT, UL, UR, Circle, Create, Dot, FadeIn, FadeOut, Line, UpdateFromAlphaFunc, VGroup, VMobject

from scenes.manim.panels.base import DL, DR, Panel
from scenes.manim.panels.beats import Beats
from scenes.manim.panels.draw import clip_line, curve_pieces, set_children, set_pieces
from scenes.manim.style import LINE, MARKER, Style, tag
from scenes.story.story import Story

__all__ = ["FitPanel"]


class FitPanel(Beats):
    MAX_MARKED = 60  # batch highlights drawn at most (a pool: no mobjects created per frame)

    def __init__(self, style: Style, story: Story, center, width, height, *, left: float | None = None):
        self.s, self.st = story, style
        self.panel = Panel(style, center, width, height, story.geom.fit, left=left)
        P = self.panel
        self.static = VGroup(P.frame("x", "y"))
        self.r = 0.07 if len(story.trace.x) <= 60 else (0.045 if len(story.trace.x) <= 400 else 0.03)
        self.points = self._points()
        # The line (schema 1) is a Line through its two ends; any other model's curve is a
        # polyline through the story's samples, cut where it leaves the view.
        self.straight = story.trace.schema_version == 1
        shape = (lambda **kw: Line(ORIGIN, RIGHT, **kw)) if self.straight else (lambda **kw: VMobject(**kw))
        self.ghost = tag(shape(stroke_color=style.c("ghost"), stroke_width=3, stroke_opacity=0), LINE)
        self.line = tag(shape(stroke_color=style.c("line"), stroke_width=5), LINE)
        self.draw(self.line, self._before(0))
        self.rings = self._rings()
        self.preds = VGroup()
        self.res = VGroup()
        label = (style.math("y' = a dot.c x + b", "label", "line") if self.straight
                 else style.text(story.words.formula, "label", "line"))
        self.label = label.next_to(P.p(story.geom.fit.x0, story.geom.fit.y1), DR, buff=0.12)
        # In a corner no line or curve of the first steps crosses (a diverging line's third
        # step ran through the top left's "y' = a·x + b").
        self._place_label()

    def _place_label(self) -> None:
        """The formula in a corner of the plot where it covers no data point nor curve (the
        start, the first steps' and the final one); where every corner is taken (a sine's
        points), none: the header says the formula too."""
        from scenes.manim.panels.base import place_legend

        s, P = self.s, self.panel
        L = P.lim
        pts = P.p(s.trace.x, s.trace.y)[:, :2]
        marks = [pts[i:i + 1] for i in range(0, len(pts), max(1, len(pts) // 200))]
        shown = [self._before(0), self._final(), *(self._after(k) for k in range(min(s.n, 3)))]
        for params in shown:
            marks += [P.p(c[:, 0], c[:, 1])[:, :2] for c in curve_pieces(s.fit_xs, s.curve(params), L)]
        if place_legend(self.label, P, marks, [((L.x0, L.y1), DR), ((L.x1, L.y0), UL), ((L.x0, L.y0), UR),
                                               ((L.x1, L.y1), DL)]):
            if not getattr(s.model, "no_curve", ""):
                self.label = VGroup()
                return
            # A module with no curve: the note of why (and that x is the row number) is said
            # nowhere else, so it stays: above the plot, right of the y label, over nothing.
            if self.label.width > P.w - 0.5:
                self.label.scale_to_fit_width(P.w - 0.5)
            self.label.next_to(P.p(L.x0, L.y1) + 0.4 * RIGHT, UR, buff=0.08)

    def _points(self):
        """The data points inside the view, as dots of radius ``self.r``."""
        story, style, P = self.s, self.st, self.panel
        pts = P.p(story.trace.x, story.trace.y)
        inside = [i for i in range(len(pts)) if story.geom.fit.contains(story.trace.x[i], story.trace.y[i])]
        dots = [Dot(pts[i], radius=self.r, color=style.c("points")) for i in inside]
        if len(dots) <= 60:
            return VGroup(*(tag(d, MARKER) for d in dots))  # few: they appear one by one
        # Many points: one mobject with a subpath per dot. Cairo fills them in one call;
        # a thousand Dots cost Manim's Python a thousand paths each time they are drawn.
        points = VMobject(fill_color=style.c("points"), fill_opacity=1, stroke_width=0)
        for d in dots:
            points.append_points(d.points)
        return tag(points, MARKER, centres=pts[inside])

    def _rings(self) -> VGroup:
        """A pool of hidden rings, one for each point of the largest batch (at most MAX_MARKED)."""
        story, style = self.s, self.st
        nb = min(max((len(i) for i in story.trace.steps["indices"]), default=1), self.MAX_MARKED)
        return VGroup(*(tag(Circle(radius=self.r * 2.1, stroke_color=style.c("batch"), stroke_width=3.5)
                            .set_fill(opacity=0).set_opacity(0), MARKER) for _ in range(nb)))

    # The model's parameters before and after step k and at the end: (a, b) for the line,
    # the parameter vector for any other model.
    def _before(self, k: int):
        return self.s.ab_before(k) if self.straight else self.s.params_before(k)

    def _after(self, k: int):
        return self.s.ab_after(k) if self.straight else self.s.params_after_step(k)

    def _final(self):
        t = self.s.trace
        return (t.final_a, t.final_b) if self.straight else t.final_params

    def draw(self, mob, params, opacity: float = 1.0) -> None:
        """The model at ``params`` on ``mob``: the line (a, b) or the curve of a vector."""
        if self.straight:
            self.place(mob, *params, opacity)
            return
        P = self.panel
        pieces = curve_pieces(self.s.fit_xs, self.s.curve(params), P.lim)
        if not set_pieces(mob, [P.p(c[:, 0], c[:, 1]) for c in pieces]):  # off the chart
            mob.set_points_as_corners([P.center, P.center + 1e-3 * RIGHT])
            mob.set_stroke(opacity=0)
            return
        mob.set_stroke(opacity=opacity)

    def place(self, line: Line, a: float, b: float, opacity: float = 1.0) -> None:
        seg = clip_line(a, b, self.panel.lim)
        if seg is None:
            line.put_start_and_end_on(self.panel.center, self.panel.center + 1e-3 * RIGHT)
            line.set_stroke(opacity=0)
            return
        line.put_start_and_end_on(self.panel.p(*seg[0]), self.panel.p(*seg[1]))
        line.set_stroke(opacity=opacity)

    def statics(self):
        return [self.static, self.points, self.label]

    def dynamics(self):
        return [self.ghost, self.res, self.line, self.preds, self.rings]

    def intro(self):
        return [FadeIn(self.points, lag_ratio=0.1), Create(self.line)]

    def _mark(self, idx: Sequence[int], anim: bool):
        P, s = self.panel, self.s
        out = []
        for j, ring in enumerate(self.rings):
            if j < len(idx):
                ring.move_to(P.p(s.trace.x[idx[j]], s.trace.y[idx[j]]))
                if anim:
                    ring.set_stroke(opacity=1)
                    out.append(ring)
                else:
                    ring.set_stroke(opacity=0.9)
            else:
                ring.set_stroke(opacity=0)
        return out

    def forward(self, k):
        s, P, st = self.s, self.panel, self.st
        idx = s.trace.steps["indices"][k][: self.MAX_MARKED]
        self.ghost.set_stroke(opacity=0)
        set_children(self.res, [])
        for ring in self.rings:
            ring.set_stroke(opacity=0)
        self._mark(idx, True)
        preds = VGroup()
        for i, yh in zip(idx, s.batch(k)[2]):
            if s.geom.fit.contains(s.trace.x[i], yh):
                preds.add(tag(Dot(P.p(s.trace.x[i], yh), radius=self.r * 1.1, color=st.c("line"))
                              .set_fill(st.c("background"), opacity=1).set_stroke(st.c("line"), width=3),
                              MARKER))
        set_children(self.preds, preds)
        return [FadeIn(self.rings, scale=1.6), FadeIn(self.preds, scale=0.3)]

    def residuals(self, k):
        s, P, st = self.s, self.panel, self.st
        segs = VGroup()
        for i, yh in zip(s.trace.steps["indices"][k][: self.MAX_MARKED], s.batch(k)[2]):
            (_, y0), (_, y1) = (0, s.trace.y[i]), (0, yh)
            ya, yb = P.clamp(s.trace.x[i], np.array([y0, y1]))[1]
            segs.add(tag(Line(P.p(s.trace.x[i], ya), P.p(s.trace.x[i], yb), stroke_color=st.c("residual"),
                              stroke_width=4), LINE))
        set_children(self.res, segs)
        return [Create(self.res)]

    def update(self, k):
        s = self.s
        if not self.straight:
            p0, p1 = np.asarray(self._before(k)), np.asarray(self._after(k))
            self.draw(self.ghost, p0, 0.3)

            def bend(mob, t):
                self.draw(mob, p0 + (p1 - p0) * t)
            return [UpdateFromAlphaFunc(self.line, bend), FadeOut(self.preds), FadeOut(self.res)]
        a0, b0 = s.ab_before(k)
        a1, b1 = s.ab_after(k)
        self.place(self.ghost, a0, b0, 0.3)

        def move(mob, t):
            self.place(mob, a0 + (a1 - a0) * t, b0 + (b1 - b0) * t)
        return [UpdateFromAlphaFunc(self.line, move), FadeOut(self.preds), FadeOut(self.res)]

    def fast_begin(self, steps, index):
        s = self.s
        set_children(self.preds, [])
        set_children(self.res, [])
        self.ghost.set_stroke(opacity=0)

        def line_upd(m):
            self.draw(m, self._after(int(steps[index()])))

        def rings_upd(m):
            self._mark(s.trace.steps["indices"][int(steps[index()])][: self.MAX_MARKED], False)
        self.line.add_updater(line_upd)
        self.rings.add_updater(rings_upd)
        return []

    def fast_end(self):
        self.line.clear_updaters()
        self.rings.clear_updaters()

    def hold(self):
        s = self.s
        for ring in self.rings:
            ring.set_stroke(opacity=0)
        self.draw(self.line, self._final())
        return []

