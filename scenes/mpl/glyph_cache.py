"""Glyph bitmaps rendered once: Agg's text drawing with FreeType's renders kept.

matplotlib 3.11 draws a string glyph by glyph (``RendererAgg._draw_text_glyphs_and_boxes``):
for each glyph it sets the font's size and a transform whose translation is the glyph's pen
position in 1/64 pixel, has FreeType render it, and composites the bitmap onto the canvas
at the bitmap's whole-pixel offset. The numbers of a video are new strings in every refresh,
but made of a dozen glyphs at a few sizes: the same glyph is rendered again and again.

A rendered bitmap depends on the glyph, font, size, resolution, hinting and the fractional
part of the pen position only: moving the outline by whole pixels moves the bitmap by whole
pixels (FreeType's rasteriser works on the 1/64 grid, and its box is the outline's rounded
out to whole pixels). So each glyph is rendered once per fractional position, at that
fraction alone, and composited at its pen position's whole part plus the bitmap's offset:
the same coverage at the same pixels, composited in the same order, so the same canvas.

Only straight, antialiased text takes this path (angle 0); rotated or aliased text and the
rules of mathtext go through matplotlib's own method. :func:`install` puts it on one
renderer, and only on the matplotlib it was written against (the method is private).
"""
from __future__ import annotations

import types

__all__ = ["install", "MAX_GLYPHS"]

MAX_GLYPHS = 8192  # bitmaps kept per renderer (each a few hundred bytes); emptied when full


def _supported() -> bool:
    import matplotlib
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.ft2font import FT2Font

    major_minor = tuple(int(v) for v in matplotlib.__version__.split(".")[:2])
    return (major_minor == (3, 11) and hasattr(RendererAgg, "_draw_text_glyphs_and_boxes")
            and hasattr(FT2Font, "_render_glyph") and hasattr(FT2Font, "_set_transform"))


def install(renderer) -> bool:
    """Give ``renderer`` (a ``RendererAgg``) the cached glyph drawing; False where the
    matplotlib installed is not the one this was written against (nothing changed then)."""
    if getattr(renderer, "_sgd_glyphs", None) is not None:
        return True
    if not _supported():
        return False
    renderer._sgd_glyphs = {}
    renderer._draw_text_glyphs_and_boxes = types.MethodType(_draw_cached, renderer)
    return True


def _draw_cached(self, gc, x, y, angle, glyphs, boxes):
    """``RendererAgg._draw_text_glyphs_and_boxes`` for angle 0, antialiased, with each glyph's
    bitmap rendered once per (font, size, glyph, fraction of its pen position)."""
    from matplotlib.backends.backend_agg import RendererAgg, get_hinting_flag
    from matplotlib.ft2font import RenderMode

    if angle != 0 or not gc.get_antialiased():
        return RendererAgg._draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes)
    cache = self._sgd_glyphs
    load_flags = get_hinting_flag()
    cos, sin = 1.0, 0.0  # matplotlib's expressions below, at angle 0, for the same roundings
    height, dpi = self.height, self.dpi
    draw_image = self._renderer.draw_text_image
    for font, size, glyph_index, slant, extend, dx, dy in glyphs:  # dy is upwards
        px = round(0x40 * (x + dx * cos - dy * sin))
        py = round(0x40 * (height - y + dx * sin + dy * cos))  # FreeType's y is upwards
        key = (font, size, dpi, glyph_index, slant, extend, px & 63, py & 63, load_flags)
        hit = cache.get(key)
        if hit is None:
            font.set_size(size, dpi)
            matrix = [[round(0x10000 * extend), round(0x10000 * (extend * slant))], [0, 0x10000]]
            font._set_transform(matrix, [px & 63, py & 63])  # the fraction alone
            bitmap = font._render_glyph(glyph_index, load_flags, RenderMode.NORMAL)
            if len(cache) >= MAX_GLYPHS:
                cache.clear()
            hit = cache[key] = (bitmap.buffer, bitmap.left, bitmap.top)
        buffer, left, top = hit
        # draw_text_image's y is downwards and the bitmap's bottom side
        draw_image(buffer, left + (px >> 6), int(height) - (top + (py >> 6)) + buffer.shape[0], 0, gc)
    if boxes:
        RendererAgg._draw_text_glyphs_and_boxes(self, gc, x, y, angle, (), boxes)
