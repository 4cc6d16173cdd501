"""Progress bars for the command line: rich bars on stderr, only on a terminal."""
from __future__ import annotations

import sys
from typing import Callable

__all__ = ["ProgressBars"]


class ProgressBars:
    """Rich progress bars on stderr, only when stderr is a terminal and ``enabled``.
    ``task(name)`` gives a ``(done, total)`` callback for one stage, or None when off."""

    def __init__(self, enabled: bool) -> None:
        self._bar = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
            self._bar = Progress(TextColumn("{task.description:>10}"), BarColumn(), TaskProgressColumn(),
                                 TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self._bar.start()

    @property
    def active(self) -> bool:
        return self._bar is not None

    def task(self, name: str) -> Callable[[int, int], None] | None:
        if self._bar is None:
            return None
        bar, tid = self._bar, self._bar.add_task(name, total=None)

        def update(done: int, total: int) -> None:
            bar.update(tid, completed=done, total=total)
        return update

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
