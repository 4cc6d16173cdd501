"""The trace's JSON text, read a piece at a time.

A streaming parser for any valid JSON text (any layout, any key order), which parses the
large arrays (``data.x``, ``data.y`` and every ``steps`` column) straight into numpy arrays,
a few megabytes at a time, and every other value with :func:`json.loads`. Memory grows with
the number of values kept, never with the size of the text: the text is never held whole,
and no Python object per value outlives its chunk. Syntax errors, non-finite constants and
text that is not UTF-8 are raised at once, as :func:`json.loads` would (the message names
the line); what is wrong with a well-formed value (a string among numbers, a number too
large) is kept with its column (:mod:`training.tracecolumns`) and raised by the validation
in :mod:`training.tracevalidate`, in the order it checks things, so every message is the one
a file parsed whole would get.

The text is written by :mod:`training.tracedump`. Nothing here executes code: plain
:mod:`json` and numpy only.
"""
from __future__ import annotations

import codecs
import json
import re
from typing import Any, Callable

import numpy as np

from training.errors import InputError
# FLOAT32_MAX, within_float32, Floats, Ints, Rows and column_parts lived here before the
# trace's I/O was split into files of one job each: still importable from here.
from training.numbers import FLOAT32_MAX, refuse_json_constant, within_float32
from training.tracecolumns import Column, Floats, Ints, Rows
from training.tracedump import column_parts

__all__ = ["CHUNK", "SCAN", "FIRST_SCAN", "MAX_VALUE_BYTES", "parse_json",
           "Floats", "Ints", "Rows", "column_parts", "FLOAT32_MAX", "within_float32"]

_refuse_constant = refuse_json_constant  # its old private name (tests parse with it)

CHUNK = 1 << 20               # bytes read at a time
SCAN = 1 << 18                # bytes looked at for where an array's elements can be cut
FIRST_SCAN = 64                # looked at first, for the end of a short array
# One value parsed whole (config, status, a stray string): at most this. json.loads takes up to
# ~50 bytes per byte of text (a dict of short keys), and what a trace keeps of these sections
# must fit the binary header's 16 MB anyway (tracevalidate): 64 MB was up to ~3 GB for nothing.
MAX_VALUE_BYTES = 16 << 20

_WS = re.compile(rb"[ \t\n\r]*")
# Possessive: the regex engine keeps no backtracking state per character. The plain
# '"(?:[^"\\]|\\.)*"' held about 120 bytes per byte of the string (a 64 MB value: 8 GB).
_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.S)
_SCALAR = re.compile(rb'[^ \t\n\r,:\[\]{}"]+')
_STRUCTURE = re.compile(rb'[\[\]{}"]')
_OPEN, _CLOSE, _OPEN_BRACE, _CLOSE_BRACE, _COMMA, _QUOTE, _COLON = 91, 93, 123, 125, 44, 34, 58


class _Skip(Column):
    """An array nobody reads (an unknown key): checked for syntax, then dropped."""

    def add(self, items: list) -> None:
        pass


# =========================================================================== the streaming parser
class _Parser:
    """A pull parser over a byte stream; ``base`` is the stream offset of ``buf[0]``."""

    def __init__(self, read: Callable[[int], bytes], name: str):
        self._read = read
        self.name = name
        self.buf = b""
        self.pos = 0        # index into buf
        self.base = 0       # stream offset of buf[0]
        self.line = 1       # line number of buf[0]
        self.eof = False
        self._utf8 = codecs.getincrementaldecoder("utf-8")()

    # ------------------------------------------------------------------ errors
    def error(self, msg: str) -> InputError:
        return InputError(f"trace file {self.name}: {msg}")

    def not_text(self) -> InputError:
        return InputError(f"trace file {self.name} is not JSON text (binary data; pickles are never loaded)")

    def syntax(self, msg: str, at: int | None = None) -> InputError:
        at = self.pos if at is None else at
        line = self.line + self.buf.count(b"\n", 0, min(at, len(self.buf)))
        return InputError(f"trace file {self.name} is not valid JSON (line {line}: {msg}); it may be truncated")

    # ------------------------------------------------------------------ input
    def more(self, want: int = 0) -> bool:
        """Read more input (at least ``want`` bytes if there are), dropping what was consumed.
        Indices into ``buf`` shift by the old ``pos``: callers keep positions relative to it."""
        if self.eof:
            return False
        if self.pos:
            self.line += self.buf.count(b"\n", 0, self.pos)
            self.base += self.pos
            self.buf = self.buf[self.pos:]
            self.pos = 0
        want = max(CHUNK, want)
        data = self._read(want)
        if not data:
            self.eof = True
            try:
                self._utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                raise self.not_text() from None
            return False
        try:
            self._utf8.decode(data)
        except UnicodeDecodeError:
            raise self.not_text() from None
        self.buf = self.buf + data if self.buf else data
        return True

    def peek(self) -> int | None:
        """The next byte after whitespace, or None at the end."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return None

    def loads(self, raw: bytes, at: int, prefix: str = "") -> Any:
        """``json.loads`` of bytes read from ``buf[at:]``; errors name the line in the file."""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:  # cannot happen after the stream check; kept for safety
            raise self.not_text() from None
        try:
            return json.loads(prefix + text + ("]" if prefix else ""), parse_constant=refuse_json_constant)
        except json.JSONDecodeError as e:
            line = self.line + self.buf.count(b"\n", 0, at) + e.lineno - 1
            raise InputError(f"trace file {self.name} is not valid JSON (line {line}: {e.msg}); "
                             "it may be truncated") from None
        except ValueError as e:  # NaN, Infinity
            raise self.error(str(e)) from None
        except RecursionError:
            raise InputError(f"trace file {self.name} is nested too deeply to be a trace") from None

    # ------------------------------------------------------------------ values parsed whole
    def _too_large(self, start: int, end: int) -> None:
        if end - start > MAX_VALUE_BYTES:
            line = self.line + self.buf.count(b"\n", 0, start)
            raise self.error(f"the value at line {line} is larger than {MAX_VALUE_BYTES:,} bytes; "
                             "no trace holds one")

    def _grow(self, start: int) -> bool:
        """More input while a value that starts at ``buf[start]`` (start == pos) is scanned."""
        self._too_large(start, len(self.buf))
        return self.more(2 * (len(self.buf) - start))

    def _string_end(self) -> int:
        while True:
            m = _STRING.match(self.buf, self.pos)
            if m:
                return m.end()
            if not self._grow(self.pos):
                return len(self.buf)  # unterminated: json.loads says so

    def _scalar_end(self) -> int:
        while True:
            end = _SCALAR.match(self.buf, self.pos)
            end = end.end() if end else self.pos
            if end < len(self.buf) or not self._grow(self.pos):
                return end

    def _container_end(self) -> int:
        """End of the array or object at ``pos`` (or the end of input, for json.loads to judge)."""
        depth, i = 0, self.pos
        while True:
            m = _STRUCTURE.search(self.buf, i)
            if m is None:
                i = len(self.buf) - self.pos
                if not self._grow(self.pos):
                    return len(self.buf)
                i += self.pos
                continue
            j = m.start()
            c = self.buf[j]
            if c == _QUOTE:
                s = _STRING.match(self.buf, j)
                if s is None:
                    i = j - self.pos
                    if not self._grow(self.pos):
                        return len(self.buf)
                    i += self.pos
                    continue
                i = s.end()
            elif c in (_OPEN, _OPEN_BRACE):
                depth += 1
                i = j + 1
            else:
                depth -= 1
                i = j + 1
                if depth <= 0:
                    return i

    def value(self) -> Any:
        """The next value, parsed whole with json.loads."""
        c = self.peek()
        if c is None:
            raise self.syntax("Expecting value")
        if c in (_OPEN, _OPEN_BRACE):
            end = self._container_end()
        elif c == _QUOTE:
            end = self._string_end()
        else:
            end = self._scalar_end()
            if end == self.pos:
                raise self.syntax("Expecting value")
        start = self.pos
        self._too_large(start, end)
        out = self.loads(self.buf[start:end], start)
        self.pos = end
        return out

    def string(self) -> str:
        """An object key."""
        end = self._string_end()
        out = self.loads(self.buf[self.pos:end], self.pos)
        self.pos = end
        return out

    # ------------------------------------------------------------------ objects
    def obj(self, member: Callable[[str], Any]) -> dict:
        """The object at ``pos``; ``member(key)`` parses each value."""
        self.pos += 1  # "{"
        out: dict = {}
        if self.peek() == _CLOSE_BRACE:
            self.pos += 1
            return out
        while True:
            if self.peek() != _QUOTE:
                raise self.syntax("Expecting property name enclosed in double quotes")
            key = self.string()
            if self.peek() != _COLON:
                raise self.syntax("Expecting ':' delimiter")
            self.pos += 1
            if self.peek() is None:
                raise self.syntax("Expecting value")
            out[key] = member(key)
            c = self.peek()
            if c == _COMMA:
                self.pos += 1
            elif c == _CLOSE_BRACE:
                self.pos += 1
                return out
            else:
                raise self.syntax("Expecting ',' delimiter")

    def skip(self) -> None:
        """A value nobody reads: its syntax is checked, its content dropped."""
        c = self.peek()
        if c == _OPEN:
            self.array(_Skip())
        elif c == _OPEN_BRACE:
            self.obj(lambda key: self.skip())
        else:
            self.value()

    # ------------------------------------------------------------------ arrays, streamed
    def array(self, column: Column) -> Any:
        """The array at ``pos`` fed to ``column`` in chunks; any other value is returned as is."""
        if self.peek() != _OPEN:
            return self.value()
        self.pos += 1
        first = True      # no element yet
        while True:
            if self.pos >= len(self.buf) and not self.more():
                raise self.syntax("Expecting value")
            cut, closed = self._cut()
            if cut is None:  # no whole element in the buffer yet
                if not self._grow(self.pos):  # the text ends inside the array
                    rest = self.buf[self.pos:]
                    self.loads(rest, self.pos, "[")  # a broken element: json.loads names it
                    after_comma = rest.rstrip(b" \t\n\r").endswith(b",") or not (rest.strip() or first)
                    raise self.syntax("Expecting value" if after_comma else "Expecting ',' delimiter", len(self.buf))
                continue
            piece = self.buf[self.pos:cut]
            if closed and self.buf[cut] != _CLOSE:  # "[1, 2}": a brace cannot close an array
                if piece.strip(b" \t\n\r"):
                    self.loads(piece, self.pos, "[")  # a broken element: json.loads names it first
                raise self.syntax("Expecting ',' delimiter" if piece.strip(b" \t\n\r") else "Expecting value", cut)
            if piece.strip(b" \t\n\r"):
                column.add(self.loads(piece, self.pos, "["))
            elif not (closed and first):  # "[1, ]", "[,": a value is missing
                raise self.syntax("Expecting value", cut)
            first = False
            self.pos = cut + 1
            if closed:
                return column

    def _cut(self) -> tuple[int | None, bool]:
        """In ``buf[pos:]``, inside an array: the index of its closing bracket (True), else of
        the last comma between two of its elements (False), else (None, False). Looks at
        FIRST_SCAN bytes first, twice as many each time it finds no closing bracket, and cuts
        at a comma once it looks at SCAN bytes (further only while it finds neither)."""
        # The window grows from FIRST_SCAN: a short array costs about its own length, not
        # SCAN bytes (thousands of short arrays in a row looked at SCAN bytes each: quadratic).
        span = FIRST_SCAN
        while True:
            stop = min(len(self.buf), self.pos + span)
            cut, closed = self._cut_in(stop)
            if closed or stop == len(self.buf) or (cut is not None and span >= SCAN):
                return cut, closed
            span *= 2

    def _cut_in(self, stop: int) -> tuple[int | None, bool]:
        start, buf = self.pos, self.buf
        if buf.find(b'"', start, stop) < 0:  # no strings: a flat run of numbers is cut without numpy
            close = min((i for i in (buf.find(b"]", start, stop), buf.find(b"}", start, stop)) if i >= 0),
                        default=-1)
            opens = min((i for i in (buf.find(b"[", start, stop), buf.find(b"{", start, stop)) if i >= 0),
                        default=-1)
            if close >= 0 and (opens < 0 or close < opens):
                return close, True
            if opens < 0:
                comma = buf.rfind(b",", start, stop)
                return (comma, False) if comma >= 0 else (None, False)
            a = np.frombuffer(buf, dtype=np.uint8, count=stop - start, offset=start)
        else:  # strings may hide brackets and commas: blank them out of a copy
            a = np.frombuffer(buf, dtype=np.uint8, count=stop - start, offset=start).copy()
            i = start
            while True:
                q = buf.find(b'"', i, stop)
                if q < 0:
                    break
                m = _STRING.match(buf, q, stop)
                if m is None:  # a string that goes on past what is looked at: cut before it
                    a = a[:q - start]
                    break
                a[q - start:m.end() - start] = 32
                i = m.end()
        if not len(a):
            return None, False
        step = (a == _OPEN).view(np.int8) - (a == _CLOSE).view(np.int8)
        if buf.find(b"{", start, stop) >= 0 or buf.find(b"}", start, stop) >= 0:
            step += (a == _OPEN_BRACE).view(np.int8) - (a == _CLOSE_BRACE).view(np.int8)
        depth = np.cumsum(step, dtype=np.int32)
        below = depth < 0
        if below.any():
            return start + int(np.argmax(below)), True
        commas = (a == _COMMA) & (depth == 0)
        if commas.any():
            return start + len(a) - 1 - int(np.argmax(commas[::-1])), False
        return None, False


# =========================================================================== the document
_TOP_SMALL = ("schema_version", "config", "versions", "status", "final", "n_steps", "graphs", "param_names", "landscape",
              "module")


def parse_json(read: Callable[[int], bytes], name: str, columns: dict[str, Callable[[], Column]],
               data_columns: dict[str, Callable[[], Column]]) -> Any:
    """Parse a trace's JSON text from ``read`` (called with a byte count, returns b"" at the end).

    Returns the document as json.loads would, except that ``data.<key>`` and ``steps.<key>``
    arrays named in ``data_columns`` and ``columns`` are column objects (``result()`` gives
    the array), and values under unknown keys of ``data`` and ``steps`` are dropped.
    """
    p = _Parser(read, name)
    c = p.peek()
    if c is None:
        raise p.syntax("Expecting value")

    def section(make: dict[str, Callable[[], Column]]) -> Callable[[], Any]:
        def parse() -> Any:
            if p.peek() != _OPEN_BRACE:
                return p.value()
            return p.obj(lambda key: p.array(make[key]()) if key in make else p.skip())
        return parse

    top = {"data": section(data_columns), "steps": section(columns)}
    if c == _OPEN_BRACE:
        doc = p.obj(lambda key: top[key]() if key in top else p.value() if key in _TOP_SMALL else p.skip())
    else:
        doc = p.value()
    if p.peek() is not None:
        raise p.syntax("Extra data")
    return doc
