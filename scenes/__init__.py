"""scenes: the frame plan, themes, views and the three backends (matplotlib, Manim, the web
player), and the output writers. Never imports torch: everything here reads a Trace.
"""
from __future__ import annotations

from scenes.api import Rendered, player, render

__all__ = ["Rendered", "player", "render"]
