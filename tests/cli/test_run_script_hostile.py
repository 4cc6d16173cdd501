"""render.py --run SCRIPT with hostile scripts (the "Survive" bug hunt, session 5): whatever the
script does, one line on stderr naming it, its exit code or 2, nothing written, torch as it was."""
from __future__ import annotations

import os
import signal
import sys
import warnings

import pytest

import render
from tests.cli.test_run_script import LOOP, run
from training.loop_recorder import RecordingWarning

REAL_EXIT = os._exit

BROKEN_STR = """
class Odd(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")
raise Odd()
"""


@pytest.mark.parametrize("tail, code, words", [
    (BROKEN_STR, 2, "the script failed: Odd"),  # (was: "render failed: no message for you", exit 1)
    ("raise ValueError('z' * 100_000)", 2, "the script failed: ValueError: zzz"),  # (was: a line of 100,069)
    ("raise ValueError('\\n\\nthe real reason')", 2, "the script failed: ValueError: the real reason"),
    ("sys.exit(True)", 1, "exited with code 1"),  # (was: "code True")
])
def test_a_script_failing_oddly_is_one_short_line(tmp_path, capsys, tail, code, words):
    got, err = run(tmp_path, capsys, LOOP.format(d_in=1, tail=tail))
    assert got == code and len(err) == 1 and words in err[0] and len(err[0]) < 300, err


KWARGS_ONLY = """
import torch
from torch import nn, optim
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(1, 1)
    def forward(self, x=None):
        return self.lin(x)
model = Net()
opt = optim.SGD(model.parameters(), lr=0.1)
X, Y = torch.randn(8, 1), torch.randn(8, 1)
for k in range(3):
    loss = nn.MSELoss()(model(x=X[:4]), Y[:4])  # a keyword argument: no forward pass the hook sees
    opt.zero_grad(); loss.backward(); opt.step()
"""


def test_a_recording_that_stops_adds_no_python_warning_to_the_one_line(tmp_path, capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got, err = run(tmp_path, capsys, KWARGS_ONLY)
    assert got == 2 and len(err) == 1 and "no step was recorded (step() ran without a forward pass" in err[0]
    assert not [w for w in caught if issubclass(w.category, RecordingWarning)]  # (were printed: 2 more lines)


def test_a_recording_that_stopped_is_said_in_one_warning_line(tmp_path, capsys):
    body = LOOP.format(d_in=1, tail="") + "with torch.no_grad(): model.weight.set_(torch.randn(2, 1))\nloss = crit(model(X[:4]), Y[:4])\n" \
        "opt.zero_grad(); loss.backward(); opt.step()\n"
    script = tmp_path / "train.py"
    script.write_text(body)
    code = render.main(["--run", str(script), "--out", str(tmp_path / "out"), "--record-only"])
    err = capsys.readouterr().err.splitlines()
    assert code == 0 and err == ["sgd-anim: warning: the recording stopped after 3 steps (the batches changed shape "
                                 "(each row must keep its number of inputs and outputs))"], err


@pytest.mark.parametrize("tail, code, written", [("os._exit(0)", 0, True), ("os._exit(3)", 3, False)])
def test_os_exit_ends_the_script_as_sys_exit_does(tmp_path, capsys, tail, code, written):
    """(Was: the whole process ended at once, exit 0 or 3, nothing written, nothing said.)"""
    script = tmp_path / "train.py"
    script.write_text(LOOP.format(d_in=1, tail="import os\n" + tail))
    out = tmp_path / "out"
    got = render.main(["--run", str(script), "--out", str(out), "--record-only"])
    err = capsys.readouterr().err.splitlines()
    assert got == code and (out / "trace.json").exists() == written
    assert err == ([] if written else ["sgd-anim: error: --run train.py: the script exited with code 3; nothing was rendered"])
    assert os._exit is REAL_EXIT


def test_sigterm_caught_by_the_script_still_stops_the_run(tmp_path, capsys):
    """A training script ending its loop on ``except KeyboardInterrupt`` caught the Stopped our
    SIGTERM handler raised: the run went on, rendered and exited 0, and a second SIGTERM was
    ignored (the first one's cleanup was under way)."""
    tail = ("import os, signal, time\ntry:\n    os.kill(os.getpid(), signal.SIGTERM)\n    time.sleep(5)\n"
            "except KeyboardInterrupt:\n    print('interrupted: keeping what we have')\n")
    got, err = run(tmp_path, capsys, LOOP.format(d_in=1, tail=tail))
    assert got == 143 and err == ["sgd-anim: interrupted by SIGTERM; no partial output was left behind"]


def test_the_scripts_own_signal_handlers_end_with_it(tmp_path):
    """A script setting its own SIGTERM handler (a checkpoint, SIG_IGN) kept it for the render
    after it: SIGTERM then no longer stopped sgd-anim."""
    from training.run_script import record_script
    script = tmp_path / "train.py"
    script.write_text(LOOP.format(d_in=1, tail="import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                                 "signal.signal(signal.SIGINT, lambda *a: None)"))
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    assert record_script(script, []).n_steps == 4
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_a_script_that_changes_folder_leaves_the_outputs_where_asked(tmp_path, monkeypatch, capsys):
    """``os.chdir(os.path.dirname(__file__))`` is common at a script's top: a relative --out
    then went into the script's folder (here: 'elsewhere/out'), the printed paths pointing
    at nothing."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    script = tmp_path / "train.py"
    script.write_text("import os\nos.chdir('elsewhere')\n" + LOOP.format(d_in=1, tail=""))
    assert render.main(["--run", str(script), "--out", "out", "--record-only"]) == 0
    assert (tmp_path / "out" / "trace.json").exists() and not (tmp_path / "elsewhere" / "out").exists()
    assert os.getcwd() == str(tmp_path)


def test_a_scripts_umask_ends_with_it(tmp_path):
    """A script's ``os.umask(0o777)`` made every output of the render after it mode 000."""
    from training.run_script import record_script
    script = tmp_path / "train.py"
    script.write_text("import os\nos.umask(0o777)\n" + LOOP.format(d_in=1, tail=""))
    before = os.umask(0o022)
    os.umask(before)
    try:
        record_script(script, [])
        after = os.umask(before)
    finally:
        os.umask(before)
    assert after == before


def test_a_scripts_warning_filters_end_with_it(tmp_path):
    """``warnings.simplefilter("error")`` in a script turned the render's own warnings (numpy's
    RuntimeWarning over extreme values) into errors after it."""
    from training.run_script import record_script
    script = tmp_path / "train.py"
    script.write_text("import warnings\nwarnings.simplefilter('error')\n" + LOOP.format(d_in=1, tail=""))
    before = list(warnings.filters)
    record_script(script, [])
    assert warnings.filters == before


@pytest.mark.parametrize("tail", [
    "sys.stdout = open(os.devnull, 'w'); sys.stderr = sys.stdout",  # (the files written printed into it)
    "sys.stdout.close()",  # ("render failed: I/O operation on closed file", exit 1, the files written)
    "sys.setrecursionlimit(60)",  # ("render failed: maximum recursion depth exceeded")
], ids=["redirected", "closed", "recursion"])
def test_a_scripts_streams_and_recursion_limit_end_with_it(tmp_path, tail):
    from training.run_script import record_script
    script = tmp_path / "train.py"
    script.write_text(LOOP.format(d_in=1, tail="import os\n" + tail))
    real = sys.stdout, sys.stderr, sys.getrecursionlimit()
    with open(tmp_path / "stdout.txt", "w") as stdout:  # (pytest's own capture is not the script's to close)
        sys.stdout = stdout
        before = sys.stdout, sys.stderr, sys.getrecursionlimit()
        try:
            record_script(script, [])
            after = sys.stdout, sys.stderr, sys.getrecursionlimit()
        finally:
            sys.stdout, sys.stderr = real[:2]
            sys.setrecursionlimit(real[2])
    if tail == "sys.stdout.close()":  # opened again on its file descriptor, so that printing works
        assert after[0] is not stdout and not after[0].closed and after[1:] == before[1:]
    else:
        assert after == before
