"""What a trace holds, version 1: its columns, its status, and the caps on its size.

The reader (:mod:`training.tracejson`, :mod:`training.tracebin`), the validation
(:mod:`training.tracevalidate`), the writer (:mod:`training.tracedump`) and the
:class:`~training.trace.Trace` itself all take the layout from here, so a column is named
in one place. No torch, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass

from training.config import MAX_SAMPLES, MAX_STEPS
from training.data import MAX_POINTS

__all__ = ["SCHEMA_VERSION", "STEP_INT_COLUMNS", "STEP_FLOAT_COLUMNS", "STEP_OPTIONAL_COLUMNS",
           "STEP_RAGGED_COLUMNS", "STEP_COLUMNS", "MAX_TRACE_BYTES", "MAX_NESTING", "TraceStatus"]

SCHEMA_VERSION = 1

# Per-step scalar columns, all the same length (one entry per optimizer step).
STEP_INT_COLUMNS = ("epoch", "batch")
STEP_FLOAT_COLUMNS = ("a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b")
# Optional per-step columns: optimizer state after the step, present when the optimizer has it
# (SGD momentum buffer, Adam's first moment).
STEP_OPTIONAL_COLUMNS = ("velocity_a", "velocity_b")
# Per-step, per-sample columns: one row per step, as long as that step's batch. Held as a
# Ragged (flat values + offsets); read like a list of lists.
STEP_RAGGED_COLUMNS = ("indices", "pred", "residual")
# Every column a trace may hold, in the order the JSON and the binary files write them.
STEP_COLUMNS = (*STEP_INT_COLUMNS, *STEP_FLOAT_COLUMNS, *STEP_OPTIONAL_COLUMNS, *STEP_RAGGED_COLUMNS)

# The largest trace.json the recorder can write: at most MAX_STEPS steps of 14 numbers and
# MAX_SAMPLES samples of 3, each number at most 26 characters with its separator. A larger
# file cannot be a trace; the limit bounds how long reading one takes (memory is bounded by the
# steps and samples a trace may hold, whatever the file's size).
MAX_TRACE_BYTES = 26 * (14 * MAX_STEPS + 3 * MAX_SAMPLES) + 64 * MAX_STEPS + 26 * 2 * MAX_POINTS + 64_000_000
MAX_NESTING = 32  # lists/objects inside "config" and "versions"


@dataclass(frozen=True)
class TraceStatus:
    """``completed``, or ``diverged`` at step ``step`` (that step was not recorded)."""

    state: str = "completed"
    step: int | None = None
    reason: str = ""

    @property
    def diverged(self) -> bool:
        return self.state == "diverged"

    def to_dict(self) -> dict:
        if not self.diverged:
            return {"state": "completed"}
        return {"state": "diverged", "step": self.step, "reason": self.reason}
