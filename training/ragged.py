"""Ragged: one row of numbers per step, held as one flat array plus offsets.

A trace's per-sample columns (``indices``, ``pred``, ``residual``) have one row per step, as
long as that step's batch. A list of lists costs about 90 bytes per step and 32 per value;
a Ragged costs 8 per step and 8 per value, and reads like the list did:

    rows[k]                 step k's values, a numpy array (a view, no copy)
    len(rows)               the number of steps
    for row in rows: ...    each step's values in turn
    map(len, rows)          each step's length (``rows.lengths`` is the same, as an array)
    trace.x[rows[k]]        numpy indexing with a row of indices works
    rows == [[0, 1], [2]]   compares with lists of lists too
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain
from typing import Any

import numpy as np

__all__ = ["Ragged"]


class Ragged(Sequence):
    """Rows of numbers: row ``k`` is ``values[offsets[k]:offsets[k + 1]]``."""

    __slots__ = ("values", "offsets")

    def __init__(self, values: np.ndarray, offsets: np.ndarray):
        values = np.asarray(values)
        offsets = np.asarray(offsets, dtype=np.int64)
        if values.ndim != 1 or offsets.ndim != 1 or len(offsets) < 1:
            raise ValueError("Ragged needs a flat array of values and at least one offset")
        if offsets[0] != 0 or offsets[-1] != len(values) or not np.all(offsets[1:] >= offsets[:-1]):
            raise ValueError("Ragged offsets must start at 0, never decrease and end at len(values)")
        self.values = values
        self.offsets = offsets

    # ------------------------------------------------------------------ building
    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[Any]], dtype: Any) -> "Ragged":
        """From a list of lists (or of arrays)."""
        if isinstance(rows, Ragged):
            return cls(rows.values.astype(dtype, copy=False), rows.offsets)
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        values = np.fromiter(chain.from_iterable(rows), dtype=dtype, count=int(offsets[-1]))
        return cls(values, offsets)

    @classmethod
    def from_lengths(cls, values: np.ndarray, lengths: np.ndarray) -> "Ragged":
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return cls(values, offsets)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, k):
        if isinstance(k, slice):
            start, stop, step = k.indices(len(self))
            if step != 1:
                return Ragged.from_rows([self[i] for i in range(start, stop, step)], self.values.dtype)
            stop = max(stop, start)
            lo, hi = int(self.offsets[start]), int(self.offsets[stop])
            return Ragged(self.values[lo:hi], self.offsets[start:stop + 1] - lo)
        k = int(k) if not isinstance(k, int) else k  # numpy integers too
        n = len(self)
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError(f"step {k} is out of range (0..{n - 1})")
        return self.values[self.offsets[k]:self.offsets[k + 1]]

    def __iter__(self) -> Iterator[np.ndarray]:
        values = self.values
        bounds = self.offsets.tolist()
        for lo, hi in zip(bounds, bounds[1:]):
            yield values[lo:hi]

    @property
    def lengths(self) -> np.ndarray:
        """Each row's length (int64)."""
        return np.diff(self.offsets)

    @property
    def max_len(self) -> int:
        return int(self.lengths.max()) if len(self) else 0

    @property
    def dtype(self) -> np.dtype:
        return self.values.dtype

    @property
    def nbytes(self) -> int:
        return self.values.nbytes + self.offsets.nbytes

    def tolist(self) -> list[list]:
        """Plain Python lists (ints or floats), as json writes them."""
        lengths = self.lengths
        if len(lengths) and lengths[0] > 0 and np.all(lengths == lengths[0]):  # one batch size: in C
            return self.values.reshape(-1, int(lengths[0])).tolist()
        flat = self.values.tolist()
        bounds = self.offsets.tolist()
        return [flat[lo:hi] for lo, hi in zip(bounds, bounds[1:])]

    # ------------------------------------------------------------------ comparing
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Ragged):
            return (np.array_equal(self.offsets, other.offsets)
                    and np.array_equal(self.values, other.values))
        if isinstance(other, (list, tuple)):
            if len(other) != len(self):
                return False
            try:
                return self.tolist() == [list(row) for row in other]
            except TypeError:
                return False
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        n = len(self)
        head = ", ".join(str(row.tolist()) for row in self[:3])
        return f"Ragged({n} rows of {self.values.dtype}: [{head}{', ...' if n > 3 else ''}])"
