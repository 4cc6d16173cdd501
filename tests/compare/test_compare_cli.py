"""render.py --compare and several --trace, end to end (issue 11, "Comparisons", "Sweeps",
"Bad input"): outputs, the local pool against serial recording, failures, resuming."""
from __future__ import annotations

import csv
import sys

import pytest

from scenes.compare import engine as engine_mod
from tests.helpers import run_main
from training.config import TrainConfig
from training.recorder import record


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("argv, names", [
    (["--compare", "speed=1,2"], ["unknown setting 'speed'"]),
    (["--compare", "lr="], ["empty list"]),
    (["--compare", "lr=0.1,-2"], ["run lr=-2", "learning rate"]),
    (["--compare", "batch_size=2,7"], ["run batch_size=7", "larger than the data"]),
    (["--compare", "optimizer=sgd,adam", "--momentum", "0.5"], ["run optimizer=adam", "momentum"]),
    (["--compare", "seed=" + ",".join(map(str, range(20))), "--compare", "epochs=" + ",".join(map(str, range(1, 15)))],
     ["280 runs", "--yes"]),
    (["--compare", "lr=0.1,0.2", "--scheduler", "tcp://127.0.0.1:9"], ["cannot reach the Dask scheduler"]),
    (["--compare", "lr=0.1,0.2", "--scheduler", "localhost"], ["tcp://HOST:PORT"]),
    (["--compare", "lr=0.1,0.2", "--jobs", "0"], ["--jobs must be >= 1"]),
    (["--compare", "lr=0.1,0.2", "--format", "frames"], ["frames", "comparison"]),
    (["--compare", "lr=0.1,0.2", "--format", "png,pptx"], ["pptx", "comparison", "mp4, webm, gif, png, html"]),
    (["--compare", "lr=0.1,0.2", "--trace", "x.json"], ["one or the other"]),
    (["--jobs", "2"], ["--jobs only applies to a comparison"]),
    (["--compare", "lr=0.1,0.2", "--backend", "manim", "--size", "480x480"], ["16:9", "480x480"]),
    (["--each"], ["--each only applies"]),
])
def test_bad_input_is_one_line_before_any_run(tmp_path, capsys, argv, names):
    out = tmp_path / "out"
    code, stdout, err = run_main(capsys, *argv, "--out", out)
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("sgd-anim: error: "), err
    for name in names:
        assert name in lines[0]
    assert not out.exists() and stdout == ""


def test_unreachable_scheduler_fails_fast(tmp_path, capsys):
    import socket
    import time
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    code, _, err = run_main(capsys, "--compare", "lr=0.1,0.2", "--scheduler", f"tcp://127.0.0.1:{port}", "--out", tmp_path / "o")
    assert code == 2 and "cannot reach" in err and time.perf_counter() - t0 < 10


@pytest.mark.slow
def test_a_server_that_never_answers_fails_within_10_seconds(tmp_path, capsys):
    import socket
    import time
    with socket.socket() as s:  # listening, so connections are accepted by the kernel, never answered
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        t0 = time.perf_counter()
        code, _, err = run_main(capsys, "--compare", "lr=0.1,0.2", "--scheduler", f"tcp://127.0.0.1:{s.getsockname()[1]}",
                             "--out", tmp_path / "o")
        took = time.perf_counter() - t0
    assert code == 2 and "no answer within" in err and len(err.splitlines()) == 1, err
    assert took < 10 and not (tmp_path / "o").exists()


def test_bad_compare_table_in_a_config_file(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[compare]\nlr = [0.1, 'fast']\n")
    code, _, err = run_main(capsys, "--config", cfg, "--out", tmp_path / "o")
    assert code == 2 and len(err.splitlines()) == 1 and "[compare] lr" in err and "'fast'" in err


# ------------------------------------------------------------------ the local pool
def test_local_pool_equals_serial_recording(tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run_main(capsys, "--compare", "lr=0.1,0.3,1.5", "--compare", "shuffle=false,true",
                              "--epochs", 4, "--record-only", "--no-cache", "--jobs", 2, "--out", out)
    assert code == 0, err
    assert "runs 6/6" in err and "on 2 local process(es)" in err
    for lr in (0.1, 0.3, 1.5):
        for shuffle in (False, True):
            folder = out / "runs" / f"lr={lr:g},shuffle={str(shuffle).lower()}"
            serial = record(TrainConfig(lr=lr, shuffle=shuffle, epochs=4)).to_file(tmp_path / "serial.json")
            assert (folder / "trace.json").read_bytes() == serial.read_bytes(), folder
    rows = list(csv.DictReader((out / "runs.csv").open()))
    assert [r["label"] for r in rows][:2] == ["lr=0.1,shuffle=false", "lr=0.1,shuffle=true"]
    assert rows[4]["diverged_at_step"] != "" and rows[0]["diverged_at_step"] == ""


def flaky_record(task):
    """A task that fails for one run (the pool's workers are forked: they see this module)."""
    if task.label == "lr=0.3":
        raise RuntimeError("the GPU caught fire")
    return engine_mod.record_task(task)


def only_lr_03(task):
    if task.label != "lr=0.3":
        raise AssertionError(f"{task.label} was recorded again instead of read from the cache")
    return engine_mod.record_task(task)


@pytest.mark.skipif(sys.platform != "linux", reason="the monkeypatched task reaches the workers by fork")
def test_a_failed_run_is_reported_the_others_written_and_a_rerun_resumes(tmp_path, capsys, monkeypatch):
    import scenes.compare.run as run_mod
    out = tmp_path / "out"
    argv = ["--compare", "lr=0.1,0.3,0.5", "--epochs", 3, "--record-only", "--jobs", 2, "--out", out]
    monkeypatch.setattr(run_mod, "record_task", flaky_record)
    code, _, err = run_main(capsys, *argv)
    assert code == 1
    assert "sgd-anim: run lr=0.3 failed: the GPU caught fire" in err.splitlines()
    assert "1 of 3 runs failed (lr=0.3)" in err.splitlines()[-1]
    assert (out / "runs/lr=0.1/trace.json").is_file() and (out / "runs/lr=0.5/trace.json").is_file()
    assert not (out / "runs/lr=0.3").exists()
    # Again: the two recorded runs come from the cache; only lr=0.3 is recorded.
    monkeypatch.setattr(run_mod, "record_task", only_lr_03)
    code, _, err = run_main(capsys, *argv)
    assert code == 0, err
    assert "lr=0.1 from the cache" in err and "lr=0.5 from the cache" in err and "lr=0.3 recorded" in err
    assert len(list(csv.DictReader((out / "runs.csv").open()))) == 3


# ------------------------------------------------------------------ saved runs
def test_several_traces_are_labelled_by_their_differing_settings(tmp_path, capsys):
    a = record(TrainConfig(lr=0.1, epochs=3)).to_file(tmp_path / "a" / "trace.json")
    b = record(TrainConfig(lr=0.5, epochs=3)).to_file(tmp_path / "b" / "trace.json")
    c = record(TrainConfig(lr=0.1, epochs=3)).to_file(tmp_path / "c.json")  # same settings as a
    out = tmp_path / "out"
    code, _, err = run_main(capsys, "--trace", a, "--trace", b, "--record-only", "--out", out, "-q")
    assert code == 0, err
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["lr=0.1", "lr=0.5"]
    assert (out / "runs/lr=0.5/trace.json").read_bytes() == b.read_bytes()
    out2 = tmp_path / "out2"
    code, _, err = run_main(capsys, "--trace", a, "--trace", c, "--record-only", "--out", out2, "-q")
    assert code == 0, err
    assert [r["label"] for r in csv.DictReader((out2 / "runs.csv").open())] == ["trace", "c"]
    code, _, err = run_main(capsys, "--trace", a, "--trace", b, "--lr", "0.2", "--out", tmp_path / "o3")
    assert code == 2 and "--lr" in err


def test_single_trace_still_renders_as_before(tmp_path, capsys):
    t = record(TrainConfig(epochs=2)).to_file(tmp_path / "t.json")
    code, _, err = run_main(capsys, "--trace", t, "--record-only", "--out", tmp_path / "o", "-q")
    assert code == 0, err
    assert (tmp_path / "o/trace.json").read_bytes() == t.read_bytes() and not (tmp_path / "o/runs").exists()
