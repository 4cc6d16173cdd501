"""The columns of a trace as they are read: each array checked and gathered a chunk at a time.

A column object takes a JSON array's elements a chunk at a time (``add``, plain Python
values from :func:`json.loads`) or whole numpy arrays (``add_array``, the binary trace), and
keeps them in a growing numpy array. It never raises while it is fed: what is wrong (a string
among numbers, a number too large, more elements than the caps allow) is noted with the
column, and :meth:`Column.result` raises the message for the worst problem seen anywhere in
it. So the streaming reader, the binary reader and a document parsed whole by ``json.loads``
all get the same message for the same content, in the order :mod:`training.tracevalidate`
checks things. The caps bound the memory a loaded trace takes, whatever the size of the file.
"""
from __future__ import annotations

from itertools import chain
from typing import Any, Callable

import numpy as np

from training.errors import InputError
from training.numbers import within_float32
from training.ragged import Ragged

__all__ = ["Column", "Floats", "Ints", "Rows"]

_NUMBER_TYPES = frozenset((int, float))
_INT_TYPES = frozenset((int,))
_LIST_TYPES = frozenset((list,))


class _Growing:
    """A 1-D array built by appending chunks. Its capacity doubles in place (``resize``: a
    realloc, which moves a large block by remapping its pages, not by copying them), and the
    result is trimmed the same way: a column is never held twice while it is built."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.arr: np.ndarray | None = None
        self.n = 0

    def append(self, chunk: np.ndarray) -> None:
        m = len(chunk)
        if self.arr is None:
            self.arr = np.empty(max(m, 1 << 12), dtype=self.dtype)
        elif self.n + m > len(self.arr):
            self.arr.resize(max(2 * len(self.arr), self.n + m), refcheck=False)
        self.arr[self.n:self.n + m] = chunk
        self.n += m

    def adopt(self, arr: np.ndarray) -> None:
        """A whole column at once (the binary trace): kept as it is when it is the first."""
        if self.arr is None and arr.dtype == self.dtype:
            self.arr, self.n = arr, len(arr)
        else:
            self.append(arr)

    def take(self) -> np.ndarray:
        arr, self.arr = self.arr, None
        if arr is None:
            return np.zeros(0, dtype=self.dtype)
        if len(arr) != self.n:
            arr.resize(self.n, refcheck=False)
        return arr


class Column:
    """A JSON array of a known kind, parsed a chunk of elements at a time.

    ``add`` takes each chunk's elements (plain Python values from json); ``result`` returns
    the array, or raises the message for the worst problem seen anywhere in the column.
    ``limit`` bounds how many elements are kept (the memory a trace may take).
    """

    DTYPE: Any = np.float64

    def __init__(self, limit: int | None = None, too_many: str = ""):
        self.limit = limit
        self.too_many = too_many  # the message when there are more than ``limit`` elements
        self.count = 0
        self.problem = 0   # 0: none; larger numbers are checked first, as the list checks do
        self.data = _Growing(self.DTYPE)

    def _drop(self) -> None:
        self.data = _Growing(self.DTYPE)

    def _flag(self, level: int) -> None:
        if level > self.problem:
            self.problem = level
            self._drop()  # nothing more is kept once the column is known to be bad

    def _counted(self, n: int) -> bool:
        """Count ``n`` more elements; False (and nothing kept) once over the limit."""
        self.count += n
        if self.over_limit():
            self._drop()
            return False
        return True

    def over_limit(self) -> bool:
        return self.limit is not None and self.count > self.limit

    def check_limit(self, bad: Callable[[str], InputError]) -> None:
        if self.over_limit():
            raise bad(self.too_many)


class Floats(Column):
    """A flat list of finite numbers (within +-FLOAT32_MAX) -> float64 array."""

    NOT_NUMBERS, NOT_FINITE = 2, 1

    def add(self, items: list) -> None:
        if not self._counted(len(items)) or self.problem == self.NOT_NUMBERS:
            return
        if not set(map(type, items)) <= _NUMBER_TYPES:
            return self._flag(self.NOT_NUMBERS)
        if self.problem:
            return
        try:
            arr = np.array(items, dtype=np.float64)
        except OverflowError:  # an integer too large for a float
            return self._flag(self.NOT_FINITE)
        if not within_float32(arr):  # also false for inf and nan
            return self._flag(self.NOT_FINITE)
        self.data.append(arr)

    def add_array(self, arr: np.ndarray) -> None:
        """Numbers already in an array (the binary trace)."""
        if not self._counted(len(arr)) or self.problem:
            return
        if not within_float32(arr):
            return self._flag(self.NOT_FINITE)
        self.data.adopt(arr)

    def result(self, what: str, bad: Callable[[str], InputError]) -> np.ndarray:
        self.check_limit(bad)
        if self.problem == self.NOT_NUMBERS:
            raise bad(f"{what} must be a flat list of numbers (no strings, booleans, null or nested lists)")
        if self.problem == self.NOT_FINITE:
            raise bad(f"{what} holds a value that is not a finite number (within +-3.4e38)")
        return self.data.take()


class Ints(Column):
    """A flat list of whole numbers -> int64 array."""

    DTYPE = np.int64
    NOT_WHOLE, OUT_OF_RANGE = 2, 1

    def add(self, items: list) -> None:
        if not self._counted(len(items)) or self.problem == self.NOT_WHOLE:
            return
        if not set(map(type, items)) <= _INT_TYPES:
            return self._flag(self.NOT_WHOLE)
        if self.problem:
            return
        try:
            self.data.append(np.array(items, dtype=np.int64))
        except OverflowError:
            self._flag(self.OUT_OF_RANGE)

    def add_array(self, arr: np.ndarray) -> None:
        if self._counted(len(arr)) and not self.problem:
            self.data.adopt(arr)

    def result(self, what: str, bad: Callable[[str], InputError]) -> np.ndarray:
        self.check_limit(bad)
        if self.problem == self.NOT_WHOLE:
            raise bad(f"{what} must be a list of whole numbers")
        if self.problem == self.OUT_OF_RANGE:
            raise bad(f"{what} holds a number that is out of range")
        return self.data.take()


class Rows(Column):
    """One list of numbers per step -> :class:`Ragged` (int64 for indices, else float64).

    ``limit`` bounds the steps; ``value_limit`` the values in all rows together.
    """

    NOT_ROWS, NOT_WHOLE, NOT_FINITE = 3, 2, 1

    def __init__(self, integer: bool, limit: int | None = None, too_many: str = "",
                 value_limit: int | None = None, too_many_values: str = ""):
        self.DTYPE = np.int64 if integer else np.float64
        super().__init__(limit, too_many)
        self.integer = integer
        self.value_limit = value_limit
        self.too_many_values = too_many_values
        self.values = 0
        self.lengths = _Growing(np.int64)

    def _drop(self) -> None:
        super()._drop()
        self.lengths = _Growing(np.int64)

    def over_limit(self) -> bool:
        return super().over_limit() or (self.value_limit is not None and self.values > self.value_limit)

    def check_limit(self, bad: Callable[[str], InputError]) -> None:
        if self.limit is not None and self.count > self.limit:
            raise bad(self.too_many)
        if self.value_limit is not None and self.values > self.value_limit:
            raise bad(self.too_many_values)

    def add(self, items: list) -> None:
        if not self._counted(len(items)) or self.problem == self.NOT_ROWS:
            return
        if not set(map(type, items)) <= _LIST_TYPES:
            return self._flag(self.NOT_ROWS)
        lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
        self.values += int(lengths.sum())
        if self.over_limit():
            return self._drop()
        flat = list(chain.from_iterable(items))
        types = set(map(type, flat))
        if not types <= _NUMBER_TYPES:
            return self._flag(self.NOT_ROWS)
        if self.problem:
            return
        if self.integer:
            if not types <= _INT_TYPES:
                return self._flag(self.NOT_WHOLE)
            try:
                values = np.array(flat, dtype=np.int64)
            except OverflowError:  # outside int64, so outside the data: the range check says where
                values = np.array([v if -2**63 <= v < 2**63 else -1 for v in flat], dtype=np.int64)
        else:
            try:
                values = np.array(flat, dtype=np.float64)
            except OverflowError:
                return self._flag(self.NOT_FINITE)
            if not within_float32(values):
                return self._flag(self.NOT_FINITE)
        self.data.append(values)
        self.lengths.append(lengths)

    def add_arrays(self, values: np.ndarray, lengths: np.ndarray) -> None:
        """Rows already as flat values and row lengths (the binary trace)."""
        if not self._counted(len(lengths)):
            return
        self.values += len(values)
        if self.over_limit():
            return self._drop()
        if (len(lengths) and lengths.min() < 0) or int(lengths.sum()) != len(values):
            return self._flag(self.NOT_ROWS)
        if not self.integer and not within_float32(values):
            return self._flag(self.NOT_FINITE)
        self.data.adopt(values)
        self.lengths.adopt(lengths)

    def result(self, what: str, bad: Callable[[str], InputError]) -> Ragged:
        self.check_limit(bad)
        if self.problem == self.NOT_ROWS:
            raise bad(f"{what} must hold one list of numbers per step")
        if self.problem == self.NOT_WHOLE:
            raise bad(f"{what} must hold whole numbers")
        if self.problem == self.NOT_FINITE:
            raise bad(f"{what} holds a value that is not a finite number")
        return Ragged.from_lengths(self.data.take(), self.lengths.take())
