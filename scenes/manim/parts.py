"""The Manim scenes' builders under their old module name, for code that imports them from here.

They live in :mod:`scenes.manim.style` (fonts, :class:`Style`, number formatting, layout
tags) and in the package :mod:`scenes.manim.panels` (one module for each panel and for
what the panels share). These are the same objects, so patching ``parts.Header`` patches
the header the scenes use.
"""
from __future__ import annotations

from scenes.manim.panels.base import DL, DR, Panel, legend_strip, place_legend
from scenes.manim.panels.beats import Beats, scrub
from scenes.manim.panels.counter import FastDecimal
from scenes.manim.panels.draw import bounded_indices, clip_line, set_children, set_polyline
from scenes.manim.panels.fit import FitPanel
from scenes.manim.panels.header import Header
from scenes.manim.panels.loss import LossPanel
from scenes.manim.panels.math import MathPanel
from scenes.manim.panels.params import ParamsPanel
from scenes.manim.panels.table import TablePanel
from scenes.manim.panels.ticks import nice_ticks, tick_label
from scenes.manim.style import ARROW, LEGEND, LINE, MARKER, TEXT, Style, fmt, plain, register_font, tag

__all__ = ["Style", "FastDecimal", "Panel", "FitPanel", "ParamsPanel", "LossPanel",
           "MathPanel", "TablePanel", "Header", "register_font", "fmt", "tag",
           "Beats", "scrub", "place_legend", "legend_strip", "nice_ticks", "tick_label", "clip_line",
           "bounded_indices", "set_children", "set_polyline", "plain", "DR", "DL",
           "TEXT", "LEGEND", "ARROW", "MARKER", "LINE"]
