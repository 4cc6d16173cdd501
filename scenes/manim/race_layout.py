"""The Manim race's layout: where each view goes and what it draws once.

:class:`RaceLayout` is a part of :class:`~scenes.manim.race.RaceScene`: its builders put
the statics (contours, frames, titles, the leaderboard's key) in a list that the scene adds
once, into Manim's cached background, and the moving mobjects in ``self.dynamic`` and in the
views that :class:`~scenes.manim.race_updates.RaceUpdates` moves every frame. They read what
the scene's ``__init__`` sets: ``race``, ``theme``, ``st`` (the Style), ``colours``, ``tags``.
"""
from __future__ import annotations

import numpy as np
from manim import (DL, DOWN, DR, LEFT, RIGHT, UL, UP, UR, Dot, Line, ManimColor, Rectangle, RoundedRectangle, Star, VGroup,
                   VMobject)

from scenes.manim.panels.base import Panel, place_legend, typst_name
from scenes.manim.panels.draw import region
from scenes.manim.panels.ticks import nice_ticks
from scenes.story.geometry import Limits
from scenes.story.palette import band_colors
from scenes.story.race import CLOCK_LABEL

__all__ = ["RaceLayout", "HALF_W", "HALF_H"]

HALF_W, HALF_H = 8.0 * 16 / 9 / 2, 4.0


class RaceLayout:
    """The race scene's builders (a mixin of :class:`~scenes.manim.race.RaceScene`)."""

    def text(self, s: str, key: str = "tick", color: str | None = None, muted: bool = False):
        m = self.st.text(s, key, "muted" if muted else "text")
        if color is not None:
            m.set_color(ManimColor(color))
        return m

    def label(self, r: int, key: str = "tick", backed: bool = False):
        """Run r's name in its colour, or as a tag on its colour when that reads poorly;
        ``backed``: on a patch of the panel's colour (a direct label over paths and contours)."""
        name = self.race.runs[r].label
        if self.tags[r] is None and not backed:
            return self.text(name, key, self.colours[r])
        tag = self.tags[r] is not None
        t = self.text(name, key, self.tags[r] if tag else self.colours[r])
        box = RoundedRectangle(corner_radius=0.05, width=t.width + 0.12, height=t.height + 0.1, stroke_width=0)
        box.set_fill(ManimColor(self.colours[r]) if tag else self.st.c("panel"), opacity=1 if tag else 0.8)
        return VGroup(box.move_to(t), t)

    def contours(self, P: Panel, run: int) -> VGroup:
        """Filled bands and lines of the exact loss over the shared view (see ParamsPanel)."""
        import contourpy

        A, B, Z, levels = self.race.contours(n=90, run=run)
        bands, over = band_colors(self.theme, levels, float(Z.max()))
        g = VGroup(Rectangle(width=P.w, height=P.h, stroke_width=0)
                   .set_fill(ManimColor(np.array(over)), opacity=1).move_to(P.center))
        gen = contourpy.contour_generator(A, B, Z, fill_type="OuterOffset")
        lo = float(Z.min()) - 1.0
        for i in range(len(levels) - 1, -1, -1):
            for poly, offsets in zip(*gen.filled(lo, float(levels[i]))):
                if len(poly) >= 3:
                    g.add(region(P.p, poly, offsets, bands[i]))
        line_gen = contourpy.contour_generator(A, B, Z)
        for lev in levels:
            for seg in line_gen.lines(lev):
                if len(seg) >= 3:
                    m = VMobject(stroke_color=self.st.c("muted"), stroke_width=1.0, stroke_opacity=0.45)
                    m.set_points_as_corners(P.p(seg[:, 0], seg[:, 1]))
                    g.add(m)
        return g

    def title(self, s: str, at: np.ndarray, key: str = "label", width: float | None = None):
        """A panel's title, its lower left corner at ``at``, no wider than ``width``."""
        t = self.st.text(s, key, weight="BOLD")
        if width is not None and t.width > width:
            t.scale_to_fit_width(width)
        return t.move_to(at, aligned_edge=LEFT + DOWN)

    def _path_view(self, statics, box: Limits, only: int | None):
        """The parameter view in ``box``: every run's path (``only``: one run's, a small
        multiple); its statics go to ``statics``, its moving parts to ``self.dynamic``."""
        race = self.race
        small = only is not None
        # The cell's left edge is where its y label may reach: a module's "0.bias[0]" is shrunk
        # into it (it ran off the frame); its top and bottom are the neighbours' business.
        cell = None if small else (box.x0 - 0.85, box.y0 - 1.0, box.x1 + 1.0, box.y1 + 1.0)
        P = Panel(self.st, ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2), box.x1 - box.x0, box.y1 - box.y0,
                  race.params, left=None if small else box.x0 - 0.85, cell=cell)
        self._path_statics(statics, P, box, only)
        return self._path_runs(P, only)

    def _path_statics(self, statics, P: Panel, box: Limits, only: int | None) -> None:
        """The contours, the frame or a small multiple's box and name, the title, the optimum."""
        race = self.race
        small = only is not None
        statics.append(self.contours(P, only or 0))
        if small:
            statics.append(Rectangle(width=P.w, height=P.h, stroke_color=self.st.c("muted"), stroke_width=1)
                           .move_to(P.center))
            lab = self.label(only)
            if lab.width > P.w:
                lab.scale_to_fit_width(P.w)
            statics.append(lab.next_to(P.p(race.params.x0, race.params.y1), UP, buff=0.06, aligned_edge=LEFT))
        else:
            statics.append(P.frame(*map(typst_name, self.plane_names)))
            title = "Paths on one loss landscape" if self.shared else "Paths on the exact loss contours"
            statics.append(self.title(title, P.p(race.params.x0, race.params.y1) + UP * 0.12,
                                      width=box.x1 + 0.6 - P.x0))
            if self.shared:  # what plane, how faithful (and whose data): where no path goes
                statics.append(self._plane_note(P))
            elif race.contour_note:
                note = self.text(race.contour_note, "tick")
                if note.width > P.w - 0.16:
                    note.scale_to_fit_width(P.w - 0.16)
                statics.append(note.move_to(P.p(race.params.x0, race.params.y0) + RIGHT * 0.08 + UP * 0.08,
                                            aligned_edge=LEFT + DOWN))
        opt = race.optimum(only or 0)  # the least-squares point: the line's only
        if opt is not None and race.params.contains(*opt):
            oa, ob = opt
            # A star, as in matplotlib: the cross means a run that left the view.
            statics.append(Star(5, outer_radius=0.09 if small else 0.12, stroke_width=0)
                           .set_fill(self.st.c("text"), opacity=1).move_to(P.p(oa, ob)))

    # Any model (a race story that knows its model; the line's otherwise): the plane's axes,
    # whether it is one plane through parameter space shared by every run, and the fit's word.
    @property
    def is_line(self) -> bool:
        return getattr(self.race, "is_line", True)

    @property
    def shared(self) -> bool:
        return getattr(self.race, "shared", None) is not None

    @property
    def plane_names(self) -> tuple[str, str]:
        return ("a", "b") if self.is_line else self.race.runs[0].story.plane.names

    def _plane_note(self, P: Panel):
        """The shared plane's note (what plane, how faithful) on a backing, in the corner of
        the view that the runs' whole paths cover least."""
        race = self.race
        lines = [self.text(t, "tick") for t in race.contour_note.split("\n") if t]
        text = VGroup(*lines).arrange(DOWN, aligned_edge=LEFT, buff=0.06)
        if text.width > P.w - 0.3:
            text.scale_to_fit_width(P.w - 0.3)
        back = Rectangle(width=text.width + 0.14, height=text.height + 0.1, stroke_width=0)
        back.set_fill(self.st.c("panel"), opacity=0.85).move_to(text)
        note = VGroup(back, text)
        marks = []
        for r in range(race.n):
            a, b, _ = race.path(r, race.runs[r].n_points - 1)
            marks.append(P.p(a, b)[:, :2])
        L = P.lim
        place_legend(note, P, marks, [((L.x0, L.y0), UR), ((L.x1, L.y0), UL), ((L.x0, L.y1), DR),
                                      ((L.x1, L.y1), DL)])
        return note

    def _path_runs(self, P: Panel, only: int | None) -> dict:
        """Each run's path, head and cross; its direct label and leader line unless a small
        multiple. The view's dict, as :meth:`show` reads it."""
        race = self.race
        small = only is not None
        view = {"P": P, "runs": [], "labels": []}
        for r in ([only] if small else range(race.n)):
            c = ManimColor(self.colours[r])
            path = VMobject(stroke_color=c, stroke_width=2.5 if small else 3.5)
            head = Dot(radius=0.05 if small else 0.07, color=c).set_stroke(self.st.c("panel"), width=2)
            cross = VGroup(Line(0.1 * (UP + LEFT), 0.1 * (DOWN + RIGHT)), Line(0.1 * (UP + RIGHT), 0.1 * (DOWN + LEFT))
                           ).set_stroke(c, width=5)
            view["runs"].append((r, path, head, cross))
            self.dynamic += [path, head, cross]
            if not small:
                view["labels"].append(self.label(r, backed=True))
                view.setdefault("leaders", []).append(Line(stroke_color=c, stroke_width=1.5))
        self.dynamic += view.get("leaders", []) + view["labels"]  # above every path, as in matplotlib
        if not small:
            view["label_wh"] = (max(m.width for m in view["labels"]) / P.w + 0.02,
                                max(m.height for m in view["labels"]) / P.h + 0.012)
        return view

    def _path_grid(self, statics, box: Limits):
        from scenes.mpl.race import _grid_shape

        n = self.race.n
        w, h = box.x1 - box.x0, box.y1 - box.y0
        rows, cols = _grid_shape(n, w / h)
        cw, ch = w / cols, h / rows
        side = min(cw - 0.2, ch - 0.4)
        views = []
        for r in range(n):
            i, j = divmod(r, cols)
            x0 = box.x0 + j * cw
            y1 = box.y1 - i * ch - 0.35
            views.append(self._path_view(statics, Limits(x0, x0 + side, y1 - side, y1), r))
        return views

    def _loss_view(self, statics, box: Limits):
        race = self.race
        lo, hi = race.loss_range
        P = Panel(self.st, ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2), box.x1 - box.x0, box.y1 - box.y0,
                  Limits(0.0, race.end_clock * 1.02, lo, hi), log_y=True, left=box.x0 - 0.5)
        ticks = [t for t in _nice(0, race.end_clock) if t <= race.end_clock * 1.02]
        words = getattr(race, "words", None)  # the model's loss (the line's: MSE)
        frame = P.frame('"samples seen"', f'"{words.loss_name if words is not None else "MSE"}"', xticks=ticks)
        # Tick labels as sample counts (12k, not 12000): replace the frame's x tick labels.
        statics.append(frame)
        kind = race.loss_words
        statics.append(self.title(f"{kind[:1].upper()}{kind[1:]} (log)", P.p(0, hi) + UP * 0.12))
        curves = []
        for r, run in enumerate(race.runs):
            c = ManimColor(self.colours[r])
            line = VMobject(stroke_color=c, stroke_width=3)
            cross = VGroup(Line(0.09 * (UP + LEFT), 0.09 * (DOWN + RIGHT)), Line(0.09 * (UP + RIGHT), 0.09 * (DOWN + LEFT))
                           ).set_stroke(c, width=5)
            head = Dot(radius=0.05, color=c).set_stroke(self.st.c("panel"), width=1.5)
            curves.append((r, line, cross, head))
            self.dynamic += [line, head, cross]
        return {"P": P, "curves": curves}

    @property
    def fit_word(self) -> str:
        return "line" if self.is_line else "curve"

    def _fit_mark(self, colour, width: float):
        """A run's mark in a fit view: a Line (the line's two ends), else a polyline."""
        if self.is_line:
            return Line(stroke_color=colour, stroke_width=width)
        return VMobject(stroke_color=colour, stroke_width=width)

    def _fit_views(self, statics, box: Limits):
        """Each run's line on the data: one panel, or small multiples (many runs, or data
        that differ); a list of (run, panel, line)."""
        if not self.race.fit_multiples:
            return self._fit_shared(statics, box)
        return self._fit_multiples(statics, box)

    def _fit_shared(self, statics, box: Limits):
        """One panel: the first run's points, every run's line."""
        race = self.race
        f = race.fit
        views = []
        P = Panel(self.st, ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2), box.x1 - box.x0, box.y1 - box.y0,
                  f, left=box.x0 - 0.5)
        statics.append(P.frame("x", "y"))
        statics.append(self.title(f"Fit: each run's {self.fit_word}", P.p(f.x0, f.y1) + UP * 0.12))
        t = race.traces[0]
        statics.append(VGroup(*[Dot(P.p(x, y), radius=0.05, color=self.st.c("muted")) for x, y in zip(t.x[:300], t.y[:300])]))
        for r in range(race.n):
            line = self._fit_mark(ManimColor(self.colours[r]), 3)
            views.append((r, P, line))
            self.dynamic.append(line)
        return views

    def _fit_multiples(self, statics, box: Limits):
        """A grid of small panels, each run's points and line in its own."""
        race = self.race
        f = race.fit
        views = []
        statics.append(self.title(f"Fit: each run's {self.fit_word}", np.array([box.x0, box.y1, 0])))
        from scenes.mpl.race import _grid_shape

        w, h = box.x1 - box.x0, box.y1 - box.y0 - 0.1
        rows, cols = _grid_shape(race.n, w / h * 1.3)
        cw, ch = w / cols, h / rows
        for r in range(race.n):
            i, j = divmod(r, cols)
            x0, y1 = box.x0 + j * cw, box.y1 - 0.1 - i * ch - 0.3
            P = Panel(self.st, (x0 + (cw - 0.1) / 2, y1 - (ch - 0.35) / 2), cw - 0.1, ch - 0.35, f)
            statics.append(Rectangle(width=P.w, height=P.h, stroke_color=self.st.c("grid"), stroke_width=1)
                           .move_to(P.center))
            lab = self.label(r, "tick")
            if lab.width > P.w:
                lab.scale_to_fit_width(P.w)
            statics.append(lab.next_to(P.p(f.x0, f.y1), UP, buff=0.05, aligned_edge=LEFT))
            t = race.traces[r]
            statics.append(VGroup(*[Dot(P.p(x, y), radius=0.025, color=self.st.c("muted"))
                                    for x, y in zip(t.x[:200], t.y[:200])]))
            line = self._fit_mark(ManimColor(self.colours[r]), 2.5)
            views.append((r, P, line))
            self.dynamic.append(line)
        return views

    def _leaderboard(self, statics, x0: float, top: float) -> None:
        """The leaderboard's title and key (statics), and its empty rows (``self.rows``,
        ``self.more``), typeset each frame by :meth:`_texts_at`."""
        head = self.title("Leaderboard", np.array([x0, top - 0.35, 0]), "title")
        statics.append(head)
        room = HALF_W - x0 - 0.15
        sub = self.text(f"{self.race.loss_words} now, lowest first", "tick", muted=True)
        if sub.width > room:
            sub.scale_to_fit_width(room)
        statics.append(sub.next_to(head, DOWN, buff=0.1, aligned_edge=LEFT))
        # A name has the row's first line to itself (a grid's labels are long); the loss sits
        # right-aligned on the second, after the epoch and status. Type no larger than fits.
        widest = max(self.label(r, "table").width for r in range(self.race.n))
        self.row_scale = min(1.0, (room - 0.42 - 0.05) / widest)
        key = VGroup(*[self.text(s, "tick", muted=True) for s in
                       (*(("★  least-squares optimum",) if self.race.optimum(0) is not None else ()),
                        "✕  left the view / diverged", f"clock: {CLOCK_LABEL}", "  = steps × batch size,",
                        "  fair across batch sizes")]).arrange(DOWN, aligned_edge=LEFT, buff=0.08)
        if key.width > HALF_W - x0 - 0.15:
            key.scale_to_fit_width(HALF_W - x0 - 0.15)
        statics.append(key.move_to([x0, -HALF_H + 0.25, 0], aligned_edge=LEFT + DOWN))
        row_h = 0.68
        y = top - 1.35
        room = int((y - key.get_top()[1] - 0.1) // row_h)
        shown = min(self.race.n, max(1, room if room >= self.race.n else room - 1))
        self.rows = []
        for i in range(shown):
            g = VGroup()
            self.rows.append((g, np.array([x0, y - i * row_h, 0])))
            self.dynamic.append(g)
        self.more = VGroup()
        self.more_at = np.array([x0, y - shown * row_h, 0])
        self.dynamic.append(self.more)
        self.lead_x1 = HALF_W - 0.2


def _nice(lo: float, hi: float) -> list[float]:
    return [float(t) for t in nice_ticks(lo, hi)]
