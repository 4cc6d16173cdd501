"""The panels of the Manim scenes, one module each, and what they share.

- :mod:`~scenes.manim.panels.beats`: :class:`Beats`, what every panel answers (one method
  per beat of the plan);
- :mod:`~scenes.manim.panels.base`: :class:`Panel`, the data rectangle with its hand-drawn
  axes, and where a legend goes;
- :mod:`~scenes.manim.panels.ticks`, :mod:`~scenes.manim.panels.draw`,
  :mod:`~scenes.manim.panels.counter`: ticks, drawing helpers, the header's counters;
- the panels: :mod:`~scenes.manim.panels.fit`, :mod:`~scenes.manim.panels.params`,
  :mod:`~scenes.manim.panels.loss`, :mod:`~scenes.manim.panels.header`,
  :mod:`~scenes.manim.panels.math`, :mod:`~scenes.manim.panels.table`.

Import from the modules themselves; the package imports nothing, so importing one panel
does not import the others. The theme's look (fonts, colours, typesetting) is
:mod:`scenes.manim.style`.
"""
from __future__ import annotations

__all__: list[str] = []
