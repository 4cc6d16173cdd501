"""All or nothing, in process (fast): a run's outputs are staged and committed together; a run
that fails or is stopped leaves the output folder exactly as it was; two runs committing into
one folder at once end with one run's complete set; the trace cache survives concurrent
writers and a reader during a write. (Real signals to real processes: test_signals.py.)"""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import render
from scenes import staging
from scenes.staging import STAGING_PREFIX, Staging, shown_name
from scenes.stopping import Stopped, signals_held, stop_on_signals
from tests.helpers import earlier_outputs, snapshot

SMALL = ["--size", "320x180", "--fps", "5", "--duration", "6", "--quiet"]


@pytest.fixture
def trace_file(tmp_path):
    assert render.main(["--record-only", "--epochs", "2", "--quiet", "--out", str(tmp_path / "rec")]) == 0
    return tmp_path / "rec" / "trace.json"


# ------------------------------------------------------------------ the staging folder
def test_commit_moves_everything_and_replaces_the_frames_folder_whole(tmp_path):
    out = tmp_path / "out"
    before = earlier_outputs(out)
    with Staging(out, whole=["sgd_frames"]) as stage:
        (stage.path / "sgd.gif").write_bytes(b"new gif")
        (stage.path / "sgd_frames").mkdir()
        (stage.path / "sgd_frames" / "frame_00001.png").write_bytes(b"new frame")
        (stage.path / "runs" / "a").mkdir(parents=True)
        (stage.path / "runs" / "a" / "trace.json").write_bytes(b"run a")
        assert stage.target(stage.path / "sgd.gif") == out / "sgd.gif"
        assert snapshot(out) == {**before, stage.path.name: "dir", **{
            f"{stage.path.name}/{k}": v for k, v in snapshot(stage.path).items()}}
    after = snapshot(out)
    assert after["sgd.gif"][0] == b"new gif"
    assert after["sgd_frames/frame_00001.png"][0] == b"new frame"
    assert "sgd_frames/frame_00000.png" not in after  # replaced whole, not merged
    assert after["runs/a/trace.json"][0] == b"run a"
    assert after["notes.txt"] == before["notes.txt"] and after["sgd.png"] == before["sgd.png"]
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


@pytest.mark.parametrize("error", [RuntimeError("boom"), Stopped(signal.SIGTERM)])
def test_a_failed_run_leaves_the_folder_as_it_was(tmp_path, error):
    out = tmp_path / "out"
    before = earlier_outputs(out)
    with pytest.raises(type(error)):
        with Staging(out, whole=["sgd_frames"]) as stage:
            (stage.path / "sgd.gif").write_bytes(b"new gif")
            (stage.path / "new.txt").write_bytes(b"new")
            raise error
    assert snapshot(out) == before


def test_a_failed_run_removes_the_folders_it_created(tmp_path):
    with pytest.raises(RuntimeError):
        with Staging(tmp_path / "a" / "b" / "out") as stage:
            (stage.path / "x").write_bytes(b"x")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_a_signal_during_the_commit_waits_for_its_end(tmp_path, monkeypatch):
    """The commit is a few renames: a SIGTERM in the middle is held until the last one."""
    out = tmp_path / "out"
    earlier_outputs(out)
    real = os.replace
    sent = []

    def replace(a, b):
        real(a, b)
        if not sent:
            sent.append(1)
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # the handler would run here, were the signal not held

    monkeypatch.setattr(staging.os, "replace", replace)
    with stop_on_signals():
        with pytest.raises(Stopped) as stopped:
            with Staging(out) as stage:
                for name in ("config.toml", "sgd.gif", "trace.json"):
                    (stage.path / name).write_bytes(b"new " + name.encode())
    assert stopped.value.exit_code == 143
    assert all((out / n).read_bytes() == b"new " + n.encode() for n in ("config.toml", "sgd.gif", "trace.json"))
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_signals_held_outside_the_handler_too(tmp_path):
    """Without our handler (the Python API), Ctrl-C during a commit is delivered after it."""
    with pytest.raises(KeyboardInterrupt):
        with signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            done = True
    assert done


def test_two_runs_committing_at_once_end_with_one_complete_set(tmp_path, monkeypatch):
    """Each run stages a full set and both commit together, renames slowed down so that they
    would interleave (without the lock this test ends with a mix): the folder ends with every
    file of one run (the last to commit), none of the other's."""
    out = tmp_path / "out"
    earlier_outputs(out)
    real = os.replace

    def slow(a, b):  # A starts first and renames slowly, B overtakes it: unserialised, a mix
        pause = {"A": (0, 0.03), "B": (0.005, 0.01)}[threading.current_thread().name]
        time.sleep(pause[0])
        real(a, b)
        time.sleep(pause[1])

    monkeypatch.setattr(staging.os, "replace", slow)
    names = ("config.toml", "sgd.gif", "sgd.png", "sgd.vtt", "trace.json")
    barrier = threading.Barrier(2)
    finished: list[str] = []

    class Tagged(Staging):
        def commit(self) -> None:
            super().commit()
            finished.append(self.tag)

    def run(tag: str) -> None:
        with Tagged(out, whole=["sgd_frames"]) as stage:
            stage.tag = tag
            for n in names:
                (stage.path / n).write_text(tag)
            (stage.path / "sgd_frames").mkdir()
            (stage.path / "sgd_frames" / "frame_00000.png").write_text(tag)
            barrier.wait()

    threads = [threading.Thread(target=run, args=(t,), name=t) for t in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {(out / n).read_text() for n in names} == {finished[-1]}
    assert (out / "sgd_frames" / "frame_00000.png").read_text() == finished[-1]


def test_temporary_names_are_shown_as_the_user_s():
    assert shown_name(f"/o/{STAGING_PREFIX}ab_12/.sgd.x1y2.part.mp4") == "/o/sgd.mp4"
    assert shown_name(f"/o/{STAGING_PREFIX}ab_12/sgd_frames") == "/o/sgd_frames"
    assert shown_name("/o/.sgd_frames.k2l3.part") == "/o/sgd_frames"


# ------------------------------------------------------------------ the pipeline, stopped in process
@pytest.mark.parametrize("where", ["drawing", "between formats"])
def test_a_render_stopped_in_process_leaves_the_folder_as_it_was(tmp_path, trace_file, monkeypatch, capsys, where):
    out = tmp_path / "out"
    before = earlier_outputs(out)
    if where == "drawing":
        from scenes.writers.gif import GifWriter
        real, calls = GifWriter.grab_frame, []

        def grab(self, frame):  # (counted here: frames may wait for the palette, unwritten)
            calls.append(1)
            if len(calls) == 5:
                raise Stopped(signal.SIGHUP)
            return real(self, frame)
        monkeypatch.setattr(GifWriter, "grab_frame", grab)
    else:
        from scenes import pipeline

        def stop(*a, **k):
            raise Stopped(signal.SIGTERM)
        monkeypatch.setattr(pipeline, "write_story_outputs", stop)
    code = render.main(["--trace", str(trace_file), "--out", str(out), "--format", "gif,png,frames,html", *SMALL])
    err = capsys.readouterr().err.strip().splitlines()
    sig = "SIGHUP" if where == "drawing" else "SIGTERM"
    assert code == {"SIGHUP": 129, "SIGTERM": 143}[sig]
    assert err == [f"sgd-anim: interrupted by {sig}; no partial output was left behind"]
    assert snapshot(out) == before


def test_a_render_commits_every_output_at_once(tmp_path, trace_file, capsys):
    out = tmp_path / "out"
    before = earlier_outputs(out)
    assert render.main(["--trace", str(trace_file), "--out", str(out), "--format", "gif,png,frames",
                        *SMALL[:-1]]) == 0
    printed = capsys.readouterr().out.split()
    assert sorted(printed) == [str(out / n) for n in ("config.toml", "sgd.gif", "sgd.png", "sgd.vtt", "sgd_frames",
                                                      "trace.json")]
    after = snapshot(out)
    assert after["notes.txt"] == before["notes.txt"] and after["sgd.html"] == before["sgd.html"]
    assert all(after[n] != before[n] for n in ("sgd.gif", "sgd.png", "sgd.vtt", "trace.json", "config.toml"))
    assert "sgd_frames/frame_00000.png" in after and after["sgd_frames/frame_00000.png"] != before["sgd_frames/frame_00000.png"]
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


# ------------------------------------------------------------------ the trace cache
def test_the_cache_survives_concurrent_writers_and_readers(tmp_path, trace_file, monkeypatch):
    from training import cache
    from training.trace import Trace
    monkeypatch.setenv("SGD_ANIM_CACHE", str(tmp_path / "cache"))
    a = Trace.from_file(trace_file)
    b = Trace.from_file(trace_file)
    b.config["lr"] = 0.123  # another run under the same key: a reader must get one whole
    key = "k" * 32
    cache.store(key, a)
    stop = threading.Event()
    seen, errors = set(), []

    def write(t) -> None:
        while not stop.is_set():
            cache.store(key, t)

    def read() -> None:
        while not stop.is_set():
            got = cache.load_cached(key)
            if got is None:
                errors.append("entry missing or dropped")
            else:
                seen.add(got.config["lr"])

    threads = [threading.Thread(target=write, args=(t,)) for t in (a, b, a)] + [threading.Thread(target=read)
                                                                               for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert seen <= {a.config["lr"], 0.123} and seen
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [cache.cache_path(key).name]  # no temporary left


def test_a_cache_entry_replaced_while_read_is_not_dropped(tmp_path, trace_file, monkeypatch):
    from training import cache
    from training.errors import InputError
    from training.trace import Trace
    monkeypatch.setenv("SGD_ANIM_CACHE", str(tmp_path / "cache"))
    key = "d" * 32
    path = cache.cache_path(key)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"damaged")
    assert cache.load_cached(key) is None and not path.exists()  # a damaged entry is dropped
    path.write_bytes(b"damaged")
    good = Trace.from_file(trace_file)
    real = Trace.from_file

    def read_then_replaced(p):  # another process renames a good entry in while we read the old
        try:
            return real(p)
        finally:
            cache.store(key, good)

    monkeypatch.setattr(Trace, "from_file", staticmethod(read_then_replaced))
    with pytest.raises(InputError):
        real(path)
    assert cache.load_cached(key) is None
    assert path.exists()
    monkeypatch.setattr(Trace, "from_file", real)
    assert cache.load_cached(key) is not None
