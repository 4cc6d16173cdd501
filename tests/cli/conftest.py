"""Fixtures of the command-line tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.refusals import OLD_MP4, OLD_TRACE


@pytest.fixture
def old_out(tmp_path) -> Path:
    """An output folder holding an earlier good sgd.mp4 and trace.json."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "sgd.mp4").write_bytes(OLD_MP4)
    (out / "trace.json").write_bytes(OLD_TRACE)
    return out
