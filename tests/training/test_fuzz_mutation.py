"""The mutation fuzzer over the file readers, in the suite (issue 27, item 3): a few thousand
mutated configs, CSV files, trace.json files and binary traces, each loaded in this process by
the real readers. Every case ends in a loaded, usable value or a one-line InputError, within
the time limit, and the measured ones within their memory bound (tests/training/mutation_fuzz.py).

Deterministic (fixed seeds): the same inputs on every run. The long runs, and what they found:
``python benchmarks/fuzz_inputs.py`` and tests/training/FUZZING.md.
"""
from __future__ import annotations

import pytest

from tests.training import mutation_fuzz
from tests.training.mutation_fuzz import run

SUITE_SEED = 27
SUITE_CASES = 2400     # 600 a format; about 4 s on this machine
SUITE_MAX_SIZE = 8 << 10
BIG_CASES = 6          # a format: inputs grown to up to 128 kB, each measured with tracemalloc


def _explain(report) -> str:
    lines = [report.summary()]
    for f in report.unique()[:10]:
        lines.append(f"  case {f.case} [{f.target}, {', '.join(f.mutations)}] {f.kind}: {f.detail[:300]} "
                     f"(input {len(f.data):,} bytes: {f.data[:80]!r})")
    return "\n".join(lines)


def test_mutated_files_load_or_are_refused_in_one_line(tmp_path):
    report = run(SUITE_CASES, seed=SUITE_SEED, folder=tmp_path, max_size=SUITE_MAX_SIZE)
    assert not report.findings, _explain(report)
    assert report.cases == SUITE_CASES and report.measured >= SUITE_CASES // mutation_fuzz.MEMORY_EVERY
    # The mutations reach past the first check: some inputs of every format still load.
    for target in ("config", "csv", "trace.json", "sgdtrace"):
        assert report.outcomes[(target, "loaded")] > 0, report.outcomes
        assert report.outcomes[(target, "refused")] > 0, report.outcomes


@pytest.mark.slow  # a few seconds: every case under tracemalloc
@pytest.mark.parametrize("target", ["csv", "trace.json", "sgdtrace"])
def test_large_mutated_files_stay_within_time_and_memory(tmp_path, target):
    """Inputs grown large (long strings, repeated lines, deep nesting, huge counts), every one
    measured with tracemalloc against its bound (the long run: inputs of megabytes; a config
    file is at most 1 MB, and the small cases measure it)."""
    report = run(BIG_CASES, seed=SUITE_SEED, folder=tmp_path, big=True, only=target, max_size=128 << 10,
                 measure_every=1)
    assert not report.findings, _explain(report)
    assert report.measured == BIG_CASES and report.largest > 10_000, report.summary()


def test_the_fuzzer_notices_what_it_is_there_to_notice(tmp_path, monkeypatch):
    """A reader that raises a bare exception, writes two lines or runs too long is a finding."""
    from tests.training import fuzz_seeds
    from training.errors import InputError
    real = fuzz_seeds.targets

    def broken(folder):
        out = real(folder)
        by_name = {t.name: t for t in out}

        def raises(path):
            raise KeyError("x")

        def two_lines(path):
            raise InputError("first\nsecond")

        def slow(path):
            import time
            time.sleep(1.5)  # past the (shortened) limit, with and without tracemalloc
        by_name["csv"].load, by_name["config"].load, by_name["sgdtrace"].load = raises, two_lines, slow
        return out
    monkeypatch.setattr(mutation_fuzz, "targets", broken)
    monkeypatch.setattr(mutation_fuzz, "TIME_LIMIT", 0.2)
    report = run(4, seed=1, folder=tmp_path)
    kinds = {(f.target, f.kind) for f in report.findings}
    assert kinds == {("csv", "exception"), ("config", "message"), ("sgdtrace", "timeout")}, kinds
