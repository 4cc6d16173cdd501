"""What a trace's full-data loss column is, in words every backend's labels use.

``steps.full_loss`` is the loss over all the data before each step, except in a recording of a
loop given no x, y (or no loss): there it holds each step's batch loss, and the trace says so
(:attr:`training.trace.Trace.full_loss_is_batch`). The line computes its loss over the trace's
data itself (``start_full_loss``, ``full_loss_after``); any other model reads those off the
column, so they are the batch loss too. The final loss (a module's sampled at record time,
over the same data) stays the full-data loss.
"""
from __future__ import annotations

__all__ = ["FULL", "BATCH", "full_loss_words", "path_loss_words"]

FULL = "full-data loss"
BATCH = "batch loss"


def full_loss_words(trace) -> str:
    """What ``steps.full_loss`` (the loss curve before each step) is."""
    return BATCH if trace.full_loss_is_batch else FULL


def path_loss_words(trace, after_last: bool = False) -> str:
    """What the loss at the start and after each step (``Story.start_full_loss``,
    ``Story.full_loss_after``) is: the line's are computed over its data. ``after_last``: the
    loss after the run's last step, which is the final loss over all the data (there is no
    next batch) even where the others are batch losses."""
    if after_last:
        return FULL
    return FULL if trace.schema_version == 1 else full_loss_words(trace)
