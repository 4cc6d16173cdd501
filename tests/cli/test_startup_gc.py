"""The program's start (render.main): Python's cycle collector is off while the modules
load and back on, with what was loaded frozen, before the work itself, on every way a run
can go; called from Python, main leaves the collector alone."""
from __future__ import annotations

import contextlib
import gc
import sys

import pytest

import render


@pytest.fixture
def spied(monkeypatch):
    """gc.freeze counted (not done: this process is the test session), signals untouched,
    and the collector on again whatever happens."""
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(gc.isenabled()))
    monkeypatch.setattr("scenes.stopping.stop_on_signals", lambda **k: contextlib.nullcontext())
    try:
        yield frozen
    finally:
        gc.enable()
        render._paused = False


def _as_program(monkeypatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["render.py", *args, "--quiet"])
    return render.main()


def _work(seen: list, result):
    def fake(*a, **k):
        seen.append(gc.isenabled())
        return result
    return fake


@pytest.mark.parametrize("where, target, args, result", [
    ("render", "scenes.pipeline.render_job", ["--trace", "t.json"], []),
    ("compare", "scenes.compare.run.run_comparison", ["--compare", "lr=0.1,0.2"], []),
    ("serve", "scenes.web.serve.run_server", ["--serve"], None),
])
def test_the_work_starts_with_the_collector_on(spied, monkeypatch, where, target, args, result):
    seen: list[bool] = []
    monkeypatch.setattr(target, _work(seen, result))
    assert _as_program(monkeypatch, *args) == 0
    assert seen == [True], where   # on when the work began
    assert spied == [False]        # frozen once, while still off (before it was turned on)
    assert gc.isenabled()


def test_a_refused_command_turns_it_back_on(spied, monkeypatch):
    assert _as_program(monkeypatch, "--bogus") == render.EXIT_BAD_INPUT
    assert gc.isenabled() and spied == [False]


def test_called_from_python_it_is_left_alone(spied, monkeypatch):
    seen: list[bool] = []
    monkeypatch.setattr("scenes.pipeline.render_job", _work(seen, []))
    assert render.main(["--trace", "t.json", "--quiet"]) == 0
    assert seen == [True] and spied == []  # never off, never frozen
    gc.disable()
    try:  # a caller's own choice stays
        assert render.main(["--bogus"]) == render.EXIT_BAD_INPUT
        assert not gc.isenabled() and spied == []
    finally:
        gc.enable()


def test_the_backend_is_loaded_while_the_collector_waits(spied, monkeypatch):
    loaded: list[bool] = []
    monkeypatch.setattr("scenes.pipeline.load_backend", lambda job: loaded.append(gc.isenabled()))
    monkeypatch.setattr("scenes.pipeline.render_job", _work([], []))
    assert _as_program(monkeypatch, "--trace", "t.json") == 0
    assert loaded == [False]
    assert _as_program(monkeypatch, "--record-only") == 0  # nothing to draw: nothing loaded
    assert loaded == [False]


def test_load_backend_imports_what_draws_and_only_that(monkeypatch):
    import importlib

    from scenes.job import build_job
    from scenes.pipeline import load_backend

    asked: list[str] = []

    def spy(name):
        asked.append(name)
        raise ImportError(name)  # as when Manim is not installed: left to the drawing to say

    jobs = [build_job([{"formats": "png"}]), build_job([{"formats": "html"}]),  # html: drawn by the browser
            build_job([{"backend": "manim", "formats": "png"}])]
    monkeypatch.setattr(importlib, "import_module", spy)
    for job in jobs:
        load_backend(job)
    assert asked == ["scenes.mpl.render", "scenes.manim.render"]
