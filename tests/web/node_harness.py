"""Run one player file under Node in a harness of its own: the harness stubs the few helpers
the file takes, evals it (``process.argv[2]``) and prints its findings as JSON."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["ROOT", "NODE", "needs_node", "run_harness"]

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node") or "/usr/bin/node"
needs_node = pytest.mark.skipif(not Path(NODE).is_file(), reason="node is not installed")


def run_harness(harness: str, player_file: str, folder: Path):
    """``harness`` (JavaScript) run on ``scenes/web/player/<player_file>``; what it printed, parsed."""
    runner = folder / "run.js"
    runner.write_text(harness, encoding="utf-8")
    done = subprocess.run([NODE, str(runner), str(ROOT / "scenes/web/player" / player_file)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
