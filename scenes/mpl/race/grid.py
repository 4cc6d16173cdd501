"""The shape of a grid of small multiples (the matplotlib and Manim races share it)."""
from __future__ import annotations

__all__ = ["grid_shape"]


def grid_shape(n: int, aspect: float) -> tuple[int, int]:
    """Rows and columns for n small multiples in a box of width/height ``aspect``."""
    best = None
    for cols in range(1, n + 1):
        rows = -(-n // cols)
        cell = min(aspect / cols, 1.0 / rows)  # side of the largest square cell
        if best is None or cell > best[0] + 1e-9:
            best = (cell, rows, cols)
    return best[1], best[2]
