"""Where a frame can change: the background put back there only, not over the whole figure.

A blitted frame used to start from the whole background (3.7 MB at 1280x720), then had each
text panel copied over it again. But the artists drawn every frame (lines, arrows, points)
are clipped to their axes, so they can only change pixels inside those boxes; a text panel
changes only when its text does. So a frame restores the background in the axes' boxes and
in the panels whose text changed, and leaves a panel that did not change as the previous
frame left it: the same pixels, with about half the bytes copied.

That holds while the canvas holds the previous frame, so the renderer asks for the whole
background (:attr:`BlitAreas` is then not used) after anything else drew on the canvas,
after a frame that drew an unclipped artist (it may have drawn anywhere), and while any
panel draws its texts without tiles (they may reach past its region).
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.text import Text

__all__ = ["BlitAreas", "MARGIN"]

MARGIN = 2  # pixels around a clip box: Agg rounds a clip box's edges to the nearest pixel


class BlitAreas:
    """The boxes (buffer rows, columns) that the ``free`` artists of ``fig`` can draw in,
    and, for each panel (a :class:`~scenes.mpl.text_tiles.TextTiles`), whether it meets one."""

    def __init__(self, fig, free, panels) -> None:
        h, w = int(round(fig.bbox.height)), int(round(fig.bbox.width))
        boxes = set()
        self.unclipped = []
        for a in free:
            box = a.get_clip_box() if a.get_clip_on() else None
            if box is None:
                self.unclipped.append(a)
                continue
            x0, y0, x1, y1 = box.extents
            boxes.add((max(0, math.floor(h - y1) - MARGIN), min(h, math.ceil(h - y0) + MARGIN),
                       max(0, math.floor(x0) - MARGIN), min(w, math.ceil(x1) + MARGIN)))
        self.boxes = [(slice(r0, r1), slice(c0, c1)) for r0, r1, c0, c1 in sorted(boxes) if r1 > r0 and c1 > c0]
        self.touching = [any(_meet(p.rows, rs) and _meet(p.cols, cs) for rs, cs in self.boxes) for p in panels]

    def restore(self, buf: np.ndarray, bg: np.ndarray, panels) -> None:
        """Put the background ``bg`` back into ``buf`` in every box and in ``panels``' regions."""
        for rs, cs in self.boxes:
            buf[rs, cs] = bg[rs, cs]
        for p in panels:
            buf[p.rows, p.cols] = bg[p.rows, p.cols]

    def drew_unclipped(self) -> bool:
        """Whether an artist that may draw anywhere is shown in this frame (a text with no
        characters draws nothing: ``Text.draw`` returns at once)."""
        return any(a.get_visible() and not (isinstance(a, Text) and a.get_text() == "") for a in self.unclipped)


def _meet(a: slice, b: slice) -> bool:
    return a.start < b.stop and b.start < a.stop
