"""The Math panel: the article's formulas, filled with each batch's numbers, beat by beat."""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Animation, FadeIn, FadeOut, Succession, VGroup, Write

from scenes.manim.panels.beats import Beats
from scenes.manim.style import Style, fmt
from scenes.story.story import Story

__all__ = ["MathPanel"]


class MathPanel(Beats):
    """The article's formulas, filled with the batch's numbers, beat by beat.

    Each line is its own top-level mobject, stacked under the previous one and shrunk
    if the stack would leave the panel.
    """

    GAP = 0.16

    def __init__(self, style: Style, story: Story, top_left, width, height):
        self.s, self.st = story, style
        self.tl = np.array([top_left[0], top_left[1], 0.0])
        self.w, self.h = width, height
        self.items: list = []

    def _math(self, text, color="text"):
        return self.st.math(text, "text", color, scale=1.1)

    def _place(self, m):
        if m.width > self.w:
            m.scale_to_fit_width(self.w)
        if self.items:
            above = VGroup(*self.items)
            m.next_to(above, DOWN, buff=self.GAP, aligned_edge=LEFT)
            m.align_to(self.tl, LEFT)
        else:
            m.move_to(self.tl, aligned_edge=UP + LEFT)
        self.items.append(m)
        return m

    def clear(self) -> list[Animation]:
        out = [FadeOut(m) for m in self.items]
        self.items = []
        return out

    def layout_mobjects(self) -> list:
        return list(self.items)

    def forward(self, k):
        s, st = self.s, self.st
        a, b = s.ab_before(k)
        anims = self.clear()
        sign = "+" if b >= 0 else "−"
        eq = VGroup(self._math(f"hat(y) = a x + b = {fmt(a)} x {sign} {fmt(abs(b))}"),
                    st.text(f"for the {s.batch_size_at(k)} point{'s' if s.batch_size_at(k) != 1 else ''} "
                            f"of batch {k + 1}", "text", "muted")
                    ).arrange(RIGHT, buff=0.3)
        self._place(eq)
        return [*anims, FadeIn(eq, shift=0.15 * RIGHT)]

    def _terms(self, k, fn, cap=3):
        n = self.s.batch_size_at(k)
        txt = " + ".join(fn(j) for j in range(min(n, cap)))
        return txt + (" + dots.c" if n > cap else "")

    def residuals(self, k):
        s = self.s
        n = s.batch_size_at(k)
        terms = self._terms(k, lambda j: f"({fmt(s.batch(k)[3][j])})^2")
        eq = self._math(f"L = 1/{n} sum (hat(y)_i - y_i)^2 = 1/{n} [{terms}] = {fmt(s.loss[k], 4)}")
        self._place(eq)
        return [Write(eq)]

    def gradient(self, k):
        s = self.s
        n = s.batch_size_at(k)
        fa = self._math(f"(partial L)/(partial a) = 2/{n} sum (hat(y)_i - y_i) x_i =")
        fb = self._math(f"(partial L)/(partial b) = 2/{n} sum (hat(y)_i - y_i) =")
        va = self._math(fmt(s.grad_a[k], 4), "update")
        vb = self._math(fmt(s.grad_b[k], 4), "update")
        # two rows, formula then value; the values join after the formulas are written
        ra, rb = VGroup(fa, va).arrange(RIGHT, buff=0.12), VGroup(fb, vb).arrange(RIGHT, buff=0.12)
        rows = VGroup(ra, rb).arrange(DOWN, aligned_edge=LEFT, buff=self.GAP)
        self._place(rows)
        forms, vals = VGroup(fa, fb), VGroup(va, vb)
        rows.remove(ra, rb)
        self.items[-1] = VGroup(fa, fb)
        self.items.append(vals)
        return [Succession(Write(forms, run_time=1.4), FadeIn(vals, shift=0.1 * LEFT, run_time=0.8))]

    def update(self, k):
        s = self.s
        a1, b1 = s.ab_after(k)
        if s.plain_sgd:
            eq = self._math(f"a <- a - eta (partial L)/(partial a) = {fmt(a1)}, quad "
                            f"b <- b - eta (partial L)/(partial b) = {fmt(b1)} quad (eta = {s.lr:g})")
        else:
            da, db = s.update_a[k], s.update_b[k]
            eq = self._math(f"a <- a + Delta a = {fmt(a1)}, quad b <- b + Delta b = {fmt(b1)}, quad "
                            f"Delta = ({fmt(da)}, {fmt(db)})")
        self._place(eq)
        bottom = self.tl[1] - self.h
        if eq.get_bottom()[1] < bottom:  # keep the stack inside the panel
            stack = VGroup(*self.items)
            stack.scale((self.h) / (self.tl[1] - eq.get_bottom()[1]), about_point=self.tl)
        return [FadeIn(eq, shift=0.1 * UP)]

