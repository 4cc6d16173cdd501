"""The header's counters: a DecimalNumber that stays cheap when it changes every frame."""
from __future__ import annotations

import numpy as np
from manim import DecimalNumber, MathTypst, VMobject

from scenes.manim.style import TEXT, tag
from scenes.manim.typeset_lock import typesetting

__all__ = ["FastDecimal"]

# Digit strings typeset once per process, as bare outlines: (string, font size) -> VMobject.
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
            with typesetting():  # (scenes.manim.typeset_lock)
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
        # Diverged runs reach 1e8: scientific notation keeps the counter in its slot, written
        # as the matplotlib header writes it (1.79e8, not Python's 1.79e+08).
        if isinstance(number, (int, float, np.floating)) and abs(number) >= 1e4:
            mant, exp = f"{number:.2e}".split("e")
            return f"{mant}e{int(exp)}"
        return super()._get_num_string(number)

    def show(self, number: float) -> "FastDecimal":
        s = self._get_num_string(number)
        if s != self._shown:
            self._shown = s
            self.set_value(number)
        return self
