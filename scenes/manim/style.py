"""The Manim scenes' look: the theme's font, colours and sizes, typeset text and math.

:class:`Style` turns a :class:`~scenes.story.theme.Theme` into ManimColors and font sizes and
typesets strings: words through Pango with the theme's font, math and digits through
:class:`~manim.MathTypst` (no LaTeX). Typeset strings are kept as bare outlines
(:func:`plain`), parsed once per process. :func:`fmt` writes a number for typeset math;
:func:`tag` marks a mobject for the layout check (:mod:`scenes.manim.layout_check`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import ManimColor, MathTypst, Text, VGroup, VMobject

from scenes.manim.typeset_lock import typesetting
from scenes.story.theme import Theme, font_path

__all__ = ["Style", "register_font", "fmt", "tag", "plain", "TEXT", "LEGEND", "ARROW", "MARKER", "LINE"]

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
            with typesetting():  # (another render may be parsing the same cached SVG)
                _TYPESET[ck] = plain(Text(s, font=self.theme.font_family, font_size=self.fs(key),
                                          color=self.c(color), **kw))
        return tag(_TYPESET[ck].copy(), TEXT, text=s)

    def math(self, s: str, key: str = "text", color: str = "text", scale: float = 1.25) -> VGroup:
        # Typst's math font looks smaller than DejaVu at equal size: scale it up a little.
        ck = ("math", s, self.fs(key) * scale, self.theme.color(color))
        if ck not in _TYPESET:
            with typesetting():
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

