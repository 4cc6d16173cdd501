"""Freed frames are reused, not faulted in afresh (scenes.freed_memory): the encoders' processes
get glibc's malloc settings through their environment, a user's own settings win, and the
program sets its own; the outputs stay the same bytes (the command's tests compare them)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scenes import freed_memory
from scenes.writers import get_writer

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc settings: Linux")


@linux
def test_the_encoders_environment_keeps_freed_memory_and_a_users_setting_wins():
    env = freed_memory.encoder_env({"PATH": "/bin", "MALLOC_TRIM_THRESHOLD_": "12345"})
    assert env["MALLOC_MMAP_THRESHOLD_"] == str(freed_memory.MMAP_THRESHOLD)
    assert env["MALLOC_TRIM_THRESHOLD_"] == "12345" and env["PATH"] == "/bin"


@linux
def test_each_ffmpeg_process_gets_that_environment(tmp_path, monkeypatch):
    seen = []
    real = subprocess.Popen

    def spy(cmd, *args, **kwargs):
        if "pipe:0" in cmd:  # an encoder fed our frames (not the -encoders probe)
            seen.append(kwargs.get("env") or {})
        return real(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", spy)
    frame = np.zeros((36, 64, 4), np.uint8)
    for fmt in ("mp4", "gif"):
        w = get_writer(fmt)
        with w.saving(tmp_path / f"t.{fmt}", (64, 36), 10):
            for _ in range(3):
                w.grab_frame(frame)
    assert len(seen) >= 3  # x264, palettegen, the GIF's paletteuse
    assert all(e.get("MALLOC_MMAP_THRESHOLD_") == str(freed_memory.MMAP_THRESHOLD) for e in seen)


@linux
def test_mallopt_takes_every_setting():
    assert freed_memory.keep_freed_memory()


@linux
@pytest.mark.subprocess
def test_the_program_sets_its_own_malloc_and_a_library_caller_does_not():
    """render.py as the program calls keep_freed_memory; render.main(argv) from Python does not."""
    code = ("import sys, scenes.freed_memory as f, render\n"
            "calls = []\n"
            "f.keep_freed_memory = lambda: calls.append(1)\n"
            "sys.argv = ['render.py', '--help']\n"
            "try:\n    render.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('CALLS', len(calls))\n"
            "try:\n    render.main()\nexcept SystemExit:\n    pass\n"
            "print('CALLS', len(calls))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(Path(__file__).resolve().parents[2]))
    assert [line for line in out.stdout.splitlines() if line.startswith("CALLS")] == ["CALLS 0", "CALLS 1"]
