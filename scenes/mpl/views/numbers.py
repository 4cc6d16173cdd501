"""The numbers panel: the article's table of the batch (x, y, prediction, residual and, for
two parameters, each row's share of the gradient and their sums), and three lines of values
(for P > 2: the loss, the gradient's norm and the largest parameter updates)."""
from __future__ import annotations

from scenes.mpl.views.formatting import fmt
from scenes.mpl.views.numbers_layout import NumbersLayout, numbers_lines
from scenes.mpl.views.style import ViewBase
from scenes.story.captions import gradient_sum_label
from scenes.story.frames import FrameState
from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, UPDATE

__all__ = ["NumbersView"]


def _shrink_to(art, base: float, room, renderer) -> None:
    """Set ``art`` in ``base`` points, or smaller until it is no wider than ``room(extent)``
    pixels (glyph widths do not scale exactly with the size: a few tries)."""
    art.set_fontsize(base)
    if not art.get_text():
        return
    for _ in range(4):
        e = art.get_window_extent(renderer)
        r = room(e)
        if e.width <= r or r <= 0:
            return
        art.set_fontsize(art.get_fontsize() * r / e.width * 0.98)


class NumbersView(ViewBase):
    """The article's per-batch table, then the parameters (or their norms), L and the update."""

    def __init__(self, scene, ax):
        super().__init__(scene)
        self.ax = ax
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        th = self.theme
        ax.set_title("Numbers of this batch", loc="left", color=th.color("text"),
                     fontsize=self.sz("title"), fontweight="bold", pad=self.sz("title") * 0.5)
        fit = NumbersLayout(scene)
        self.max_batch = fit.max_batch
        self.cols, self.sums = fit.cols, fit.sums
        self.panel_px = W, H = ax.bbox.width, ax.bbox.height
        L = self.layout = fit.plan(W, H)
        self.n_rows = L.rows
        self.more = self.max_batch > L.rows
        text_kw = dict(transform=ax.transAxes, fontsize=L.fs, color=th.color("text"), ha="right",
                       va="center")
        self._draw_heads(text_kw)
        y = self._draw_rows(text_kw)
        y = self._draw_sums(text_kw, y)
        self._draw_lines(y)

    def _at(self, x_px: float, y_px: float) -> tuple[float, float]:
        """Axes fractions of a point given in pixels from the panel's top-left corner."""
        W, H = self.panel_px
        return x_px / W, 1.0 - y_px / H

    def _draw_heads(self, text_kw: dict) -> None:
        """The two-line column heads (the prediction and residual in their marks' colours)."""
        th, L, at = self.theme, self.layout, self._at
        y = L.line * NumbersLayout.HEAD * 0.42
        for j, name in enumerate(self.cols):
            color = {2: th.color("line"), 3: th.color("residual")}.get(j, th.color("muted"))
            self.ax.text(*at(L.xcol[j], y), name, fontweight="bold",
                         **{**text_kw, "color": color, "fontsize": L.fs * 0.92})

    def _draw_rows(self, text_kw: dict) -> float:
        """The rule under the heads and a row of empty cells per batch row shown; returns
        the y (pixels from the top) after the last row."""
        ax, L, at = self.ax, self.layout, self._at
        line = L.line
        y = line * NumbersLayout.HEAD
        ax.plot([0.0, L.xcol[-1] / self.panel_px[0]], [at(0, y - 0.5 * line)[1]] * 2,
                transform=ax.transAxes, color=self.theme.color("grid"), lw=1.0 * self.h / 720)
        self.cells = []
        for i in range(L.rows):
            self.cells.append([self.anim(ax.text(*at(L.xcol[j], y), "", **text_kw))
                               for j in range(len(self.cols))])
            y += line
        return y

    def _draw_sums(self, text_kw: dict, y: float) -> float:
        """The rule and the sum row under the table; returns the sum row's y."""
        ax, L, at, th = self.ax, self.layout, self._at, self.theme
        line = L.line
        y += line * (NumbersLayout.SUM - 1.0)
        ax.plot([0.0, L.xcol[-1] / self.panel_px[0]], [at(0, y - 0.62 * line)[1]] * 2,
                transform=ax.transAxes, color=th.color("grid"), lw=1.0 * self.h / 720)
        # The sum row: "+N more" at the left, the label set back from the sums.
        self.more_text = self.anim(ax.text(*at(0, y), "", **{**text_kw, "ha": "left",
                                                            "color": th.color("muted")}))
        self.sum_a = self.sum_b = None
        if not self.sums:  # no shares: no sums (the gradient's norm is in the lines)
            return y
        ax.text(*at(L.xcol[4] - L.colw[4] - L.gap, y), gradient_sum_label(self.story.settings),
                **{**text_kw, "color": th.color("muted")})
        self.sum_a = self.anim(ax.text(*at(L.xcol[4], y), "", fontweight="bold", **text_kw))
        self.sum_b = self.anim(ax.text(*at(L.xcol[5], y), "", fontweight="bold", **text_kw))
        return y

    def _draw_lines(self, y: float) -> None:
        """The three lines of values: beside the table if they fit there, else under it
        (``y``: the sum row's)."""
        L, line = self.layout, self.layout.line
        left = dict(transform=self.ax.transAxes, fontsize=L.lines_fs, color=self.theme.color("text"),
                    ha="left", va="center")
        if L.side:
            x0, y0 = L.xcol[-1] + 2.5 * L.gap, line * NumbersLayout.HEAD
        else:
            x0, y0 = 0.0, y + line * 1.5
        pitch = self.px(L.lines_fs) * NumbersLayout.LINE * NumbersLayout.TEXT
        self.lines = [self.anim(self.ax.text(*self._at(x0, y0 + i * pitch), "", **left)) for i in range(3)]

    # ------------------------------------------------------------------ frames
    def update(self, st: FrameState) -> None:
        s = self.story
        filled = set()
        if s.n and st.beat != INTRO:
            filled = self._fill_table(s.n - 1 if st.beat == HOLD else st.step, st)  # the end: the last batch
        sums = [self.sum_a, self.sum_b] if self.sums else []
        for art in [c for row in self.cells for c in row] + [self.more_text, *sums]:
            if id(art) not in filled:
                art.set_text("")
        for art, text in zip(self.lines, numbers_lines(s, self.scene.geom, st)):
            if art.get_text() != text:
                art.set_text(text)
                self._fit_line(art)

    def _fit_line(self, art) -> None:
        """A line wider than the panel (a value wider than any the layout measured) is set
        in smaller type rather than cut at the panel's edge."""
        _shrink_to(art, self.layout.lines_fs, lambda e: self.ax.bbox.x1 - e.x0, self.scene.renderer)

    def _fill_table(self, k: int, st: FrameState) -> set[int]:
        """The article's table for step k's batch, with the columns this beat has revealed;
        returns the ids of the texts it set (the others are to be emptied)."""
        s = self.story
        filled: set[int] = set()
        xb, yb, pred, res = s.batch(k)
        shares = s.shares(k) if self.sums else ()
        show_pred = st.pred_alpha > 0.5 or st.beat not in (FORWARD,)
        show_res = st.residual_frac > 0.3 or st.beat in (GRADIENT, UPDATE, FAST, HOLD)
        for i, row in enumerate(self.cells):
            if i >= len(xb):
                break
            vals = [xb[i], yb[i], pred[i], res[i], *(c[i] for c in shares)]
            shown = [True, True, show_pred, show_res, st.show_grad, st.show_grad][:len(vals)]
            for j, (c, v, on) in enumerate(zip(row, vals, shown)):
                if on:
                    self._set_cell(c, fmt(v), j)
                    filled.add(id(c))
        if len(xb) > self.n_rows:
            self.more_text.set_text(f"+{len(xb) - self.n_rows} more")
            filled.add(id(self.more_text))
        if st.show_grad and self.sums:
            self._set_cell(self.sum_a, fmt(s.gu[k]), 4)
            self._set_cell(self.sum_b, fmt(s.gv[k]), 5)
            filled.update((id(self.sum_a), id(self.sum_b)))
        return filled

    def _set_cell(self, art, text: str, j: int) -> None:
        """A value wider than its column (wider than any the layout measured in the plan) is
        set in smaller type rather than run into its neighbour."""
        if art.get_text() == text:
            return
        art.set_text(text)
        room = self.layout.colw[j] + (0.5 * self.layout.gap if j else 0.0)  # the first: from the edge
        _shrink_to(art, self.layout.fs, lambda e: room, self.scene.renderer)
