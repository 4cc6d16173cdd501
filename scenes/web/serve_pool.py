"""The worker threads of ``render.py --serve``: a bounded pool that answers whole requests.

Not concurrent.futures' pool: its threads are joined when the interpreter exits, so a
recording in flight would hold up a stop; these are daemon threads (as the standard
library's ThreadingHTTPServer's were). A full pool refuses at once (:meth:`Pool.submit`
returns False: the server answers 503) rather than queueing: the App has its own bounded
queue for recordings, and a request the pool cannot start now should not wait unseen.
"""
from __future__ import annotations

import queue
import threading
from typing import Callable

__all__ = ["Pool"]


class Pool:
    """At most ``size`` threads, started as work comes and kept for the next."""

    def __init__(self, size: int, name: str = "sgd-serve-worker"):
        self.size, self.name = size, name
        self._work: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._busy = 0

    @property
    def busy(self) -> int:
        return self._busy

    def submit(self, fn: Callable[[], object], done: Callable[[object, BaseException | None], None]) -> bool:
        """Run ``fn()`` in a worker, then ``done(result, error)`` there; False (and nothing run)
        if ``size`` are busy."""
        with self._lock:
            if self._busy >= self.size:
                return False
            self._busy += 1
            if self._threads < self._busy:
                self._threads += 1
                threading.Thread(target=self._worker, name=f"{self.name}-{self._threads}", daemon=True).start()
        self._work.put((fn, done))
        return True

    def _worker(self) -> None:
        while True:
            fn, done = self._work.get()
            try:
                result, err = fn(), None
            except BaseException as e:  # noqa: BLE001 - handed to done, which answers
                result, err = None, e
            with self._lock:
                self._busy -= 1
            done(result, err)
