"""The command line as a user meets it (recording only; rendering is tested elsewhere)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import render
from tests.helpers import ROOT, run_render_py
from training.trace import Trace

# Each test starts with an empty trace cache: some check what the cache holds.
pytestmark = pytest.mark.usefixtures("fresh_cache")


def test_record_only_writes_the_trace_and_prints_its_path(tmp_path, capsys):
    assert render.main(["--record-only", "--out", str(tmp_path / "o")]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [str(tmp_path / "o" / "trace.json")]
    trace = Trace.from_file(tmp_path / "o" / "trace.json")
    assert trace.n_steps == 300 and trace.config["lr"] == 0.1
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["trace.json"]


def test_training_flags_reach_the_trace(tmp_path):
    args = ["--record-only", "--out", str(tmp_path), "--lr", "0.05", "--batch-size", "3", "--epochs", "4",
            "--optimizer", "momentum", "--momentum", "0.8", "--nesterov", "--shuffle", "--seed", "5",
            "--init-a", "0.5", "--init-b", "-0.5"]
    assert render.main(args) == 0
    cfg = json.loads((tmp_path / "trace.json").read_text())["config"]
    assert (cfg["lr"], cfg["batch_size"], cfg["epochs"], cfg["optimizer"], cfg["momentum"], cfg["nesterov"],
            cfg["shuffle"], cfg["seed"], cfg["init_a"], cfg["init_b"]) == (
        0.05, 3, 4, "momentum", 0.8, True, True, 5, 0.5, -0.5)


def test_second_run_reuses_the_cached_trace_and_says_so(tmp_path, capsys):
    assert render.main(["--record-only", "--out", str(tmp_path / "a"), "--epochs", "5"]) == 0
    assert "reusing" not in capsys.readouterr().err
    assert render.main(["--record-only", "--out", str(tmp_path / "b"), "--epochs", "5"]) == 0
    assert "reusing the trace recorded for this configuration" in capsys.readouterr().err
    assert (tmp_path / "a" / "trace.json").read_bytes() == (tmp_path / "b" / "trace.json").read_bytes()
    # A different setting is a different entry; --no-cache records again.
    assert render.main(["--record-only", "--out", str(tmp_path / "c"), "--epochs", "6"]) == 0
    assert "reusing" not in capsys.readouterr().err
    assert render.main(["--record-only", "--out", str(tmp_path / "d"), "--epochs", "5", "--no-cache"]) == 0
    assert "reusing" not in capsys.readouterr().err


def test_cache_tracks_the_csv_contents_not_its_name(tmp_path, capsys):
    csv = tmp_path / "d.csv"
    csv.write_text("x,y\n0,0\n1,1\n2,2.1\n")
    assert render.main(["--record-only", "--data", str(csv), "--out", str(tmp_path / "a"), "--batch-size", "1"]) == 0
    csv.write_text("x,y\n0,0\n1,1\n2,5\n")
    capsys.readouterr()
    assert render.main(["--record-only", "--data", str(csv), "--out", str(tmp_path / "b"), "--batch-size", "1"]) == 0
    assert "reusing" not in capsys.readouterr().err
    assert Trace.from_file(tmp_path / "b" / "trace.json").y[-1] == 5.0


def test_quiet_prints_nothing_on_stderr(tmp_path, capsys):
    assert render.main(["--record-only", "--quiet", "--out", str(tmp_path), "--lr", "1.0", "--epochs", "30"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.slow  # an interpreter that trains: torch's import takes seconds
@pytest.mark.subprocess
def test_divergence_is_not_an_error(tmp_path):
    r = run_render_py("--record-only", "--out", str(tmp_path), "--lr", "10")
    assert r.returncode == 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "warning: training diverged at step" in lines[0]
    assert Trace.from_file(tmp_path / "trace.json").status.diverged


# --help (exit 0, the groups, the defaults): tests/cli/test_cli_bad_input.py,
# test_help_exits_zero_and_groups_options.


@pytest.mark.subprocess
def test_rerendering_a_trace_never_imports_torch(tmp_path):
    assert render.main(["--record-only", "--out", str(tmp_path), "--epochs", "2", "--quiet"]) == 0
    code = ("import sys, render\n"
            f"rc = render.main(['--trace', {str(tmp_path / 'trace.json')!r}, '--record-only', '--out', {str(tmp_path / 'again')!r}])\n"
            "assert rc == 0, rc\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "again" / "trace.json").read_bytes() == (tmp_path / "trace.json").read_bytes()


def test_console_script_is_declared():
    import tomllib
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert doc["project"]["scripts"]["sgd-anim"] == "render:main"


def test_training_flags_with_trace_are_refused_not_ignored(tmp_path, capsys):
    assert render.main(["--record-only", "--out", str(tmp_path), "--epochs", "2", "--quiet"]) == 0
    code = render.main(["--trace", str(tmp_path / "trace.json"), "--lr", "0.5", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--lr" in err[0] and "--trace" in err[0]
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_config_of_a_rerendered_trace_holds_the_settings_that_recorded_it(tmp_path):
    import tomllib
    assert render.main(["--record-only", "--out", str(tmp_path / "a"), "--lr", "0.3", "--optimizer", "adam",
                        "--epochs", "3", "--quiet"]) == 0
    assert render.main(["--trace", str(tmp_path / "a" / "trace.json"), "--format", "png", "--size", "320x180",
                        "--out", str(tmp_path / "b"), "--quiet"]) == 0
    training = tomllib.loads((tmp_path / "b" / "config.toml").read_text())["training"]
    assert (training["lr"], training["optimizer"], training["epochs"]) == (0.3, "adam", 3)
    # and it regenerates the same trace
    assert render.main(["--config", str(tmp_path / "b" / "config.toml"), "--record-only",
                        "--out", str(tmp_path / "c"), "--quiet", "--no-cache"]) == 0
    assert (tmp_path / "c" / "trace.json").read_bytes() == (tmp_path / "a" / "trace.json").read_bytes()
