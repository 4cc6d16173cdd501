"""Frames of a race: the static figure drawn once, then per frame the animated artists
blitted on it (the leaderboard's pixels reused while its text does not change)."""
from __future__ import annotations

import numpy as np
from matplotlib.transforms import Bbox

from scenes.mpl.race.scene import RaceScene
from scenes.mpl.render import full_redraw
from scenes.story.race import HOLD, LEADER_HZ, RacePlan

__all__ = ["RaceRenderer"]


class RaceRenderer:
    """Frames of a race by blitting: the static figure once, then per frame the animated
    artists; the leaderboard and clock are drawn again only when their text changes."""

    def __init__(self, scene: RaceScene, plan: RacePlan):
        self.scene, self.plan = scene, plan
        self.canvas = scene.fig.canvas
        self._bg = None
        self._lead = None  # (key, pixels)
        every = max(1, int(round(plan.fps / LEADER_HZ)))
        pos = np.arange(len(plan))
        # During the race the numbers step LEADER_HZ times a second; intro and hold: exact.
        self.text_frames = np.where(plan.phase == 1, pos - pos % every, pos)
        self.text_frames[plan.phase == HOLD] = pos[plan.phase == HOLD]
        self._order = sorted(scene.artists, key=lambda a: a.get_zorder())  # as a full draw stacks them

    def _background(self):
        if self._bg is None:
            for a in (*self.scene.artists, *self.scene.leader_artists):
                a.set_animated(True)
            self.canvas.draw()
            self._bg = self.canvas.copy_from_bbox(self.scene.fig.bbox)
        return self._bg

    def _text_regions(self):
        """Where the leaderboard and the clock are: the leaderboard's column, and the right
        half of the header (no other animated artist reaches into either)."""
        sc = self.scene
        x0, y0, w, h = sc.leader_box
        return [Bbox.from_extents(x0 - 4 * sc.s, 0, sc.width, y0 + h + 2 * sc.s),
                Bbox.from_extents(sc.width / 2, sc.top, sc.width, sc.height)]

    def frame(self, i: int) -> np.ndarray:
        """Frame i as an (H, W, 4) uint8 view of the canvas (valid until the next frame)."""
        bg = self._background()
        sc = self.scene
        sc.update(self.plan, i, int(self.text_frames[i]))
        self.canvas.restore_region(bg)
        draw = sc.fig.draw_artist
        key = tuple((a.get_text(), a.get_color(), str(a.get_bbox_patch() and a.get_bbox_patch().get_facecolor()))
                    for a in sc.leader_artists)
        if self._lead is not None and self._lead[0] == key:
            for region in self._lead[1]:
                self.canvas.restore_region(region)
        else:
            for a in sc.leader_artists:
                draw(a)
            self._lead = (key, [self.canvas.copy_from_bbox(b) for b in self._text_regions()])
        for a in self._order:
            if a.get_visible():
                draw(a)
        return np.asarray(self.canvas.buffer_rgba())

    def frame_full(self, i: int) -> np.ndarray:
        """The same frame by a full redraw of the figure, as FuncAnimation.save makes it (tests)."""
        sc = self.scene
        sc.update(self.plan, i, int(self.text_frames[i]))
        try:
            return full_redraw(self.canvas, (*sc.artists, *sc.leader_artists))
        finally:
            self._bg = self._lead = None

    def frames(self):
        for i in range(len(self.plan)):
            yield self.frame(i)
