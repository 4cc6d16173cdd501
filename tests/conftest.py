"""Shared test setup: the repository root on sys.path, and a one-line-message check."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _assert_one_line(exc: BaseException, *must_contain: str) -> str:
    """The message of a user-facing error: non-empty, one line, naming what it must name."""
    msg = str(exc)
    assert msg.strip(), "empty error message"
    assert "\n" not in msg and "\r" not in msg, f"message is not one line: {msg!r}"
    for part in must_contain:
        assert part in msg, f"{part!r} not in message {msg!r}"
    return msg


@pytest.fixture
def one_line():
    """``one_line(excinfo.value, "name")`` asserts a one-line message that names ``name``."""
    return _assert_one_line


@pytest.fixture(autouse=True)
def _private_trace_cache(tmp_path_factory, monkeypatch):
    """Tests never read or fill the user's ~/.cache/sgd-anim (Manim's cache lives there too)."""
    monkeypatch.setenv("SGD_ANIM_CACHE", str(tmp_path_factory.getbasetemp() / "sgd-anim-cache"))
