"""The fuzz properties of test_fuzz.py and test_trace_memory.py with many more examples than
the suite's few: Hypothesis' "thorough" profile (tests/conftest.py), in a pytest of its own
(slow). Thousands each, by hand: ``make test-fuzz``."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

HERE = Path(__file__).resolve().parent
FILES = ("test_fuzz.py", "test_trace_memory.py")


@pytest.mark.slow
@pytest.mark.subprocess
def test_every_property_holds_over_many_examples():
    # Every @given test of those files: Hypothesis marks them "hypothesis".
    properties = sum(len(re.findall(r"^@given\(", (HERE / f).read_text(encoding="utf-8"), re.M)) for f in FILES)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-n", "0",
                           "-m", "hypothesis", "--hypothesis-profile=thorough", *(str(HERE / f) for f in FILES)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert re.search(r"hypothesis profile 'thorough' -> .*max_examples=300", proc.stdout), proc.stdout[:2000]  # (-v header)
    assert re.search(rf"\b{properties} passed\b", proc.stdout), (properties, proc.stdout[-2000:])
