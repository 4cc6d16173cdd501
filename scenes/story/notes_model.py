"""Speaker notes of a model other than the line (scenes.story.notes writes the line's, the
article's): the same beats, told with the model's words (its parameter names, its loss)
and, for more than two parameters, the gradient's norm and the largest updates in place of
each parameter. Plain text from the story; nothing here draws.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from scenes.story.captions import OPTIMIZER_NAMES
from scenes.story.notes import NOTE_ROWS, num
from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE, FramePlan

__all__ = ["model_notes", "model_segment_notes"]


def _pair(story, params: np.ndarray) -> str:
    """The parameters as the notes name them: both of a pair, else their count and norm."""
    names = story.param_names
    if len(names) == 2:
        return f"{names[0]} = {num(params[0])}, {names[1]} = {num(params[1])}"
    return f"{len(names)} parameters, |θ| = {num(float(np.linalg.norm(params)))}"


def _table(story, k: int) -> list[str]:
    x, y, pred, res = story.batch(k)
    w = story.words
    cols = [w.pred if c == w.pred else c for c in ("x", "y", w.pred, w.residual)]
    values = [x, y, pred, res]
    if w.shares:
        cols += [f"∂L/∂{n} share" for n in story.param_names]
        values += list(story.shares(k))
    rows = [[num(v) for v in row] for row in zip(*values)]
    shown = rows[:NOTE_ROWS]
    widths = [max(len(c), *(len(r[i]) for r in shown)) if shown else len(c) for i, c in enumerate(cols)]
    lines = ["  ".join(f"{c:>{wd}}" for c, wd in zip(cols, widths))]
    lines += ["  ".join(f"{v:>{wd}}" for v, wd in zip(row, widths)) for row in shown]
    if len(rows) > NOTE_ROWS:
        lines.append(f"… and {len(rows) - NOTE_ROWS} more samples")
    return lines


def _batch_lines(story, k: int) -> list[str]:
    s, names = story, story.param_names
    rule = ("update = −lr·∇L" if s.plain_sgd else f"update applied by {OPTIMIZER_NAMES[s.optimizer]}") + f" (lr = {s.lr:g})"
    lines = [f"Step {k + 1}: batch {int(s.batch_idx[k]) + 1} of epoch {int(s.epoch[k]) + 1}, "
             f"{s.batch_size_at(k)} samples; before the step {_pair(s, s.params[k])}",
             *_table(s, k), f"L ({s.words.loss_name}) = {num(s.loss[k])}"]
    if len(names) == 2:
        g, u = s.grads[k], s.updates[k]
        lines += [f"∂L/∂{names[0]} = {num(g[0])}, ∂L/∂{names[1]} = {num(g[1])}",
                  f"{rule}: Δ{names[0]} = {num(u[0])}, Δ{names[1]} = {num(u[1])}"]
    else:
        top = ", ".join(f"{n} {num(v)}" for n, v in s.top_updates(k))
        lines += [f"|∇L| = {num(s.grad_norm[k])} over {len(names)} partial derivatives",
                  f"{rule}: |Δθ| = {num(s.update_norm[k])}; largest: {top}"]
    return lines + [f"after the step {_pair(s, s.params_after_step(k))}"]


def _settings(story) -> list[str]:
    s, tr = story.settings, story.trace
    data = {"csv": f"{Path(s.data.path or '').name}, {len(tr.x)} points",
            "synthetic": f"synthetic, {len(tr.x)} points"}.get(s.data.kind, f"{len(tr.x)} points")
    lines = [f"model: {story.words.formula}", f"optimizer: {OPTIMIZER_NAMES[s.optimizer]}",
             f"learning rate: {s.lr:g}", f"batch size: {s.batch_size}", f"epochs: {s.epochs} ({story.n} steps)"]
    if s.has_momentum and s.effective_momentum:
        lines.append(f"momentum: {s.effective_momentum:g}" + (" (Nesterov)" if s.nesterov else ""))
    return lines + [f"data: {data}" + (", shuffled" if s.shuffle else ""),
                    f"start: {_pair(story, story.params_before(0))}",
                    f"full-data loss at the start: {num(story.start_full_loss)}"]


def _summary(story) -> list[str]:
    tr = story.trace
    lines = [f"diverged at step {tr.status.step}: {tr.status.reason}"] if tr.status.diverged else []
    lines += [f"after {story.n} steps:", f"    {_pair(story, tr.final_params)}",
              f"    full-data loss {num(story.full_loss_of(tr.final_params))}",
              "at the start:", f"    full-data loss {num(story.start_full_loss)}"]
    land = story.plane.land
    if land is not None:
        lines += [f"the plane: {land.label}", f"    {land.off_plane}"]
    return lines


def model_notes(story, beat: int, first: int, last: int | None = None) -> list[str]:
    """The lines of the note of a segment of ``beat`` showing steps ``first`` .. ``last``."""
    if beat == INTRO:
        return _settings(story)
    if beat in (FORWARD, RESIDUALS, GRADIENT, UPDATE):
        return _batch_lines(story, first)
    if beat == FAST:
        last = first if last is None else last
        return [f"steps {first + 1} to {last + 1}, epochs {int(story.epoch[first]) + 1} to {int(story.epoch[last]) + 1}",
                f"full-data loss {num(story.full_loss[first])} → {num(story.full_loss_after[last])}",
                f"after step {last + 1}: {_pair(story, story.params_after_step(last))}"]
    if beat == HOLD:
        return _summary(story)
    raise ValueError(f"unknown beat {beat}")


def model_segment_notes(story, plan: FramePlan) -> list[list[str]]:
    """The note of every segment of the plan, in the plan's order (as the captions)."""
    return [model_notes(story, seg.beat, int(seg.steps[0]), int(seg.steps[-1])) for seg in plan.segments()]
