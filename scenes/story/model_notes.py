"""Speaker notes of a run of any model but the line (a schema-2 trace: poly, logistic, the
MLP): the same slides as the line's notes (:mod:`scenes.story.notes`, which hands such a run
here), in the model's words. The batch table has x, y, the prediction (ŷ; logistic: the
probability p) and its residual; the gradient and the update are given in full for up to
:data:`ALL_PARAMS` parameters, else as their size and largest components. The title slide
says the model and its start, the final slide the final parameters and, where the model has
one in closed form (poly: least squares on the powers of x), the reference it heads for.
No drawing; the numbers are the recorded run's.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from scenes.story.loss_words import full_loss_words, path_loss_words
from scenes.story.captions import OPTIMIZER_NAMES
from scenes.story.numbers import NOTE_ROWS, note_table
from scenes.story.numbers import fmt_note as num
from scenes.story.protocol import StoryLike

__all__ = ["settings_lines", "training_lines", "data_words", "summary_lines", "batch_lines", "fast_lines", "params_lines", "start_words",
           "ALL_PARAMS", "NOTE_ROWS"]

ALL_PARAMS = 4   # more parameters than this: their norm and the largest few, not each
LOSS_RULE = {"MSE": "mean((ŷ − y)²)", "BCE": "mean(−y·log p − (1 − y)·log(1 − p))"}


def _words(story: StoryLike):
    from scenes.story.model_words import words_of
    return words_of(story.trace.model)


def params_lines(names, values, indent: str = "    ", norm: str = "|θ|") -> list[str]:
    """Parameters two to a line (``c0 = 0.1, c1 = −0.2``), or for many, their size (``norm``
    names it) and the largest three."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) <= ALL_PARAMS:
        pairs = [f"{n} = {num(v)}" for n, v in zip(names, values)]
        return [indent + ", ".join(pairs[i:i + 2]) for i in range(0, len(pairs), 2)]
    top = np.argsort(-np.abs(values), kind="stable")[:3]
    return [f"{indent}{norm} = {num(np.linalg.norm(values))} over {len(values)} parameters",
            f"{indent}largest: " + ", ".join(f"{names[i]} = {num(values[i])}" for i in top)]


def start_words(story: StoryLike) -> str:
    """Where the run started: the documented start of its family, or the config's ``init``."""
    model, s = story.trace.model, story.settings
    if model.kind == "module":  # recorded from the user's own loop: its start was theirs
        return "where your loop's model started"
    if model.start() is None:
        return f"PyTorch's default initialisation (seed {s.seed})"
    init = getattr(s, "init", None)
    if init:
        return ", ".join(f"{n} = {num(v)}" for n, v in zip(story.param_names, init))
    return "every parameter 0"


def data_words(story: StoryLike) -> str:
    """Where the run's points came from, as the title slide says it."""
    s, tr = story.settings, story.trace
    if tr.model.kind == "module":  # a user's own loop: its data as the recorder took them
        recorded = tr.config.get("recorded") if isinstance(tr.config.get("recorded"), dict) else {}
        return f"{len(tr.x)} rows, {recorded.get('data', 'as recorded')}"
    return {"article": "the article's six points", "csv": f"{Path(s.data.path or '').name}, {len(tr.x)} points",
            "synthetic": f"synthetic, {len(tr.x)} points"}.get(s.data.kind, s.data.kind)


def training_lines(story: StoryLike) -> list[str]:
    """The optimizer and its settings, one per line (every model's title slide)."""
    s = story.settings
    lines = [f"optimizer: {OPTIMIZER_NAMES[s.optimizer]}", f"learning rate: {s.lr:g}",
             f"batch size: {s.batch_size}", f"epochs: {s.epochs} ({story.n} steps)"]
    if s.has_momentum and s.effective_momentum:
        lines.append(f"momentum: {s.effective_momentum:g}" + (" (Nesterov)" if s.nesterov else ""))
    if s.optimizer == "adam":
        lines.append(f"betas: {s.beta1:g}, {s.beta2:g}")
    if s.weight_decay:
        lines.append(f"weight decay: {s.weight_decay:g}")
    return lines


def settings_lines(story: StoryLike) -> list[str]:
    """The run's settings, one per line (the title slide)."""
    shuffled = ", shuffled" if story.settings.shuffle else ""
    return [f"model: {_words(story).formula} ({len(story.param_names)} parameters)", *training_lines(story),
            f"data: {data_words(story)}{shuffled}", f"start: {start_words(story)}"]


def _reference(story: StoryLike) -> tuple[np.ndarray, float] | None:
    """The least-squares parameters and loss of a model linear in its parameters (poly)."""
    tr = story.trace
    model = tr.model
    if model.kind != "poly":
        return None
    from training.models.poly import features
    coef, *_ = np.linalg.lstsq(features(tr.x, model.degree), np.asarray(tr.y, np.float64), rcond=None)
    return coef, float(model.loss(coef, tr.x, tr.y))


def summary_lines(story: StoryLike) -> list[str]:
    """The final parameters and loss, the start's loss and the reference (the final slide)."""
    tr = story.trace
    lines = [f"diverged at step {tr.status.step}: {tr.status.reason}"] if tr.status.diverged else []
    lines += [f"after {story.n} steps:", *params_lines(story.param_names, tr.final_params),
              f"    full-data loss {num(tr.final_full_loss)}",
              "at the start:", f"    {path_loss_words(story.trace)} {num(story.start_full_loss)}"]
    ref = _reference(story)
    if ref is not None:
        lines += ["least squares:", *params_lines(story.param_names, ref[0]), f"    full-data loss {num(ref[1])}"]
    return lines


def _table(story: StoryLike, k: int) -> list[str]:
    x, y, pred, res = story.batch(k)
    w = _words(story)
    rows = [[num(v) for v in row] for row in zip(x, y, pred, res)]
    return note_table(("x", "y", w.pred, w.residual), rows)


def batch_lines(story: StoryLike, k: int) -> list[str]:
    """Step k's batch: where it is in the run, the table, L, the gradient, the update."""
    names, tr = story.param_names, story.trace
    grads, upd = tr.grads[k], story.updates[k]
    w = _words(story)
    rule = (f"update = −lr·∇L with lr = {story.lr:g}" if story.plain_sgd
            else f"update applied by {OPTIMIZER_NAMES[story.optimizer]} (lr = {story.lr:g})")
    n = len(story.batch(k)[0])
    return [f"Step {k + 1}: batch {int(story.batch_idx[k]) + 1} of epoch {int(story.epoch[k]) + 1}, {n} samples; "
            f"{full_loss_words(story.trace)} before the step {num(story.full_loss[k])}",
            *_table(story, k),
            f"L = {LOSS_RULE.get(w.loss_name, w.loss_name)} = {num(story.loss[k])}",
            "∇L (autograd):", *params_lines([f"∂L/∂{n_}" for n_ in names], grads, norm="|∇L|"),
            f"{rule}:", *params_lines([f"Δ{n_}" for n_ in names], upd, norm="|Δθ|"),
            f"{path_loss_words(story.trace, k == story.n - 1)} after the step {num(story.full_loss_after[k])}"]


def _loss_change(story: StoryLike, first: int, last: int) -> str:
    """"full-data loss 0.13 → 0.01"; where the two are different losses (a loop recorded
    without x, y: batch losses, then the final loss over all the data), each named."""
    before, after = path_loss_words(story.trace), path_loss_words(story.trace, last == story.n - 1)
    if before == after:
        return f"{before} {num(story.full_loss[first])} → {num(story.full_loss_after[last])}"
    return f"{before} {num(story.full_loss[first])} → {after} {num(story.full_loss_after[last])}"


def fast_lines(story: StoryLike, first: int, last: int) -> list[str]:
    """The fast-forward's note."""
    return [f"steps {first + 1} to {last + 1}, epochs {int(story.epoch[first]) + 1} to {int(story.epoch[last]) + 1}",
            _loss_change(story, first, last),
            f"after step {last + 1}:", *params_lines(story.param_names, story.params_after_step(last))]
