"""A user's training loop as the article writes it, recorded with ``training.recording``: the
tests that need a recorded module trace (not the recording's own tests, which vary the loop)."""
from __future__ import annotations

from training import recording

__all__ = ["record_loop"]


def record_loop(model, opt, loss_fn, X, Y, *, epochs: int, batch: int, given: bool = True):
    """``epochs`` passes over X, Y in order, ``batch`` rows at a time: forward, loss, zero_grad,
    backward, step; x, y and the loss handed to ``recording`` when ``given``. The trace."""
    with recording(model, opt, **(dict(x=X, y=Y, loss_fn=loss_fn) if given else {})) as rec:
        for _ in range(epochs):
            for s in range(0, len(X), batch):
                loss = loss_fn(model(X[s:s + batch]), Y[s:s + batch])
                opt.zero_grad()
                loss.backward()
                opt.step()
    return rec.trace
