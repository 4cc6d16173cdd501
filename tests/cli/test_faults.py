"""Faults while rendering, met as a user meets them: the disk fills up, the encoder dies,
Ctrl-C. Each must leave no partial file, keep an earlier output intact, exit non-zero with
one clear line. And the same settings must give the same files, byte for byte."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import render
from scenes.writers import ffmpeg as writers
from tests.helpers import RENDER_PY, ROOT, default_sigint
SMALL = ["--size", "320x180", "--fps", "10"]
EARLIER = b"the good video from yesterday"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".part" in p.name)


@pytest.fixture(scope="module")
def default_trace(tmp_path_factory) -> Path:
    """The default run, recorded here once: the renders interrupted below load it (--trace), so
    that they never train (seconds of torch's import), whatever the worker's trace cache holds."""
    from training.recorder import record

    return record().to_file(tmp_path_factory.mktemp("default-trace") / "trace.json")


def _start(out: Path, trace: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(RENDER_PY), "--trace", str(trace), "--out", str(out), *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_sigint)


def _wait_for_part_file(out: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if _leftovers(out):
            time.sleep(0.3)  # let it get well into the frames
            return
        if proc.poll() is not None:
            pytest.fail(f"render ended before writing: {proc.stderr.read()}")
        time.sleep(0.02)
    pytest.fail("no output was started in time")


def test_simulated_full_disk_mid_render(tmp_path, monkeypatch, capsys):
    (tmp_path / "sgd.gif").write_bytes(EARLIER)
    calls = {"n": 0}
    real = writers.FFmpegWriter.grab_frame

    def failing(self, frame):
        calls["n"] += 1
        if calls["n"] == 25:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.path))
        return real(self, frame)

    monkeypatch.setattr(writers.FFmpegWriter, "grab_frame", failing)
    code = render.main(["--out", str(tmp_path), "--format", "gif,png", *SMALL])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1] == f"sgd-anim: error: No space left on device: {tmp_path / 'sgd.gif'}"
    assert "Traceback" not in "".join(err)
    assert (tmp_path / "sgd.gif").read_bytes() == EARLIER
    assert _leftovers(tmp_path) == [] and not (tmp_path / "sgd.png").exists()
    assert not (tmp_path / "trace.json").exists()  # nothing of the failed run is left


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 400 KB file system (tmpfs; needs root, as CI has). Skipped where it cannot be made."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.mark.slow
@pytest.mark.subprocess
def test_real_full_disk_leaves_no_partial_file(tiny_disk):
    out = tiny_disk / "out"
    out.mkdir()
    (out / "sgd.mp4").write_bytes(EARLIER)
    r = subprocess.run([sys.executable, str(RENDER_PY), "--out", str(out), "--size", "640x360"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1
    last = r.stderr.strip().splitlines()[-1]
    assert "disk is full" in last and "Traceback" not in r.stderr
    assert (out / "sgd.mp4").read_bytes() == EARLIER
    assert _leftovers(out) == []
    assert sorted(p.name for p in out.iterdir()) == ["sgd.mp4"]


@pytest.mark.slow
@pytest.mark.subprocess
def test_ctrl_c_mid_render(tmp_path, default_trace):
    (tmp_path / "sgd.mp4").write_bytes(EARLIER)
    proc = _start(tmp_path, default_trace, "--format", "mp4,gif", "--size", "640x360")
    _wait_for_part_file(tmp_path, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == "sgd-anim: interrupted; no partial output was left behind"
    assert "Traceback" not in err and out == ""
    assert (tmp_path / "sgd.mp4").read_bytes() == EARLIER
    assert _leftovers(tmp_path) == []


@pytest.mark.slow
@pytest.mark.subprocess
def test_encoder_killed_mid_render(tmp_path, default_trace):
    psutil = pytest.importorskip("psutil")
    (tmp_path / "sgd.mp4").write_bytes(EARLIER)
    proc = _start(tmp_path, default_trace, "--format", "mp4", "--size", "640x360")
    _wait_for_part_file(tmp_path, proc)
    encoders = [c for c in psutil.Process(proc.pid).children(recursive=True) if "ffmpeg" in c.name()]
    assert encoders, "no ffmpeg child found"
    for c in encoders:
        c.kill()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("sgd-anim: render failed: ffmpeg (mp4)") and "Traceback" not in err
    assert (tmp_path / "sgd.mp4").read_bytes() == EARLIER
    assert _leftovers(tmp_path) == []


@pytest.mark.slow
def test_same_settings_give_byte_identical_files(tmp_path):
    # 5 s of video: every beat and the fast-forward, as the default 23 s has them, in 50 frames
    for name in ("a", "b"):
        assert render.main(["--out", str(tmp_path / name), "--no-cache", "--quiet", "--format", "gif,png",
                            "--duration", "5", *SMALL]) == 0
    for f in ("trace.json", "sgd.gif", "sgd.png", "config.toml"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
