"""What a trace holds: its columns, its status, and the caps on its size.

Schema 1 is the line's (a, b: a column each). Schema 2 is any model's (:mod:`training.models`):
its P parameters named once in ``param_names``, and per step the parameter vector, the
gradient and the update as 2-D columns (one row of P numbers a step).

The reader (:mod:`training.tracejson`, :mod:`training.tracebin`), the validation
(:mod:`training.tracevalidate`), the writer (:mod:`training.tracedump`) and the
:class:`~training.trace.Trace` itself all take the layout from here, so a column is named
in one place. No torch, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass

from training.config import MAX_SAMPLES, MAX_STEPS, STEP_NUMBERS
from training.data import MAX_POINTS

__all__ = ["SCHEMA_VERSION", "PARAMS_SCHEMA", "SCHEMAS", "STEP2_FLOAT_COLUMNS", "PARAM_COLUMNS",
           "PARAM_OPTIONAL_COLUMNS", "ALL_STEP_COLUMNS", "step_columns", "STEP_INT_COLUMNS", "STEP_FLOAT_COLUMNS", "STEP_OPTIONAL_COLUMNS",
           "STEP_RAGGED_COLUMNS", "STEP_COLUMNS", "LR_COLUMN", "MAX_TRACE_BYTES", "MAX_NESTING", "TraceStatus"]

SCHEMA_VERSION = 1   # the line's trace, as before models existed
PARAMS_SCHEMA = 2    # every other model's: a vector of named parameters
SCHEMAS = (SCHEMA_VERSION, PARAMS_SCHEMA)

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

# Schema 2: epoch, batch, the ragged columns as in schema 1, and these. A parameter column is a
# (steps, P) float64 array, written as one list of P numbers a step, in param_names' order:
# params (before the step), grads (the .grad the step used), updates (what the step changed),
# velocity (the optimizer's state after the step: momentum buffer or Adam's first moment; only
# when the optimizer keeps one).
STEP2_FLOAT_COLUMNS = ("loss", "full_loss")
PARAM_COLUMNS = ("params", "grads", "updates")
PARAM_OPTIONAL_COLUMNS = ("velocity",)
# Either schema, optional: each step's learning rate as the optimizer held it when it stepped
# (a trace recorded from a user's own loop, training.loop_recorder: a scheduler shows here).
LR_COLUMN = "lr"
# Every column name either schema uses: the readers make a column object for each they meet.
ALL_STEP_COLUMNS = (*STEP_COLUMNS, *PARAM_COLUMNS, *PARAM_OPTIONAL_COLUMNS, LR_COLUMN)


def step_columns(schema: int, has_velocity: bool, has_lr: bool = False) -> list[str]:
    """The step columns a trace of this schema holds, in the order its files write them."""
    lr = [LR_COLUMN] if has_lr else []
    if schema == PARAMS_SCHEMA:
        optional = PARAM_OPTIONAL_COLUMNS if has_velocity else ()
        return [*STEP_INT_COLUMNS, *STEP2_FLOAT_COLUMNS, *PARAM_COLUMNS, *optional, *lr, *STEP_RAGGED_COLUMNS]
    optional = STEP_OPTIONAL_COLUMNS if has_velocity else ()
    return [*STEP_INT_COLUMNS, *STEP_FLOAT_COLUMNS, *optional, *lr, *STEP_RAGGED_COLUMNS]


# The largest trace.json the recorder can write: at most MAX_STEPS steps of 14 numbers (schema
# 2: STEP_NUMBERS numbers in all) and MAX_SAMPLES samples of 3, each number at most 26
# characters with its separator, and 64 more a step (brackets, rows). A larger
# file cannot be a trace; the limit bounds how long reading one takes (memory is bounded by the
# steps and samples a trace may hold, whatever the file's size).
MAX_TRACE_BYTES = 26 * (max(14 * MAX_STEPS, STEP_NUMBERS) + 3 * MAX_SAMPLES) + 64 * MAX_STEPS + 26 * 2 * MAX_POINTS + 64_000_000
MAX_NESTING = 32  # lists/objects inside "config" and "versions"


@dataclass(frozen=True)
class TraceStatus:
    """``completed``; ``diverged`` at step ``step`` (that step was not recorded); or ``stopped``
    after ``step`` steps (a recording of a user's loop that ended early: an exception in the
    block, or the step cap; ``reason`` says which)."""

    state: str = "completed"
    step: int | None = None
    reason: str = ""

    @property
    def diverged(self) -> bool:
        return self.state == "diverged"

    @property
    def stopped(self) -> bool:
        return self.state == "stopped"

    def to_dict(self) -> dict:
        if self.state == "completed":
            return {"state": "completed"}
        return {"state": self.state, "step": self.step, "reason": self.reason}
