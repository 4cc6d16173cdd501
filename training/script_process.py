"""What a ``--run`` script may change of the process, put back when it ends (:mod:`training.run_script`).

The script runs in sgd-anim's own process, as ``python SCRIPT`` would run it, and the render
follows in the same process. Whatever the script leaves behind would apply to the render:
a working folder it moved to (a relative ``--out`` went there), a umask (the outputs'
permissions), handlers of SIGINT, SIGTERM and SIGHUP (SIGTERM no longer stopping the render),
``sys.stdout`` replaced or closed (the files written printed into the script's log, or
"I/O operation on closed file"), a recursion limit of 60, warning filters turning the render's
warnings into errors. And ``os._exit(N)`` in its main thread would end sgd-anim at once, with
nothing rendered and nothing said: it ends the script as ``sys.exit(N)`` does.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import warnings
from pathlib import Path
from typing import Iterator

__all__ = ["kept_process"]

_REAL_EXIT = os._exit
_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))


@contextlib.contextmanager
def kept_process(path: Path, args: list[str], quiet: type[Warning] | None = None) -> Iterator[None]:
    """Inside: ``sys.argv`` is the script's, its folder first on ``sys.path`` (``quiet``: a
    warning category not shown). After: the process as it was before, however the block ends."""
    argv, sys_path, cwd = sys.argv[:], sys.path[:], os.getcwd()
    umask = os.umask(0o022)
    os.umask(umask)  # (read, then put back)
    handlers = _signal_handlers()
    streams, limit = (sys.stdout, sys.stderr), sys.getrecursionlimit()
    os._exit = _exit_as_sys_exit(_REAL_EXIT)
    try:
        sys.argv = [str(path), *args]
        sys.path.insert(0, str(path.resolve().parent))
        with warnings.catch_warnings():
            if quiet is not None:
                warnings.simplefilter("ignore", quiet)
            yield
    finally:
        os._exit = _REAL_EXIT
        sys.argv, sys.path = argv, sys_path
        os.chdir(cwd)
        os.umask(umask)
        sys.setrecursionlimit(limit)
        sys.stdout, sys.stderr = (_open(s, fd) for s, fd in zip(streams, (1, 2)))
        for s, h in handlers.items():
            if h is not None and signal.getsignal(s) is not h:
                signal.signal(s, h)


def _open(stream, fd: int):
    """The stream as it was; one the script closed, opened again on its file descriptor."""
    if stream is None or not getattr(stream, "closed", False):
        return stream
    try:
        return open(fd, "w", buffering=1, closefd=False)
    except OSError:
        return open(os.devnull, "w")


def _signal_handlers() -> dict:
    """The stop signals' handlers (only the main thread can set them)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {s: signal.getsignal(s) for s in _SIGNALS}


def _exit_as_sys_exit(real):
    """``os._exit(N)`` in the script's main thread as ``sys.exit(N)``; anywhere else (a forked
    worker, another thread) the real one."""
    pid = os.getpid()

    def _exit(code):
        if os.getpid() == pid and threading.current_thread() is threading.main_thread():
            raise SystemExit(code)
        real(code)
    return _exit
