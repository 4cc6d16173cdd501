"""Shared test setup: the repository root on sys.path, caches private to each test process,
the Hypothesis profiles, the shared fixtures, and the check that a test starting a Python
interpreter is marked ``subprocess``.

The helpers themselves (the command-line runners, colours, hand-built traces) are plain
functions in tests/helpers.py; tests/browser.py drives Chromium.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# torch 2.x makes a "torchinductor_<user>" folder in the temporary directory the first time an
# optimizer is built. Tests that check a folder is left empty (serve's render folders, the
# signal tests' TMPDIR) would see it: torch's cache goes to a folder of its own instead, for
# the tests' interpreters and the ones they start.
if "TORCHINDUCTOR_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="sgd-anim-tests-torch-")


# Under pytest-xdist each of the machine's cores runs a worker: a worker's torch and BLAS using
# every core too would oversubscribe them (tiny tensors, threads spinning against each other).
# One thread each, for the workers and the interpreters they start (numbers do not change:
# training.record already trains on one thread).
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_var, "1")


# ------------------------------------------------------------------ options
def pytest_addoption(parser, pluginmanager):
    """``--full-matrix``: see pytest_collection_modifyitems.

    pyproject.toml's addopts ask pytest-xdist for a worker per core. With the plugin turned
    off (``-p no:xdist``, to debug in one process) its options would be unknown and pytest
    would stop: they are declared here instead, and do nothing. (``-n 0`` works as well.)"""
    parser.addoption("--full-matrix", action="store_true",
                     help="also the layout matrix's cases the suite leaves out (tests/matrix.py)")
    if pluginmanager.is_blocked("xdist"):
        group = parser.getgroup("xdist", "pytest-xdist is off (-p no:xdist): its options do nothing")
        group._addoption("-n", "--numprocesses", dest="numprocesses", default=0)  # (lowercase: as xdist does)
        group.addoption("--dist", dest="dist", default="no")


def pytest_collection_modifyitems(config, items):
    """Tests marked full_matrix (the layout matrix's cases beyond a pairwise design, minutes of
    Manim, matplotlib and Chromium) run only with --full-matrix; they are reported deselected."""
    if config.getoption("--full-matrix"):
        return
    left = [item for item in items if item.get_closest_marker("full_matrix")]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = [item for item in items if not item.get_closest_marker("full_matrix")]


# ------------------------------------------------------------------ Hypothesis
# The suite runs a few examples per property ("suite"); the slow test in
# tests/training/test_fuzz_thorough.py runs them all again with "thorough"; a long hunt by hand:
#   pytest tests/training --hypothesis-profile=hunt -p no:xdist
# (SGD_ANIM_FUZZ_EXAMPLES=N still sets the number of examples, whatever the profile.)
_QUIET = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The suite's and the slow test's examples are derandomized: CI sees the same inputs each run, so a
# red run is a code change's, never the dice's. New inputs come from "hunt", random by design; what
# it finds becomes a fixed test (e.g. test_trace_memory.py::test_a_brace_never_closes_an_array).
settings.register_profile("suite", max_examples=30, derandomize=True, **_QUIET)
settings.register_profile("thorough", max_examples=300, derandomize=True, **_QUIET)
settings.register_profile("hunt", max_examples=5000, **_QUIET)
settings.load_profile("suite")
if os.environ.get("SGD_ANIM_FUZZ_EXAMPLES"):
    settings.register_profile("env", max_examples=int(os.environ["SGD_ANIM_FUZZ_EXAMPLES"]), **_QUIET)
    settings.load_profile("env")


# ------------------------------------------------------------------ caches
@pytest.fixture(scope="session", autouse=True)
def _private_caches(tmp_path_factory):
    """Tests never read or fill the user's ~/.cache/sgd-anim: the trace cache (and Manim's,
    which lives under it) is a folder of this test process's own temporary folder. Under
    pytest-xdist each worker has its own base folder, so workers never share a cache. Set for
    the whole session, so module- and session-scoped fixtures use it too; a test that needs
    an empty cache sets its own with monkeypatch (the ``fresh_cache`` fixture)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SGD_ANIM_CACHE", str(tmp_path_factory.getbasetemp() / "sgd-anim-cache"))
    mp.delenv("SGD_ANIM_MANIM_CACHE", raising=False)  # Manim's cache: under SGD_ANIM_CACHE
    yield
    mp.undo()


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch) -> Path:
    """An empty trace cache for this test alone (for tests about what the cache holds)."""
    path = tmp_path / "cache"
    monkeypatch.setenv("SGD_ANIM_CACHE", str(path))
    return path


# ------------------------------------------------------------------ shared fixtures
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


@pytest.fixture(scope="session")
def good_trace_text(tmp_path_factory) -> str:
    """A small real trace (2 epochs of the article's run), recorded once through the CLI."""
    import render

    folder = tmp_path_factory.mktemp("good-trace")
    assert render.main(["--record-only", "--quiet", "--no-cache", "--epochs", "2", "--out", str(folder)]) == 0
    return (folder / "trace.json").read_text(encoding="utf-8")


# ------------------------------------------------------------------ tests that start interpreters
def _starts_python(args) -> bool:
    """Whether a Popen's command line runs a Python interpreter (or a script of one)."""
    if isinstance(args, (str, bytes)):
        text = os.fsdecode(args)
        try:
            words = shlex.split(text)
        except ValueError:  # unbalanced quotes: the words are enough to name the program
            words = text.split()
    elif isinstance(args, os.PathLike):
        words = [os.fspath(args)]
    else:
        words = [os.fsdecode(a) for a in args]
    if not words:
        return False
    program = Path(words[0]).name
    if program.startswith("python") or program in ("sgd-anim", "manim", "manim-slides"):
        return True
    return program in ("bash", "sh") and sys.executable in " ".join(words[1:])


@pytest.fixture(autouse=True)
def _interpreters_are_marked(request, monkeypatch):
    """A test that starts a Python interpreter must be marked ``subprocess`` (each costs seconds:
    ``pytest -m "not subprocess"`` leaves them out). Checked, so that the mark keeps itself."""
    if request.node.get_closest_marker("subprocess"):
        yield
        return
    started: list[str] = []
    real_init = subprocess.Popen.__init__

    def init(self, args, *a, **k):
        if _starts_python(args):
            started.append(str(args)[:200])
        real_init(self, args, *a, **k)

    monkeypatch.setattr(subprocess.Popen, "__init__", init)
    yield
    if started:
        pytest.fail(f"{request.node.nodeid} starts a Python interpreter but is not marked "
                    f"@pytest.mark.subprocess: {started[0]}", pytrace=False)
