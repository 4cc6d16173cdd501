"""The numbers of each run of a comparison: ``runs.csv`` and the summary chart read them.

Everything here is float64 numpy, computed from the trace's points and parameters (not from
the losses torch recorded in float32): the final full-data loss, the least-squares line of
the same points, and how many steps a run took to come within 1% of that loss.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from scenes.compare.spec import COMPARE_KEYS, format_value
from training.atomic import atomic_path
from training.trace import Trace, mse_at

__all__ = ["WITHIN", "RunRow", "least_squares", "steps_to_within", "run_row", "CSV_COLUMNS", "write_runs_csv"]

WITHIN = 0.01  # "converged": the full-data loss within 1% of the least-squares loss


@dataclass(frozen=True)
class RunRow:
    label: str
    settings: dict            # the COMPARE_KEYS settings of the run, as labels write them
    values: dict              # the varied settings, typed
    final_a: float
    final_b: float
    final_loss: float         # full-data MSE at (final_a, final_b)
    least_squares_loss: float
    diverged_at: int | None   # the step that diverged (not recorded), or None
    steps_to_within: int | None  # steps until the loss is within WITHIN of least squares, or None

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None


def least_squares(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(a, b, loss) of the least-squares line y = a·x + b, closed form in float64."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    xm, ym = x.mean(), y.mean()
    dx = x - xm
    a = float(np.dot(dx, y - ym) / np.dot(dx, dx))
    b = float(ym - a * xm)
    return a, b, float(np.mean((a * x + b - y) ** 2))


def steps_to_within(trace: Trace, target: float, within: float = WITHIN) -> int | None:
    """The fewest steps after which the full-data loss is at most ``target·(1 + within)``
    (0: the starting line already is); None if no step of the run gets there. A tiny floor
    (1e-12 of the mean square of y) stands in when the points lie exactly on a line."""
    floor = 1e-12 * float(np.mean(np.asarray(trace.y) ** 2))
    limit = max(target * (1 + within), target + floor)
    a = np.concatenate([trace.steps["a"][:1], trace.a_after]) if trace.n_steps else np.array([trace.final_a])
    b = np.concatenate([trace.steps["b"][:1], trace.b_after]) if trace.n_steps else np.array([trace.final_b])
    losses = mse_at(a, b, trace.x, trace.y)
    hit = np.flatnonzero(losses <= limit)
    return int(hit[0]) if len(hit) else None


def run_row(label: str, values: dict, trace: Trace) -> RunRow:
    s = trace.settings
    settings = {k: format_value(k, getattr(s, k) if k != "momentum" else s.effective_momentum) for k in COMPARE_KEYS}
    if not s.has_momentum:
        settings["momentum"] = ""
    _, _, best = least_squares(trace.x, trace.y)
    return RunRow(label=label, settings=settings, values=dict(values), final_a=float(trace.final_a),
                  final_b=float(trace.final_b), final_loss=trace.final_full_loss, least_squares_loss=best,
                  diverged_at=trace.status.step if trace.status.diverged else None,
                  steps_to_within=steps_to_within(trace, best))


CSV_COLUMNS = ("label", *COMPARE_KEYS, "final_a", "final_b", "final_loss", "least_squares_loss",
               "diverged_at_step", "steps_to_within_1pct")


def _csv_text(rows: Sequence[RunRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in rows:
        blank = lambda v: "" if v is None else v  # noqa: E731 - empty cell: never diverged / never reached
        w.writerow([r.label, *(r.settings[k] for k in COMPARE_KEYS), repr(r.final_a), repr(r.final_b),
                    repr(r.final_loss), repr(r.least_squares_loss), blank(r.diverged_at), blank(r.steps_to_within)])
    return buf.getvalue()


def write_runs_csv(rows: Sequence[RunRow], path: Path) -> Path:
    """One row per run: settings, final a and b, final full-data loss, the least-squares loss,
    the step that diverged (empty if none) and the steps to within 1% (empty if never)."""
    with atomic_path(path) as tmp:
        tmp.write_text(_csv_text(rows), encoding="utf-8")
    return Path(path)
