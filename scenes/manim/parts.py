"""Mobject builders shared by the Manim scenes: panels, counters, typeset math.

Everything here reads a :class:`~training.trace.Trace` through :class:`Story` (plain numpy)
and draws with Manim's Cairo renderer. No torch, no LaTeX: math and digits go through
:class:`~manim.MathTypst`, words through Pango with the theme's font.

Per-frame cost stays flat: growing things (the path, the loss curve) are one VMobject whose
points are reset from a bounded, precomputed polyline; counters are DecimalNumbers whose
value is set only when the shown digits change.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from manim import (UL, UR, DashedLine, GrowFromPoint, DOWN, LEFT, ORIGIN, RIGHT, UP, Animation, Arrow, Circle, DecimalNumber, Dot,
                   FadeIn, FadeOut, Line, ManimColor, MathTypst, Rectangle,
                   Succession, Text, UpdateFromAlphaFunc, ValueTracker, VGroup, VMobject,
                   Write, Create, linear)

from scenes.story.geometry import Limits
from scenes.story.story import Story
from scenes.story.theme import Theme, font_path

__all__ = ["Style", "FastDecimal", "Panel", "FitPanel", "ParamsPanel", "LossPanel",
           "MathPanel", "TablePanel", "Header", "register_font", "fmt", "tag"]


# --------------------------------------------------------------------------- basics
_FONT_REGISTERED = False

# What the layout check (scenes.manim.layout_check) takes a mobject for: "text", "legend",
# "arrow", "marker" (``centres``: where the markers are, if not the box's centre) or "line".
TEXT, LEGEND, ARROW, MARKER, LINE = "text", "legend", "arrow", "marker", "line"


def tag(m, kind: str, centres=None, text: str | None = None):
    """Mark ``m`` as a ``kind`` for the layout check (``text``: what it reads, for messages);
    returns ``m``."""
    m.layout_kind = kind
    if centres is not None:
        m.layout_centres = np.asarray(centres, dtype=float)
    if text is not None:
        m.layout_text = text
    return m


def register_font() -> None:
    """Register the theme's DejaVu Sans with Pango once per process (matplotlib ships it)."""
    global _FONT_REGISTERED
    if _FONT_REGISTERED:
        return
    import manimpango

    for bold in (False, True):
        p = font_path(bold)
        if p.is_file():
            manimpango.register_font(str(p))
    _FONT_REGISTERED = True


def fmt(v: float, places: int = 3) -> str:
    """A number for typeset math: fixed decimals, or scientific when huge (diverged runs)."""
    v = float(v)
    if not np.isfinite(v):
        return "oo"
    if abs(v) >= 1e4:
        m, e = f"{v:.2e}".split("e")
        return f"{m} dot.c 10^({int(e)})"
    s = f"{v:.{places}f}"
    if s.startswith("-") and float(s) == 0:
        s = s[1:]
    return s.replace("-", "−")


@dataclass(frozen=True)
class Style:
    """Theme colours as ManimColors and font sizes in Manim units (scaled from the theme's pt)."""

    theme: Theme

    def c(self, key: str) -> ManimColor:
        return ManimColor(self.theme.color(key))

    def fs(self, key: str) -> float:
        # Theme sizes are points at 720p for matplotlib; 1.5x gives the same visual size in
        # Manim's font units (measured: Text at font_size 48 is 0.64 units tall, 58 px at 720p).
        return self.theme.sizes[key] * 1.5

    def text(self, s: str, key: str = "text", color: str = "text", **kw) -> VGroup:
        ck = ("text", s, self.fs(key), self.theme.color(color), self.theme.font_family,
              tuple(sorted(kw.items())))
        if ck not in _TYPESET:
            _TYPESET[ck] = plain(Text(s, font=self.theme.font_family, font_size=self.fs(key),
                                      color=self.c(color), **kw))
        return tag(_TYPESET[ck].copy(), TEXT, text=s)

    def math(self, s: str, key: str = "text", color: str = "text", scale: float = 1.25) -> VGroup:
        # Typst's math font looks smaller than DejaVu at equal size: scale it up a little.
        ck = ("math", s, self.fs(key) * scale, self.theme.color(color))
        if ck not in _TYPESET:
            _TYPESET[ck] = plain(MathTypst(s, font_size=self.fs(key) * scale, color=self.c(color)))
        return tag(_TYPESET[ck].copy(), TEXT, text=s)


# Typeset strings are parsed from SVG once per process (tick labels, headers, captions recur).
_TYPESET: dict[tuple, VGroup] = {}


def plain(m: VMobject) -> VGroup:
    """The glyph outlines of a Text or MathTypst as bare VMobjects, styles kept.

    Fades and transforms deep-copy their mobject; a Typst or Pango mobject drags its SVG
    bookkeeping along (15-20 ms a copy), bare outlines copy in half a millisecond.
    """
    g = VGroup()
    for sm in m.family_members_with_points():
        part = VMobject()
        part.set_points(sm.points.copy())
        part.match_style(sm, family=False)
        g.add(part)
    return g


_GLYPHS: dict[tuple[str, float], VMobject] = {}


class FastDecimal(DecimalNumber):
    """A DecimalNumber whose digits come from MathTypst, cached as plain VMobjects.

    ``DecimalNumber.set_value`` copies one mobject per character; copying a full Typst
    mobject costs ~1.5 ms per digit, a bare VMobject a tenth of that. ``show`` only
    touches the mobject when the displayed string changes.
    """

    def __init__(self, number: float = 0, **kw):
        kw.setdefault("mob_class", MathTypst)
        kw.setdefault("group_with_commas", False)
        super().__init__(number, **kw)
        self._shown = self._get_num_string(number)
        tag(self, TEXT)

    def _string_to_mob(self, string, mob_class=None, **kwargs):  # noqa: D401 (Manim hook)
        key = (string, round(float(self._font_size), 3))
        g = _GLYPHS.get(key)
        if g is None:
            m = MathTypst(string.replace("−", "-"))
            m.font_size = self._font_size
            g = VMobject()
            for sm in m.family_members_with_points():
                part = VMobject()
                part.set_points(sm.points.copy())
                g.add(part)
            _GLYPHS[key] = g
        return g.copy()

    def _get_num_string(self, number):
        if self.num_decimal_places == 0:  # epoch and step counters: whole numbers, always
            return str(int(round(float(number))))
        # Diverged runs reach 1e8: scientific notation keeps the counter in its slot.
        if isinstance(number, (int, float, np.floating)) and abs(number) >= 1e4:
            return f"{number:.2e}"
        return super()._get_num_string(number)

    def show(self, number: float) -> "FastDecimal":
        s = self._get_num_string(number)
        if s != self._shown:
            self._shown = s
            self.set_value(number)
        return self


# --------------------------------------------------------------------------- panels
def nice_ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    from matplotlib.ticker import MaxNLocator

    t = MaxNLocator(nbins=n, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
    return t[(t >= lo - 1e-12) & (t <= hi + 1e-12)]


def tick_label(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-3:
        return f"{v:.0e}"
    return f"{v:g}".replace("-", "−")


class Panel:
    """A data rectangle on screen: maps data (x, y) to scene points; draws its own frame.

    Axes are drawn by hand (lines, ticks, Pango labels) rather than with ``Axes``, whose
    numbers need LaTeX.
    """

    def __init__(self, style: Style, center: np.ndarray, width: float, height: float,
                 lim: Limits, *, log_y: bool = False, left: float | None = None):
        """``left``: where the panel's cell begins; the data rectangle's left edge moves right
        (its right edge stays) until the widest y tick label and the y label fit after it."""
        self.style, self.w, self.h, self.lim, self.log_y = style, width, height, lim, log_y
        self.center = np.array([center[0], center[1], 0.0])
        self.x0 = self.center[0] - width / 2
        self.y0 = self.center[1] - height / 2
        if left is not None:
            need = left + 0.08 + 0.14 + max((m.width for m in self._ytick_labels()), default=0.0)
            if self.x0 < need:
                self.w -= need - self.x0
                self.x0 = need
                self.center[0] = self.x0 + self.w / 2

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
        tick = 0.08
        # The axis labels first: a tick label that would run into one is left out (the top
        # y tick sits where the y label is when the range ends on a tick).
        xl = st.math(xlabel, "label", "muted").next_to(bl + RIGHT * self.w, DOWN, buff=0.12) \
            .shift(DOWN * 0.28 + LEFT * 0.1)
        yl = st.math(ylabel, "label", "muted").next_to(bl + UP * self.h, LEFT, buff=0.15).shift(UP * 0.05)

        def clear_of(m, *others, pad=0.04) -> bool:
            return all(m.get_right()[0] + pad < o.get_left()[0] or o.get_right()[0] + pad < m.get_left()[0]
                       or m.get_top()[1] + pad < o.get_bottom()[1] or o.get_top()[1] + pad < m.get_bottom()[1]
                       for o in others)

        for v in xt:
            q = self.p(v, L.y0 if not self.log_y else L.y0)
            g.add(Line(q, q + DOWN * tick, stroke_color=muted, stroke_width=2))
            lab = st.text(tick_label(v), "tick", "muted").next_to(q, DOWN, buff=0.14)
            if clear_of(lab, xl, yl):
                g.add(lab)
        for v in yt:
            q = self.p(L.x0, v)
            g.add(Line(q, q + LEFT * tick, stroke_color=muted, stroke_width=2))
            g.add(Line(q, q + RIGHT * self.w, stroke_color=grid, stroke_width=1))
            lab = self._ytick_label(v).next_to(q, LEFT, buff=0.14)
            if clear_of(lab, xl, yl):
                g.add(lab)
        g.add(xl, yl)
        return g


def place_legend(legend, panel: "Panel", marks: list[np.ndarray], places=None) -> int:
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


def _bounded(n: int, cap: int) -> np.ndarray:
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


# --------------------------------------------------------------------------- fit
class FitPanel(Beats):
    MAX_MARKED = 60  # batch highlights drawn at most (a pool: no mobjects created per frame)

    def __init__(self, style: Style, story: Story, center, width, height, *, left: float | None = None):
        self.s, self.st = story, style
        self.panel = Panel(style, center, width, height, story.geom.fit, left=left)
        P = self.panel
        self.static = VGroup(P.frame("x", "y"))
        r = 0.07 if len(story.trace.x) <= 60 else (0.045 if len(story.trace.x) <= 400 else 0.03)
        self.r = r
        pts = P.p(story.trace.x, story.trace.y)
        inside = [i for i in range(len(pts)) if story.geom.fit.contains(story.trace.x[i], story.trace.y[i])]
        dots = [Dot(pts[i], radius=r, color=style.c("points")) for i in inside]
        if len(dots) <= 60:
            self.points = VGroup(*(tag(d, MARKER) for d in dots))  # few: they appear one by one
        else:
            # Many points: one mobject with a subpath per dot. Cairo fills them in one call;
            # a thousand Dots cost Manim's Python a thousand paths each time they are drawn.
            self.points = VMobject(fill_color=style.c("points"), fill_opacity=1, stroke_width=0)
            for d in dots:
                self.points.append_points(d.points)
            tag(self.points, MARKER, centres=pts[inside])
        self.ghost = tag(Line(ORIGIN, RIGHT, stroke_color=style.c("ghost"), stroke_width=3, stroke_opacity=0), LINE)
        self.line = tag(Line(ORIGIN, RIGHT, stroke_color=style.c("line"), stroke_width=5), LINE)
        self.place(self.line, *story.ab_before(0))
        nb = min(max((len(i) for i in story.trace.steps["indices"]), default=1), self.MAX_MARKED)
        self.rings = VGroup(*(tag(Circle(radius=r * 2.1, stroke_color=style.c("batch"), stroke_width=3.5)
                                  .set_fill(opacity=0).set_opacity(0), MARKER) for _ in range(nb)))
        self.preds = VGroup()
        self.res = VGroup()
        self.label = style.math("y' = a dot.c x + b", "label", "line").next_to(
            P.p(story.geom.fit.x0, story.geom.fit.y1), DR, buff=0.12)

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
            self.place(m, *s.ab_after(int(steps[index()])))

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
        self.place(self.line, s.trace.final_a, s.trace.final_b)
        return []


# --------------------------------------------------------------------------- parameter space
class ParamsPanel(Beats):
    PATH_CAP = 1500

    def __init__(self, style: Style, story: Story, center, width, height, *,
                 left: float | None = None, top: float | None = None, arrow_steps=None):
        """``arrow_steps``: the steps whose arrows the scene shows (the detail beats), kept
        clear of the legend; ``left``, ``top``: where the panel's cell begins and ends (room
        for tick labels, and for the legend above the plot if it must go there)."""
        self.s, self.st = story, style
        geo = story.geom
        self.arrow_steps = list(arrow_steps) if arrow_steps is not None else list(range(min(story.n, 3)))
        # The legend goes where it covers nothing the run draws; if there is no such place in
        # the plot (a path that wanders everywhere), in a row above it, the plot giving room.
        P = Panel(style, center, width, height, geo.params, left=left)
        self.legend = tag(self._legend_rows(), LEGEND)
        if place_legend(self.legend, P, self._marks(P)):
            strip = legend_strip(self.legend, (top - (P.y0 + P.h)) if top is not None else 0.0)
            P = Panel(style, (center[0], center[1] - strip / 2), width, height - strip, geo.params, left=left)
            if self.legend.width > P.w:
                self.legend.scale_to_fit_width(P.w)
            self.legend.next_to(P.p(geo.params.x1, geo.params.y1), UL, buff=0.1)
        self.panel = P
        self.static = VGroup(P.frame("a", "b"))
        self.image = self._contour_image()
        self.contours = self._contour_lines()
        a_opt, b_opt = geo.optimum
        self.optimum = VGroup()
        if geo.params.contains(a_opt, b_opt):
            q = P.p(a_opt, b_opt)
            self.optimum = VGroup(Line(q + 0.09 * (UP + LEFT), q + 0.09 * (DOWN + RIGHT)),
                                  Line(q + 0.09 * (UP + RIGHT), q + 0.09 * (DOWN + LEFT))
                                  ).set_stroke(style.c("text"), width=3)
            tag(self.optimum, MARKER, centres=[q])
        # Path: all parameter points a_0, a_1, ..., a_n, thinned to a bounded polyline.
        A = np.append(story.a, story.trace.final_a)
        B = np.append(story.b, story.trace.final_b)
        self.path_idx = _bounded(len(A), self.PATH_CAP)
        ca, cb = P.clamp(A[self.path_idx], B[self.path_idx])
        self.path_pts = P.p(ca, cb)
        self.path = tag(VMobject(stroke_color=style.c("path"), stroke_width=2.5), LINE)
        set_polyline(self.path, self.path_pts[:1])
        self.dot = tag(Dot(P.p(*P.clamp(*story.ab_before(0))), radius=0.075, color=style.c("line")), MARKER)
        self.dot.set_stroke(style.c("background"), width=2)
        self.arrows = VGroup()

    def _contour_image(self) -> VGroup:
        """Filled bands of the loss, painted from the outermost level in (the MSE is a
        quadratic bowl in (a, b), so each region {L < c} is one convex polygon).

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
            for poly in polys:
                if len(poly) < 3:
                    continue
                m = VMobject(stroke_width=0).set_fill(ManimColor(np.array(bands[i])), opacity=1)
                m.set_points_as_corners(self.panel.p(poly[:, 0], poly[:, 1]))
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
        items = [("update", "update taken")]
        if s.carry is not None:
            items.append(("velocity", s.carry.label))
        items.append(("full_gradient", "full-batch step"))
        rows = VGroup()
        for key, label in items:
            rows.add(VGroup(Line(ORIGIN, RIGHT * 0.35, stroke_color=st.c(key), stroke_width=4),
                            st.text(label, "tick", "muted")).arrange(RIGHT, buff=0.12))
        return rows.arrange(DOWN, aligned_edge=LEFT, buff=0.08)

    def _marks(self, P: Panel) -> list[np.ndarray]:
        """What the run draws in the panel, as polylines: the whole path, the optimum and the
        arrows of the steps the scene shows."""
        s = self.s
        A = np.append(s.a, s.trace.final_a)
        B = np.append(s.b, s.trace.final_b)
        idx = _bounded(len(A), self.PATH_CAP)
        marks = [P.p(*P.clamp(A[idx], B[idx]))[:, :2], P.p(*s.geom.optimum)[None, :2]]
        for k in self.arrow_steps:
            for arrow in s.arrows(int(k)).values():
                marks.append(P.p(np.array([arrow.start[0], arrow.end[0]]),
                                 np.array([arrow.start[1], arrow.end[1]]))[:, :2])
        return marks

    def statics(self):
        return [self.image, self.contours, self.static, self.optimum, self.legend]

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
                          for key, color, width in self.ARROWS if key in drawn))
        scale = float(s.arrow_scale[k])
        if scale > 1 and len(arrows):  # magnified, as the matplotlib view says too
            # In a corner where it covers nothing the run draws, nor the legend.
            P, lg = self.panel, self.legend
            x0, x1, y0, y1 = lg.get_left()[0], lg.get_right()[0], lg.get_bottom()[1], lg.get_top()[1]
            outline = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0], [(x0 + x1) / 2, (y0 + y1) / 2]])
            note = self.st.text(f"arrows ×{scale:g}", "tick", "muted")
            place_legend(note, P, [*self._marks(P), outline], [((P.lim.x1, P.lim.y1), DL), ((P.lim.x0, P.lim.y1), DR),
                                                               ((P.lim.x1, P.lim.y0), UL), ((P.lim.x0, P.lim.y0), UR)])
            arrows.add(note)
        set_children(self.arrows, arrows)
        return [GrowFromPoint(self.arrows, self.panel.p(*self.panel.clamp(a0, b0)))]

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
        self.dot.move_to(P.p(*P.clamp(self.s.trace.final_a, self.s.trace.final_b)))
        return []


# --------------------------------------------------------------------------- loss curve
class LossPanel(Beats):
    CAP = 700

    def __init__(self, style: Style, story: Story, center, width, height, *, left: float | None = None,
                 top: float | None = None):
        self.s, self.st = story, style
        lo, hi = story.geom.loss_range
        log = story.geom.log_loss
        if log:
            lim = Limits(0, max(story.n, 1), 10 ** np.floor(np.log10(lo)), 10 ** np.ceil(np.log10(hi)))
        else:
            lim = Limits(0, max(story.n, 1), 0.0, hi * 1.08)
        self.idx = _bounded(story.n, self.CAP)
        self.legend = tag(VGroup(
            VGroup(Line(ORIGIN, RIGHT * 0.35, stroke_color=style.c("loss_batch"), stroke_width=4),
                   style.text("batch loss", "tick", "muted")).arrange(RIGHT, buff=0.12),
            VGroup(Line(ORIGIN, RIGHT * 0.35, stroke_color=style.c("loss_full"), stroke_width=4),
                   style.text("loss on all data", "tick", "muted")).arrange(RIGHT, buff=0.12),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.08), LEGEND)
        # Where the whole run's curves do not pass (a rising loss fills the top right); if they
        # pass everywhere (batches of a few noisy points), in a row above the plot.
        P = self.panel = Panel(style, center, width, height, lim, log_y=log, left=left)
        self._curves(P)
        places = [((lim.x1, lim.y1), DL), ((lim.x1, lim.y0), UL), ((lim.x0, lim.y0), UR),
                  (((lim.x0 + lim.x1) / 2, lim.y1), DOWN), (((lim.x0 + lim.x1) / 2, lim.y0), UP)]
        if place_legend(self.legend, P, [self.batch_pts[:, :2], self.full_pts[:, :2]], places):
            strip = legend_strip(self.legend, (top - (P.y0 + P.h)) if top is not None else 0.0)
            P = self.panel = Panel(style, (center[0], center[1] - strip / 2), width, height - strip, lim,
                                   log_y=log, left=left)
            self._curves(P)
            self.legend.next_to(P.p(lim.x1, lim.y1), UL, buff=0.1)
        self.static = VGroup(P.frame("\"step\"", "L"))
        self.batch_curve = tag(VMobject(stroke_color=style.c("loss_batch"), stroke_width=2, stroke_opacity=0.8), LINE)
        self.full_curve = tag(VMobject(stroke_color=style.c("loss_full"), stroke_width=4), LINE)
        self.dot = tag(Dot(P.p(0, np.clip(story.start_full_loss, lim.y0, lim.y1)), radius=0.06,
                           color=style.c("loss_full")), MARKER)

    def _curves(self, P: Panel) -> None:
        lim, s = P.lim, self.s
        steps = self.idx + 1
        self.batch_pts = P.p(steps, np.clip(s.loss[self.idx], lim.y0, lim.y1))
        self.full_pts = P.p(steps, np.clip(s.full_loss_after[self.idx], lim.y0, lim.y1))

    def statics(self):
        return [self.static, self.legend]

    def dynamics(self):
        return [self.batch_curve, self.full_curve, self.dot]

    def show_upto(self, k: int) -> None:
        """Curves through step k (inclusive)."""
        j = int(np.searchsorted(self.idx, k, side="right"))
        set_polyline(self.batch_curve, self.batch_pts[:j])
        start = self.panel.p(0, np.clip(self.s.start_full_loss, self.panel.lim.y0, self.panel.lim.y1))
        full = np.vstack([start[None], self.full_pts[:j]])
        set_polyline(self.full_curve, full)
        self.dot.move_to(full[-1])

    def update(self, k):
        return [scrub(self.dot, lambda t: self.show_upto(k) if t > 0.5 else None)]

    def fast_begin(self, steps, index):
        self.dot.add_updater(lambda m: self.show_upto(int(steps[index()])))
        return []

    def fast_end(self):
        self.dot.clear_updaters()

    def hold(self):
        self.show_upto(self.s.n - 1)
        return []


# --------------------------------------------------------------------------- header
class Header(Beats):
    """Title, beat caption, and counters: epoch, step, a, b and the loss on all data."""

    def __init__(self, style: Style, story: Story, title: str = "Mini-batch SGD fits"):
        self.s, self.st = story, style
        st = style
        top = 3.62
        self.title = VGroup(st.text(title, "title"), st.math("y' = a dot.c x + b", "title", "line")
                            ).arrange(RIGHT, buff=0.2).move_to([-7.0, top, 0], aligned_edge=LEFT)
        self.caption = VGroup()
        fsz = st.fs("text") * 1.25

        def counter(label, value, places, color="text", words=False):
            lab = st.text(label, "text", "muted") if words else st.math(label, "text", "muted")
            num = FastDecimal(value, num_decimal_places=places, font_size=fsz, color=st.c(color))
            num.next_to(lab, RIGHT, buff=0.12)
            return lab, num

        a0, b0 = story.ab_before(0)
        le, self.ep = counter("epoch", 1, 0, words=True)
        ls, self.stp = counter("step", 0, 0, words=True)
        la, self.a = counter("a =", a0, 3, "line")
        lb, self.b = counter("b =", b0, 3, "line")
        ll, self.L = counter("L =", story.start_full_loss, 4)
        lnote = st.text("(all data)", "tick", "muted")
        groups = [VGroup(le, self.ep), VGroup(ls, self.stp), VGroup(la, self.a), VGroup(lb, self.b),
                  VGroup(ll, self.L)]
        # Fixed slots, so the row never shifts when the digits change: each as wide as its
        # label, its widest value (measured, not guessed) and a gap.
        wide = "−8.888e+8" if story.trace.status.diverged else "−8.888"
        widest = (str(max(story.epochs, 1)), str(max(story.n, 1)), wide, wide, wide + "8")
        gap = 0.32
        widths = [lab.width + 0.12 + st.text(v, "text").width * 1.05 + gap
                  for (lab, _), v in zip(((le, self.ep), (ls, self.stp), (la, self.a), (lb, self.b),
                                          (ll, self.L)), widest)]
        x = 6.95 - sum(widths)
        for g, w in zip(groups, widths):
            g.move_to([x, top, 0], aligned_edge=LEFT)
            x += w
        for lab, num in ((le, self.ep), (ls, self.stp), (la, self.a), (lb, self.b), (ll, self.L)):
            lab.set_y(top)
            num.next_to(lab, RIGHT, buff=0.12).set_y(top)
        lnote.next_to(VGroup(ll, self.L), DOWN, buff=0.06)
        self.labels = VGroup(le, ls, la, lb, ll, lnote)
        self.counters = VGroup(self.ep, self.stp, self.a, self.b, self.L)
        room = 6.95 - (self.title.get_right()[0] + 0.35)
        row = VGroup(self.labels, self.counters)
        extent = 6.95 - row.get_left()[0]  # the slots reach 6.95 once the digits grow
        if extent > room:  # long titles or diverged numbers: shrink the row, keep it right
            row.scale(room / extent, about_point=np.array([6.95, top, 0.0]))

    def statics(self):
        return [self.title, self.labels]  # the divergence label waits for the end: no spoiler

    def dynamics(self):
        return [self.caption, self.counters]

    def set_caption(self, text: str, color: str = "muted") -> list[Animation]:
        anims = []
        if len(self.caption):
            anims.append(FadeOut(self.caption.copy(), run_time=0.5))
        new = [self.st.text(text, "label", color).move_to([0, 3.08, 0])] if text.strip() else []
        set_children(self.caption, new)
        if new:
            anims.append(FadeIn(self.caption, shift=0.1 * DOWN))
        return anims

    def show_step(self, k: int, after: bool) -> None:
        s = self.s
        self.ep.show(int(s.epoch[k]) + 1)
        self.stp.show(k + 1)
        a, b = s.ab_after(k) if after else s.ab_before(k)
        self.a.show(a)
        self.b.show(b)
        self.L.show(float(s.full_loss_after[k]) if after else float(s.trace.full_loss_at(a, b)))

    def forward(self, k):
        self.show_step(k, False)
        return []

    def update(self, k):
        s = self.s
        a0, b0 = s.ab_before(k)
        a1, b1 = s.ab_after(k)
        l0, l1 = float(s.trace.full_loss_at(a0, b0)), float(s.full_loss_after[k])

        def f(m, t):
            self.a.show(a0 + (a1 - a0) * t)
            self.b.show(b0 + (b1 - b0) * t)
            self.L.show(l0 + (l1 - l0) * t)
        return [scrub(self.counters, lambda t: f(None, t))]

    def fast_begin(self, steps, index):
        self.counters.add_updater(lambda m: self.show_step(int(steps[index()]), True))
        return []

    def fast_end(self):
        self.counters.clear_updaters()

    def hold(self):
        if self.s.n:
            self.show_step(self.s.n - 1, True)
        return []  # a diverged run says so in the final caption, with its step


DR = DOWN + RIGHT
DL = DOWN + LEFT


# --------------------------------------------------------------------------- math
class MathPanel(Beats):
    """The article's formulas, filled with the batch's numbers, beat by beat.

    Each line is its own top-level mobject, stacked under the previous one and shrunk
    if the stack would leave the panel.
    """

    GAP = 0.16

    def __init__(self, style: Style, story: Story, top_left, width, height):
        self.s, self.st = story, style
        self.tl = np.array([top_left[0], top_left[1], 0.0])
        self.w, self.h = width, height
        self.items: list = []

    def _math(self, text, color="text"):
        return self.st.math(text, "text", color, scale=1.1)

    def _place(self, m):
        if m.width > self.w:
            m.scale_to_fit_width(self.w)
        if self.items:
            above = VGroup(*self.items)
            m.next_to(above, DOWN, buff=self.GAP, aligned_edge=LEFT)
            m.align_to(self.tl, LEFT)
        else:
            m.move_to(self.tl, aligned_edge=UP + LEFT)
        self.items.append(m)
        return m

    def clear(self) -> list[Animation]:
        out = [FadeOut(m) for m in self.items]
        self.items = []
        return out

    def layout_mobjects(self) -> list:
        return list(self.items)

    def forward(self, k):
        s, st = self.s, self.st
        a, b = s.ab_before(k)
        anims = self.clear()
        sign = "+" if b >= 0 else "−"
        eq = VGroup(self._math(f"hat(y) = a x + b = {fmt(a)} x {sign} {fmt(abs(b))}"),
                    st.text(f"for the {s.batch_size_at(k)} point{'s' if s.batch_size_at(k) != 1 else ''} "
                            f"of batch {k + 1}", "text", "muted")
                    ).arrange(RIGHT, buff=0.3)
        self._place(eq)
        return [*anims, FadeIn(eq, shift=0.15 * RIGHT)]

    def _terms(self, k, fn, cap=3):
        n = self.s.batch_size_at(k)
        txt = " + ".join(fn(j) for j in range(min(n, cap)))
        return txt + (" + dots.c" if n > cap else "")

    def residuals(self, k):
        s = self.s
        n = s.batch_size_at(k)
        terms = self._terms(k, lambda j: f"({fmt(s.batch(k)[3][j])})^2")
        eq = self._math(f"L = 1/{n} sum (hat(y)_i - y_i)^2 = 1/{n} [{terms}] = {fmt(s.loss[k], 4)}")
        self._place(eq)
        return [Write(eq)]

    def gradient(self, k):
        s, st = self.s, self.st
        n = s.batch_size_at(k)
        fa = self._math(f"(partial L)/(partial a) = 2/{n} sum (hat(y)_i - y_i) x_i =")
        fb = self._math(f"(partial L)/(partial b) = 2/{n} sum (hat(y)_i - y_i) =")
        va = self._math(fmt(s.grad_a[k], 4), "update")
        vb = self._math(fmt(s.grad_b[k], 4), "update")
        # two rows, formula then value; the values join after the formulas are written
        ra, rb = VGroup(fa, va).arrange(RIGHT, buff=0.12), VGroup(fb, vb).arrange(RIGHT, buff=0.12)
        rows = VGroup(ra, rb).arrange(DOWN, aligned_edge=LEFT, buff=self.GAP)
        self._place(rows)
        forms, vals = VGroup(fa, fb), VGroup(va, vb)
        rows.remove(ra, rb)
        self.items[-1] = VGroup(fa, fb)
        self.items.append(vals)
        return [Succession(Write(forms, run_time=1.4), FadeIn(vals, shift=0.1 * LEFT, run_time=0.8))]

    def update(self, k):
        s = self.s
        a1, b1 = s.ab_after(k)
        if s.plain_sgd:
            eq = self._math(f"a <- a - eta (partial L)/(partial a) = {fmt(a1)}, quad "
                            f"b <- b - eta (partial L)/(partial b) = {fmt(b1)} quad (eta = {s.lr:g})")
        else:
            da, db = s.update_a[k], s.update_b[k]
            eq = self._math(f"a <- a + Delta a = {fmt(a1)}, quad b <- b + Delta b = {fmt(b1)}, quad "
                            f"Delta = ({fmt(da)}, {fmt(db)})")
        self._place(eq)
        bottom = self.tl[1] - self.h
        if eq.get_bottom()[1] < bottom:  # keep the stack inside the panel
            stack = VGroup(*self.items)
            stack.scale((self.h) / (self.tl[1] - eq.get_bottom()[1]), about_point=self.tl)
        return [FadeIn(eq, shift=0.1 * UP)]


# --------------------------------------------------------------------------- table
class TablePanel(Beats):
    """The article's per-sample table: x, y, ŷ, ŷ−y and each sample's share of the gradient.

    Rows fill cell group by cell group as the beats go; when a batch would overflow the
    panel, the oldest rows scroll out. Every cell group is a top-level mobject.
    """

    HEAD = ("\"batch\"", "x", "y", "hat(y)", "hat(y) - y", "2/n (hat(y)-y) x", "2/n (hat(y)-y)")
    COLW = (0.8, 0.72, 0.72, 0.85, 0.95, 1.2, 1.1)
    PER_BATCH = 3

    def __init__(self, style: Style, story: Story, top_left, width, height):
        self.s, self.st = story, style
        self.tl = np.array([top_left[0], top_left[1], 0.0])
        scale = min(1.0, width / sum(self.COLW))
        self.colw = [w * scale for w in self.COLW]
        self.col_x = self.tl[0] + np.cumsum([0, *self.colw[:-1]]) + np.array(self.colw) / 2
        self.head_h = 0.62
        self.row_h = 0.34
        self.capacity = max(2, int((height - self.head_h) / self.row_h))
        head = VGroup()
        for j, h in enumerate(self.HEAD):
            m = style.math(h, "table", "muted", scale=1.15)
            if m.width > self.colw[j] * 0.95:
                m.scale_to_fit_width(self.colw[j] * 0.95)
            head.add(m.move_to([self.col_x[j], self.tl[1] - self.head_h / 2 + 0.02, 0]))
        y = self.tl[1] - self.head_h
        rule = Line([self.tl[0], y, 0], [self.tl[0] + sum(self.colw), y, 0],
                    stroke_color=style.c("muted"), stroke_width=1.5)
        self.static = VGroup(head, rule)
        self.items: list = []  # [row index, mobject]
        self.n_rows = 0
        self.current: list[int] = []

    def statics(self):
        return []  # enters with the first batch, leaves at the fast-forward

    def _y(self, r):
        return self.tl[1] - self.head_h - self.row_h * (r + 0.5)

    def _cell(self, text, j, r, color="text"):
        m = self.st.math(text, "table", color, scale=1.15)
        if m.width > self.colw[j] * 0.95:
            m.scale_to_fit_width(self.colw[j] * 0.95)
        return m.move_to([self.col_x[j], self._y(r), 0])

    def clear(self) -> list[Animation]:
        out = [FadeOut(m) for _, m in self.items] + [FadeOut(self.static)]
        self.items = []
        return out

    def layout_mobjects(self) -> list:
        return [self.static, *(m for _, m in self.items)]

    def forward(self, k):
        s = self.s
        idx = s.trace.steps["indices"][k]
        shown = min(len(idx), self.PER_BATCH)
        need = shown + (1 if len(idx) > shown else 0)
        anims = [] if k else [FadeIn(self.static)]
        overflow = self.n_rows + need - self.capacity
        if overflow > 0:  # scroll the oldest rows out
            keep = []
            for item in self.items:
                if item[0] < overflow:
                    anims.append(FadeOut(item[1], shift=UP * 0.2))
                else:
                    item[0] -= overflow
                    anims.append(item[1].animate.shift(UP * self.row_h * overflow))
                    keep.append(item)
            self.items = keep
            self.n_rows -= overflow
        self.current = []
        for j in range(shown):
            r, i = self.n_rows, idx[j]
            row = VGroup(self._cell(str(k + 1), 0, r, "batch") if j == 0 else VGroup(),
                         self._cell(fmt(s.trace.x[i], 2), 1, r), self._cell(fmt(s.trace.y[i], 2), 2, r),
                         self._cell(fmt(s.batch(k)[2][j]), 3, r, "line"))
            self.items.append([r, row])
            self.current.append(r)
            self.n_rows += 1
            anims.append(FadeIn(row, shift=0.1 * DOWN))
        if need > shown:
            r = self.n_rows
            more = self._cell(f"+ {len(idx) - shown} \"more\"", 1, r, "muted")
            more.move_to([self.col_x[1] + 0.5, self._y(r), 0])
            self.items.append([r, more])
            self.n_rows += 1
            anims.append(FadeIn(more))
        return anims

    def _fill(self, cols_vals, color):
        anims = []
        for r, vals in zip(self.current, cols_vals):
            cells = VGroup(*(self._cell(v, j, r, color) for j, v in vals))
            self.items.append([r, cells])
            anims.append(FadeIn(cells, shift=0.1 * LEFT))
        return anims

    def residuals(self, k):
        s = self.s
        return self._fill([[(4, fmt(s.batch(k)[3][j]))] for j in range(len(self.current))], "residual")

    def gradient(self, k):
        s = self.s
        sa, sb = s.shares(k)
        return self._fill([[(5, fmt(sa[j])), (6, fmt(sb[j]))] for j in range(len(self.current))], "update")
