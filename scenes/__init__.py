"""scenes: the frame plan, themes, views and the two backends (matplotlib, Manim), and the
output writers. Never imports torch: everything here reads a Trace.
"""
from __future__ import annotations

from scenes.api import Rendered, render

__all__ = ["Rendered", "render"]
