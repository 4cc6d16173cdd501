"""A text's layout computed once per value, not three times.

A panel text that changes is laid out (``Text._get_layout``: its lines measured, its font's
metrics read, its box aligned) three times in a frame: when its view measures it to fit its
column, when the text tiles check that it lies in its panel, and when it is drawn. Each
time from the same inputs, so with the same answer; about 0.2 ms each time, for every new
value of every panel text.

:func:`remember_layout` gives one text a memory of its last layout and the inputs it came
from (its string, font, spacing, rotation, alignment, the renderer and resolution): when
they are the same, the same answer is returned; else it is computed again. Texts that wrap
(their lines depend on where they stand) or use TeX are left as they are.
"""
from __future__ import annotations

from matplotlib.text import Text

__all__ = ["remember_layout"]


def remember_layout(text: Text) -> bool:
    """Give ``text`` the memory; False (nothing changed) for a text it does not suit."""
    if type(text) is not Text or "_get_layout" in vars(text) or not hasattr(Text, "_get_layout"):
        return "_get_layout" in vars(text)
    compute = text._get_layout  # the class's method, bound
    last: list = [None, None]  # inputs, layout

    def _get_layout(renderer):
        if text.get_wrap() or text.get_usetex():
            return compute(renderer)
        fp = text.get_fontproperties()
        key = (text.get_text(), hash(fp), fp.get_size_in_points(), text.get_linespacing(),
               text._get_multialignment(), text.get_rotation(), text.get_rotation_mode(),
               text.get_horizontalalignment(), text.get_verticalalignment(), text._parse_math,
               id(renderer), text.get_figure(root=True).dpi)
        if key != last[0]:
            last[0], last[1] = key, compute(renderer)
        return last[1]

    text._get_layout = _get_layout
    return True
