"""The columns a recording of a user's loop fills as it goes (:mod:`training.loop_recorder`).

Growable numpy arrays, 8 bytes a number, doubled when full (so appending is amortised O(1)
and memory stays about the numbers held), and the pass at the end that turns the batches the
model saw into row indices of ``x``, ``y``: vectorised over every sample at once (np.unique
on the rows' bytes), so the loop itself never looks a row up.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Grow", "match_rows", "epochs_of", "updates_of", "column_dtype", "line_columns", "BLOCK_VALUES"]

BLOCK_VALUES = 1 << 15  # numbers worked on at a time by updates_of (in buffers reused)


def column_dtype(params) -> type:
    """The dtype a column of these (torch) parameters' values holds them in exactly: float32
    when every one is float32 or a narrower float, else float64."""
    narrow = {"torch.float32", "torch.float16", "torch.bfloat16"}
    return np.float32 if all(str(p.dtype) in narrow for p in params) else np.float64


class Grow:
    """A growable array of rows of ``width`` numbers (``width`` None: of single numbers).

    Give ``capacity`` the most rows it can hold: the array is allocated once at that length
    and only the pages the rows fill are ever touched (so it costs the memory of what it
    holds, and never a copy to grow); a smaller capacity doubles when full."""

    def __init__(self, width: int | None = None, dtype=np.float64, capacity: int = 256):
        self.width = width
        self.n = 0
        shape = (capacity,) if width is None else (capacity, width)
        self._a = np.empty(shape, dtype=dtype)

    def _room(self, k: int) -> None:
        need = self.n + k
        if need > len(self._a):
            size = max(need, 2 * len(self._a))
            grown = np.empty((size, *self._a.shape[1:]), dtype=self._a.dtype)
            grown[:self.n] = self._a[:self.n]
            self._a = grown

    def next_row(self) -> np.ndarray:
        """The next row, to be filled in place (counted at once)."""
        self._room(1)
        self.n += 1
        return self._a[self.n - 1]

    def append(self, value) -> None:
        self._room(1)
        self._a[self.n] = value
        self.n += 1

    def extend(self, values: np.ndarray) -> None:
        k = len(values)
        self._room(k)
        self._a[self.n:self.n + k] = values
        self.n += k

    def result(self) -> np.ndarray:
        return self._a[:self.n]

    @property
    def nbytes(self) -> int:
        return self._a.nbytes


def _keys(rows: np.ndarray) -> np.ndarray:
    """Each row's bytes as one comparable value (np.void), for np.unique."""
    rows = np.ascontiguousarray(rows.reshape(len(rows), -1))
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()


def match_rows(seen: np.ndarray, given: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """For each sample row in ``seen`` (S, d), its index into the data rows, and those rows.

    With ``given`` (n, d): the data is ``given`` followed by the rows seen that are not in it
    (first-seen order); a row that occurs twice in ``given`` matches its first occurrence.
    Without: the distinct rows seen, each once, in the order first seen."""
    seen = seen.reshape(len(seen), -1)
    base = given.reshape(len(given), -1) if given is not None else seen[:0]
    both = np.concatenate([base, seen])
    if not len(both):
        return np.zeros(0, np.int64), base
    _, first, inverse = np.unique(_keys(both), return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    # Groups numbered in the order their first row occurs: the given rows keep their index.
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(first), np.int64)
    rank[order] = np.arange(len(first))
    firsts = first[order]
    n_base = len(base)
    # A duplicate inside ``given`` gets no index of its own: index = position among firsts,
    # then mapped back onto positions in ``given`` (rows of given stay where they are).
    position = np.where(firsts < n_base, firsts, 0)
    extra = firsts >= n_base
    position[extra] = n_base + np.arange(int(extra.sum()))
    sample_index = position[rank[inverse[n_base:]]]
    rows = np.concatenate([base, both[firsts[extra]]]) if extra.any() else base
    return sample_index.astype(np.int64), rows


def epochs_of(indices: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Epoch and batch-in-epoch of each step: a new epoch starts at the first step whose batch
    holds a row already seen in the current epoch (a pass over the data is over)."""
    n_steps = len(offsets) - 1
    epoch, batch = np.zeros(n_steps, np.int64), np.zeros(n_steps, np.int64)
    last = np.full(int(indices.max()) + 1 if len(indices) else 1, -1, np.int64)
    e, b = 0, 0
    for k in range(n_steps):
        idx = indices[offsets[k]:offsets[k + 1]]
        if k and (last[idx] == e).any():
            e, b = e + 1, 0
        last[idx] = e
        epoch[k], batch[k] = e, b
        b += 1
    return epoch, batch


def updates_of(params: np.ndarray, final: np.ndarray, moved: dict | None = None) -> np.ndarray:
    """Each step's update, its parameters after minus before computed in float64, from the
    parameters before each step (steps, P), those after the last step and, optionally, the
    parameters after any other steps (``moved``: step -> its parameters after).

    After a step come the next step's parameters, so no column of the "after" is kept. The
    result is float32 when every update is a float32 number exactly (half the memory of
    float64, the same values, the same JSON text), else float64. Worked through a few rows
    at a time into buffers allocated once (a large temporary would cost a page fault a page)."""
    n, P = params.shape
    after = {k: np.asarray(v) for k, v in (moved or {}).items() if k < n - 1}
    after[n - 1] = np.asarray(final)
    narrow = params.dtype == np.float32 and all(v.dtype == np.float32 for v in after.values())
    out = np.empty((n, P), np.float32 if narrow else np.float64)
    R = max(1, BLOCK_VALUES // max(P, 1))
    b64, same = np.empty((min(R, n), P)), np.empty((min(R, n), P), bool)
    for start in range(0, n - 1, R):
        stop = min(n - 1, start + R)
        b = b64[:stop - start]
        np.subtract(params[start + 1:stop + 1], params[start:stop], out=b, dtype=np.float64)
        out = _put(out, slice(start, stop), b, same[:stop - start])
    for k, v in after.items():
        b = b64[:1]
        np.subtract(v.reshape(1, P), params[k:k + 1], out=b, dtype=np.float64)
        out = _put(out, slice(k, k + 1), b, same[:1])
    return out


def _put(out: np.ndarray, rows: slice, values: np.ndarray, same: np.ndarray) -> np.ndarray:
    """``out[rows] = values`` (float64); a float32 ``out`` is widened (all of it) the first time
    a value is not a float32 number exactly."""
    out[rows] = values
    if out.dtype == np.float32:
        np.equal(out[rows], values, out=same)
        if not same.all():
            out = out.astype(np.float64)
            out[rows] = values
    return out


def line_columns(params: np.ndarray, grads: np.ndarray, updates: np.ndarray,
                 velocity: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The line's schema-1 columns (a, b, grad_a, ..., float64 as the trace holds them: P = 2,
    nothing to save) from the vector columns every loop records, (steps, 2) each."""
    p, g, u = (np.asarray(c, dtype=np.float64) for c in (params, grads, updates))
    cols = dict(a=p[:, 0], b=p[:, 1], grad_a=g[:, 0], grad_b=g[:, 1], update_a=u[:, 0], update_b=u[:, 1])
    if velocity is not None:
        v = np.asarray(velocity, dtype=np.float64)
        cols.update(velocity_a=v[:, 0], velocity_b=v[:, 1])
    return cols
