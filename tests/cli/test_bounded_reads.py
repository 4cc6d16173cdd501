"""Bounded reads (issue 13, part 1): no file the tool reads can hang it or fill its memory.

Every reader (the data CSV, the trace, the config, a theme file) goes through
training.files: a device is refused before it is read, a pipe is read at most to its limit
plus one byte (pipes are accepted for data, config and theme; a trace must be a regular file),
and each refusal is one line on stderr with exit code 2, within seconds.

The command-line cases run render.py as a real process with a timeout, so a regression
fails the test instead of hanging the suite.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import RENDER_PY, run_render_py
from training.data import MAX_CSV_BYTES, load_csv
from training.errors import InputError
from training.files import MAX_TOML_BYTES, open_limited, read_limited
from training.trace import Trace

SECONDS = 30  # "within seconds": each refusal takes ~2 s here (process start included)
needs_dev = pytest.mark.skipif(not (os.path.exists("/dev/zero") and os.path.exists("/dev/urandom")),
                               reason="needs /dev/zero and /dev/urandom")
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")

# An endless writer: opens the FIFO (waiting for a reader), then writes the pattern forever.
WRITER = """
import sys
pattern = sys.argv[2].encode() * 4096
try:
    with open(sys.argv[1], "wb") as f:
        while True:
            f.write(pattern)
except (BrokenPipeError, OSError):
    pass
"""

# Where each reader is pointed: (flag, file name, pipes accepted, endless text a pipe sends).
READERS = {
    "data": ("--data", "points.csv", True, "0.5,0.25\n"),
    "trace": ("--trace", "trace.json", False, '{"schema_version": 1, "steps": {"a": [0.5, '),
    "config": ("--config", "run.toml", True, "# an endless comment line\n"),
    "theme": ("--theme", "mine.toml", True, "# an endless comment line\n"),
}
LIMITS = {"data": "50 MB", "config": "1 MB", "theme": "1 MB"}


def run_cli(argv: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    proc = run_render_py("--record-only", "--out", "out", *argv, cwd=cwd,
                         env={"SGD_ANIM_CACHE": str(cwd / "cache")}, timeout=SECONDS * 2)
    return proc, time.monotonic() - start


def assert_refused(proc: subprocess.CompletedProcess, seconds: float, cwd: Path, *words: str) -> str:
    err = proc.stderr
    assert proc.returncode == 2, (proc.returncode, err)
    assert len(err.splitlines()) == 1 and err.startswith("sgd-anim: error:"), err
    assert "Traceback" not in err, err
    for word in words:
        assert word in err, (word, err)
    assert seconds < SECONDS, f"took {seconds:.1f} s"
    assert not (cwd / "out").exists(), "a refused run leaves no output behind"
    return err


@pytest.fixture
def endless_fifo(tmp_path):
    """make(name, text): a FIFO with a writer that sends ``text`` forever once a reader opens it."""
    writers: list[subprocess.Popen] = []

    def make(name: str, text: str) -> Path:
        path = tmp_path / name
        os.mkfifo(path)
        writers.append(subprocess.Popen([sys.executable, "-c", WRITER, str(path), text]))
        return path

    yield make
    for w in writers:
        w.kill()
        w.wait(timeout=10)


# --------------------------------------------------------------------------- each reader, three ways
@pytest.mark.subprocess
@needs_dev
@pytest.mark.parametrize("reader", sorted(READERS))
def test_dev_zero_is_refused(reader, tmp_path):
    flag, name, _, _ = READERS[reader]
    link = tmp_path / name
    link.symlink_to("/dev/zero")  # the theme reader only takes *.toml paths: reach it through a link
    target = "/dev/zero" if reader != "theme" else str(link)
    proc, seconds = run_cli([flag, target], tmp_path)
    assert_refused(proc, seconds, tmp_path, target, "character device")


@pytest.mark.subprocess
@needs_dev
@pytest.mark.parametrize("reader", sorted(READERS))
def test_symlink_to_dev_urandom_is_refused(reader, tmp_path):
    flag, name, _, _ = READERS[reader]
    link = tmp_path / name
    link.symlink_to("/dev/urandom")
    proc, seconds = run_cli([flag, str(link)], tmp_path)
    assert_refused(proc, seconds, tmp_path, str(link), "character device")


@pytest.mark.subprocess
@needs_fifo
@pytest.mark.parametrize("reader", sorted(READERS))
def test_fifo_with_an_endless_writer(reader, tmp_path, endless_fifo):
    flag, name, pipes, text = READERS[reader]
    fifo = endless_fifo(name, text)
    proc, seconds = run_cli([flag, str(fifo)], tmp_path)
    if pipes:  # read up to the limit plus one byte, then refused
        assert_refused(proc, seconds, tmp_path, str(fifo), f"larger than {LIMITS[reader]}")
    else:  # a trace is a saved file: a pipe is refused before it is opened
        assert_refused(proc, seconds, tmp_path, str(fifo), "pipe", "not a regular file")


# --------------------------------------------------------------------------- pipes that end are read
@pytest.mark.slow  # an interpreter that trains: torch's import takes seconds
@pytest.mark.subprocess
@needs_fifo
def test_data_from_process_substitution(tmp_path):
    """``--data <(cmd)``: bash hands over /dev/fd/N, a pipe; it is read like a file."""
    env = {**os.environ, "SGD_ANIM_CACHE": str(tmp_path / "cache")}
    script = (f'"{sys.executable}" "{RENDER_PY}" --record-only --quiet --epochs 2 --batch-size 1 '
              '--out out --data <(printf "x,y\\n0,1\\n1,3\\n2,5\\n")')
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=SECONDS * 2)
    assert proc.returncode == 0, proc.stderr
    trace = Trace.from_file(tmp_path / "out" / "trace.json")
    assert trace.y.tolist() == [1.0, 3.0, 5.0] and trace.n_steps == 6


@pytest.mark.slow  # an interpreter that trains
@pytest.mark.subprocess
@needs_fifo
def test_config_and_data_from_fifos_with_finite_writers(tmp_path):
    data, config = tmp_path / "d.csv", tmp_path / "c.toml"
    os.mkfifo(data)
    os.mkfifo(config)

    def write(path: Path, text: str) -> None:
        with open(path, "w", encoding="utf-8") as f:  # waits for the reader
            f.write(text)

    threads = [threading.Thread(target=write, args=(data, "x,y\n0,0\n1,2\n2,4.5\n"), daemon=True),
               threading.Thread(target=write, args=(config, f'[data]\nsource = "{data}"\n[training]\nepochs = 1\n'),
                                daemon=True)]
    for t in threads:
        t.start()
    proc, _ = run_cli(["--quiet", "--config", str(config)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert Trace.from_file(tmp_path / "out" / "trace.json").y.tolist() == [0.0, 2.0, 4.5]


@pytest.mark.subprocess
def test_trace_through_a_pipe_is_refused(tmp_path):
    env = {**os.environ, "SGD_ANIM_CACHE": str(tmp_path / "cache")}
    script = f'"{sys.executable}" "{RENDER_PY}" --record-only --out out --trace <(echo "{{}}")'
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=SECONDS * 2)
    assert proc.returncode == 2
    assert "is a pipe, not a regular file" in proc.stderr and len(proc.stderr.splitlines()) == 1


# --------------------------------------------------------------------------- the reader itself
def test_a_pipe_is_read_to_the_limit_plus_one_byte_and_no_further(tmp_path):
    read_fd, write_fd = os.pipe()
    stop = threading.Event()

    def endless() -> None:
        try:
            while not stop.is_set():
                os.write(write_fd, b"7" * 65536)
        except OSError:
            pass

    writer = threading.Thread(target=endless, daemon=True)
    writer.start()
    try:
        f = open_limited(f"/dev/fd/{read_fd}", what="data file", limit=100_000, name="pipe")
        with f, pytest.raises(InputError) as e:
            while f.read(1 << 20):
                pass
        assert f.count == 100_001
        assert str(e.value) == "data file pipe is larger than 100 kB"
    finally:
        stop.set()
        os.close(read_fd)
        writer.join(timeout=10)
        os.close(write_fd)


def test_a_regular_file_over_the_limit_is_refused_from_its_size(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as f:
        f.truncate(MAX_CSV_BYTES + 1)  # sparse: refused from stat(), never read
    with pytest.raises(InputError) as e:
        load_csv(path)
    assert str(e.value) == f"data file {path} is larger than 50 MB; give a CSV file with columns x,y"
    exact = tmp_path / "exact.toml"
    exact.write_bytes(b"#" * MAX_TOML_BYTES)
    assert len(read_limited(exact, what="config file", limit=MAX_TOML_BYTES)) == MAX_TOML_BYTES


def test_a_file_whose_size_stat_does_not_tell_is_still_bounded():
    """/proc files announce size 0 and are read until they end, or refused past the limit."""
    path = Path("/proc/self/status")
    if not path.exists():
        pytest.skip("needs /proc")
    text = read_limited(path, what="data file", limit=1_000_000)
    assert b"Name:" in text and len(text) > 100
    with pytest.raises(InputError) as e:
        read_limited(path, what="data file", limit=50)
    assert "larger than 50 bytes" in str(e.value)


def test_a_socket_is_refused(tmp_path):
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("needs unix sockets")
    path = tmp_path / "s.csv"
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.bind(str(path))
        except OSError:
            pytest.skip("cannot bind a unix socket here")
        with pytest.raises(InputError) as e:
            load_csv(path)
    assert str(e.value) == (f"data file {path} is a socket, not a regular file or a pipe; "
                            "give a CSV file with columns x,y")


def test_missing_and_directory_and_unreadable(tmp_path):
    with pytest.raises(InputError) as e:
        read_limited(tmp_path / "nope", what="config file", limit=10)
    assert str(e.value) == f"config file {tmp_path / 'nope'} does not exist"
    with pytest.raises(InputError) as e:
        read_limited(tmp_path, what="config file", limit=10)
    assert str(e.value) == f"config file {tmp_path} is a directory"
    broken = tmp_path / "broken.toml"
    broken.symlink_to(tmp_path / "gone")
    with pytest.raises(InputError) as e:
        read_limited(broken, what="theme file", limit=10)
    assert "does not exist" in str(e.value)
    with pytest.raises(InputError) as e:
        read_limited("bad\0name", what="theme file", limit=10)
    assert "cannot be read" in str(e.value)


@needs_dev
def test_trace_reader_refuses_a_device_without_reading(one_line):
    with pytest.raises(InputError) as e:
        Trace.from_file("/dev/zero")
    one_line(e.value, "trace file /dev/zero is a character device, not a regular file")
