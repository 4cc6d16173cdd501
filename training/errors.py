"""The one exception type for bad input: render.py turns it into one line and exit code 2."""
from __future__ import annotations

import reprlib
from typing import Any

__all__ = ["InputError", "ScriptExit", "shown", "listed", "first_line"]


class InputError(ValueError):
    """A file, flag or setting the user gave is not acceptable.

    The message is a single line that names the problem and what is accepted.
    """



class ScriptExit(Exception):
    """``--run SCRIPT``: the script called ``sys.exit`` with a non-zero code; sgd-anim says so
    in one line and exits with that code."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


# A value as a message shows it: its repr, cut short. A file can hold a 60 MB string or a list
# nested 900 deep where a number belongs; a message that repeats it whole is not one clear line.
MAX_SHOWN = 80
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlong = 40
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 4
_REPR.maxlevel = 2


def shown(value: Any) -> str:
    """``repr(value)`` for an error message, at most MAX_SHOWN characters (``reprlib``:
    long strings, numbers and collections are elided with ``...``; never recursive)."""
    try:
        text = _REPR.repr(value)
    except (ValueError, RecursionError):  # e.g. an integer of more than 4300 digits
        return f"<a {type(value).__name__}>"
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 3] + "..."


def listed(names, limit: int = 5, quote: bool = False) -> str:
    """Names for a message (``a, b, c and 7 more``): at most ``limit`` of them, each as
    given when it is short and printable (and ``quote`` is off), else :func:`shown`."""
    names = list(names)
    parts = [n if not quote and isinstance(n, str) and n.isprintable() and 0 < len(n) <= 40 else shown(n)
             for n in names[:limit]]
    return ", ".join(parts) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def first_line(exc: BaseException, limit: int = 200) -> str:
    """An exception's message for one line: its first line that is not blank, cut to ``limit``
    characters; "" when it has none. Never raises: a user's exception may carry a message of
    megabytes, or a ``__str__`` that itself fails."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - its message is not worth a second error
        return ""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[:limit - 3] + "..."
