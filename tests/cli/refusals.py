"""What every refused command line must do (issue 6, "Bad input"): exit 2, one line on stderr
starting ``sgd-anim: error:`` that names the problem, no traceback, nothing written, an earlier
output of the same name left byte for byte. Shared by the bad-input test files."""
from __future__ import annotations

from pathlib import Path

from tests.helpers import run_main

__all__ = ["OLD_MP4", "OLD_TRACE", "_snapshot", "assert_one_error_line", "check_refused"]

OLD_MP4 = b"\x00\x00\x00\x18ftypmp42 an earlier, good video"
OLD_TRACE = b'{"an": "earlier, good trace"}\n'


# ------------------------------------------------------------------ helpers
# (the trace cache is the test process's own: see tests/conftest.py)
def _snapshot(folder: Path) -> dict[str, bytes] | None:
    if not folder.exists():
        return None
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(folder.rglob("*"))}


def assert_one_error_line(code: int, err: str, *names: str) -> str:
    assert code == 2, f"exit code {code}, stderr: {err!r}"
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {err!r}"
    line = lines[0]
    assert line.startswith("sgd-anim: error:"), line
    assert len(line) > len("sgd-anim: error: ") + 10, line
    for name in names:
        assert name.lower() in line.lower(), f"{name!r} not named in {line!r}"
    return line


def check_refused(capsys, out: Path, argv: list[str], *names: str) -> str:
    """Run with --out ``out`` (pre-filled or absent): refused cleanly, ``out`` untouched."""
    before = _snapshot(out)
    code, stdout, err = run_main(capsys, "--record-only", "--out", out, *argv)
    line = assert_one_error_line(code, err, *names)
    assert stdout == "", f"nothing may be reported as written: {stdout!r}"
    assert _snapshot(out) == before, "the output folder changed after a refused run"
    return line

