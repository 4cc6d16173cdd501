"""Stopping on a signal: SIGTERM and SIGHUP are handled as Ctrl-C (SIGINT) is.

``timeout``, systemd, Docker, CI runners and ``kill`` stop a program with SIGTERM; closing its
terminal sends SIGHUP. Python dies of both at once, leaving partial files behind. Inside
:func:`stop_on_signals` each of the three raises :class:`Stopped` in the main thread instead:
a ``KeyboardInterrupt``, so every ``finally`` and every writer's abort runs exactly as for
Ctrl-C, and the command line exits with ``128 + the signal's number`` after cleaning up.

Three more rules make the stop clean:

- the first signal stops the program; those after it are ignored while it cleans up, so a
  second SIGTERM (or an impatient second Ctrl-C) cannot break off the cleanup halfway;
- a forked worker (the frame pool, the comparison's process pool) inherits the handler: there
  it restores the default and dies of the signal, as a worker did before, quietly;
- :func:`signals_held` holds a signal back while the outputs are being moved into place, so a
  commit that has started always ends (:mod:`scenes.staging`).

Other threads (the server's renders) cannot receive a signal's exception: they ask
:func:`check_stop`, which the frame loop calls for every frame. The same call ends a render
that has run past its time (:func:`time_limit`, the server's cap on a render's time).
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from typing import Iterator

__all__ = ["STOP_SIGNALS", "Stopped", "StopRequested", "stop_on_signals", "signals_held", "stop_requested",
           "raise_if_stopped", "check_stop", "signal_name", "TimeUp", "time_limit"]

# The signals that stop a run, where the platform has them (Windows has no SIGHUP).
STOP_SIGNALS: tuple[int, ...] = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP")
                                      if hasattr(signal, n))


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class Stopped(KeyboardInterrupt):
    """The program was asked to stop by ``signum``; raised in the main thread."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """``128 + signum``, what a shell shows for a program stopped by the signal."""
        return 128 + self.signum

    def __str__(self) -> str:
        return f"stopped by {signal_name(self.signum)}"


class StopRequested(RuntimeError):
    """Raised in a thread other than the main one (a server's render) once a stop signal came."""


class TimeUp(StopRequested):
    """Raised by :func:`check_stop` in a thread whose :func:`time_limit` has passed."""


_requested = threading.Event()
_deadline = threading.local()  # this thread's (monotonic time, message) inside time_limit
_signum = 0
_owner: int | None = None  # the process that installed the handler (a forked child is not it)


def _handler(signum: int, frame) -> None:
    global _signum
    if os.getpid() != _owner:  # a forked worker: die of the signal, as before the handler
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    if _requested.is_set():  # already stopping: let the cleanup run to its end
        return
    _signum = signum
    _requested.set()
    raise Stopped(signum)


@contextlib.contextmanager
def stop_on_signals(*, ignore_after: bool = False) -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread inside the block;
    the handlers before it are put back after, or with ``ignore_after`` (the program ends
    with the block: a signal while the interpreter shuts down, the work done, would only
    turn exit 0 into a traceback) the stop signals are ignored from then on. A signal
    ignored when the block starts (SIGHUP under ``nohup``, SIGINT in a background job) stays
    ignored. Outside the main thread (where Python cannot set handlers) it does nothing."""
    global _owner, _signum
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    _owner, _signum = os.getpid(), 0
    _requested.clear()
    try:
        for s, old in before.items():
            if old is not signal.SIG_IGN:
                signal.signal(s, _handler)
        yield
    finally:
        for s, old in before.items():
            signal.signal(s, signal.SIG_IGN if ignore_after else old if old is not None else signal.SIG_DFL)
        _requested.clear()
        _owner, _signum = None, 0


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """A stop signal that arrives inside the block is delivered when the block ends (a block
    of a few renames: it must not be broken off halfway). Only the main thread receives
    signals; elsewhere the block just runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, frame) -> None:
        held.append(signum)

    before = {}
    for s in STOP_SIGNALS:
        old = signal.getsignal(s)
        if old not in (signal.SIG_IGN, None):
            before[s] = old
            signal.signal(s, hold)
    try:
        yield
    finally:
        for s, old in before.items():
            signal.signal(s, old)
        if held:  # now the handler before the block (ours raises Stopped) receives it
            signal.raise_signal(held[0])


def stop_requested() -> bool:
    """Whether a stop signal has come (inside :func:`stop_on_signals`)."""
    return _requested.is_set()


def raise_if_stopped() -> None:
    """Raise :class:`Stopped` if a stop signal has come: after code that may have caught the
    one the handler raised (a user's training script under ``--run`` that ends its loop on
    ``except KeyboardInterrupt``), so the run still stops, as the signal asked."""
    if _requested.is_set():
        raise Stopped(_signum)


def check_stop() -> None:
    """In a thread other than the main one, raise :class:`StopRequested` once a stop signal has
    come, so a render in flight in a server's thread ends at its next frame. The main thread
    gets :class:`Stopped` from the handler itself and is not asked again."""
    if _requested.is_set() and threading.current_thread() is not threading.main_thread():
        raise StopRequested(f"stopping: the program received {signal_name(_signum)}")
    limit = getattr(_deadline, "at", None)
    if limit is not None and time.monotonic() > limit[0]:
        raise TimeUp(limit[1])


@contextlib.contextmanager
def time_limit(seconds: float, message: str) -> Iterator[None]:
    """Inside the block, :func:`check_stop` in this thread raises :class:`TimeUp` (with
    ``message``) once ``seconds`` have passed: a work that asks at each step ends at its
    next step after that. Blocks nest: the inner limit applies until it ends."""
    before = getattr(_deadline, "at", None)
    _deadline.at = (time.monotonic() + seconds, message)
    try:
        yield
    finally:
        _deadline.at = before
