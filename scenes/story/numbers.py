"""How the story writes numbers as text, the same in every backend that shows them.

The texts a story hands to the views (the speaker notes, the race's leaderboard) are
formatted here. Every rule writes a true minus sign (−, U+2212), which is as wide as a plus
and does not break a line; values too large or too small for fixed decimals are written in
:func:`scientific` notation. Pure Python: no numpy, no drawing.
"""
from __future__ import annotations

import math

__all__ = ["NOTE_ROWS", "note_table", "scientific", "fmt_loss", "fmt_note"]


def scientific(v: float) -> str:
    """``3.46e−4``: two decimals, the exponent without its zero padding or plus sign (as
    narrow as 0.0215)."""
    mant, exp = f"{v:.2e}".split("e")
    return f"{mant}e{int(exp)}".replace("-", "−")


def fmt_loss(v: float) -> str:
    """A loss as the leaderboard writes it: 4 decimals, 1 past 10, scientific when tiny or
    huge (a true minus sign), a dash when not finite."""
    if not math.isfinite(v):
        return "—"
    if v != 0 and (abs(v) >= 1e4 or abs(v) < 1e-3):
        return scientific(v)
    return f"{v:.4f}" if abs(v) < 10 else f"{v:.1f}"


def fmt_note(v: float) -> str:
    """A number as the speaker notes print it: five significant digits, a true minus sign."""
    return f"{float(v):.5g}".replace("-", "−")


NOTE_ROWS = 12  # the notes' batch table: a batch of thousands is summarised by its first rows


def note_table(cols: tuple[str, ...], rows: list[list[str]], more: str = "") -> list[str]:
    """The speaker notes' batch table: right-aligned columns, each as wide as its widest shown
    entry (a narrow notes pane keeps them on one line), the first NOTE_ROWS rows, then a line
    saying how many more (``more`` is appended to it)."""
    shown = rows[:NOTE_ROWS]
    widths = [max(len(c), *(len(r[i]) for r in shown)) if shown else len(c) for i, c in enumerate(cols)]
    lines = ["  ".join(f"{c:>{w}}" for c, w in zip(cols, widths))]
    lines += ["  ".join(f"{v:>{w}}" for v, w in zip(row, widths)) for row in shown]
    if len(rows) > NOTE_ROWS:
        lines.append(f"… and {len(rows) - NOTE_ROWS} more samples{more}")
    return lines
