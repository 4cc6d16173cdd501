"""SIGTERM, SIGHUP and Ctrl-C sent to a real process at each moment of a run (recording,
drawing and encoding, writing the GIF, between formats, writing the records, committing),
to a comparison with worker processes, and to the server.

The moments are made reliable, not guessed with sleeps: the child runs render.py's ``main``
with one function wrapped so that it prints ``PAUSED`` and waits at that moment; the test
sends the signal from outside when it reads the line. Then: the exit code is 128 + the
signal, stderr ends with one line, and the output folder is byte for byte (and inode for
inode) as before, an earlier run's outputs in it.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess  # every test starts render.py in an interpreter of its own

import render
from scenes.staging import STAGING_PREFIX
from tests.helpers import earlier_outputs, snapshot

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--size", "320x180", "--fps", "5", "--duration", "6", "--quiet"]
CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}

# Runs render.main with one moment wrapped: it prints PAUSED and waits for the test's signal.
HOOK = textwrap.dedent('''
    import os, sys, time
    sys.path.insert(0, os.environ["SGD_ROOT"])
    at = os.environ["PAUSE_AT"]
    paused = []

    def pause(seconds=120.0):
        if not paused:
            paused.append(1)
            os.write(1, b"PAUSED\\n")  # one write: workers printing at once cannot interleave it
            time.sleep(seconds)

    if at == "recording":  # mid-way through the PyTorch loop
        import training.recorder as rec
        real_record = rec.record
        def record(train, data, progress=None, **kw):
            def tick(done, total):
                if done >= total // 2:
                    pause()
            return real_record(train, data, progress=tick, **kw)
        rec.record = record
    elif at == "drawing":  # the frame loop: ffmpeg encoding, partial files open
        from scenes.encode import Encoders
        real_call = Encoders.__call__
        def call(self, frame, repeat=1):
            if self.done == 10:
                pause()
            return real_call(self, frame, repeat)
        Encoders.__call__ = call
    elif at == "gif":  # every frame sent, the GIF encoder finishing its file
        from scenes.writers.gif import GifWriter
        real_finish = GifWriter.finish
        def finish(self):
            pause()
            return real_finish(self)
        GifWriter.finish = finish
    elif at == "between":  # the videos and posters written, the page next
        from scenes import pipeline
        real_story = pipeline.write_story_outputs
        def story(*a, **k):
            pause()
            return real_story(*a, **k)
        pipeline.write_story_outputs = story
    elif at == "records":  # every output written, trace.json next
        from training.trace import Trace
        real_to_file = Trace.to_file
        def to_file(self, path):
            if os.path.basename(path) == "trace.json":
                pause()
            return real_to_file(self, path)
        Trace.to_file = to_file
    elif at == "commit":  # the first output renamed into place, the others not yet
        real_replace = os.replace
        def replace(a, b):
            real_replace(a, b)
            if "STAGING_PREFIX" in str(a) and "STAGING_PREFIX" not in str(b):  # out of the staging folder
                pause(1.0)  # the signal is held: the commit goes on after this
        os.replace = replace
    elif at == "worker":  # a comparison's run recording in a worker process
        import training.recorder as rec
        real_record = rec.record
        def record(train, data, progress=None, **kw):
            os.write(1, b"PAUSED\\n")  # one write: print's two writes from two workers could interleave
            time.sleep(120)
        rec.record = record
    elif at == "race":  # two runs into one folder: both commit at once, renames slowed
        import hashlib, json, pathlib
        from scenes import staging
        meet = pathlib.Path(os.environ["RACE_DIR"])
        first, each = (float(v) for v in os.environ["RACE_PACE"].split(","))
        real_commit, real_replace = staging.Staging.commit, os.replace
        def replace(a, b):
            time.sleep(first if "STAGING_PREFIX" not in str(b) else 0)
            real_replace(a, b)
            time.sleep(each if "STAGING_PREFIX" not in str(b) else 0)
        def commit(self):
            staged = {p.relative_to(self.path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                      for p in self.path.rglob("*") if p.is_file()}
            (meet / f"{os.getpid()}.json").write_text(json.dumps(staged))
            while len(list(meet.glob("*.json"))) < 2:
                time.sleep(0.005)
            os.replace = replace
            if os.environ.get("RACE_NO_LOCK"):  # to see this test fail without the lock
                import contextlib
                staging._turn = lambda folder: contextlib.nullcontext()
            real_commit(self)
            (meet / f"{os.getpid()}.done").write_text(str(time.monotonic_ns()))
        staging.Staging.commit = commit
    import render
    sys.exit(render.main())  # as the program: flags from sys.argv
''').replace("STAGING_PREFIX", STAGING_PREFIX)


@pytest.fixture
def trace_file(tmp_path):
    assert render.main(["--record-only", "--epochs", "2", "--quiet", "--out", str(tmp_path / "rec")]) == 0
    return tmp_path / "rec" / "trace.json"


def start(tmp_path: Path, at: str, *args: str, **env_vars: str) -> subprocess.Popen:
    hook = tmp_path / "hook.py"
    hook.write_text(HOOK)
    env = {**os.environ, "SGD_ROOT": str(ROOT), "PAUSE_AT": at, "PYTHONUNBUFFERED": "1", **env_vars}
    return subprocess.Popen([sys.executable, str(hook), *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_paused(proc: subprocess.Popen, lines: int = 1) -> None:
    got = 0
    while got < lines:
        line = proc.stdout.readline()
        if not line:
            pytest.fail(f"the run ended before the moment: {proc.wait()} {proc.stderr.read()}")
        got += line.count("PAUSED")


def stop(proc: subprocess.Popen, signum: int) -> tuple[str, float]:
    """Send ``signum``; the stderr and the seconds the process took to exit."""
    t0 = time.monotonic()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    return err, time.monotonic() - t0


# ------------------------------------------------------------------ one run, each moment
MOMENTS = [  # (moment, signal, formats)
    ("recording", signal.SIGTERM, "gif,png"),
    ("drawing", signal.SIGHUP, "mp4,gif,png,frames"),
    ("gif", signal.SIGTERM, "gif,png"),
    ("between", signal.SIGINT, "gif,png,frames,html"),
    ("records", signal.SIGHUP, "gif,html"),
]


@pytest.mark.slow
@pytest.mark.parametrize("at, signum, formats", MOMENTS, ids=[m[0] for m in MOMENTS])
def test_a_signal_at_each_moment_leaves_the_folder_as_it_was(tmp_path, trace_file, at, signum, formats):
    out = tmp_path / "out"
    before = earlier_outputs(out)
    # Recording: a --record-only run (the same trace stage as a render's, before any file).
    source = ["--no-cache", "--epochs", "2", "--record-only"] if at == "recording" else ["--trace", str(trace_file)]
    proc = start(tmp_path, at, "--out", str(out), "--format", formats, *source, *SMALL)
    wait_paused(proc)
    err, seconds = stop(proc, signum)
    name = signal.Signals(signum).name
    line = ("sgd-anim: interrupted; no partial output was left behind" if signum == signal.SIGINT
            else f"sgd-anim: interrupted by {name}; no partial output was left behind")
    assert (proc.returncode, err.strip().splitlines()) == (CODES[signum], [line])
    assert snapshot(out) == before
    assert seconds < 10, f"{at}: {seconds:.1f} s to exit after {name}"


@pytest.mark.slow
def test_a_signal_during_the_commit_ends_it_whole(tmp_path, trace_file):
    """Held until the last rename: the folder holds the new run's complete set, and the exit
    code still says SIGTERM."""
    out = tmp_path / "out"
    before = earlier_outputs(out)
    proc = start(tmp_path, "commit", "--out", str(out), "--format", "gif,png,frames", "--trace", str(trace_file),
                 *SMALL)
    wait_paused(proc)
    err, _ = stop(proc, signal.SIGTERM)
    assert proc.returncode == 143 and len(err.strip().splitlines()) == 1
    after = snapshot(out)
    for name in ("sgd.gif", "sgd.png", "sgd.vtt", "trace.json", "config.toml"):
        assert after[name] != before[name], name
    assert "sgd_frames/frame_00000.png" in after and after["sgd_frames/frame_00000.png"] != before[
        "sgd_frames/frame_00000.png"]
    assert after["notes.txt"] == before["notes.txt"] and after["sgd.html"] == before["sgd.html"]
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


# ------------------------------------------------------------------ two runs into one folder
@pytest.mark.slow
def test_two_renders_into_one_folder_end_with_the_last_one_s_set(tmp_path, trace_file):
    """Both runs stage their outputs, then commit at the same moment with renames slowed so
    that they would interleave (the first starts first and is slower): the folder ends with
    every file of the run that finished last, byte for byte, and nothing of the other."""
    out = tmp_path / "out"
    earlier_outputs(out)
    meet = tmp_path / "meet"
    meet.mkdir()
    procs = [start(tmp_path, "race", "--out", str(out), "--trace", str(trace_file), "--theme", theme,
                   "--format", "gif,png,frames,html", *SMALL, RACE_DIR=str(meet), RACE_PACE=pace)
             for theme, pace in (("light", "0,0.03"), ("dark", "0.005,0.01"))]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    import hashlib
    runs = {int(f.stem): json.loads(f.read_text()) for f in meet.glob("*.json")}
    last = max(runs, key=lambda pid: int((meet / f"{pid}.done").read_text()))
    files = {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in out.rglob("*") if p.is_file() and p.name != "notes.txt"}
    assert files == runs[last]
    other = next(r for pid, r in runs.items() if pid != last)
    assert all(other[n] != runs[last][n] for n in ("config.toml", "sgd.gif", "sgd.png", "sgd.html"))


# ------------------------------------------------------------------ a comparison
@pytest.mark.slow
def test_sigterm_stops_a_comparison_and_its_workers(tmp_path):
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "out"
    # lr=0.1 is in the cache (staged at once, then dropped), 0.3 and 0.5 record in two workers.
    assert render.main(["--record-only", "--epochs", "2", "--lr", "0.1", "--quiet", "--out", str(tmp_path / "c")]) == 0
    out.mkdir()
    (out / "runs.csv").write_bytes(b"earlier runs.csv")
    (out / "runs" / "lr=0.3").mkdir(parents=True)
    (out / "runs" / "lr=0.3" / "trace.json").write_bytes(b"earlier run")
    before = snapshot(out)
    proc = start(tmp_path, "worker", "--out", str(out), "--compare", "lr=0.1,0.3,0.5", "--epochs", "2",
                 "--record-only", "--jobs", "2", "--quiet")
    wait_paused(proc, lines=2)
    family = psutil.Process(proc.pid).children(recursive=True)
    assert len(family) >= 2
    err, seconds = stop(proc, signal.SIGTERM)
    assert (proc.returncode, err.strip().splitlines()) == (
        143, ["sgd-anim: interrupted by SIGTERM; no partial output was left behind"])
    gone, alive = psutil.wait_procs(family, timeout=5)
    assert alive == [], f"orphaned workers: {alive}"
    assert snapshot(out) == before
    assert seconds < 10, f"{seconds:.1f} s to exit"


# ------------------------------------------------------------------ the server
def _post(port: int, path: str, body: dict) -> None:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        urllib.request.urlopen(req, timeout=60).read()
    except Exception:  # noqa: BLE001 - the server stops under it: any answer, or none
        pass


@pytest.mark.slow
def test_sigterm_stops_the_server_with_a_render_in_flight(tmp_path):
    psutil = pytest.importorskip("psutil")
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "render.py"), "--serve", "--port", "0"], cwd=tmp_path,
                            env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = None
        deadline = time.time() + 120
        while time.time() < deadline and port is None:
            line = proc.stderr.readline()
            if not line:
                break
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            port = m and int(m.group(1))
        assert port, "the server printed no URL"
        client = threading.Thread(target=_post, args=(port, "/api/render", {"format": "mp4"}), daemon=True)
        client.start()
        deadline = time.time() + 60
        while not list(tmp_path.glob("sgd-anim-serve-*/.sgd.*.part.mp4")):  # the render is encoding
            assert time.time() < deadline and proc.poll() is None, "no render started"
            time.sleep(0.02)
        family = psutil.Process(proc.pid).children(recursive=True)
        err, seconds = stop(proc, signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "sgd-anim: stopped"
    assert psutil.wait_procs(family, timeout=5)[1] == []
    assert list(tmp_path.iterdir()) == []
    assert seconds < 10, f"{seconds:.1f} s to stop"
