"""Where a recorded loop of the user's own diverged (:mod:`training.loop_recorder`).

``training.record()`` stops its run at the first step that makes a number infinite or NaN
(status ``diverged``; that step is not recorded). A user's loop runs on whatever happens, so
a recording can hold NaN losses, gradients or parameters, which no trace holds (its JSON has
no NaN, and no number beyond float32's +-3.4e38) and no view can draw. The trace of such a loop is cut the same way when it is built:
the steps before the first non-finite number, status ``diverged`` at that step. A diverging
run is no error; it renders like any diverged run.
"""
from __future__ import annotations

import numpy as np

from training.numbers import FLOAT32_MAX

__all__ = ["first_diverged"]

REASON = "a loss, gradient or parameter became infinite or NaN, or left float32's range"


def first_diverged(rec, n: int, full: np.ndarray | None = None) -> int:
    """The first of the ``n`` recorded steps of ``rec`` that saw or made a number that is not
    finite or beyond float32's range (its loss, learning rate, gradient, optimizer state, predictions, the parameters
    before or after it, or ``full``, the full-data losses), else ``n``."""
    first = n
    scalars = [rec.c_loss.result()[:n], rec.c_lr.result()[:n]]
    if full is not None:
        scalars.append(full[:n])
    elif not rec.deferred:  # (deferred: NaN placeholders until the trace is built)
        scalars.append(rec.c_full.result()[:n])
    for col in scalars:
        first = min(first, _first_false(_held(col)))
    rows = [rec.c_grads.result()[:n], rec.c_params.result()[:n]]
    if rec.c_velocity is not None:
        rows.append(rec.c_velocity.result()[:n])
    # The parameters after each step: the next step's before, and after the last one those
    # taken when recording ended (training.loop_trace.params_and_updates reads them so).
    last = rec._after if rec.c_params.n == n else rec.c_params.result()[n]
    rows.append(np.vstack([rec.c_params.result()[1:n], last[None, :]]))
    for col in rows:
        first = min(first, _first_false(_held(col[:first]).all(axis=1)))
    if rec.c_preds is not None and first:
        offsets = rec.c_offsets.result()[:first + 1]
        ok = _held(rec.c_preds.result()[:int(offsets[-1])]).all(axis=1)
        if not ok.all():
            first = min(first, int(np.searchsorted(offsets, int(np.argmin(ok)), side="right")) - 1)
    return first


def _held(values: np.ndarray) -> np.ndarray:
    """Which values a trace holds: finite, within +-FLOAT32_MAX (NaN compares false)."""
    return np.abs(values) <= FLOAT32_MAX


def _first_false(ok: np.ndarray) -> int:
    return len(ok) if ok.all() else int(np.argmin(ok))
