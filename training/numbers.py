"""Numeric facts shared by the training side (and read by the scenes side)."""
from __future__ import annotations

__all__ = ["FLOAT32_MAX"]

FLOAT32_MAX = 3.4028234663852886e38  # training runs in float32: larger values overflow to inf in torch
