"""What the routes of ``render.py --serve`` do, without HTTP: record a run (a bounded number
at once, a bounded queue waiting), keep recent runs in memory, export the story the page
draws, and render a file in a temporary folder that is deleted afterwards.

No torch here (scenes never imports it): the caller passes the functions that record and render.
"""
from __future__ import annotations

import collections
import json
import shutil
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable

from scenes.stopping import TimeUp, time_limit
from scenes.web.serve_settings import RENDER_FORMATS, Settings, parse_settings
from training.errors import InputError

__all__ = ["Busy", "TooLong", "App", "RECORDERS", "QUEUE", "CACHE_RUNS", "CACHE_BYTES", "RETRY_AFTER",
           "RENDER_SECONDS"]

RECORDERS = 2                 # recordings at once
QUEUE = 32                    # requests that may wait for a recorder (the issue asks for at least 16)
CACHE_RUNS = 64               # runs kept in memory (least recently used dropped first)
CACHE_BYTES = 256_000_000     # and at most this many bytes of their JSON
RETRY_AFTER = 10              # seconds: a render takes that order of time
RENDER_SECONDS = 120.0        # a render still running after this ends at its next frame (503)


class Busy(Exception):
    """The queue is full (or a render runs): 503 with Retry-After."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class TooLong(Exception):
    """A render ran past the server's time limit and was stopped: 503, no Retry-After."""


class _LRU:
    """Runs by cache key, least recently used dropped first, bounded in count and bytes."""

    def __init__(self, max_items: int, max_bytes: int):
        self.max_items, self.max_bytes = max_items, max_bytes
        self.items: collections.OrderedDict[str, dict] = collections.OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        with self.lock:
            entry = self.items.get(key)
            if entry is not None:
                self.items.move_to_end(key)
            return entry

    def put(self, key: str, entry: dict) -> None:
        with self.lock:
            self.items[key] = entry
            self.items.move_to_end(key)
            while len(self.items) > self.max_items or (len(self.items) > 1 and self._bytes() > self.max_bytes):
                self.items.popitem(last=False)

    def _bytes(self) -> int:
        return sum(len(v.get("trace_json", b"")) + len(v.get("story_json", b"")) for v in self.items.values())


class App:
    """What the routes do, without HTTP: record (bounded), cache, export, render."""

    def __init__(self, record: Callable, render: Callable, *, theme: str = "light",
                 recorders: int = RECORDERS, queue: int = QUEUE, cache_runs: int = CACHE_RUNS,
                 render_seconds: float = RENDER_SECONDS):
        from scenes.story.theme import load_theme
        self._record, self._render = record, render
        self.theme_name = theme
        self.theme = load_theme(theme)
        self.cache = _LRU(cache_runs, CACHE_BYTES)
        self._recorders = threading.BoundedSemaphore(recorders)
        self._waiting = 0
        self._queue = queue
        self._lock = threading.Lock()
        self._render_lock = threading.Lock()
        self._temp_dirs: set[str] = set()
        self.render_seconds = render_seconds

    # -- runs
    def run(self, s: Settings) -> dict:
        entry = self.cache.get(s.key)
        if entry is not None:
            return entry
        with self._lock:
            if self._waiting >= self._queue:
                raise Busy(f"{self._waiting} requests are waiting for a recording; try again shortly", 1)
            self._waiting += 1
        try:
            self._recorders.acquire()
        finally:
            with self._lock:
                self._waiting -= 1
        try:
            entry = self.cache.get(s.key)  # recorded while this request waited
            if entry is None:
                trace = self._record(s.train, s.data)
                entry = {"trace": trace, "trace_json": trace.to_json().encode("utf-8")}
                self.cache.put(s.key, entry)
            return entry
        finally:
            self._recorders.release()

    def trace_json(self, s: Settings) -> bytes:
        return self.run(s)["trace_json"]

    def story_json(self, s: Settings) -> bytes:
        entry = self.run(s)
        if "story_json" not in entry:
            entry["story_json"] = self._story_text(entry["trace"]).encode("utf-8")
            self.cache.put(s.key, entry)  # counted in the cache's bytes now
        return entry["story_json"]

    def _story_text(self, trace) -> str:
        from scenes.story.story import Story
        from scenes.web.export import MAX_ROWS
        from scenes.web.page import _generator
        from scenes.web.page_export import run_document
        doc = run_document(Story(trace), None, self.theme, generator=_generator())
        doc["max_rows"] = MAX_ROWS
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)

    def page(self) -> bytes:
        from scenes.story.story import Story
        from scenes.web.page import _generator, page_from_document
        from scenes.web.page_export import run_document
        s = parse_settings({})
        trace = self.run(s)["trace"]
        doc = run_document(Story(trace), None, self.theme, generator=_generator())
        return page_from_document(doc, "sgd-anim: live", serve=True).encode("utf-8")

    # -- renders
    def render(self, s: Settings, fmt: str) -> tuple[bytes, str]:
        """The file of ``fmt`` for this run, rendered in a temporary folder (deleted again)."""
        if fmt not in RENDER_FORMATS:
            raise InputError(f"unknown format {fmt!r}; accepted: {', '.join(RENDER_FORMATS)}")
        if not self._render_lock.acquire(blocking=False):
            raise Busy("another render is running; try again when it is done", RETRY_AFTER)
        try:
            trace = self.run(s)["trace"]
            folder = tempfile.mkdtemp(prefix="sgd-anim-serve-")
            with self._lock:
                self._temp_dirs.add(folder)
            try:
                from scenes.job import build_job
                job = build_job([{"formats": fmt, "theme": self.theme_name, "stem": "sgd"}])
                job = replace(job, train=s.train, out=Path(folder))
                files = self._render_in_time(job, trace, Path(folder))
                target = Path(folder) / f"sgd.{fmt}"
                if target not in files or not target.is_file():
                    raise RuntimeError(f"the render wrote no {fmt} file")
                return target.read_bytes(), f"sgd.{fmt}"
            finally:
                shutil.rmtree(folder, ignore_errors=True)
                with self._lock:
                    self._temp_dirs.discard(folder)
        finally:
            self._render_lock.release()

    def _render_in_time(self, job, trace, folder: Path) -> list[Path]:
        """The render, ended at its next frame once it has run for ``render_seconds``
        (scenes.stopping.check_stop, which the frame loop calls)."""
        limit = self.render_seconds
        try:
            with time_limit(limit, f"the render ran past the server's limit of {limit:g} s"):
                return [Path(p) for p in self._render(job, trace, folder)]
        except TimeUp as e:
            raise TooLong(f"{e}; ask for fewer epochs, or render with the command line") from None

    def wait_for_render(self, timeout: float) -> bool:
        """Wait until no render is in flight (at most ``timeout`` seconds); True if none is."""
        if self._render_lock.acquire(timeout=timeout):
            self._render_lock.release()
            return True
        return False

    def cleanup(self) -> None:
        """Remove every temporary folder a render still holds (on shutdown)."""
        with self._lock:
            folders, self._temp_dirs = list(self._temp_dirs), set()
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
