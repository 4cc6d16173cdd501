"""The engine that runs a comparison's tasks: a local process pool, or a Dask cluster.

Both are ``concurrent.futures`` executors: ``ProcessPoolExecutor`` (``--jobs N``) or
``distributed.Client(...).get_executor(pure=False)`` (``--scheduler tcp://HOST:PORT``, the
optional ``cluster`` extra). Tasks are module-level functions of small picklable settings
(a label and a :class:`~training.config.TrainConfig`, never a figure or a tensor); they return
bytes, and only the parent process writes output files. A task that fails is reported with
its label while the others finish.
"""
from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import socket
import tempfile
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator
from urllib.parse import urlsplit

from training.config import TrainConfig
from training.errors import InputError

__all__ = ["SCHEDULER_TIMEOUT", "default_jobs", "Engine", "RecordTask", "RenderTask", "record_task", "render_task",
           "Outcome"]

SCHEDULER_TIMEOUT = 5.0  # seconds to wait for a scheduler: with start-up and the socket check, under 10 s


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


# ------------------------------------------------------------------ tasks
@dataclass(frozen=True)
class RecordTask:
    """Record one run: its label (for messages), settings and the folder CSV paths resolve in."""

    label: str
    config: TrainConfig
    base_dir: str | None = None


def record_task(task: RecordTask) -> bytes:
    """Record the run with PyTorch; return it as a binary trace (:mod:`training.tracebin`)."""
    from training.data import load_data
    from training.recorder import record
    trace = record(task.config, load_data(task.config.data, Path(task.base_dir) if task.base_dir else None))
    return _trace_bytes(trace)


def _trace_bytes(trace) -> bytes:
    buf = io.BytesIO()
    trace.write_binary(buf)  # what Trace.to_file writes to a *.sgdtrace file, kept in memory
    return buf.getvalue()


@dataclass(frozen=True)
class RenderTask:
    """Render one run's own video (``--each``): the job's render settings, and where its trace
    comes from: a trace file, or the trace cache (recorded again if absent, deterministically)."""

    label: str
    job: object  # scenes.job.Job: frozen dataclasses of plain values
    trace_file: str | None = None


def render_task(task: RenderTask) -> list[tuple[str, bytes]]:
    """Render into a private temporary folder (and, for Manim, a private media and cache
    folder: Manim's caches are not safe to share between processes writing at once); return
    each file as (relative name, bytes) for the parent to write."""
    from scenes.pipeline import obtain_trace, render_outputs  # the one pipeline every run goes through
    from training.trace import Trace

    job = task.job
    if task.trace_file:
        trace = Trace.from_file(task.trace_file)
    else:  # from the cache, or recorded again (deterministically)
        trace = obtain_trace(job.train, job.base_dir)
    with tempfile.TemporaryDirectory(prefix="sgd-anim-render-") as tmp:
        media = Path(tmp) / "manim"
        out = Path(tmp) / "out"
        out.mkdir()
        before = os.environ.get("SGD_ANIM_MANIM_CACHE")
        os.environ["SGD_ANIM_MANIM_CACHE"] = str(media)
        try:
            render_outputs(job, trace, out)
        finally:
            if before is None:
                os.environ.pop("SGD_ANIM_MANIM_CACHE", None)
            else:
                os.environ["SGD_ANIM_MANIM_CACHE"] = before
        return [(p.relative_to(out).as_posix(), p.read_bytes()) for p in sorted(out.rglob("*")) if p.is_file()]


# ------------------------------------------------------------------ the engine
@dataclass
class Outcome:
    """One finished task: its key (label), the value it returned, or the error it raised."""

    key: str
    value: object = None
    error: BaseException | None = None


def _check_reachable(address: str) -> tuple[str, int]:
    parts = urlsplit(address)
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or parts.port is None:
        raise InputError(f"--scheduler must look like tcp://HOST:PORT, got {address!r}")
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2.0):
            pass
    except OSError as e:
        why = e.strerror or type(e).__name__.replace("Error", " error").lower().strip()
        raise InputError(f"cannot reach the Dask scheduler at {address}: {why}") from None
    return parts.hostname, parts.port


class Engine:
    """Runs tasks on a local process pool or a Dask cluster; one interface for both."""

    def __init__(self, *, jobs: int | None = None, scheduler: str | None = None) -> None:
        self.scheduler = scheduler
        self.jobs = jobs
        self._client = None
        self._pool: ProcessPoolExecutor | None = None
        if jobs is not None and jobs < 1:
            raise InputError(f"--jobs must be >= 1, got {jobs}")
        if scheduler is not None:
            if jobs is not None:
                raise InputError("--jobs sets the local pool; the Dask cluster's workers decide with --scheduler")
            self._connect(scheduler)

    def _connect(self, address: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise InputError("--scheduler needs Dask's distributed: pip install 'sgd-anim[cluster]'") from None
        _check_reachable(address)
        # Client's own timeout does not cover a server that accepts the connection and never
        # answers the handshake (not a Dask scheduler): wait for it in a thread, at most so long.
        box: dict = {}

        def connect() -> None:
            try:
                box["client"] = Client(address, timeout=SCHEDULER_TIMEOUT, set_as_default=False)
            except BaseException as e:  # noqa: BLE001 - handed to the caller below
                box["error"] = e
        thread = threading.Thread(target=connect, name="sgd-anim-dask-connect", daemon=True)
        thread.start()
        thread.join(SCHEDULER_TIMEOUT + 0.5)
        if thread.is_alive():
            raise InputError(f"cannot reach the Dask scheduler at {address}: no answer within "
                             f"{SCHEDULER_TIMEOUT:g} s (is a Dask scheduler listening there?)")
        if "error" in box:
            e = box["error"]
            if not isinstance(e, (OSError, TimeoutError)):
                raise e
            raise InputError(f"cannot reach the Dask scheduler at {address}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
        self._client = box["client"]

    @property
    def where(self) -> str:
        if self._client is not None:
            return f"the Dask cluster at {self.scheduler}"
        return f"{self.jobs or default_jobs()} local process(es)"

    def executor(self, n_tasks: int) -> Executor:
        if self._client is not None:
            return self._client.get_executor(pure=False)  # the same settings twice are two runs, not one
        if self._pool is None:
            if multiprocessing.get_start_method() == "fork":
                # Forked workers inherit an imported torch: it is imported once here, not once per
                # worker at the same time (seconds of CPU each). Safe: this process runs no torch op,
                # so no thread pool of torch's exists to be forked.
                import torch  # noqa: F401
            self._pool = ProcessPoolExecutor(max_workers=max(1, min(self.jobs or default_jobs(), n_tasks)))
        return self._pool

    def run(self, fn: Callable, tasks: Iterable[tuple[str, object]],
            on_done: Callable[[Outcome, int, int], None] | None = None) -> Iterator[Outcome]:
        """Submit ``fn(task)`` for each (key, task); yield each :class:`Outcome` as it finishes
        (failures too: one task's error never stops the others)."""
        tasks = list(tasks)
        if not tasks:
            return
        ex = self.executor(len(tasks))
        futures: dict[Future, str] = {ex.submit(fn, task): key for key, task in tasks}
        done = 0
        try:
            for fut in as_completed(futures):
                done += 1
                err = fut.exception()
                out = Outcome(futures[fut], None if err else fut.result(), err)
                if on_done is not None:
                    on_done(out, done, len(tasks))
                yield out
        finally:
            for fut in futures:  # Ctrl-C or an error in the caller: nothing more starts
                fut.cancel()

    def close(self, *, abort: bool = False) -> None:
        """Shut the pool down (waiting for the tasks running) and disconnect from the cluster.
        ``abort`` (an error or a stop signal in the caller): the local workers are terminated
        first, so none is left running a task no one waits for."""
        if self._pool is not None:
            if abort:
                # ProcessPoolExecutor has no public way to stop a running task before 3.14
                # (terminate_workers); its worker processes are in _processes.
                for proc in list((getattr(self._pool, "_processes", None) or {}).values()):
                    with contextlib.suppress(Exception):
                        proc.terminate()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(abort=exc_type is not None)
