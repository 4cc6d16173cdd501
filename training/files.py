"""Bounded reads: the one way sgd-anim reads a file the user names (data CSV, trace, config, theme).

A file is read up to its limit plus one byte, never further: a device such as /dev/zero, an
endless pipe or a /proc file cannot hang the tool or fill its memory. What may be read:

- a regular file (or a symlink to one), refused at once when its size is over the limit;
- a pipe or FIFO (``--data <(cmd)``), where the caller allows it, read until its writer closes
  it or until the limit is passed, whichever comes first;
- nothing else: a character or block device, a socket or a directory is refused with one line
  before it is read (it is not even opened, unless a symlink changes under our feet, in which
  case the opened file is checked again and refused unread).

Every refusal is an :class:`InputError` with a one-line message naming the file.
"""
from __future__ import annotations

import io
import os
import select
import stat
from pathlib import Path

from training.errors import InputError, shown

__all__ = ["MAX_TOML_BYTES", "LimitedReader", "open_limited", "read_limited", "size_text", "display_name"]

MAX_TOML_BYTES = 1_000_000  # a config or theme file: a few hundred bytes in practice

_CHUNK = 1 << 20
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def size_text(n: int) -> str:
    """``50 MB``, ``1 MB``, ``4.3 GB``: a limit as the messages state it (decimal units)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


def display_name(path: str | Path) -> str:
    """A file's name as a message shows it: as given, unless it has a line break, another
    control character or hundreds of characters (a config file can name any string), in
    which case it is quoted and cut short, so that the message stays one line."""
    name = str(path)
    return name if name.isprintable() and len(name) <= 200 else shown(name)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    return "not a regular file"


class LimitedReader:
    """A file opened by :func:`open_limited`: ``read(n)`` returns at most ``n`` bytes (fewer
    from a pipe), ``b""`` at the end, and raises :class:`InputError` as soon as more than
    ``limit`` bytes have come in."""

    def __init__(self, fd: int, name: str, what: str, limit: int, hint: str, pipe: bool, size: int):
        self._fd = fd
        self._poll = None
        if pipe:
            self._poll = select.poll()
            self._poll.register(fd, select.POLLIN)
        self.name, self.what, self.limit, self.hint = name, what, limit, hint
        self.is_pipe = pipe
        self.size = size  # the size stat() gave a regular file; 0 for a pipe
        self.count = 0
        self._file = None if pipe else io.FileIO(fd, "rb", closefd=False)

    def too_large(self) -> InputError:
        return InputError(f"{self.what} {self.name} is larger than {size_text(self.limit)}{self.hint}")

    def _read(self, n: int) -> bytes:
        if self._file is not None:
            try:
                return self._file.read(n)
            except OSError as e:
                raise InputError(f"{self.what} {self.name} cannot be read: {e.strerror}") from None
        while True:
            if self._poll is not None:
                self._poll.poll()  # a pipe opened without blocking: wait for data or its end
            try:
                return os.read(self._fd, n)
            except BlockingIOError:
                continue
            except InterruptedError:
                continue
            except OSError as e:
                raise InputError(f"{self.what} {self.name} cannot be read: {e.strerror}") from None

    def read(self, n: int = _CHUNK) -> bytes:
        """Up to ``n`` bytes; never more than one byte past the limit is ever read."""
        n = max(1, min(n, self.limit + 1 - self.count))
        data = self._read(n)
        self.count += len(data)
        if self.count > self.limit:
            raise self.too_large()
        return data

    def readinto(self, view) -> int:
        """Fill as much of the writable buffer ``view`` as one read gives (0 at the end)."""
        view = memoryview(view).cast("B")
        room = self.limit + 1 - self.count
        if len(view) > room:
            view = view[:max(1, room)]
        try:
            n = self._file.readinto(view) if self._file is not None else None
        except OSError as e:
            raise InputError(f"{self.what} {self.name} cannot be read: {e.strerror}") from None
        if n is None:  # a pipe
            data = self._read(len(view))
            n = len(data)
            view[:n] = data
        self.count += n
        if self.count > self.limit:
            raise self.too_large()
        return n

    def read_all(self) -> bytes:
        """Everything up to the end (or the limit)."""
        if not self.is_pipe:
            # One buffer of the announced size (a /proc file announces 0 and is read in chunks).
            buf = bytearray(min(self.size, self.limit) + 1)
            view, got = memoryview(buf), 0
            while got < len(buf):
                n = self.readinto(view[got:])  # straight into the buffer: no second copy
                if not n:
                    break
                got += n
            view.release()
            del buf[got:]
            if got < self.size + 1:
                return bytes(buf)
            parts = [bytes(buf)]
        else:
            parts = []
        while True:
            data = self.read(_CHUNK)
            if not data:
                return b"".join(parts)
            parts.append(data)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()  # closefd=False: the descriptor is closed below
            self._file = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> "LimitedReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_limited(path: str | Path, *, what: str, limit: int, hint: str = "", pipes: bool = True,
                 name: str | None = None) -> LimitedReader:
    """Open ``path`` for a bounded read, or raise a one-line :class:`InputError`.

    ``what`` starts every message (``"data file"``), ``hint`` ends it (``"; give a CSV file"``),
    ``name`` is how the file is named (default: ``path`` as given). ``pipes`` allows a pipe or
    FIFO besides regular files.
    """
    name = display_name(path) if name is None else name
    accepted = "a regular file or a pipe" if pipes else "a regular file"
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(f"{what} {name} does not exist{hint}") from None
    except (OSError, ValueError) as e:  # ValueError: a NUL in the name
        raise InputError(f"{what} {name} cannot be read: {getattr(e, 'strerror', None) or e}") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{what} {name} is a directory{hint}")
    if not (stat.S_ISREG(mode) or (pipes and stat.S_ISFIFO(mode))):
        raise InputError(f"{what} {name} is {_kind(mode)}, not {accepted}{hint}")
    try:
        fd = os.open(path, _FLAGS)  # O_NONBLOCK: opening a FIFO never waits for a writer
    except OSError as e:
        raise InputError(f"{what} {name} cannot be read: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        pipe = stat.S_ISFIFO(st.st_mode)
        if not (stat.S_ISREG(st.st_mode) or (pipes and pipe)):  # the path changed since stat()
            raise InputError(f"{what} {name} is {_kind(st.st_mode)}, not {accepted}{hint}")
        if not pipe:
            if st.st_size > limit:
                raise InputError(f"{what} {name} is larger than {size_text(limit)}{hint}")
            if getattr(os, "O_NONBLOCK", 0):
                os.set_blocking(fd, True)
        return LimitedReader(fd, name, what, limit, hint, pipe, 0 if pipe else st.st_size)
    except BaseException:
        os.close(fd)
        raise


def read_limited(path: str | Path, *, what: str, limit: int, hint: str = "", pipes: bool = True,
                 name: str | None = None) -> bytes:
    """The whole content of ``path``, at most ``limit`` bytes (see :func:`open_limited`)."""
    with open_limited(path, what=what, limit=limit, hint=hint, pipes=pipes, name=name) as f:
        return f.read_all()
