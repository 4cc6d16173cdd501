"""The numbers panel's texts and their layout: the three lines under the table, and the
table's type, rows and columns, sized for the widest value the run can show."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenes.mpl.views.formatting import fmt
from scenes.mpl.views.style import ViewBase
from scenes.story.captions import OPTIMIZER_NAMES
from scenes.story.frames import FrameState
from scenes.story.geometry import Geometry
from scenes.story.plan import FAST, HOLD, INTRO
from scenes.story.story import Story

__all__ = ["NumbersLayout", "TableLayout", "numbers_lines"]


def numbers_lines(s: Story, geom: Geometry, st: FrameState) -> tuple[str, str, str]:
    """The three lines under the numbers table for frame state ``st``."""
    if len(s.param_names) != 2:
        return _vector_lines(s, st)
    n0, n1 = s.param_names
    pair = f"{n0} = {fmt(st.u)}     {n1} = {fmt(st.v)}"
    if s.n == 0:
        return pair, "no steps were recorded", ""
    k, lr = st.step, s.lr
    if st.beat == INTRO:
        return (f"start:  {pair}", f"learning rate lr = {lr:g},  batch size = {s.batch_size_at(0)}", "")
    if st.beat == HOLD:
        if geom.optimum is not None:  # the line: least squares, in closed form
            full = float(s.trace.full_loss_at(st.u, st.v))
            u_opt, v_opt = geom.optimum
            third = f"least squares:  {n0} = {fmt(u_opt)}     {n1} = {fmt(v_opt)}"
        else:
            full = s.full_loss_of(st.params)
            third = (f"p = 0.5 at x = −{n1}/{n0} = {fmt(-st.v / st.u)}" if s.model.kind == "logistic" and st.u
                     else f"start: {s.path_loss_words} L = {fmt(s.start_full_loss, 5)}")
        return f"final:  {pair}", f"full-data loss L = {fmt(full, 5)}", third
    first = f"batch loss L = {fmt(s.loss[k], 5)}" if st.show_loss else ""
    if st.show_update:
        return (first, f"{n0}:  {fmt(s.u[k])} → {fmt(s.u_after[k])}   (Δ{n0} = {fmt(s.du[k])})",
                f"{n1}:  {fmt(s.v[k])} → {fmt(s.v_after[k])}   (Δ{n1} = {fmt(s.dv[k])})")
    if st.show_grad:
        if s.plain_sgd:
            return first, f"next:  {n0} − lr·∂L/∂{n0},   {n1} − lr·∂L/∂{n1}   (lr = {lr:g})", ""
        return first, f"next: {OPTIMIZER_NAMES[s.optimizer]} turns the gradient into a step (lr = {lr:g})", ""
    return first, f"{n0} = {fmt(s.u[k])}     {n1} = {fmt(s.v[k])}", ""


def _signed(v: float) -> str:
    return ("+" if v >= 0 else "") + fmt(v)


def _vector_lines(s: Story, st: FrameState) -> tuple[str, str, str]:
    """A model of P > 2 parameters: the loss, the gradient's norm and the largest updates
    (the parameters themselves are too many for a line)."""
    p, lr = len(s.param_names), s.lr
    size = f"{p} parameters,  |θ| = {fmt(float(np.linalg.norm(st.params)))}"
    if s.n == 0:
        return size, "no steps were recorded", ""
    k = st.step
    if st.beat == INTRO:
        return (f"start:  {s.path_loss_words} L = {fmt(s.start_full_loss, 5)}",
                f"learning rate lr = {lr:g},  batch size = {s.batch_size_at(0)}", size)
    if st.beat == HOLD:
        return (f"final:  full-data loss L = {fmt(s.full_loss_of(st.params), 5)}",
                f"start:  {s.path_loss_words} L = {fmt(s.start_full_loss, 5)}", size)
    first = f"batch loss L = {fmt(s.loss[k], 5)}" if st.show_loss else ""
    if st.show_update:
        top = ",  ".join(f"{name} {_signed(v)}" for name, v in s.top_updates(k))
        return (first, f"|∇L| = {fmt(s.grad_norm[k])}     |Δθ| = {fmt(s.update_norm[k])}",
                f"largest Δ:  {top}")
    if st.show_grad:
        rule = ("next:  θ − lr·∇L" if s.plain_sgd else f"next: {OPTIMIZER_NAMES[s.optimizer]} turns it into a step")
        return first, f"|∇L| = {fmt(s.grad_norm[k])}  (all {p} partial derivatives)", f"{rule}   (lr = {lr:g})"
    return first, size, ""


@dataclass
class TableLayout:
    """Where the numbers panel puts things, in pixels from its axes' top-left corner."""

    fs: float            # table font, points
    lines_fs: float      # the three lines under (or beside) the table, points
    line: float          # row pitch, pixels
    rows: int            # batch rows shown
    xcol: list[float]    # right edge of each column
    colw: list[float]
    gap: float
    side: bool           # the three lines sit beside the table, not under it
    height: float        # pixels used


class NumbersLayout(ViewBase):
    """Sizes and places the numbers panel's table: the type shrinks only when the widest
    value it can show, or a line under it, would not fit the width, or one row the height."""

    COLS = ("x", "y", "ŷ", "ŷ − y", "∂L/∂a\nshare", "∂L/∂b\nshare")  # the line's; ``cols``: the model's
    MAX_ROWS = 4
    LINE = 1.5        # row pitch, in font sizes
    HEAD = 2.3        # the two-line column heads and the rule under them, in rows
    SUM = 1.35        # the rule and the sums, in rows
    TEXT = 1.2        # pitch of the three lines, in rows

    def __init__(self, scene):
        super().__init__(scene)
        self.max_batch = max((len(r) for r in scene.trace.steps["indices"]), default=1)
        self.cols = self.story.words.heads
        self.sums = self.story.words.shares  # the sum row: the shares add up to the gradient

    def _texts(self) -> tuple[list[list[str]], list[str]]:
        """The widest texts the panel shows in the plan's frames (every beat, and the steps
        the fast-forward shows): per column the longest values, and the three lines."""
        s, plan = self.story, self.scene.plan
        frames = {(int(k), int(b), float(t)) for k, b, t in zip(plan.step, plan.beat, plan.t)
                  if b != FAST and t in (0.0, 1.0)}
        fast = np.unique(plan.step[plan.beat == FAST])
        if len(fast):
            pick = fast[np.linspace(0, len(fast) - 1, min(len(fast), 60)).astype(int)]
            frames |= {(int(k), FAST, 1.0) for k in pick}
        lines = {text for k, b, t in frames for text in numbers_lines(s, self.scene.geom, s.state(k, b, t))}
        cols: list[set[str]] = [set() for _ in self.cols]
        if s.n:
            for k in {s.n - 1 if b == HOLD else k for k, b, _ in frames if b != INTRO}:
                xb, yb, pred, res = s.batch(k)
                columns = [xb, yb, pred, res, *(s.shares(k) if self.sums else ())]
                for j, vals in enumerate(columns):
                    cols[j].update(fmt(v) for v in vals[: self.MAX_ROWS])
                if self.sums:
                    cols[4].add(fmt(s.gu[k]))
                    cols[5].add(fmt(s.gv[k]))
        longest = [sorted(c, key=len)[-4:] or ["0.0000"] for c in cols]
        return longest, sorted(lines - {""}) or [" "]

    def plan(self, W: float, H: float | None) -> TableLayout:
        """The table's font, rows and columns for a W x H pixel panel (H None: as many rows
        as the batch has, up to MAX_ROWS, and the height that takes). The type shrinks only
        when the widest possible value or line would not fit the width, or one row the height."""
        measure = self.scene.text_size
        cols, lines = self._texts()
        want_rows = max(1, min(self.max_batch, self.MAX_ROWS))
        fs = self.sz("table")
        for _ in range(4):
            fs_px = self.px(fs)
            gap = 1.0 * fs_px
            # Values in regular type, the sums (last two columns) in bold.
            colw = [max([measure(h, fs * 0.92, bold=True)[0]]
                        + [measure(v, fs, bold=j >= 4)[0] for v in vals])
                    for j, (h, vals) in enumerate(zip(self.cols, cols))]
            table_w = sum(colw) + gap * (len(colw) - 1)
            if table_w > W:  # shrink to the width
                fs *= W / table_w * 0.99
                continue
            # Spread spare width into the gaps, up to a limit: a wide panel must not look empty.
            gap = min(gap + (W - table_w) / len(colw), 3.5 * fs_px)
            table_w = sum(colw) + gap * (len(colw) - 1)
            lines_w = max(measure(t, fs)[0] for t in lines)
            lines_fs = fs
            side = table_w + 2.5 * gap + lines_w <= W
            if not side and lines_w > W:
                lines_fs = fs * W / lines_w * 0.99
            line = fs_px * self.LINE
            pitch = self.px(lines_fs) * self.LINE * self.TEXT

            def height(rows: int) -> float:
                table = line * (self.HEAD + rows + self.SUM - 0.5)
                text = pitch * 2.5
                return max(table, line * self.HEAD + text) if side else table + line + text

            rows = want_rows
            if H is not None:
                while rows > 1 and height(rows) > H:
                    rows -= 1
                if height(rows) > H:  # not even one row: smaller type
                    fs *= H / height(rows) * 0.99
                    continue
            xcol = list(np.cumsum(colw) + gap * np.arange(len(colw)))
            return TableLayout(fs, lines_fs, line, rows, [float(x) for x in xcol], colw, gap, side,
                                height(rows))
        raise RuntimeError("the numbers panel found no layout")  # pragma: no cover
