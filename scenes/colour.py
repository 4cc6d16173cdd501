"""Colours written as hex text, read as numbers: the one parser every part of scenes uses.

A leaf module (it imports nothing of sgd-anim, nor numpy), so the writers, the story and
the backends can all take it without pulling each other in.
"""
from __future__ import annotations

__all__ = ["hex_rgb"]


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """``"#RGB"``, ``"#RGBA"``, ``"#RRGGBB"`` or ``"#RRGGBBAA"`` (the ``#`` optional, alpha
    ignored) as 0..255 integers; ValueError for anything else."""
    hx = colour.lstrip("#")
    if len(hx) in (3, 4):
        hx = "".join(ch * 2 for ch in hx)
    if len(hx) not in (6, 8):
        raise ValueError(f"not a colour: {colour!r}")
    return int(hx[0:2], 16), int(hx[2:4], 16), int(hx[4:6], 16)
