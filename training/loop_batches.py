"""The rows of each step's batch, kept by a recording (:mod:`training.loop_recorder`): the
inputs, predictions and targets, end to end, with each step's offset, up to MAX_SAMPLES rows
(and MAX_ROW_BYTES); matched to ``x``, ``y`` once, at the end (:mod:`training.loop_trace`)."""
from __future__ import annotations

from training.config import MAX_SAMPLES
from training.loop_columns import Grow
from training.loop_tensors import as_numpy

__all__ = ["keep_batch", "MAX_ROW_BYTES"]

MAX_ROW_BYTES = 1 << 30  # the batches' input and target rows kept for the row lookup, at most


def keep_batch(rec, inputs, preds, targets) -> str:
    """Append a step's batch (its inputs, predictions and targets) to the recording's row
    columns: "" when kept, else why recording stops (the rows changed shape, the cap)."""
    if rec.c_inputs is not None and targets is not None and rec.c_targets is not None:
        try:  # the common case, in as few Python operations as it takes (see _keep_fast)
            return _keep_fast(rec, inputs.numpy(), preds.numpy(), targets.numpy())
        except (TypeError, RuntimeError):  # not on the CPU, or needs a copy: the general path
            pass
    inputs, preds = as_numpy(inputs), as_numpy(preds)  # numpy's shapes are cheaper to ask than torch's
    targets = as_numpy(targets) if targets is not None else None
    m = len(inputs)
    if m == 0:  # (a trace's step holds at least one row)
        return "a batch held no rows"
    if rec.c_inputs is None:  # rows of the batches, at most MAX_SAMPLES (and MAX_ROW_BYTES)
        width = inputs.shape[1] + preds.shape[1] + (targets.shape[1] if targets is not None else 0)
        rows = min(MAX_SAMPLES, MAX_ROW_BYTES // (8 * width)) + 1
        rec.c_inputs = Grow(inputs.shape[1], inputs.dtype, capacity=rows)
        rec.c_preds = Grow(preds.shape[1], capacity=rows)
        if targets is not None:
            rec.c_targets = Grow(targets.shape[1], targets.dtype, capacity=rows)
        else:
            rec.targets_from_loss = False
    if inputs.shape[1] != rec.c_inputs.width or preds.shape[1] != rec.c_preds.width or len(preds) != m:
        return "the batches changed shape (each row must keep its number of inputs and outputs)"
    if rec._at + m >= len(rec.c_preds._a):
        return f"the recording reached its cap of {MAX_SAMPLES:,} samples or {MAX_ROW_BYTES >> 20:,} MB of batch rows"
    if rec.c_targets is not None and (targets is None or targets.shape[1] != rec.c_targets.width):
        return "the loss stopped showing its targets"
    rec.c_inputs.extend(inputs)
    rec.c_preds.extend(preds)
    if rec.c_targets is not None:
        rec.c_targets.extend(targets)
    rec._at += m
    rec.c_offsets.append(rec._at)
    return ""


def _keep_fast(rec, inputs, preds, targets) -> str:
    """keep_batch once the columns exist and the loss shows its targets: the same checks and
    the same values, written straight into the columns' arrays (their capacity is the cap,
    checked here, so they never grow); a few µs a step less, which a small model feels."""
    ci, cp, ct = rec.c_inputs, rec.c_preds, rec.c_targets
    m, at = len(inputs), rec._at
    if m == 0:
        return "a batch held no rows"
    if inputs.shape[1:] != (ci.width,) or preds.shape[1:] != (cp.width,) or len(preds) != m:
        return "the batches changed shape (each row must keep its number of inputs and outputs)"
    stop = at + m
    if stop >= len(cp._a):
        return f"the recording reached its cap of {MAX_SAMPLES:,} samples or {MAX_ROW_BYTES >> 20:,} MB of batch rows"
    if targets.shape[1:] != (ct.width,):
        return "the loss stopped showing its targets"
    ci._a[at:stop] = inputs
    cp._a[at:stop] = preds
    ct._a[at:stop] = targets
    ci.n = cp.n = ct.n = rec._at = stop
    rec.c_offsets.append(stop)
    return ""
