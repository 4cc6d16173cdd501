"""The race's loss view: every run's full-data loss on one log axis, against samples seen
(so batch sizes compare fairly), a dot at each head and a cross where a run left."""
from __future__ import annotations

from matplotlib.ticker import FuncFormatter, MaxNLocator

from scenes.mpl.race.figure import RaceFigure
from scenes.story.race import CLOCK_LABEL, fmt_samples

__all__ = ["LossPanel"]


class LossPanel(RaceFigure):
    """Builds the loss view (``loss_lines``) and updates it."""

    def _loss_view(self, ax):
        race = self.race
        lo, hi = race.loss_range
        self.style(ax, race.loss_words[:1].upper() + race.loss_words[1:], CLOCK_LABEL, f"{race.words.loss_name} (log)")
        ax.set_yscale("log")
        ax.set_ylim(lo, hi)
        ax.set_xlim(0, race.end_clock * 1.02)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_samples(v) if v >= 0 else ""))
        lw = self.sz("line_width") * 0.8
        self.loss_lines = []
        for r in range(race.n):
            c = self.colours[r]
            # A dot on each curve's head: the runs are seen at the start, and race as they go.
            line, = ax.plot([], [], color=c, lw=lw, marker="o", ms=lw * 2.6, markevery=[0],
                            markeredgecolor=self.col("panel"), markeredgewidth=lw * 0.35)
            mark, = ax.plot([], [], "X", color=c, ms=lw * 5.5, markeredgecolor=self.col("panel"),
                            markeredgewidth=lw * 0.45, clip_on=False)
            self.loss_lines.append((self.anim(line, 0), self.anim(mark, 3)))
        return ax

    def _update_loss(self, idx) -> None:
        """Each run's curve up to its point ``idx[r]``, with the dot on its head, or the cross
        where it left through the top or diverged."""
        race = self.race
        if self.loss_ax is not None:
            for r, (line, mark) in enumerate(self.loss_lines):
                k = int(idx[r])
                xs, ys = race.loss_curve(r, k)
                line.set_data(xs, ys)
                line.set_markevery([len(xs) - 1] if len(xs) else [])
                where = race.loss_mark(r, k)  # left through the top, or diverged: a cross there
                if where is not None:
                    mark.set_data([where[0]], [where[1]])
                mark.set_visible(where is not None)
                if mark.get_visible():  # the cross takes the head's place
                    line.set_markevery([])
