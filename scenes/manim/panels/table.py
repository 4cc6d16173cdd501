"""The Table panel: the article's per-sample table, filled cell group by cell group."""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, UP, Animation, FadeIn, FadeOut, Line, VGroup

from scenes.manim.panels.beats import Beats
from scenes.manim.style import Style, fmt
from scenes.story.story import Story

__all__ = ["TablePanel"]


class TablePanel(Beats):
    """The article's per-sample table: x, y, ŷ, ŷ−y and each sample's share of the gradient.

    Rows fill cell group by cell group as the beats go; when a batch would overflow the
    panel, the oldest rows scroll out. Every cell group is a top-level mobject.
    """

    HEAD = ("\"batch\"", "x", "y", "hat(y)", "hat(y) - y", "2/n (hat(y)-y) x", "2/n (hat(y)-y)")
    COLW = (0.8, 0.72, 0.72, 0.85, 0.95, 1.2, 1.1)
    PER_BATCH = 3
    # Any model but the line: its prediction's symbol (p for logistic); each sample's share
    # of the two partial derivatives for two parameters (BCE: (p − y)·x/n and (p − y)/n), none
    # for more (the gradient's norm is in the formulas beside the table).
    SHARES = {"logistic": ("1/n (p-y) x", "1/n (p-y)")}

    def __init__(self, style: Style, story: Story, top_left, width, height):
        self.s, self.st = story, style
        if story.trace.schema_version != 1:
            pred = "p" if story.words.pred == "p" else "hat(y)"
            head = ("\"batch\"", "x", "y", pred, f"{pred} - y")
            shares = story.words.shares and self.SHARES.get(story.model.kind, ("\"share\" 1", "\"share\" 2"))
            self.HEAD = head + (tuple(shares) if shares else ())
            self.COLW = self.COLW[:len(self.HEAD)]
        self.tl = np.array([top_left[0], top_left[1], 0.0])
        # The line's table fills its cell; a narrower one (no shares) may grow a little.
        scale = min(1.0 if story.trace.schema_version == 1 or len(self.HEAD) == 7 else 1.35, width / sum(self.COLW))
        self.colw = [w * scale for w in self.COLW]
        self.col_x = self.tl[0] + np.cumsum([0, *self.colw[:-1]]) + np.array(self.colw) / 2
        self.head_h = 0.62
        self.row_h = 0.34
        self.capacity = max(2, int((height - self.head_h) / self.row_h))
        self.static = self._head()
        self.items: list = []  # [row index, mobject]
        self.n_rows = 0
        self.current: list[int] = []

    def _head(self) -> VGroup:
        """The column heads, each no wider than its column, and the rule under them."""
        style = self.st
        head = VGroup()
        for j, h in enumerate(self.HEAD):
            m = style.math(h, "table", "muted", scale=1.15)
            if m.width > self.colw[j] * 0.95:
                m.scale_to_fit_width(self.colw[j] * 0.95)
            head.add(m.move_to([self.col_x[j], self.tl[1] - self.head_h / 2 + 0.02, 0]))
        y = self.tl[1] - self.head_h
        rule = Line([self.tl[0], y, 0], [self.tl[0] + sum(self.colw), y, 0],
                    stroke_color=style.c("muted"), stroke_width=1.5)
        return VGroup(head, rule)

    def statics(self):
        return []  # enters with the first batch, leaves at the fast-forward

    def _y(self, r):
        return self.tl[1] - self.head_h - self.row_h * (r + 0.5)

    def _cell(self, text, j, r, color="text"):
        m = self.st.math(text, "table", color, scale=1.15)
        if m.width > self.colw[j] * 0.95:
            m.scale_to_fit_width(self.colw[j] * 0.95)
        return m.move_to([self.col_x[j], self._y(r), 0])

    def clear(self) -> list[Animation]:
        out = [FadeOut(m) for _, m in self.items] + [FadeOut(self.static)]
        self.items = []
        return out

    def layout_mobjects(self) -> list:
        return [self.static, *(m for _, m in self.items)]

    def forward(self, k):
        s = self.s
        idx = s.trace.steps["indices"][k]
        shown = min(len(idx), self.PER_BATCH)
        need = shown + (1 if len(idx) > shown else 0)
        anims = [] if k else [FadeIn(self.static)]
        anims += self._scroll(self.n_rows + need - self.capacity)
        anims += self._add_rows(k, idx, shown)
        return anims

    def _scroll(self, overflow: int) -> list[Animation]:
        """Scroll the oldest ``overflow`` rows out (none if it is not positive)."""
        anims = []
        if overflow > 0:
            keep = []
            for item in self.items:
                if item[0] < overflow:
                    anims.append(FadeOut(item[1], shift=UP * 0.2))
                else:
                    item[0] -= overflow
                    anims.append(item[1].animate.shift(UP * self.row_h * overflow))
                    keep.append(item)
            self.items = keep
            self.n_rows -= overflow
        return anims

    def _add_rows(self, k: int, idx, shown: int) -> list[Animation]:
        """Batch k's first ``shown`` samples as rows (x, y, ŷ), and a "+ n more" row for the rest."""
        s = self.s
        anims = []
        self.current = []
        for j in range(shown):
            r, i = self.n_rows, idx[j]
            row = VGroup(self._cell(str(k + 1), 0, r, "batch") if j == 0 else VGroup(),
                         self._cell(fmt(s.trace.x[i], 2), 1, r), self._cell(fmt(s.trace.y[i], 2), 2, r),
                         self._cell(fmt(s.batch(k)[2][j]), 3, r, "line"))
            self.items.append([r, row])
            self.current.append(r)
            self.n_rows += 1
            anims.append(FadeIn(row, shift=0.1 * DOWN))
        if len(idx) > shown:
            r = self.n_rows
            more = self._cell(f"+ {len(idx) - shown} \"more\"", 1, r, "muted")
            more.move_to([self.col_x[1] + 0.5, self._y(r), 0])
            self.items.append([r, more])
            self.n_rows += 1
            anims.append(FadeIn(more))
        return anims

    def _fill(self, cols_vals, color):
        anims = []
        for r, vals in zip(self.current, cols_vals):
            cells = VGroup(*(self._cell(v, j, r, color) for j, v in vals))
            self.items.append([r, cells])
            anims.append(FadeIn(cells, shift=0.1 * LEFT))
        return anims

    def residuals(self, k):
        s = self.s
        return self._fill([[(4, fmt(s.batch(k)[3][j]))] for j in range(len(self.current))], "residual")

    def gradient(self, k):
        s = self.s
        if len(self.HEAD) < 7:  # no shares to show (P > 2)
            return []
        sa, sb = s.shares(k)
        return self._fill([[(5, fmt(sa[j])), (6, fmt(sb[j]))] for j in range(len(self.current))], "update")
