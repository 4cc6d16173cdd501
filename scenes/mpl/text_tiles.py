"""Text drawn once per value: the pixels of each text a panel has shown, reused when it shows it again.

Drawing text is most of a frame's drawing (matplotlib renders it glyph by glyph), and a
panel's texts repeat: a batch of the article's run is one of six points, the caption one of
a few, the epoch changes once in hundreds of frames. When a panel changes, each of its texts
is looked up by everything that decides its pixels (string, font, colour, alpha, position,
alignment); a text seen before is copied back as the tile of pixels it changed, a new one
is drawn and its tile kept.

The result is the same pixels as drawing every text of the panel in order, because:

- a panel's region holds only its own texts over the static background (what
  ``Scene.groups`` promises), and the background never changes;
- a tile is taken from the pixels one text's drawing changed over that background, alone,
  so it holds everything that text draws and nothing of another;
- when two texts' tiles would overlap (order then matters), the panel is drawn the plain
  way, every text in order; a text whose box is not well inside the region turns tiles
  off for its panel (its pixels outside the region could not be told apart or taken back).
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
from matplotlib.text import Text

from scenes.mpl.layout_memo import remember_layout

__all__ = ["TextTiles", "TILES_PER_TEXT"]

TILES_PER_TEXT = 96  # kept per text, the least recently used dropped: the repeating values fit, and
# the GIF palette's sample frames (drawn first, out of order) are still there when reached
WINDOW_PAD = 8  # pixels around a new text's box searched for the pixels it changed


def _key(a: Text) -> tuple | None:
    """What decides the text's pixels (the figure, its size and the background being fixed);
    None when it draws nothing."""
    if not a.get_visible() or not a.get_text():
        return None
    c = a.get_color()
    return (a.get_text(), c if isinstance(c, str) else tuple(np.ravel(c).tolist()), a.get_alpha(),
            hash(a.get_fontproperties()), tuple(a.get_position()), a.get_ha(), a.get_va(),
            a.get_rotation(), a.get_linespacing(), a.get_zorder())


class TextTiles:
    """The texts ``arts`` of one panel whose region is ``box`` (display pixels) on ``fig``."""

    def __init__(self, fig, box, arts) -> None:
        self.fig = fig
        self.arts = list(arts)
        h = int(round(fig.bbox.height))
        w = int(round(fig.bbox.width))
        # The region in buffer rows and columns (row 0 is the top), whole pixels around it.
        self.rows = slice(max(0, int(np.floor(h - box.y1))), min(h, int(np.ceil(h - box.y0))))
        self.cols = slice(max(0, int(np.floor(box.x0))), min(w, int(np.ceil(box.x1))))
        # Only plain texts, each drawn in one go, can be tiled; anything else is drawn as is.
        self.usable = all(type(a) is Text and a.get_bbox_patch() is None and not a.get_usetex()
                          for a in self.arts)
        for a in self.arts:  # measured by its view, checked here, drawn: laid out once
            remember_layout(a)
        self.cache: list[OrderedDict] = [OrderedDict() for _ in self.arts]
        self.hits = self.misses = 0
        # A text that reached past the region: the region alone no longer holds the panel's
        # pixels, so its copy must not stand in for drawing the texts (FrameRenderer).
        self.spills = False
        self._bg: np.ndarray | None = None

    def draw(self) -> bool:
        """Draw the panel's texts onto the canvas, whose region holds the background now.
        False in the rare case the canvas must be drawn again from its background: a new
        text drew up to the region's edge (its pixels may spill past it, where they cannot be
        taken back); tiles are then off for this panel."""
        if not self.usable:
            return self._draw_all()
        buf = np.asarray(self.fig.canvas.buffer_rgba())
        tiles = []
        for a, cache in zip(self.arts, self.cache):
            key = _key(a)
            if key is None:
                continue
            tile = cache.get(key)
            if tile is None:
                box = self._inside(a)
                if box is None:  # it may draw outside the region: no tiles for this panel
                    self.usable = False
                    self.spills = True
                    return self._draw_all()
                tile = self._tile_of(a, buf, box)
                if tile is None:
                    self.usable = False
                    self.spills = True
                    return False
                cache[key] = tile
                self.misses += 1
                if len(cache) > TILES_PER_TEXT:
                    cache.popitem(last=False)
            else:
                cache.move_to_end(key)
                self.hits += 1
            if tile[4] is not None:
                tiles.append(tile)
        if _overlap(tiles):
            return self._draw_all()
        for y0, y1, x0, x1, pixels in tiles:
            buf[y0:y1, x0:x1] = pixels
        return True

    def _inside(self, a: Text) -> tuple[int, int, int, int] | None:
        """The text's box in the region's rows and columns (r0, r1, c0, c1), with a margin
        for glyphs that overhang it; None unless it lies in the region, margin included."""
        e = a.get_window_extent(self.fig.canvas.get_renderer())
        h, pad = self.fig.bbox.height, 3.0
        if not (e.x0 - pad > self.cols.start and e.x1 + pad < self.cols.stop
                and h - e.y1 - pad > self.rows.start and h - e.y0 + pad < self.rows.stop):
            return None
        r0, c0 = self.rows.start, self.cols.start
        return (max(0, int(np.floor(h - e.y1)) - WINDOW_PAD - r0), int(np.ceil(h - e.y0)) + WINDOW_PAD - r0,
                max(0, int(np.floor(e.x0)) - WINDOW_PAD - c0), int(np.ceil(e.x1)) + WINDOW_PAD - c0)

    def _tile_of(self, a: Text, buf: np.ndarray, box: tuple[int, int, int, int]) -> tuple | None:
        """Draw ``a`` alone over the region, keep the pixels it changed, put the region back;
        None (the region put back) when it drew up to the region's edge, maybe past it.

        The changed pixels are looked for in the text's box and a margin (``box``), not in
        the whole region: a text draws its glyphs in its box. Should a changed pixel lie on
        the margin's outer ring (it drew further), the whole region is searched instead."""
        area = buf[self.rows, self.cols]
        if self._bg is None:  # the region's background, as whole pixels (one uint32 each)
            self._bg = np.ascontiguousarray(area).view(np.uint32)[..., 0].copy()
        bg = self._bg
        self.fig.draw_artist(a)
        area32 = area.view(np.uint32)[..., 0]
        w0, w1, v0, v1 = box
        changed = area32[w0:w1, v0:v1] != bg[w0:w1, v0:v1]
        if changed[0].any() or changed[-1].any() or changed[:, 0].any() or changed[:, -1].any():
            w0, w1, v0, v1 = 0, bg.shape[0], 0, bg.shape[1]
            changed = area32 != bg
        rows = np.flatnonzero(changed.any(axis=1))
        tile = None
        if not len(rows):
            tile = (0, 0, 0, 0, None)  # it changed no pixel
        else:
            cols = np.flatnonzero(changed[rows[0]:rows[-1] + 1].any(axis=0))
            r0, r1 = w0 + rows[0], w0 + rows[-1] + 1  # in the region's rows and columns
            c0, c1 = v0 + cols[0], v0 + cols[-1] + 1
            if r0 > 0 and c0 > 0 and r1 < bg.shape[0] and c1 < bg.shape[1]:
                y0, x0 = int(r0) + self.rows.start, int(c0) + self.cols.start
                tile = (y0, y0 + int(r1 - r0), x0, x0 + int(c1 - c0), area[r0:r1, c0:c1].copy())
            area32[r0:r1, c0:c1] = bg[r0:r1, c0:c1]
        return tile

    def _draw_all(self) -> bool:
        draw = self.fig.draw_artist
        for a in self.arts:
            if a.get_visible():
                draw(a)
        return True


def _overlap(tiles: list[tuple]) -> bool:
    """Whether any two tiles share a pixel."""
    for i, (a0, a1, b0, b1, _) in enumerate(tiles):
        for c0, c1, d0, d1, _ in tiles[i + 1:]:
            if a0 < c1 and c0 < a1 and b0 < d1 and d0 < b1:
                return True
    return False
