"""The words and numbers a drawn autograd graph shows: node values, gradients, the local rule
beside a node, and what each phase of the loop does, in the article's words.

Every backend takes these strings as they are (the page receives them in its document), so
a number reads the same in an MP4, a Manim video, a slide and the player. Pure Python.
"""
from __future__ import annotations

import math
from typing import Any

__all__ = ["graph_number", "graph_value", "graph_value_short", "graph_shape", "RULES", "node_rule", "PHASES", "phase_text", "op_text"]

LIST_ITEMS = 3  # a per-sample list shows this many values, then how many there are


def graph_number(v: Any) -> str:
    """A number as a graph node shows it: 3 decimals below 1 (0.636, 1.020, 2.100), fewer as
    the integer part grows (12.35, 123.5, 1235), scientific when tiny or huge, a true minus
    sign; "None" for a missing value, a dash when not finite."""
    if v is None:
        return "None"
    v = float(v)
    if not math.isfinite(v):
        return "—"
    av = abs(v)
    if av != 0 and (av >= 1e5 or av < 1e-3):
        mant, exp = f"{v:.2e}".split("e")
        return f"{mant}e{int(exp)}".replace("-", "−")
    digits = 3 if av < 10 else max(0, 3 - int(math.floor(math.log10(av))))
    return f"{v:.{digits}f}".replace("-", "−")


def graph_value(v: Any, items: int = LIST_ITEMS) -> str:
    """A node's value or gradient as text: a number, a short list ("1.020, 1.080"; a longer
    one "1.020, 1.080, 0.960 … (6)"), or a summary of a large tensor ("32×1: −0.51 … 2.3")."""
    if isinstance(v, dict):  # the contract's summary of a tensor of more than 16 numbers
        shape = "×".join(str(int(d)) for d in v.get("shape", []))
        return f"{shape}: {graph_number(v.get('min'))} … {graph_number(v.get('max'))}"
    if isinstance(v, (list, tuple)):
        v = _flat(v)
        if len(v) == 1:
            return graph_number(v[0])
        head = ", ".join(graph_number(u) for u in v[:items])
        return head if len(v) <= items else f"{head} … ({len(v)})"
    return graph_number(v)


def graph_value_short(v: Any) -> str:
    """A compact form of :func:`graph_value` for a box with little room: a list of more than
    two numbers as its length and range ("8: −0.826 … 0.536", as a large tensor's summary
    reads "8×8: −2.659 … 2.321"); anything else as :func:`graph_value` has it."""
    if isinstance(v, (list, tuple)):
        flat = _flat(v)
        nums = [float(u) for u in flat if u is not None and math.isfinite(float(u))]
        if len(flat) > 2 and nums:
            return f"{len(flat)}: {graph_number(min(nums))} … {graph_number(max(nums))}"
    return graph_value(v)


def graph_shape(text: str) -> str | None:
    """A summary's shape alone, for an edge with little room: "8×8: −0.049 … 0.040" as "8×8",
    "8: −0.826 … 0.536" as "(8)" (the range stands in the node the gradient flowed to). None
    for a number or a short list, which have no summary to cut."""
    if ": " not in text:
        return None
    shape = text.split(": ")[0]
    return shape if "×" in shape else f"({shape})"


def _flat(v) -> list:
    """A nested list ([[1.2], [1.4]], a [n, 1] tensor as written) as one list of numbers."""
    out, stack = [], [iter(v)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, (list, tuple)):
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out


# The local rule of each gradient the line model's backward pass computes, as plain text
# (matplotlib, the page, the deck) and as MathTypst (Manim): the rule stands beside the node
# whose gradient it gives.
RULES = {
    "pred": ("∂L/∂ŷ = 2(ŷ − y)/n", "(partial L)/(partial hat(y)) = (2(hat(y) - y))/n"),
    "a": ("∂L/∂a = Σ x·∂L/∂ŷ", "(partial L)/(partial a) = sum x dot (partial L)/(partial hat(y))"),
    "b": ("∂L/∂b = Σ ∂L/∂ŷ", "(partial L)/(partial b) = sum (partial L)/(partial hat(y))"),
    "weight": ("∂L/∂W = Σ xᵀ·∂L/∂out", "(partial L)/(partial W) = sum x^T dot (partial L)/(partial \"out\")"),
    "bias": ("∂L/∂bias = Σ ∂L/∂out", "(partial L)/(partial \"bias\") = sum (partial L)/(partial \"out\")"),
}


def node_rule(node: dict, consumers: list[dict]) -> str | None:
    """Which of :data:`RULES` stands beside ``node`` (None: none), from its op and what
    consumes it: the input of the MSE loss gets ∂L/∂ŷ; a parameter's AccumulateGrad the sum
    that gives its ``.grad`` (the line model's a and b by name, any other weight or bias by
    the op that uses it)."""
    if any(c["op"] == "MseLossBackward0" for c in consumers) and node["op"] not in ("input", "target"):
        return "pred"
    if node["op"] == "AccumulateGrad":
        param = str(node.get("param", ""))
        if param in ("a", "b"):
            return param
        return "bias" if any(c["op"] == "AddmmBackward0" for c in consumers) else "weight"
    return None


def op_text(node: dict) -> str:
    """The small line above a node's label: PyTorch's class name, or what a leaf is."""
    return {"input": "input (no grad)", "target": "target (no grad)"}.get(node["op"], node["op"])


# The loop's phases in the order the recorder runs them (training/record_model.py: forward, loss,
# zero_grad, backward, step), each with its code line from the article and what it does.
PHASES = ("forward", "loss", "zero_grad", "backward", "step")
_CODE = {"forward": "Y_pred = model(X_batch)", "loss": "loss = criterion(Y_pred, Y_batch)",
         "zero_grad": "optimizer.zero_grad()", "backward": "loss.backward()", "step": "optimizer.step()"}


def phase_text(phase: str, *, loss: str = "", zero_grad: bool = True, params: str = "a and b",
               lr: str = "") -> str:
    """One sentence: the phase's line of code and what it does (the article's words)."""
    code = _CODE.get(phase, "")
    if phase == "forward":
        return f"{code}: the forward pass lights the graph from the leaves to ŷ"
    if phase == "loss":
        return f"{code}: the MSE of the batch, L = {loss}" if loss else f"{code}: the MSE of the batch"
    if phase == "zero_grad":
        if not zero_grad:
            return (f"{code} is skipped: .grad keeps the last batch's gradient, "
                    "and PyTorch accumulates gradients across batches")
        return f"{code}: .grad of {params} is cleared, so the last batch's gradient does not add up"
    if phase == "backward":
        return (f"{code}: PyTorch walks the graph from L back to {params}, "
                "each node passing ∂L to its inputs, and fills .grad")
    if phase == "step":
        rate = f" (lr = {lr})" if lr else ""
        return f"{code}: the optimizer moves {params} against .grad{rate}, in the direction that reduces the loss"
    if phase == "recorded":
        return "the graph PyTorch built for this batch, with the values and gradients that flowed through it"
    if phase == "intro":
        return "PyTorch's autograd graph of one batch: leaves on the left, the loss L on the right"
    raise ValueError(f"unknown phase {phase!r}")
