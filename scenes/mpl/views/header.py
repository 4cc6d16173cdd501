"""The header band: the title, the beat's caption and the live values (epoch, batch, a, b,
L and the gradient), laid out by measuring the widest text each can show."""
from __future__ import annotations

from dataclasses import dataclass

from scenes.mpl.views.formatting import fmt
from scenes.mpl.views.style import ViewBase
from scenes.story.captions import fit_title
from scenes.story.frames import FrameState
from scenes.story.plan import HOLD, INTRO

__all__ = ["Header"]


@dataclass
class _Slots:
    """The live values' type and measured widths: each label with its value, in one row of
    slots or two (``rows``: the values' indices in each row)."""

    rows: list[list[int]]
    fs: float
    lab_w: list[float]
    val_w: list[float]
    gap: float

    def slot_width(self, i: int) -> float:
        return self.lab_w[i] + self.val_w[i] + 3 * self.gap

    def row_width(self, idx) -> float:
        return sum(self.lab_w[i] + self.val_w[i] for i in idx) + self.gap * (3 * len(idx) - 2)


class Header(ViewBase):
    """Title, the beat's caption and the live values: epoch, batch, a, b, L, dL/da, dL/db.

    Laid out by measuring: the caption shares the title's row when both fit, else it gets a
    row of its own; the values take one row, or two in a narrow frame, and shrink only when
    even that does not fit. ``height_px`` is the band it takes at the top of the frame."""

    LABELS = ("epoch", "batch", "a =", "b =", "L =", "∂L/∂a =", "∂L/∂b =")  # the line's

    def __init__(self, scene, captions: list[str]):
        super().__init__(scene)
        self.LABELS = self.labels_of(self.story.param_names)
        fs = self.sz("text")
        self.margin = max(4.0, 0.012 * scene.width)
        avail = scene.width - 2 * self.margin
        title, title_fs, title_w = self._title(avail)
        gap = self.px(fs)
        cap_w = max((scene.text_size(c, fs, italic=True)[0] for c in captions), default=0.0)
        self.same_row = title_w + 2 * gap + cap_w <= avail
        self.caption_room = avail - title_w - 2 * gap if self.same_row else avail
        self.caption_fs = fs
        slots = self._value_slots(fs, avail)
        y_title, y_caption, y_values = self._rows(title_fs, max(fs, slots.fs), len(slots.rows))
        self._draw_title(title, title_fs, y_title)
        self._draw_caption(fs, y_caption, captions)
        self._draw_values(slots, avail, y_values)

    @staticmethod
    def labels_of(names: tuple[str, ...]) -> tuple[str, ...]:
        """Two parameters: each by name with its partial derivative; more: the gradient's and
        the update's norms (a vector of 25 numbers does not fit a header)."""
        if len(names) == 2:
            n0, n1 = names
            return ("epoch", "batch", f"{n0} =", f"{n1} =", "L =", f"∂L/∂{n0} =", f"∂L/∂{n1} =")
        return ("epoch", "batch", "L =", "|∇L| =", "|Δθ| =")

    def _title(self, avail: float) -> tuple[str, float, float]:
        """The title, its type (smaller if it would not fit ``avail`` pixels) and its width."""
        title = f"{fit_title(self.story.optimizer)} {self.story.words.formula}"
        title_fs = self.sz("title")
        title_w, _ = self.scene.text_size(title, title_fs, bold=True)
        if title_w > avail:
            title_fs *= avail / title_w * 0.99
            title_w = avail
        return title, title_fs, title_w

    def _value_slots(self, fs: float, avail: float) -> _Slots:
        """Live values at fixed positions, each as wide as its widest value: a changing number
        never pushes its neighbours. One row, or two in a frame that is not wide; smaller type
        rather than overlapping values."""
        measure, st = self.scene.text_size, self.scene.story
        batches = f"{st.steps_per_epoch}/{st.steps_per_epoch}"
        widest = (f"{st.epochs}/{st.epochs}", batches if len(batches) > len("done") else "done",
                  *(("−8.888e+8", "−8.888e+8", "8.8888e+8", "−8.888e+8", "−8.888e+8") if len(self.LABELS) == 7
                    else ("8.8888e+8", "8.888e+8", "8.888e+8")))
        n = len(self.LABELS)
        slots = _Slots(rows=[list(range(n))], fs=fs,
                       lab_w=[measure(lab, fs)[0] for lab in self.LABELS],
                       val_w=[measure(v, fs, bold=True)[0] for v in widest],
                       gap=0.5 * self.px(fs))
        if slots.row_width(slots.rows[0]) > avail and self.scene.arrangement != "wide":
            slots.rows = [list(range(4)), list(range(4, n))]
        for _ in range(4):  # measured again after each shrink: widths do not scale exactly
            widest_row = max(slots.row_width(r) for r in slots.rows)
            if widest_row <= avail:
                break
            slots.fs *= avail / widest_row * 0.98
            slots.gap = 0.5 * self.px(slots.fs)
            slots.lab_w = [measure(lab, slots.fs)[0] for lab in self.LABELS]
            slots.val_w = [measure(v, slots.fs, bold=True)[0] for v in widest]
        return slots

    def _rows(self, title_fs: float, text_fs: float, value_rows: int) -> tuple[float, float, list[float]]:
        """The centre lines, in pixels from the top, of the title, the caption and each row of
        values; sets ``height_px``, the band they take."""
        title_px, text_px = self.px(title_fs), self.px(text_fs)
        y = 0.25 * title_px
        y_title = y + 0.6 * title_px
        y += 1.3 * title_px
        if not self.same_row:
            y_caption = y + 0.65 * text_px
            y += 1.45 * text_px
        else:
            y_caption = y_title
        y_values = []
        for _ in range(value_rows):
            y_values.append(y + 0.6 * text_px)
            y += 1.45 * text_px
        self.height_px = y + 0.15 * text_px
        return y_title, y_caption, y_values

    def _fy(self, y_px: float) -> float:
        """Figure fraction of ``y_px`` pixels from the top."""
        return 1.0 - y_px / self.scene.height

    def _draw_title(self, title: str, title_fs: float, y_title: float) -> None:
        self.scene.fig.text(self.margin / self.scene.width, self._fy(y_title), title, fontsize=title_fs,
                            fontweight="bold", color=self.col("text"), va="center", ha="left")

    def _draw_caption(self, fs: float, y_caption: float, captions: list[str]) -> None:
        """The caption: right-aligned on the title's row, or at the left of its own row."""
        x0 = self.margin / self.scene.width
        if self.same_row:
            self.caption = self.scene.fig.text(1 - x0, self._fy(y_caption), "", fontsize=fs,
                                               color=self.col("muted"), va="center", ha="right",
                                               style="italic")
        else:
            self.caption = self.scene.fig.text(x0, self._fy(y_caption), "", fontsize=fs,
                                               color=self.col("muted"), va="center", ha="left",
                                               style="italic")
        self.anim(self.caption)
        self.fit_captions(captions)

    def _draw_values(self, slots: _Slots, avail: float, y_values: list[float]) -> None:
        """Each label (static) and its value (animated) at the left of its slot."""
        fig, W, margin = self.scene.fig, self.scene.width, self.margin
        rows, n = slots.rows, len(self.LABELS)
        self.values: list = [None] * n
        if len(rows) == 1:  # one row: each slot as wide as it needs, spare width spread between
            spread = max(0.0, (avail - slots.row_width(rows[0])) / (n - 1))
            lefts = [margin]
            for i in range(n - 1):
                lefts.append(lefts[-1] + slots.slot_width(i) + spread)
            starts = [lefts]
        else:  # two rows on one grid: the second row's slots sit under the first row's
            ncol = max(len(r) for r in rows)
            slot = [max(slots.slot_width(r[j]) for r in rows if j < len(r)) for j in range(ncol)]
            spread = max(0.0, (avail + 3 * slots.gap - sum(slot)) / (ncol - 1))
            grid = [margin + sum(slot[:j]) + j * spread for j in range(ncol)]
            starts = [grid[:len(r)] for r in rows]
        for r, yv, xs in zip(rows, y_values, starts):
            for i, x in zip(r, xs):
                fig.text(x / W, self._fy(yv), self.LABELS[i], fontsize=slots.fs, color=self.col("muted"),
                         va="center", ha="left")
                self.values[i] = self.anim(fig.text((x + (slots.lab_w[i] + slots.gap)) / W, self._fy(yv), "",
                                                    fontsize=slots.fs, color=self.col("text"), va="center",
                                                    ha="left", fontweight="bold"))

    def fit_captions(self, captions: list[str]) -> None:
        """The caption's type: the theme's, or smaller if one of ``captions`` would not fit."""
        fs = self.sz("text")
        for _ in range(4):
            widest = max((self.scene.text_size(c, fs, italic=True)[0] for c in captions), default=0.0)
            if widest <= self.caption_room:
                break
            fs *= self.caption_room / widest * 0.98
        self.caption_fs = fs
        self.caption.set_fontsize(fs)

    def update(self, st: FrameState) -> None:
        s = self.story
        self.caption.set_text(self.scene.caption(st.beat, st.step))
        # The final caption says where a run diverged, in the theme's warning colour.
        diverged_end = st.beat == HOLD and s.trace.status.diverged
        self.caption.set_color(self.col("diverged" if diverged_end else "muted"))
        if s.n:
            k = st.step
            ep = f"{s.epoch[k] + 1}/{s.epochs}"
            bt = f"{s.batch_idx[k] + 1}/{s.steps_per_epoch}"
            if st.beat == INTRO:
                ep, bt = "—", "—"
            if st.beat == HOLD:
                ep, bt = f"{s.epoch[-1] + 1}/{s.epochs}", "done"
        else:
            ep, bt = "—", "—"
        loss = fmt(s.loss[st.step], 5) if s.n and st.show_loss and st.beat != HOLD else "—"
        if st.beat == HOLD and s.n:
            full = (s.trace.full_loss_at(st.u, st.v) if s.trace.schema_version == 1
                    else s.full_loss_of(st.params))
            loss = fmt(float(full), 5)
        grad = s.n and st.show_grad and st.beat != HOLD
        if len(self.LABELS) == 7:  # two parameters: their values and partial derivatives
            ga = fmt(s.gu[st.step]) if grad else "—"
            gb = fmt(s.gv[st.step]) if grad else "—"
            values = (ep, bt, fmt(st.u), fmt(st.v), loss, ga, gb)
        else:
            gn = fmt(s.grad_norm[st.step]) if grad else "—"
            un = fmt(s.update_norm[st.step]) if s.n and st.show_update and st.beat != HOLD else "—"
            values = (ep, bt, loss, gn, un)
        for art, v in zip(self.values, values):
            art.set_text(v)
