"""The colours of the loss contours' bands, the same in every backend.

Each band between two contour levels gets the theme's ``contour_map`` at its level's place on
a log scale (the levels are geometric), sampled from 0.15 to 0.95 (the map's ends are too
close to white or black to read marks on), and mixed with the panel colour so the bands stay
in the background: 42% of the map on a light panel, 55% on a dark one. matplotlib fills with
these colours, Manim paints its polygons with them, the player can take them as data.
"""
from __future__ import annotations

import numpy as np

from scenes.colour import hex_rgb
from scenes.story.theme import Theme

__all__ = ["band_colors", "mix_of"]


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array(hex_rgb(hex_colour), dtype=float) / 255


def mix_of(theme: Theme) -> float:
    """How much of the map shows through: less on a light panel (it reads stronger there)."""
    r, g, b = _rgb(theme.color("panel"))
    return 0.42 if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 else 0.55


def band_colors(theme: Theme, levels: np.ndarray, top: float) -> tuple[list[tuple[float, float, float]],
                                                                         tuple[float, float, float]]:
    """RGB (0..1) of the band under each level (below ``levels[0]``, then between levels),
    and of the region above the last level (up to ``top``, the view's highest loss)."""
    from matplotlib import colormaps

    cmap = colormaps[theme.color("contour_map")]
    bg = _rgb(theme.color("panel"))
    mix = mix_of(theme)
    lz = np.log10(np.append(np.asarray(levels, dtype=float), max(float(top), float(levels[-1]))))
    t = (lz - lz.min()) / max(float(np.ptp(lz)), 1e-12)

    def colour(u: float) -> tuple[float, float, float]:
        rgb = bg + (np.array(cmap(0.15 + 0.8 * u)[:3]) - bg) * mix
        return tuple(float(v) for v in np.clip(rgb, 0, 1))
    return [colour(u) for u in t[:-1]], colour(1.0)
