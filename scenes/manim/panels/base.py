"""The data rectangle every plot of the Manim scenes draws in, and where its legend goes.

:class:`Panel` maps data (x, y) to scene points and draws its own axes, ticks and grid by
hand (lines and Pango labels) rather than with Manim's ``Axes``, whose numbers need LaTeX.
:func:`place_legend` puts a legend where it covers none of the run's marks;
:func:`legend_strip` makes room for it above the plot when there is no such place.
"""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UL, UP, UR, Line, Rectangle, VGroup

from scenes.manim.panels.ticks import nice_ticks, tick_label
from scenes.manim.style import Style
from scenes.story.geometry import Limits

__all__ = ["Panel", "place_legend", "legend_strip", "typst_name", "DR", "DL"]

DR = DOWN + RIGHT
DL = DOWN + LEFT


class Panel:
    """A data rectangle on screen: maps data (x, y) to scene points; draws its own frame.

    Axes are drawn by hand (lines, ticks, Pango labels) rather than with ``Axes``, whose
    numbers need LaTeX.
    """

    def __init__(self, style: Style, center: np.ndarray, width: float, height: float,
                 lim: Limits, *, log_y: bool = False, left: float | None = None,
                 cell: tuple[float, float, float, float] | None = None, xlabel: str | None = None):
        """``left``: where the panel's cell begins; the data rectangle's left edge moves right
        (its right edge stays) until the widest y tick label and the y label fit after it.
        ``cell``: the panel's cell (x0, y0, x1, y1); with ``xlabel`` (the x label :meth:`frame`
        will draw) its bottom edge moves up (its top stays) until that label fits under it (a
        module's parameter name, "0.weight[0]", is taller than a and b: brackets, descenders),
        and an axis label that would still leave the cell is moved and shrunk into it."""
        self.style, self.w, self.h, self.lim, self.log_y = style, width, height, lim, log_y
        self.cell = cell
        self.center = np.array([center[0], center[1], 0.0])
        self.x0 = self.center[0] - width / 2
        self.y0 = self.center[1] - height / 2
        if left is not None:
            need = left + 0.08 + 0.14 + max((m.width for m in self._ytick_labels()), default=0.0)
            if self.x0 < need:
                self.w -= need - self.x0
                self.x0 = need
                self.center[0] = self.x0 + self.w / 2
        if cell is not None and xlabel is not None:
            need = cell[1] + self.PAD + self.XLABEL_DROP + style.math(xlabel, "label", "muted").height
            if self.y0 < need:
                self.h -= need - self.y0
                self.y0 = need
                self.center[1] = self.y0 + self.h / 2

    def _yticks(self) -> list[float]:
        L = self.lim
        if self.log_y:
            e0, e1 = int(np.ceil(np.log10(L.y0))), int(np.floor(np.log10(L.y1)))
            step = max(1, int(np.ceil((e1 - e0 + 1) / 5)))
            return [10.0 ** e for e in range(e0, e1 + 1, step)]
        return list(nice_ticks(L.y0, L.y1))

    def _ytick_label(self, v: float):
        if self.log_y:
            e = int(round(np.log10(v)))
            return self.style.math(f"10^({e})".replace("-", "−"), "tick", "muted", scale=1.15)
        return self.style.text(tick_label(v), "tick", "muted")

    def _ytick_labels(self) -> list:
        return [self._ytick_label(v) for v in self._yticks()]

    def _ty(self, y):
        return np.log10(np.maximum(y, 1e-300)) if self.log_y else y

    def p(self, x, y) -> np.ndarray:
        """Data to scene coordinates; works on scalars and arrays (returns ... x 3)."""
        L = self.lim
        x = np.asarray(x, dtype=float)
        ty = self._ty(np.asarray(y, dtype=float))
        y0, y1 = self._ty(L.y0), self._ty(L.y1)
        px = self.x0 + (x - L.x0) / (L.x1 - L.x0) * self.w
        py = self.y0 + (ty - y0) / (y1 - y0) * self.h
        return np.stack([px, py, np.zeros_like(px)], axis=-1)

    def clamp(self, x, y):
        L = self.lim
        return np.clip(x, L.x0, L.x1), np.clip(y, L.y0, L.y1)

    TICK = 0.08  # tick mark length
    XLABEL_DROP = 0.12 + 0.28  # from the x axis down to the x label's top
    PAD = 0.03  # an axis label moved into the cell keeps this far inside it

    def frame(self, xlabel: str, ylabel: str, *, xticks=None, yticks=None,
              box: bool = False) -> VGroup:
        st = self.style
        g = VGroup()
        muted, grid = st.c("muted"), st.c("grid")
        L = self.lim
        bl = np.array([self.x0, self.y0, 0])
        if box:
            g.add(Rectangle(width=self.w, height=self.h, stroke_color=grid, stroke_width=1.5)
                  .move_to(self.center))
        g.add(Line(bl, bl + RIGHT * self.w, stroke_color=muted, stroke_width=2))
        g.add(Line(bl, bl + UP * self.h, stroke_color=muted, stroke_width=2))
        xt = nice_ticks(L.x0, L.x1) if xticks is None else xticks
        yt = self._yticks() if yticks is None or self.log_y else yticks
        # The axis labels first: a tick label that would run into one is left out (the top
        # y tick sits where the y label is when the range ends on a tick).
        labels = self._axis_labels(xlabel, ylabel)
        g.add(*self._xtick_marks(xt, labels), *self._ytick_marks(yt, labels))
        g.add(*labels)
        return g

    def _axis_labels(self, xlabel: str, ylabel: str) -> tuple:
        """The x label under the x axis's right end, the y label left of the y axis's top."""
        st = self.style
        bl = np.array([self.x0, self.y0, 0])
        xl = st.math(xlabel, "label", "muted").next_to(bl + RIGHT * self.w, DOWN, buff=0.12) \
            .shift(DOWN * (self.XLABEL_DROP - 0.12) + LEFT * 0.1)
        yl = st.math(ylabel, "label", "muted").next_to(bl + UP * self.h, LEFT, buff=0.15).shift(UP * 0.05)
        if self.cell is not None:
            self._keep_in_cell(xl, yl)
        return xl, yl

    def _keep_in_cell(self, xl, yl) -> None:
        """Bring axis labels that leave the cell back into it (a label that fits stays where
        it is, so the line's a and b never move): the x label keeps its top (clear of the tick
        labels above it) and shrinks to the room under it (none when the plot made room for
        it), no wider than the plot, then moves left as far as the cell's right edge asks; the
        y label keeps its right end (clear of the y axis) and shrinks to the room left of it,
        then moves down under the cell's top (a tick label it then meets is left out, as for
        any axis label)."""
        cx0, cy0, cx1, cy1 = self.cell
        pad = self.PAD
        room_under = xl.get_top()[1] - (cy0 + pad)
        k = min(1.0, self.w / xl.width, room_under / xl.height if xl.get_bottom()[1] < cy0 else 1.0)
        if k < 1.0:
            xl.scale(k, about_edge=UP)
        if xl.get_right()[0] > cx1:
            xl.shift(LEFT * (xl.get_right()[0] - (cx1 - pad)))
        if yl.get_left()[0] < cx0:
            yl.scale((yl.get_right()[0] - (cx0 + pad)) / yl.width, about_edge=RIGHT)
        if yl.get_top()[1] > cy1:
            yl.shift(DOWN * (yl.get_top()[1] - (cy1 - pad)))

    def _xtick_marks(self, ticks, axis_labels) -> list:
        """Each x tick's mark, then its label unless that would run into an axis label."""
        st, L = self.style, self.lim
        muted = st.c("muted")
        out = []
        for v in ticks:
            q = self.p(v, L.y0)
            out.append(Line(q, q + DOWN * self.TICK, stroke_color=muted, stroke_width=2))
            lab = st.text(tick_label(v), "tick", "muted").next_to(q, DOWN, buff=0.14)
            if _clear_of(lab, *axis_labels):
                out.append(lab)
        return out

    def _ytick_marks(self, ticks, axis_labels) -> list:
        """Each y tick's mark, its grid line across the panel, then its label (as the x ticks)."""
        st, L = self.style, self.lim
        muted, grid = st.c("muted"), st.c("grid")
        out = []
        for v in ticks:
            q = self.p(L.x0, v)
            out.append(Line(q, q + LEFT * self.TICK, stroke_color=muted, stroke_width=2))
            out.append(Line(q, q + RIGHT * self.w, stroke_color=grid, stroke_width=1))
            lab = self._ytick_label(v).next_to(q, LEFT, buff=0.14)
            if _clear_of(lab, *axis_labels):
                out.append(lab)
        return out


def _clear_of(m, *others, pad=0.04) -> bool:
    """Whether ``m``'s box keeps ``pad`` away from every one of ``others``' boxes."""
    return all(m.get_right()[0] + pad < o.get_left()[0] or o.get_right()[0] + pad < m.get_left()[0]
               or m.get_top()[1] + pad < o.get_bottom()[1] or o.get_top()[1] + pad < m.get_bottom()[1]
               for o in others)


def place_legend(legend, panel: Panel, marks: list[np.ndarray], places=None) -> int:
    """Put ``legend`` in the first place inside ``panel`` where it covers none of ``marks``
    (polylines in scene units, NaN rows break them): its corners, then the middles of its
    edges; when every place covers something, the one that covers the fewest marks. Returns
    how many marks it covers there."""
    from scenes.layout_check import Box, polyline_hits

    L = panel.lim
    xm, ym = (L.x0 + L.x1) / 2, (L.y0 + L.y1) / 2
    places = places or [((L.x1, L.y1), DL), ((L.x0, L.y1), DR), ((L.x0, L.y0), UR), ((L.x1, L.y0), UL),
                        ((xm, L.y1), DOWN), ((xm, L.y0), UP), ((L.x1, ym), LEFT), ((L.x0, ym), RIGHT)]

    def covered(place) -> int:
        legend.next_to(panel.p(*place[0]), place[1], buff=0.12)
        box = Box(legend.get_left()[0] - 0.05, legend.get_bottom()[1] - 0.05,
                  legend.get_right()[0] + 0.05, legend.get_top()[1] + 0.05)
        return sum(polyline_hits(m, box) for m in marks)
    counts = [covered(place) for place in places]
    best = int(np.argmin(counts))  # the first of equals: the first free place
    legend.next_to(panel.p(*places[best][0]), places[best][1], buff=0.12)
    return counts[best]


def legend_strip(legend, top_room: float) -> float:
    """Lay ``legend`` out in one row for a strip above a plot; the height the plot must give
    up for it (0 when the ``top_room`` between the plot and its cell's top is enough)."""
    legend.arrange(RIGHT, buff=0.35)
    return max(0.0, legend.height + 0.2 - top_room)


def typst_name(name: str) -> str:
    """An axis's parameter name as Typst maths: one letter is a symbol (a, w, α); a longer name
    (a module's own: "weight", "0.bias") a quoted string, not a variable Typst does not know."""
    if len(name) == 1:
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
