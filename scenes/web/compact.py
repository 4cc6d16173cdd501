"""The page's script and style, smaller: every page inlines them, so each byte is paid by every
page (the live page of the article's run has a budget of 300 KB, issue 25).

``compact_lines``: without comment lines, indentation and blank lines (the style, and the
first pass over the script). ``compact_js``: that, then within each line the spaces no token
needs, read by a scanner that is exact on the lines it touches and leaves the others as they
are. The one ambiguity of JavaScript's tokens is ``/`` (division or a regular expression), so a
line with a ``/`` in its code is kept whole, except a ``// comment`` at its end after code with
no other ``/``; strings ('', "", and template literals without ``${``) are copied as they are;
a line with anything else (an unclosed string, a ``${``) is kept whole. Line breaks are kept,
so automatic semicolon insertion reads the script as before. Safe for the product's files: no
string or template literal spans lines in them (tests/web/test_live_inputs.py checks), and the
joined script of every kind of page parses under Node (tests/web/test_player_modules.py).
"""
from __future__ import annotations

import re

__all__ = ["compact_lines", "compact_js"]

_WORD = re.compile(r"[A-Za-z0-9_$\u0080-\U0010ffff]")
_GAP = re.compile(r"([ \t]+)")


def compact_lines(text: str) -> str:
    """Without comment lines (``//`` or ``/* ... */`` that fill their lines), indentation and
    blank lines. A comment after code stays (this pass does not read tokens)."""
    out, in_block = [], False
    for line in text.splitlines():
        s = line.strip()
        if in_block:
            in_block = "*/" not in s
            continue
        if s.startswith("/*"):
            in_block = "*/" not in s
            continue
        if not s or s.startswith("//"):
            continue
        out.append(s)
    return "\n".join(out) + "\n"


def _pieces(line: str) -> list[tuple[bool, str]] | None:
    """The line as (is_string, text) pieces, a trailing ``// comment`` left out; None when the
    line cannot be read without knowing what a ``/`` means (or holds an unclosed string, a ``${``)."""
    out: list[tuple[bool, str]] = []
    code: list[str] = []
    slash = False
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c in "'\"`":
            j = i + 1
            while j < n and line[j] != c:
                if line[j] == "\\":
                    j += 1
                elif c == "`" and line.startswith("${", j):
                    return None
                j += 1
            if j >= n:
                return None
            if code:
                out.append((False, "".join(code)))
                code = []
            out.append((True, line[i:j + 1]))
            i = j + 1
            continue
        if c == "/":
            if line.startswith("//", i) and not slash:
                break  # a comment to the end of the line, after code with no other "/"
            return None
        code.append(c)
        i += 1
    if code:
        out.append((False, "".join(code)))
    return out


def _keeps_space(prev: str, nxt: str) -> bool:
    """Whether a gap between these two characters must stay (one space): two words or numbers
    (``var x``, ``return a``), signs that would join (``a - -b``, ``a + ++b``), ``1 .toFixed``."""
    return bool((_WORD.match(prev) and _WORD.match(nxt)) or (prev in "+-" and nxt in "+-")
                or (prev.isdigit() and nxt == "."))


def _tighten(line: str) -> str:
    pieces = _pieces(line)
    if pieces is None:
        return line
    items: list[str | None] = []  # text, or None for a gap between tokens
    for is_string, text in pieces:
        if is_string:
            items.append(text)
        else:
            items += [None if part.isspace() else part for part in _GAP.split(text) if part]
    out = ""
    for k, item in enumerate(items):
        if item is not None:
            out += item
            continue
        nxt = next((x for x in items[k + 1:] if x is not None), "")
        if out and nxt and _keeps_space(out[-1], nxt[0]):
            out += " "
    return out


def compact_js(text: str) -> str:
    """The script without comment lines, indentation, blank lines, and the spaces within a
    line that no token needs (see the module's docstring for which lines are read)."""
    return "\n".join(_tighten(line) for line in compact_lines(text).splitlines()) + "\n"
