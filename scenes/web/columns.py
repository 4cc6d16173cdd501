"""Typed columns of the player's document: numpy arrays as little-endian base64 (``encode``)
and back (``decode``). Its own module, so that every part of the document's export can use it
(scenes.web.export re-exports both)."""
from __future__ import annotations

import base64
from typing import Any

import numpy as np

__all__ = ["encode", "decode"]

_DTYPES = {"f64": "<f8", "f32": "<f4", "i32": "<i4", "u16": "<u2", "u8": "u1"}


# ------------------------------------------------------------------ encoding
def encode(values: Any, kind: str) -> dict:
    """A typed array as ``{"dtype": kind, "b64": ...}``. ``kind`` "exact" picks float32 when
    it holds every value without loss, else float64 (so displayed numbers stay exact);
    "index" (whole numbers: steps, epochs, offsets) the smallest of u8, u16 and i32 that holds
    them all (the player reads every dtype as the same numbers)."""
    arr = np.asarray(values)
    if kind == "index":
        arr = arr.astype(np.int64)
        low, high = (int(arr.min()), int(arr.max())) if arr.size else (0, 0)
        kind = "u8" if low >= 0 and high <= 0xFF else "u16" if low >= 0 and high <= 0xFFFF else "i32"
    if kind == "exact":
        arr = arr.astype(np.float64)
        f32 = arr.astype(np.float32)
        with np.errstate(invalid="ignore"):
            lossless = bool(np.all((f32.astype(np.float64) == arr) | (np.isnan(arr) & np.isnan(f32))))
        kind = "f32" if lossless else "f64"
    if kind in ("i32", "u16", "u8"):
        info = np.iinfo(_DTYPES[kind])
        if arr.size and (arr.min() < info.min or arr.max() > info.max):
            raise ValueError(f"values out of range for {kind}")
    data = np.ascontiguousarray(arr.astype(_DTYPES[kind]))
    return {"dtype": kind, "b64": base64.b64encode(data.tobytes()).decode("ascii")}


def decode(enc: dict) -> np.ndarray:
    """The inverse of :func:`encode` (tests and tools read documents back with it)."""
    return np.frombuffer(base64.b64decode(enc["b64"]), dtype=_DTYPES[enc["dtype"]])
