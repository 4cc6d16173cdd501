"""A mutation fuzzer for the file inputs, in process (issue 27, item 3).

Valid seeds (:mod:`tests.training.fuzz_seeds`) are mutated (:mod:`tests.training.fuzz_mutations`)
and fed to the real loaders. The property, for every case:

- it ends in a loaded value (which must be usable: see the seeds' checks) or an
  :class:`InputError` whose message is one line (no line break of any kind: ``splitlines``),
  of at most :data:`MAX_MESSAGE` characters; never any other exception;
- within :data:`TIME_LIMIT` seconds (a timer interrupts a case that takes longer; a case
  measured with tracemalloc, which slows it, has TRACED_SLOWER times as long);
- for a large input (and every :data:`MEMORY_EVERY`-th case), with a ``tracemalloc`` peak
  within :func:`memory_bound` of its size.

Deterministic: ``run(cases, seed)`` makes the same inputs on every machine. The suite runs a
few thousand (tests/training/test_fuzz_mutation.py); ``benchmarks/fuzz_inputs.py`` many more.
What the long runs found: tests/training/FUZZING.md.
"""
from __future__ import annotations

import os
import random
import signal
import tempfile
import threading
import time
import traceback
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.training.fuzz_mutations import mutate
from tests.training.fuzz_seeds import Target, targets
from training.errors import InputError

__all__ = ["Finding", "Report", "run", "memory_bound", "TIME_LIMIT", "MAX_MESSAGE"]

TIME_LIMIT = 2.0       # seconds a case may take
MAX_MESSAGE = 1000     # characters an error message may have
MEMORY_EVERY = 50      # every n-th case is also measured with tracemalloc
BIG_INPUT = 64 << 10   # and every input at least this large
TRACED_SLOWER = 4      # tracemalloc makes a case up to this many times slower: its time limit is longer


def memory_bound(target: str, size: int) -> int:
    """The peak a case may reach (tracemalloc): a fixed part and some bytes per input byte.
    A config may ask for a synthetic data set of 1,000,000 points (docs/configuration.md)."""
    fixed = (96 << 20) if target == "config" else (8 << 20)
    # trace.json's small sections are parsed whole by json.loads: up to ~50 bytes per byte
    return fixed + (64 if target == "trace.json" else 8) * size


@dataclass
class Finding:
    target: str
    kind: str            # "exception", "message", "result", "slow", "memory"
    detail: str
    data: bytes
    mutations: list[str]
    case: int

    @property
    def signature(self) -> tuple:
        return (self.target, self.kind, self.detail.splitlines()[0][:120] if self.detail else "")


@dataclass
class Report:
    cases: int = 0
    seconds: float = 0.0
    outcomes: Counter = field(default_factory=Counter)   # (target, "loaded" | "refused")
    measured: int = 0                                     # cases run under tracemalloc
    slowest: tuple[float, str, int] = (0.0, "", 0)        # seconds, target, input size
    largest: int = 0
    worst_memory: tuple[float, str, int] = (0.0, "", 0)   # peak / bound, target, input size
    findings: list[Finding] = field(default_factory=list)

    def unique(self) -> list[Finding]:
        seen: dict[tuple, Finding] = {}
        for f in self.findings:
            seen.setdefault(f.signature, f)
        return list(seen.values())

    def summary(self) -> str:
        per = ", ".join(f"{t} {self.outcomes[(t, 'loaded')]} loaded / {self.outcomes[(t, 'refused')]} refused"
                        for t in sorted({t for t, _ in self.outcomes}))
        return (f"{self.cases} cases in {self.seconds:.1f} s ({per}); {self.measured} under tracemalloc, "
                f"worst peak {self.worst_memory[0]:.0%} of its bound ({self.worst_memory[1]}, "
                f"{self.worst_memory[2]:,} bytes); slowest {self.slowest[0]:.3f} s ({self.slowest[1]}, "
                f"{self.slowest[2]:,} bytes); largest input {self.largest:,} bytes; "
                f"{len(self.findings)} findings, {len(self.unique())} distinct")


class _Timeout(BaseException):
    """Raised by the timer inside a case that runs too long (a BaseException: no loader's
    ``except Exception`` may swallow it)."""


def _alarm(signum, frame):
    raise _Timeout()


def _message_problem(msg: str) -> str | None:
    if not msg.strip():
        return "empty message"
    if len(msg.splitlines()) != 1 or "\r" in msg or "\n" in msg:
        return f"not one line: {msg[:300]!r}"
    if len(msg) > MAX_MESSAGE:
        return f"a {len(msg):,}-character message: {msg[:200]!r}"
    return None


def _one(target: Target, path: Path, data: bytes, measure: bool) -> tuple[str, str | None, float, int]:
    """Load one input: (outcome, problem or None, seconds, tracemalloc peak or 0)."""
    path.write_bytes(data)
    peak = 0
    if measure:
        tracemalloc.start()
    timer = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if timer:
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT * (TRACED_SLOWER if measure else 1))
    t0 = time.perf_counter()
    try:
        try:
            value = target.load(path)
        finally:
            seconds = time.perf_counter() - t0
            if timer:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old)
            if measure:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
    except _Timeout:
        return "timeout", f"did not end within {TIME_LIMIT} s", seconds, peak
    except InputError as e:
        return "refused", _message_problem(str(e)), seconds, peak
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - the finding itself
        tb = traceback.extract_tb(e.__traceback__)[-1]
        where = f"{Path(tb.filename).name}:{tb.lineno}"
        return "exception", f"{type(e).__name__} at {where}: {str(e)[:200]}", seconds, peak
    try:
        target.check(value)
    except Exception as e:  # noqa: BLE001
        tb = traceback.extract_tb(e.__traceback__)[-1]
        return "result", f"loaded but unusable ({type(e).__name__} at {Path(tb.filename).name}:{tb.lineno}: " \
                         f"{str(e)[:200]})", seconds, peak
    return "loaded", None, seconds, peak



def run(cases: int, seed: int = 0, folder: Path | None = None, big: bool = False, only: str | None = None,
        max_size: int | None = None, measure_every: int = MEMORY_EVERY, progress=None) -> Report:
    """Run ``cases`` cases, shared round-robin among the targets (``only``: one of them).
    ``big`` lets mutations grow inputs to megabytes (the long run); off, inputs stay small
    (``max_size``: at most this many bytes). Every ``measure_every``-th case, and every large
    one, runs under tracemalloc."""
    report = Report()
    shm = Path("/dev/shm")  # in memory where there is one: a case writes a file
    with tempfile.TemporaryDirectory(prefix="sgd-fuzz-", dir=shm if os.access(shm, os.W_OK) else None) as tmp:
        folder = Path(folder or tmp)
        chosen = [t for t in targets(folder) if only in (None, t.name)]
        rng = random.Random(seed)
        start = time.perf_counter()
        for case in range(cases):
            target = chosen[case % len(chosen)]
            data, names = mutate(rng, target.seeds, target.structure, big, max_size)
            measure = case % measure_every == 0 or len(data) >= BIG_INPUT
            outcome, problem, seconds, peak = _one(target, folder / f"case{target.suffix}", data, measure)
            report.cases += 1
            report.largest = max(report.largest, len(data))
            report.outcomes[(target.name, "loaded" if outcome == "loaded" else "refused")] += 1
            if seconds > report.slowest[0]:
                report.slowest = (seconds, target.name, len(data))
            kind = {"refused": "message", "loaded": "result"}.get(outcome, outcome)
            if problem is None and seconds > TIME_LIMIT * (TRACED_SLOWER if measure else 1):
                kind, problem = "slow", f"took {seconds:.2f} s" + (" under tracemalloc" if measure else "")
            if problem is None and measure:
                report.measured += 1
                ratio = peak / memory_bound(target.name, len(data))
                if ratio > report.worst_memory[0]:
                    report.worst_memory = (ratio, target.name, len(data))
                if ratio > 1:
                    kind, problem = "memory", f"peak {peak:,} bytes for {len(data):,} bytes of input"
            if problem is not None:
                report.findings.append(Finding(target.name, kind, problem, data, names, case))
            if progress is not None and (case + 1) % 1000 == 0:
                progress(case + 1, report)
        report.seconds = time.perf_counter() - start
    return report
