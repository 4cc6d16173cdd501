"""How many batches an epoch has: the one rule the recorder, the settings' checks, the story
and the server all use.

The article's loop takes ``len(X) // batch_size`` batches and drops a short last one; with
``drop_last`` off (``--keep-last``) the short last batch is kept, one more step an epoch.
"""
from __future__ import annotations

__all__ = ["batches_per_epoch", "batches_of_epoch"]


def batches_per_epoch(n_points: int, batch_size: int, drop_last: bool) -> int:
    """Batches in one pass over ``n_points`` samples (0 when drop_last and the data is smaller
    than a batch)."""
    return n_points // batch_size if drop_last else -(-n_points // batch_size)


def batches_of_epoch(n: int, batch_size: int, drop_last: bool, order):
    """Split one epoch's sample order into batches; a short last batch is dropped or kept."""
    stop = (n // batch_size) * batch_size if drop_last else n
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]
