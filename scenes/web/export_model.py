"""What the player needs to draw a model other than the line, from the story: its words, its
curve across the fit view, its plane and, for P > 2, the numbers that replace the pair.

The line's document has none of this (it stays byte for byte what it was): a story of any
other model gets a ``model`` entry. The player evaluates no model: the curve comes as
samples of ``Model.predict`` across the fit view at the path's points (before each step,
then the final parameters), quantised like the contours; between two of them (the update
beat) the player blends the two curves, which is exact for a polynomial (linear in its
parameters) and close for the others over one step. A long run gets samples only at the
steps its plan draws (and their neighbours); the player then shows the nearest earlier one.
"""
from __future__ import annotations

import math

import numpy as np

from scenes.story.captions import OPTIMIZER_NAMES
from scenes.story.plan import HOLD, INTRO, FramePlan
from scenes.story.story import Story
from scenes.web.columns import encode

__all__ = ["CURVE_SAMPLES", "CURVE_QUANT", "CURVE_ROWS", "TOP_UPDATES", "export_model", "curve_rows", "next_text",
           "header_labels"]

CURVE_SAMPLES = 121  # x values across the fit view (5 pixels apart on a wide page)
CURVE_ROWS = 2500    # a run of more path points exports the curves of the steps its plan draws
TOP_UPDATES = 3      # the largest parameter updates the numbers list (as matplotlib's line)
CURVE_QUANT = 65534  # curve values as uint16 steps over the range; 65535: not a number
_REACH = 2.0         # the range: the fit view's, widened this many view heights each way


def next_text(story: Story) -> str:
    """The numbers' line of the gradient beat for two parameters (the line's, by its names)."""
    lr, name = f"{story.lr:g}", OPTIMIZER_NAMES[story.optimizer]
    if story.plain_sgd:
        n0, n1 = story.param_names if len(story.param_names) == 2 else ("a", "b")
        return f"next:  {n0} − lr·∂L/∂{n0},   {n1} − lr·∂L/∂{n1}   (lr = {lr})"
    return f"next: {name} turns the gradient into a step (lr = {lr})"


def header_labels(names: tuple[str, ...]) -> list[str]:
    """The header's value labels (scenes.mpl.views.Header.labels_of, the same words)."""
    if len(names) == 2:
        n0, n1 = names
        return ["epoch", "batch", f"{n0} =", f"{n1} =", "L =", f"∂L/∂{n0} =", f"∂L/∂{n1} ="]
    return ["epoch", "batch", "L =", "|∇L| =", "|Δθ| ="]


def curve_rows(story: Story, plan: FramePlan, cap: int = CURVE_ROWS) -> np.ndarray:
    """The path points whose curve is exported: all of them for a run of up to ``cap``
    points, else the ones the plan's frames draw (each frame's step, the step after it and the
    one before, for the ghost), the first and the final."""
    n = story.n
    if n + 1 <= cap:
        return np.arange(n + 1)
    k = np.unique(np.asarray(plan.step, dtype=np.int64))
    rows = np.unique(np.concatenate([k - 1, k, k + 1, [0, n]]))
    return rows[(rows >= 0) & (rows <= n)]


def _curves(story: Story, rows: np.ndarray) -> dict:
    g = story.geom.fit
    xs = np.linspace(g.x0, g.x1, CURVE_SAMPLES)
    path = np.vstack([story.params, story.trace.final_params[None, :]]) if story.n else story.trace.final_params[None, :]
    with np.errstate(all="ignore"):
        ys = story.model.predict(path[rows], xs)  # (rows, samples)
    span = g.y1 - g.y0
    lo, hi = g.y0 - _REACH * span, g.y1 + _REACH * span
    q = np.where(np.isfinite(ys), np.round((np.clip(ys, lo, hi) - lo) / (hi - lo) * CURVE_QUANT), 65535)
    out = {"x": [g.x0, g.x1], "samples": CURVE_SAMPLES, "range": [lo, hi], "quant": CURVE_QUANT,
           "y": encode(q.ravel(), "u16")}
    if len(rows) != (story.n + 1 if story.n else 1):
        out["rows"] = encode(rows, "i32")
    return out


def _lines(story: Story, k: int, beat: int) -> list[str]:
    """The numbers' three lines at a frame of ``beat`` (the intro's and the hold's, which
    read the full-data loss and the model's own words), as the matplotlib view writes them."""
    from scenes.mpl.views.numbers_layout import numbers_lines  # the same texts, not a copy

    return list(numbers_lines(story, story.geom, story.state(k, beat, 1.0)))


def _known(value: float) -> float | None:
    """A number for the document (JSON has no NaN): None when not finite; the player shows a dash."""
    return value if math.isfinite(value) else None


def export_model(story: Story, plan: FramePlan, curve_cap: int = CURVE_ROWS) -> dict:
    """The ``model`` entry of a story of any model but the line (see the module's docstring);
    ``curve_cap``: the longest run whose every step's curve is exported (:func:`curve_rows`)."""
    s, m, w, p = story, story.model, story.words, story.plane
    names = list(s.param_names)
    out: dict = {
        "kind": m.kind, "param_names": names, "formula": w.formula, "pred": w.pred,
        "loss_name": w.loss_name, "heads": list(w.heads), "shares": w.shares,
        "header": header_labels(s.param_names),
        "plane": {"exact": p.exact, "names": list(p.names), "labels": list(p.labels), "title": p.title,
                  "contour_label": p.contour_label,
                  "off_plane": p.land.off_plane if p.land is not None else None,
                  "faithfulness": p.land.label if p.land is not None else None},
        "curve": _curves(s, curve_rows(s, plan, curve_cap)),
        "hold_loss": _known(s.full_loss_of(s.trace.final_params)),  # (NaN: no loss known, e.g. class targets)
        "lines": {"intro": _lines(s, 0, INTRO), "hold": _lines(s, max(s.n - 1, 0), HOLD)},
    }
    if not s.n:
        out["lines"]["empty"] = _lines(s, 0, INTRO)
        return out
    if len(names) != 2:  # P > 2: norms and the largest updates instead of the pair (a module of
        # two has no shares, its own loss, yet the pair: the header names it, as matplotlib)
        order = np.argsort(-np.abs(s.updates), axis=1, kind="stable")[:, :TOP_UPDATES]
        path = np.vstack([s.params, s.trace.final_params[None, :]])
        out["vector"] = {
            "grad_norm": encode(s.grad_norm, "exact"), "update_norm": encode(s.update_norm, "exact"),
            "theta_norm": encode(np.linalg.norm(path, axis=1), "exact"),
            "top_index": encode(order.ravel(), "u16"),
            "top_value": encode(np.take_along_axis(s.updates, order, axis=1).ravel(), "exact"),
            "top_count": int(order.shape[1]),
            "rule": ("next:  θ − lr·∇L" if s.plain_sgd else f"next: {OPTIMIZER_NAMES[s.optimizer]} turns it into a step")
                    + f"   (lr = {s.lr:g})",
        }
    if p.land is not None:  # the plane's loss under the path, the loss view's third curve
        out["surface"] = encode(p.land.surface_loss[:-1], "exact")
    return out

