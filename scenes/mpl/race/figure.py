"""What the race's panels share: the theme's sizes at this frame's scale, the marking of
animated artists (the leaderboard's apart), themed axes, and fitting an axes to its cell."""
from __future__ import annotations

from matplotlib.artist import Artist

from scenes.mpl.views.style import ANIM_Z, theme_axes

__all__ = ["RaceFigure"]


class RaceFigure:
    """The base of the race's figure and of each of its panels (mixed into
    :class:`scenes.mpl.race.scene.RaceScene`, which sets ``fig``, ``renderer``, ``theme``,
    ``width``, ``height``, ``dpi``, ``s`` and the lists of animated artists)."""

    def _fit(self, ax, cell: tuple[float, float, float, float]) -> None:
        """Move ``ax`` so that it, its title, tick labels and axis labels fill ``cell``
        (x0, y0, x1, y1 in pixels): measured, not guessed, so any size and font fits."""
        W, H = self.width, self.height
        x0, y0, x1, y1 = cell
        for _ in range(3):  # tick labels change as the axes does: settle in a few rounds
            tb = ax.get_tightbbox(self.renderer, bbox_extra_artists=[])
            pos = ax.get_window_extent(self.renderer)
            new = (x0 + (pos.x0 - tb.x0), y0 + (pos.y0 - tb.y0), x1 - (tb.x1 - pos.x1), y1 - (tb.y1 - pos.y1))
            ax.set_position((new[0] / W, new[1] / H, max(new[2] - new[0], 10) / W, max(new[3] - new[1], 10) / H))

    def sz(self, key: str) -> float:
        return self.theme.size(key, 720 * self.s)

    def col(self, key: str) -> str:
        return self.theme.color(key)

    def anim(self, a: Artist, z: float = 0.0, leader: bool = False) -> Artist:
        a.set_animated(True)
        a.set_zorder(ANIM_Z + z)
        (self.leader_artists if leader else self.artists).append(a)
        return a

    def style(self, ax, title: str, xlabel: str = "", ylabel: str = "", small: bool = False):
        """Theme the axes; returns the title's Text (set at the left: not ``ax.title``)."""
        th = self.theme
        theme_axes(ax, th, self.sz("tick"))
        fs = self.sz("table") if small else self.sz("title")
        head = ax.set_title(title, loc="left", color=th.color("text"), fontsize=fs,
                            fontweight="normal" if small else "bold", pad=fs * 0.4)
        if xlabel:
            ax.set_xlabel(xlabel, color=th.color("text"), fontsize=self.sz("label"), labelpad=2)
        if ylabel:
            ax.set_ylabel(ylabel, color=th.color("text"), fontsize=self.sz("label"), labelpad=2)
        if small:
            ax.grid(False)
        else:
            ax.grid(True, color=th.color("grid"), linewidth=0.8 * self.s)
        ax.set_axisbelow(True)
        return head

    def _shrink_title(self, title, width: float) -> None:
        """A small multiple's title (a run's label) no wider than its cell: smaller type if need be."""
        e = title.get_window_extent(self.renderer)
        if e.width > width:
            title.set_fontsize(title.get_fontsize() * width / e.width * 0.97)

    def _width(self, text: str, fs: float, bold: bool = False) -> float:
        probe = self.fig.text(0, 0, text, fontsize=fs, fontweight="bold" if bold else "normal")
        w = probe.get_window_extent(self.renderer).width
        probe.remove()
        return w
