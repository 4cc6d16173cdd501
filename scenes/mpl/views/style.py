"""The look every view shares: the themed axes, and the base class of a view (the theme's
sizes and colours at this frame's scale, and the marking of the artists that change)."""
from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist

from scenes.layout_check import Box
from scenes.mpl.views.legend import place_legend
from scenes.story.story import Story
from scenes.story.theme import Theme

__all__ = ["ANIM_Z", "ViewBase", "theme_axes"]

ANIM_Z = 10  # animated artists sit above everything static, so blitting matches a full draw


def theme_axes(ax, theme: Theme, tick_size: float) -> None:
    """The theme's panel, two spines in its muted colour, ticks labelled in its text colour
    (the single-run views and the race share the look)."""
    ax.set_facecolor(theme.color("panel"))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(theme.color("muted"))
    ax.tick_params(colors=theme.color("muted"), labelcolor=theme.color("text"), labelsize=tick_size)


class ViewBase:
    """A part of the frame: ``scene`` is the :class:`scenes.mpl.views.scene.Scene` it is
    drawn in (its story, theme, scale, dpi and renderer); ``animated`` lists the artists that
    change between frames."""

    def __init__(self, scene):
        self.scene = scene
        self.story: Story = scene.story
        self.theme: Theme = scene.theme
        self.h = 720 * scene.scale  # the design height: sizes are given for 1280x720
        self.animated: list[Artist] = []

    def sz(self, key: str) -> float:
        return self.theme.size(key, self.h)

    def col(self, key: str) -> str:
        return self.theme.color(key)

    def px(self, points: float) -> float:
        return points * self.scene.dpi / 72

    def anim(self, artist: Artist, z: float = 0.0) -> Artist:
        artist.set_animated(True)
        artist.set_zorder(ANIM_Z + z)
        self.animated.append(artist)
        return artist

    def style_axes(self, ax, title: str, xlabel: str, ylabel: str) -> None:
        th = self.theme
        theme_axes(ax, th, self.sz("tick"))
        ax.set_title(title, loc="left", color=th.color("text"), fontsize=self.sz("title"),
                     fontweight="bold", pad=self.sz("title") * 0.5)
        ax.set_xlabel(xlabel, color=th.color("text"), fontsize=self.sz("label"), labelpad=2)
        ax.set_ylabel(ylabel, color=th.color("text"), fontsize=self.sz("label"), labelpad=2)
        ax.grid(True, color=th.color("grid"), linewidth=0.8 * self.h / 720)
        ax.set_axisbelow(True)
        ax.set_autoscale_on(False)

    def place_legend(self, leg, marks: list[np.ndarray], obstacles: list[Box],
                     prefer: tuple[str, ...]) -> bool:
        """:func:`scenes.mpl.views.legend.place_legend` with this scene's renderer."""
        return place_legend(leg, self.scene.renderer, marks, obstacles, prefer)
