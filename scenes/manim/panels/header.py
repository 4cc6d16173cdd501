"""The header: the title, the beat's caption, and the counters (epoch, step, the two
parameters when the model has two, and the loss on all data) in fixed slots at the top right."""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, Animation, FadeIn, FadeOut, VGroup

from scenes.manim.panels.beats import Beats, scrub
from scenes.manim.panels.counter import FastDecimal
from scenes.manim.panels.draw import set_children
from scenes.manim.style import Style
from scenes.story.captions import fit_title
from scenes.story.story import Story

__all__ = ["Header", "short_formula", "loss_note", "header_loss"]


class Header(Beats):
    """Title, beat caption, and counters: epoch, step, a, b and the loss on all data."""

    TOP = 3.62  # the row's y
    RIGHT_X = 6.95  # where the counters' slots end

    def __init__(self, style: Style, story: Story, title: str | None = None):
        """``title``: the words before the model's formula (default: the walkthrough's,
        "Mini-batch SGD fits", named after the run's optimizer)."""
        self.s, self.st = story, style
        st = style
        formula = (st.math("y' = a dot.c x + b", "title", "line") if story.trace.schema_version == 1
                   else st.text(short_formula(story), "title", "line"))
        title = fit_title(story.optimizer) if title is None else title
        self.title = VGroup(st.text(title, "title"), formula).arrange(RIGHT, buff=0.2).move_to([-7.0, self.TOP, 0], aligned_edge=LEFT)
        self.caption = VGroup()
        pairs = self._counters()
        self._slot(pairs)
        ll, _ = pairs[-1]
        lnote = st.text(loss_note(story), "tick", "muted").next_to(VGroup(ll, self.L), DOWN, buff=0.06)
        self.lnote = lnote
        self.labels = VGroup(*(lab for lab, _ in pairs), lnote)
        self.counters = VGroup(*(num for _, num in pairs))
        self._fit_row()

    def _counters(self) -> list:
        """(label, number) for epoch, step, a, b and L, at the run's start; the numbers are
        kept as ``self.ep``, ``self.stp``, ``self.a``, ``self.b`` and ``self.L``. A model's
        two parameters go by their names (logistic: w, b); a model of more, or a module whose
        names are words, has no such pair (``self.a`` and ``self.b`` are None): epoch, step and L."""
        st, story = self.st, self.s
        fsz = st.fs("text") * 1.25

        def counter(label, value, places, color="text", words=False):
            lab = st.text(label, "text", "muted") if words else st.math(label, "text", "muted")
            num = FastDecimal(value, num_decimal_places=places, font_size=fsz, color=st.c(color))
            num.next_to(lab, RIGHT, buff=0.12)
            return lab, num

        a0, b0 = story.ab_before(0)
        le, self.ep = counter("epoch", 1, 0, words=True)
        ls, self.stp = counter("step", 0, 0, words=True)
        ll, self.L = counter("L =", story.start_full_loss, 4)
        names = story.param_names
        # A module's own two names ("weight[0]", "0.bias") would squeeze the row to a blur (and
        # are no Typst symbols): its values are in the formulas' rows, as a larger model's are.
        if len(names) != 2 or not all(map(_symbol, names)):
            self.a = self.b = None
            return [(le, self.ep), (ls, self.stp), (ll, self.L)]
        la, self.a = counter(f"{names[0]} =", a0, 3, "line")
        lb, self.b = counter(f"{names[1]} =", b0, 3, "line")
        return [(le, self.ep), (ls, self.stp), (la, self.a), (lb, self.b), (ll, self.L)]

    def _slot(self, pairs: list) -> None:
        """Fixed slots, so the row never shifts when the digits change: each as wide as its
        label, its widest value (measured, not guessed) and a gap; the last ends at RIGHT_X."""
        st, story, top = self.st, self.s, self.TOP
        groups = [VGroup(lab, num) for lab, num in pairs]
        wide = "−8.888e+8" if story.trace.status.diverged else "−8.888"
        widest = (str(max(story.epochs, 1)), str(max(story.n, 1)), *((wide, wide) if len(pairs) == 5 else ()),
                  wide + "8")
        gap = 0.32
        widths = [lab.width + 0.12 + st.text(v, "text").width * 1.05 + gap
                  for (lab, _), v in zip(pairs, widest)]
        x = self.RIGHT_X - sum(widths)
        for g, w in zip(groups, widths):
            g.move_to([x, top, 0], aligned_edge=LEFT)
            x += w
        for lab, num in pairs:
            lab.set_y(top)
            num.next_to(lab, RIGHT, buff=0.12).set_y(top)

    def _fit_row(self) -> None:
        """Long titles or diverged numbers: shrink the counters' row, keep it right."""
        room = self.RIGHT_X - (self.title.get_right()[0] + 0.35)
        row = VGroup(self.labels, self.counters)
        extent = self.RIGHT_X - row.get_left()[0]  # the slots reach RIGHT_X once the digits grow
        if extent > room:
            row.scale(room / extent, about_point=np.array([self.RIGHT_X, self.TOP, 0.0]))

    def statics(self):
        return [self.title, self.labels]  # the divergence label waits for the end: no spoiler

    def dynamics(self):
        return [self.caption, self.counters]

    def set_caption(self, text: str, color: str = "muted") -> list[Animation]:
        anims = []
        if len(self.caption):
            anims.append(FadeOut(self.caption.copy(), run_time=0.5))
        new = [self._clear_of_note(self.st.text(text, "label", color).move_to([0, 3.08, 0]))] if text.strip() else []
        set_children(self.caption, new)
        if new:
            anims.append(FadeIn(self.caption, shift=0.1 * DOWN))
        return anims

    def _clear_of_note(self, cap):
        """A caption long enough to reach the note under L ("(batch loss)" is wider than
        "(all data)") shrinks about its centre until it ends short of the note: it overlapped
        it by a few pixels in a loop's forward-pass captions."""
        note = self.lnote
        shares_rows = cap.get_bottom()[1] < note.get_top()[1] and cap.get_top()[1] > note.get_bottom()[1]
        limit = note.get_left()[0] - 0.08
        if shares_rows and cap.get_right()[0] > limit > cap.get_center()[0]:
            centre = cap.get_center()
            cap.scale((limit - centre[0]) / (cap.get_right()[0] - centre[0]), about_point=centre)
        return cap

    def show_step(self, k: int, after: bool, final: bool = False) -> None:
        s = self.s
        self.ep.show(int(s.epoch[k]) + 1)
        self.stp.show(k + 1)
        a, b = s.ab_after(k) if after else s.ab_before(k)
        if self.a is not None:
            self.a.show(a)
            self.b.show(b)
        self.L.show(header_loss(s, k, after, final)[0])

    def forward(self, k):
        self.show_step(k, False)
        return []

    def update(self, k):
        s = self.s
        a0, b0 = s.ab_before(k)
        a1, b1 = s.ab_after(k)
        # (after a batch-loss run's last step L stays: the final loss is the final frame's)
        l0, l1 = header_loss(s, k, False)[0], header_loss(s, k, True)[0]

        def f(m, t):
            if self.a is not None:
                self.a.show(a0 + (a1 - a0) * t)
                self.b.show(b0 + (b1 - b0) * t)
            self.L.show(l0 + (l1 - l0) * t)
        return [scrub(self.counters, lambda t: f(None, t))]

    def fast_begin(self, steps, index):
        self.counters.add_updater(lambda m: self.show_step(int(steps[index()]), True))
        return []

    def fast_end(self):
        self.counters.clear_updaters()

    def hold(self):
        if self.s.n:
            self.show_step(self.s.n - 1, True, final=True)  # L and its note change on one frame
            final = loss_note(self.s, final=True)
            if final != loss_note(self.s):  # L is now the final loss, over all the data
                self.lnote.become(self.st.text(final, "tick", "muted").move_to(self.lnote.get_center()))
                self.lnote.layout_text = final  # (what the layout check reads)
        return []  # a diverged run says so in the final caption, with its step


def _symbol(name: str) -> bool:
    """Whether a parameter's name is one letter, typeset as a maths symbol (a, b, w)."""
    return len(name) == 1 and name.isalpha()


def short_formula(story: Story) -> str:
    """The model's formula for a title: a module with no curve (two inputs, say) is its
    title's "ŷ = PyTorch module(x)", not the fit view's long note of why there is no curve."""
    if getattr(story.model, "no_curve", ""):
        return f"{story.words.pred} = {story.model.title}(x)"
    return story.words.formula


def loss_note(story: Story, final: bool = False) -> str:
    """The words under L: the loss on all data, or, for a module recorded from a loop given no
    x, y, the batch loss the loop saw (``Story.path_loss_words``) until the final frame, whose
    L is the final loss, taken over all the rows at record time (``final``)."""
    return "(all data)" if final or story.path_loss_words == "full-data loss" else "(batch loss)"


def header_loss(story: Story, k: int, after: bool, final: bool = False) -> tuple[float, str]:
    """L as the header shows it before (or ``after``) step ``k``, and the words under it. A
    module recorded from a loop given no x, y shows the batch loss its loop saw, "(batch
    loss)": the next batch's before the step, so after its last step there is none, and the
    loss there is the final loss over all the rows. Only the final frame (``final``) shows
    that, as "(all data)"; until then L keeps the last batch's loss (the last step's update
    and the fast-forward's end used to show the final loss as "(batch loss)"). Any other run:
    the loss on all data, before and after each step."""
    note = loss_note(story, final)
    kept = k == story.n - 1 and not final and note != loss_note(story, final=True)
    if after and not kept:
        return float(story.full_loss_after[k]), note
    if story.trace.schema_version == 1:
        return float(story.trace.full_loss_at(*story.ab_before(k))), note
    return (float(story.full_loss_after[k - 1]) if k else float(story.start_full_loss)), note
