"""Small facts about numbers that several readers share: the float32 range, finite checks,
and the hook that keeps NaN and Infinity out of parsed JSON.

Training runs in float32, so a value beyond :data:`FLOAT32_MAX` overflows to inf in torch,
and the renderers' arithmetic (contours, log axes) overflows on it too: settings, data and
traces are all held to this range. Dependency-free but for numpy.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["FLOAT32_MAX", "finite_float32", "within_float32", "refuse_json_constant"]

FLOAT32_MAX = 3.4028234663852886e38  # the largest finite float32


def finite_float32(value: Any) -> bool:
    """A number (not a bool) that is finite and within +-FLOAT32_MAX."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value) and abs(value) <= FLOAT32_MAX
    except OverflowError:  # an integer too large for a float
        return False


def within_float32(arr: np.ndarray) -> bool:
    """Every value finite and within +-FLOAT32_MAX (min and max: no temporary array; a NaN
    makes both comparisons false)."""
    return len(arr) == 0 or bool(arr.min() >= -FLOAT32_MAX and arr.max() <= FLOAT32_MAX)


def refuse_json_constant(token: str) -> float:
    """``json.loads(..., parse_constant=refuse_json_constant)``: NaN, Infinity and -Infinity
    are not JSON numbers, and no value sgd-anim writes holds one."""
    raise ValueError(f"non-finite number {token} is not allowed")
