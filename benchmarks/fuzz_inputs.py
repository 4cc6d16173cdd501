"""The long run of the file readers' mutation fuzzer (issue 27, item 3; the suite runs 2,400).

    python benchmarks/fuzz_inputs.py --cases 100000 --seed 1
    python benchmarks/fuzz_inputs.py --cases 2000 --big --max-size 8000000 --seed 2
    python benchmarks/fuzz_inputs.py --cases 5000 --only csv --save /tmp/findings

Prints a line every 5,000 cases, then the summary and each distinct finding (with its case
number, mutations and first bytes); ``--save`` writes each distinct finding's input to a file
to replay it (``Trace.from_file``, ``load_csv``, ``load_config_file`` on it). Exit code 1 if
anything was found. What the runs found: tests/training/FUZZING.md.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.training.mutation_fuzz import run  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--big", action="store_true", help="let inputs grow to megabytes")
    parser.add_argument("--max-size", type=int, default=None, help="bytes an input may grow to")
    parser.add_argument("--only", choices=["config", "csv", "trace.json", "sgdtrace"])
    parser.add_argument("--save", type=Path, help="a folder for the inputs of the findings")
    args = parser.parse_args(argv)

    def progress(done: int, report) -> None:
        if done % 5000 == 0:
            print(f"  {done:,} cases, {len(report.findings)} findings", flush=True)
    report = run(args.cases, seed=args.seed, big=args.big, only=args.only, max_size=args.max_size,
                 progress=progress)
    print(report.summary())
    for f in report.unique():
        print(f"  case {f.case} [{f.target}; {', '.join(f.mutations)}] {f.kind}: {f.detail[:300]} "
              f"(input {len(f.data):,} bytes: {f.data[:60]!r})")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / f"seed{args.seed}-case{f.case}-{f.target}").write_bytes(f.data)
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
