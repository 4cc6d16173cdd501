"""Typed columns of the player's document: numpy arrays as little-endian base64 (``encode``)
and back (``decode``). Its own module, so that every part of the document's export can use it
(scenes.web.export re-exports both)."""
from __future__ import annotations

import base64
from typing import Any

import numpy as np

__all__ = ["encode", "decode", "encode_paths", "decode_paths", "PATH_END"]

PATH_END = 65535  # in a decoded path column, the value after each path's last vertex

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


# ------------------------------------------------------------------ paths (the contours)
def encode_paths(paths: list[np.ndarray]) -> dict:
    """Polylines of whole-number vertices (each an (n, 2) array, values 0..65534) as
    ``{"dtype": "paths", "b64": ...}``: per path its vertex count, then each coordinate's
    difference from the previous vertex's (the first from 0), zigzag varints in bytes.
    Neighbouring vertices of a contour are close, so most differences take one byte, not two."""
    out = bytearray()

    def put(v: int) -> None:
        z = (v << 1) ^ (v >> 63)  # zigzag: small negatives are small too
        while z >= 0x80:
            out.append((z & 0x7F) | 0x80)
            z >>= 7
        out.append(z)

    for path in paths:
        pts = np.asarray(path, dtype=np.int64).reshape(-1, 2)
        if pts.size and (pts.min() < 0 or pts.max() >= PATH_END):
            raise ValueError("path vertices out of range")
        put(len(pts))
        for d in np.diff(pts, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel().tolist():
            put(int(d))
    return {"dtype": "paths", "b64": base64.b64encode(bytes(out)).decode("ascii")}


def decode_paths(enc: dict) -> np.ndarray:
    """The inverse of :func:`encode_paths`, as the player holds paths: each path's (u, v)
    pairs, flat, then ``PATH_END`` (scenes/web/player/decode.js, ``decodePaths``)."""
    data, at, out = base64.b64decode(enc["b64"]), 0, []

    def get() -> int:
        nonlocal at
        z, shift = 0, 0
        while True:
            byte = data[at]
            at += 1
            z |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return (z >> 1) ^ -(z & 1)

    while at < len(data):
        u = v = 0
        for _ in range(get()):
            u += get()
            v += get()
            out += [u, v]
        out.append(PATH_END)
    return np.asarray(out, dtype=np.uint16)
