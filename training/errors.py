"""The one exception type for bad input: render.py turns it into one line and exit code 2."""
from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """A file, flag or setting the user gave is not acceptable.

    The message is a single line that names the problem and what is accepted.
    """
