"""render.py --run SCRIPT with hostile scripts (the "Survive" bug hunt, session 5): whatever the
script does, one line on stderr naming it, its exit code or 2, nothing written, torch as it was."""
from __future__ import annotations

import pytest

from tests.cli.test_run_script import LOOP, run

BROKEN_STR = """
class Odd(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")
raise Odd()
"""


@pytest.mark.parametrize("tail, code, words", [
    (BROKEN_STR, 2, "the script failed: Odd"),  # (was: "render failed: no message for you", exit 1)
    ("raise ValueError('z' * 100_000)", 2, "the script failed: ValueError: zzz"),  # (was: a line of 100,069)
    ("raise ValueError('\\n\\nthe real reason')", 2, "the script failed: ValueError: the real reason"),
    ("sys.exit(True)", 1, "exited with code 1"),  # (was: "code True")
])
def test_a_script_failing_oddly_is_one_short_line(tmp_path, capsys, tail, code, words):
    got, err = run(tmp_path, capsys, LOOP.format(d_in=1, tail=tail))
    assert got == code and len(err) == 1 and words in err[0] and len(err[0]) < 300, err
