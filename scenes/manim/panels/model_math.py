"""The Math panel of a model other than the line: its formula, the batch's loss, the gradient
and the update, filled with each batch's numbers beat by beat, in words of the model
(scenes.story.model_words) rather than the article's a and b. Two parameters (logistic's w,
b): each partial derivative and each parameter's move; more (poly, the MLP): the gradient's
norm, the update's norm and the largest parameter updates, as matplotlib's numbers panel
says them. Every number is the story's; this panel only writes them.
"""
from __future__ import annotations

import math

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, VGroup, Write

from scenes.manim.panels.header import short_formula
from scenes.manim.panels.math import MathPanel
from scenes.story.captions import OPTIMIZER_NAMES
from scenes.story.numbers import scientific

__all__ = ["ModelMathPanel", "num"]

LOSS_FORMULAS = {"MSE": "1/n Σ (ŷᵢ − yᵢ)²", "BCE": "−1/n Σ [yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)]"}


def num(v: float, places: int = 3) -> str:
    """A number as the panel writes it: fixed decimals, scientific when tiny or huge, a
    true minus sign."""
    v = float(v)
    if not math.isfinite(v):
        return "∞" if v > 0 else "−∞" if v < 0 else "—"
    if v != 0 and (abs(v) >= 1e4 or abs(v) < 10 ** -places):
        return scientific(v)
    s = f"{v:.{places}f}"
    if s.startswith("-") and float(s) == 0:
        s = s[1:]
    return s.replace("-", "−")


def _signed(v: float) -> str:
    return ("+" if v >= 0 else "") + num(v)


class ModelMathPanel(MathPanel):
    """The formulas of any model but the line, as plain text lines (the model's own symbols)."""

    def _line(self, text: str, color: str = "text"):
        return self.st.text(text, "text", color)

    @property
    def _pair(self) -> tuple[str, str] | None:
        names = self.s.param_names
        return (names[0], names[1]) if len(names) == 2 else None

    def forward(self, k):
        s = self.s
        anims = self.clear()
        n = s.batch_size_at(k)
        formula = short_formula(s)  # (a module with no curve: the fit view says why)
        if self._pair is not None and s.model.kind == "logistic":  # p = σ(0.31·x − 0.20): the header says w, b
            w, b = s.ab_before(k)
            formula = f"p = σ({num(w)}·x {'+' if b >= 0 else '−'} {num(abs(b))})"
        eq = VGroup(self._line(formula),
                    self._line(f"for the {n} point{'s' if n != 1 else ''} of batch {k + 1}", "muted")
                    ).arrange(RIGHT, buff=0.3)
        self._place(eq)
        return [*anims, FadeIn(eq, shift=0.15 * RIGHT)]

    def residuals(self, k):
        s = self.s
        name = s.words.loss_name
        rule = LOSS_FORMULAS.get(name, f"{name} of the batch")
        eq = self._line(f"L = {rule} = {num(s.loss[k], 4)}")
        self._place(eq)
        return [Write(eq)]

    def gradient(self, k):
        s = self.s
        if self._pair is not None:
            n0, n1 = self._pair
            text = f"∂L/∂{n0} = {num(s.gu[k], 4)},   ∂L/∂{n1} = {num(s.gv[k], 4)}"
        else:
            text = f"|∇L| = {num(s.grad_norm[k], 4)}   (all {len(s.param_names)} partial derivatives)"
        eq = self._line(text, "update")
        self._place(eq)
        return [FadeIn(eq, shift=0.1 * LEFT)]

    def update(self, k):
        s = self.s
        if self._pair is not None:
            n0, n1 = self._pair
            u1, v1 = s.ab_after(k)
            if s.plain_sgd:
                rows = [f"{n0} ← {n0} − η·∂L/∂{n0} = {num(u1)}",
                        f"{n1} ← {n1} − η·∂L/∂{n1} = {num(v1)}   (η = {s.lr:g})"]
            else:
                rows = [f"{n0} ← {n0} + Δ{n0} = {num(u1)},   {n1} ← {n1} + Δ{n1} = {num(v1)}",
                        f"Δ = ({num(s.du[k])}, {num(s.dv[k])})   ({OPTIMIZER_NAMES[s.optimizer]})"]
        else:
            rule = "θ ← θ − η·∇L" if s.plain_sgd else f"θ ← θ + Δθ   ({OPTIMIZER_NAMES[s.optimizer]})"
            top = ", ".join(f"{name} {_signed(v)}" for name, v in s.top_updates(k))
            rows = [f"{rule},   |Δθ| = {num(s.update_norm[k], 4)}   (η = {s.lr:g})", f"largest Δ: {top}"]
        lines = [self._line(r) for r in rows]
        for m in lines:  # each row no wider than the panel, on its own
            if m.width > self.w:
                m.scale_to_fit_width(self.w)
        eq = VGroup(*lines).arrange(DOWN, aligned_edge=LEFT, buff=self.GAP)
        self._place(eq)
        bottom = self.tl[1] - self.h
        if eq.get_bottom()[1] < bottom:  # keep the stack inside the panel
            VGroup(*self.items).scale(self.h / (self.tl[1] - eq.get_bottom()[1]), about_point=self.tl)
        return [FadeIn(eq, shift=0.1 * UP)]
