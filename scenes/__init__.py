"""scenes: the frame plan, themes, views and the three backends (matplotlib, Manim, the web
player), and the output writers. Never imports torch: everything here reads a Trace.

``render``, ``player`` and ``Rendered`` (:mod:`scenes.api`) are imported when first used, so
that importing one small module of the package (say :mod:`scenes.stopping`, which render.py
needs first, to handle SIGTERM from its first moments) does not import numpy and the rest.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Rendered", "player", "render"]

if TYPE_CHECKING:
    from scenes.api import Rendered, player, render


def __getattr__(name: str) -> Any:
    if name in __all__:
        from scenes import api
        return getattr(api, name)
    raise AttributeError(f"module 'scenes' has no attribute {name!r}")
