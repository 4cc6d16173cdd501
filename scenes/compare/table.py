"""The numbers of each run of a comparison: ``runs.csv`` and the summary chart read them.

Everything here is float64 numpy, computed from the trace's points and parameters (not from
the losses torch recorded in float32): the final full-data loss, the least-squares line of
the same points, and how many steps a run took to come within 1% of that loss.

Any model: the final parameters are a column each (``final_a``, ``final_b`` for the line,
``final_c0`` ... for poly, by the model's parameter names); the reference loss is the
least-squares fit where the model is linear in its parameters (line, poly), and empty for
logistic and the MLP (no closed-form minimum), as are their steps to within 1 %.
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

__all__ = ["WITHIN", "RunRow", "least_squares", "reference_loss", "steps_to_within", "run_row", "CSV_COLUMNS",
           "csv_columns", "write_runs_csv"]

WITHIN = 0.01  # "converged": the full-data loss within 1% of the least-squares loss


@dataclass(frozen=True)
class RunRow:
    label: str
    settings: dict            # the COMPARE_KEYS settings of the run, as labels write them
    values: dict              # the varied settings, typed
    final_a: float            # the first two final parameters (the line's a, b)
    final_b: float
    final_loss: float         # full-data loss at the final parameters
    least_squares_loss: float | None  # None: the model has no closed-form minimum (logistic, MLP)
    diverged_at: int | None   # the step that diverged (not recorded), or None
    steps_to_within: int | None  # steps until the loss is within WITHIN of least squares, or None
    param_names: tuple[str, ...] = ("a", "b")
    final_params: tuple[float, ...] = ()  # every final parameter (empty: final_a, final_b)
    loss_name: str = "MSE"

    @property
    def finals(self) -> tuple[float, ...]:
        return self.final_params or (self.final_a, self.final_b)

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


def reference_loss(trace: Trace) -> float | None:
    """The least full-data loss the model can reach, where it has a closed form: least squares
    for a model linear in its parameters (the line; poly, on the powers of x); else None."""
    model = trace.model
    if model.kind == "line":
        return least_squares(trace.x, trace.y)[2]
    if model.kind == "poly":
        from training.models.poly import features
        coef, *_ = np.linalg.lstsq(features(trace.x, model.degree), np.asarray(trace.y, np.float64), rcond=None)
        return float(model.loss(coef, trace.x, trace.y))
    return None


def steps_to_within(trace: Trace, target: float, within: float = WITHIN) -> int | None:
    """The fewest steps after which the full-data loss is at most ``target·(1 + within)``
    (0: the starting line already is); None if no step of the run gets there. A tiny floor
    (1e-12 of the mean square of y) stands in when the points lie exactly on a line."""
    floor = 1e-12 * float(np.mean(np.asarray(trace.y) ** 2))
    limit = max(target * (1 + within), target + floor)
    if trace.schema_version == 1:
        a = np.concatenate([trace.steps["a"][:1], trace.a_after]) if trace.n_steps else np.array([trace.final_a])
        b = np.concatenate([trace.steps["b"][:1], trace.b_after]) if trace.n_steps else np.array([trace.final_b])
        losses = mse_at(a, b, trace.x, trace.y)
    else:
        with np.errstate(all="ignore"):
            losses = trace.loss_at(np.vstack([trace.params, trace.final_params[None, :]]))
    hit = np.flatnonzero(losses <= limit)
    return int(hit[0]) if len(hit) else None


def run_row(label: str, values: dict, trace: Trace) -> RunRow:
    s = trace.settings
    settings = {k: format_value(k, getattr(s, k) if k != "momentum" else s.effective_momentum) for k in COMPARE_KEYS}
    if not s.has_momentum:
        settings["momentum"] = ""
    best = reference_loss(trace)
    diverged_at = trace.status.step if trace.status.diverged else None
    steps = None if best is None else steps_to_within(trace, best)
    if trace.schema_version == 1:
        return RunRow(label=label, settings=settings, values=dict(values), final_a=float(trace.final_a),
                      final_b=float(trace.final_b), final_loss=trace.final_full_loss, least_squares_loss=best,
                      diverged_at=diverged_at, steps_to_within=steps)
    finals = tuple(float(v) for v in trace.final_params)
    return RunRow(label=label, settings=settings, values=dict(values), final_a=finals[0], final_b=finals[1],
                  final_loss=trace.final_full_loss, least_squares_loss=best, diverged_at=diverged_at,
                  steps_to_within=steps, param_names=tuple(trace.param_names), final_params=finals,
                  loss_name=trace.model.loss_name)


def csv_columns(param_names: Sequence[str] = ("a", "b")) -> tuple[str, ...]:
    """runs.csv's header for a model of these parameters (one ``final_NAME`` column each)."""
    return ("label", *COMPARE_KEYS, *(f"final_{n}" for n in param_names), "final_loss", "least_squares_loss",
            "diverged_at_step", "steps_to_within_1pct")


CSV_COLUMNS = csv_columns()  # the line's


def _csv_text(rows: Sequence[RunRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(csv_columns(rows[0].param_names if rows else ("a", "b")))
    for r in rows:
        blank = lambda v: "" if v is None else v  # noqa: E731 - empty cell: never diverged / never reached
        w.writerow([r.label, *(r.settings[k] for k in COMPARE_KEYS), *(repr(v) for v in r.finals),
                    repr(r.final_loss), "" if r.least_squares_loss is None else repr(r.least_squares_loss),
                    blank(r.diverged_at), blank(r.steps_to_within)])
    return buf.getvalue()


def write_runs_csv(rows: Sequence[RunRow], path: Path) -> Path:
    """One row per run: settings, final a and b, final full-data loss, the least-squares loss,
    the step that diverged (empty if none) and the steps to within 1% (empty if never)."""
    with atomic_path(path) as tmp:
        tmp.write_text(_csv_text(rows), encoding="utf-8")
    return Path(path)
