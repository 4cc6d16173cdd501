"""A model's words in the views: its formula, the fit view's title, the loss's name, the
numbers table's columns. Read from the model registry (training.models) by kind and its
parameter names, never spelled out per view: the line's words are the article's.
"""
from __future__ import annotations

from dataclasses import dataclass

from training.models import Model

__all__ = ["ModelWords", "words_of"]

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power(k: int) -> str:
    return "" if k == 0 else "x" if k == 1 else "x" + str(k).translate(SUPERSCRIPT)


def formula(model: Model) -> str:
    """``ŷ = a·x + b``, ``ŷ = c0 + c1·x + c2·x² + c3·x³``, ``p = σ(w·x + b)``, ..."""
    names = model.param_names
    if model.kind == "poly":
        terms = [n if k == 0 else f"{n}·{_power(k)}" for k, n in enumerate(names)]
        if len(terms) > 4:  # a long polynomial: the first two terms, then the last
            terms = terms[:2] + ["…", terms[-1]]
        return "ŷ = " + " + ".join(terms)
    if model.kind == "logistic":
        return f"p = σ({names[0]}·x + {names[1]})"
    if model.kind == "mlp":
        return f"ŷ = network(x), {model.hidden} {model.activation} units"
    if getattr(model, "no_curve", ""):  # a recorded module of more than one number in or out
        return model.no_curve
    if len(names) == 2:
        return f"ŷ = {names[0]}·x + {names[1]}"
    return f"ŷ = {model.title}(x)"


@dataclass(frozen=True)
class ModelWords:
    formula: str           # ŷ = a·x + b
    pred: str              # ŷ, or p for logistic
    loss_name: str         # MSE, BCE
    heads: tuple[str, ...]  # the numbers table's columns
    shares: bool           # the table shows each sample's share of the gradient (P = 2)

    @property
    def residual(self) -> str:
        return f"{self.pred} − y"


def words_of(model: Model) -> ModelWords:
    names, pred = model.param_names, model.pred_name
    heads = ("x", "y", pred, f"{pred} − y")
    # A recorded module's loss is its own: no closed form says each sample's share of it.
    shares = len(names) == 2 and model.kind != "module"
    if shares:  # the article's table: each sample's share of each partial derivative
        heads += tuple(f"∂L/∂{n}\nshare" for n in names)
    return ModelWords(formula(model), pred, model.loss_name, heads, shares)
