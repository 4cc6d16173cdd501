"""The race's texts: the title and clock in the header, and the leaderboard (loss now,
epoch, status; lowest first) with the key to the marks under it."""
from __future__ import annotations

from scenes.mpl.race.figure import RaceFigure
from scenes.story.race import CLOCK_LABEL, RacePlan, fmt_epoch, fmt_loss, fmt_samples

__all__ = ["Leaderboard"]


class Leaderboard(RaceFigure):
    """Builds the header's ``clock``, ``leader_rows`` and ``leader_more`` (animated as the
    leaderboard, redrawn only when their text changes) and updates them."""

    def _header(self, top: float) -> None:
        """The title at the left of the band above ``top`` pixels, the clock at its right."""
        s, H = self.s, self.height
        y = (top + (H - top) / 2) / H
        title = self.fig.text(14 * s / self.width, y, self.race.title, ha="left", va="center",
                              fontsize=self.sz("title"), fontweight="bold", color=self.col("text"))
        self.clock = self.anim(self.fig.text(1 - 14 * s / self.width, y, "", ha="right", va="center",
                                             fontsize=self.sz("text"), color=self.col("text")), 0, leader=True)
        # The title and the widest clock side by side: smaller type if they would meet.
        end = fmt_samples(self.race.end_clock)
        widest = self._width(f"{CLOCK_LABEL}: {end} of {end}  (finish)", self.sz("text"))
        room = self.width - 28 * s - 24 * s
        need = title.get_window_extent(self.renderer).width + widest
        if need > room:
            title.set_fontsize(self.sz("title") * room / need)
            self.clock.set_fontsize(self.sz("text") * room / need)

    def _leader_sizes(self, w: float) -> tuple[float, float]:
        """Type sizes of the rows that fit the column for the widest text any row can show: the
        name has a line to itself (labels of a grid are long); the loss, right-aligned, shares
        the second line with the epoch and status."""
        race, s = self.race, self.s
        fs, fi = self.sz("table"), self.sz("tick")
        room = w - 30 * s
        name = max(self._width(r.label, fs, bold=True) for r in race.runs)
        infos = []
        for r, run in enumerate(race.runs):
            last = run.n_points - 1
            for status in {race.status(r, last), "left the view", "running"}:
                infos.append(f"epoch {fmt_epoch(race.epoch(r, last))} · {status}")
        info = max(self._width(t, fi) for t in infos) + self._width("  8.88e−88", fs)
        return fs * min(1.0, room / name), fi * min(1.0, room / info)

    def _leaderboard(self) -> None:
        """The leaderboard in ``leader_box``: its title, as many rows as fit (the others
        counted in a last line) and the key under it, or beside it in a tall frame."""
        x0, y0, w, h = self.leader_box
        W, H, s = self.width, self.height, self.s
        full_w = w
        if self.tall:
            w = w / 2 - 10 * s  # the rows' column
        fs, fi = self._leader_sizes(w)
        line = fs * self.dpi / 72 * 1.35
        self.fig.text(x0 / W, (y0 + h) / H, "Leaderboard", fontsize=self.sz("title"), fontweight="bold",
                      color=self.col("text"), ha="left", va="top")
        self.fig.text(x0 / W, (y0 + h - self.sz("title") * self.dpi / 72 * 1.5) / H,
                      f"{self.race.loss_words} now, lowest first", fontsize=self.sz("tick"),
                      color=self.col("muted"), ha="left", va="top")
        top = y0 + h - self.sz("title") * self.dpi / 72 * 1.5 - line * 1.6
        if self.tall:  # rows in the left half, the key in the right one
            self._key(x0 + full_w / 2 + 10 * s, y0, full_w / 2 - 10 * s)
            room = int(max(1, (top - y0) // (2 * line + 4 * s)))
        else:
            key_h = self._key(x0, y0, w)
            room = int(max(1, (top - y0 - key_h) // (2 * line + 4 * s)))
        self.leader_rows = []
        shown = min(self.race.n, room)
        self.leader_more = None
        if shown < self.race.n:  # the rows that do not fit are counted, not cut off
            shown = max(1, room - 1)
        for i in range(shown):
            y = top - i * (2 * line + 4 * s)
            self.leader_rows.append(self._leader_row(x0, y, w, line, fs, fi))
        if shown < self.race.n:
            y = top - shown * (2 * line + 4 * s)
            self.leader_more = self.anim(self.fig.text(x0 / W, y / H, "", fontsize=self.sz("tick"),
                                                       color=self.col("muted"), ha="left", va="top"), 0, leader=True)

    def _leader_row(self, x0: float, y: float, w: float, line: float, fs: float,
                    fi: float) -> tuple:
        """One row's texts, its top at ``y`` pixels: rank and name (on a tag when the run's
        colour is light), then the loss at the right and the epoch and status under the name."""
        W, H, s = self.width, self.height, self.s
        rank = self.fig.text(x0 / W, y / H, "", fontsize=fs, color=self.col("muted"), ha="left", va="top")
        name = self.fig.text((x0 + 30 * s) / W, y / H, "", fontsize=fs, fontweight="bold", ha="left", va="top",
                             bbox={"boxstyle": "round,pad=0.12", "fc": "none", "ec": "none"})
        loss = self.fig.text((x0 + w) / W, (y - line) / H, "", fontsize=max(fi, fs * 0.85), color=self.col("text"),
                             ha="right", va="top")
        info = self.fig.text((x0 + 30 * s) / W, (y - line) / H, "", fontsize=fi,
                             color=self.col("muted"), ha="left", va="top")
        return tuple(self.anim(a, 0, leader=True) for a in (rank, name, loss, info))

    def _key(self, x0: float, y0: float, w: float) -> float:
        """Under the leaderboard: what the marks mean and what the clock counts. Returns its
        height in pixels (shrunk to the column's width if need be)."""
        fs = self.sz("tick")
        lines = ["★  least-squares optimum"] if self.race.is_line else []
        lines += ["✕  left the view / diverged",
                 f"clock: {CLOCK_LABEL}", "  = steps × batch size,", "  fair across batch sizes"]
        if not self.race.shared_data:
            lines += ["each run has its own data:", "  each fit panel shows it"]
        t = self.fig.text(x0 / self.width, y0 / self.height, "\n".join(lines), fontsize=fs,
                          color=self.col("muted"), ha="left", va="bottom", linespacing=1.3)
        e = t.get_window_extent(self.renderer)
        if e.width > w:
            t.set_fontsize(fs * w / e.width * 0.98)
            e = t.get_window_extent(self.renderer)
        return e.height + 10 * self.s

    def _update_leaderboard(self, plan: RacePlan, i: int) -> None:
        """The clock and the rows, lowest loss first, at plan frame ``i``."""
        race = self.race
        self.clock.set_text(race.clock_text(plan, i))
        rows = race.leaderboard(plan.index[:, i])
        for n, (slot, row) in enumerate(zip(self.leader_rows, rows)):
            rank, name, loss, info = slot
            rank.set_text(f"{n + 1}.")
            name.set_text(row.label)
            tag = self.tags[row.run]
            name.set_color(self.colours[row.run] if tag is None else tag)
            name.get_bbox_patch().set_facecolor("none" if tag is None else self.colours[row.run])
            loss.set_text(fmt_loss(row.loss))
            info.set_text(f"epoch {fmt_epoch(row.epoch)} · {row.status}")
        if self.leader_more is not None:
            self.leader_more.set_text(f"+ {len(rows) - len(self.leader_rows)} more runs")
