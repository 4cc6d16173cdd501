"""A comparison's outputs (issue 11): summary chart, runs.csv, the race picture, and a
config.toml that repeats the whole comparison."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import render
from scenes.compare.run import Request, compare_toml, prepare
from scenes.compare.spec import Axis
from scenes.compare.summary import uses_log, write_summary
from scenes.compare.table import RunRow
from scenes.job import build_job, load_config_file
from training.data import DataSpec


def _row(label, values, loss, diverged_at=None):
    return RunRow(label=label, settings={}, values=values, final_a=0.5, final_b=0.1, final_loss=loss,
                  least_squares_loss=4e-4, diverged_at=diverged_at, steps_to_within=None)


def test_log_scale_only_where_it_fits():
    assert uses_log([1e-4, 2e-3]) and not uses_log([1e-4, 9e-4]) and not uses_log([0.0, 1.0])


@pytest.mark.parametrize("axes, rows", [
    ([Axis("lr", (0.01, 0.1, 1.0))],
     [_row("lr=0.01", {"lr": 0.01}, 2e-2), _row("lr=0.1", {"lr": 0.1}, 5e-4), _row("lr=1", {"lr": 1.0}, 9.0, 7)]),
    ([Axis("lr", (0.1, 1.0)), Axis("shuffle", (False, True))],
     [_row("a", {"lr": 0.1, "shuffle": False}, 1e-3), _row("b", {"lr": 0.1, "shuffle": True}, 2e-3),
      _row("c", {"lr": 1.0, "shuffle": False}, 1.0, 3), _row("d", {"lr": 1.0, "shuffle": True}, 5e-4)]),
])
def test_summary_chart_marks_diverged_runs(tmp_path, axes, rows):
    files = write_summary(rows, axes, tmp_path)
    assert [f.name for f in files] == ["summary.png", "summary.svg"]
    svg = (tmp_path / "summary.svg").read_text()
    assert "diverged" in svg and svg.count("<svg") == 1
    img = np.asarray(Image.open(tmp_path / "summary.png").convert("RGB"))
    assert img.shape == (675, 1200, 3)
    # The diverged colour (the light theme's #D55E00) is drawn: the × and its note.
    vermillion = np.all(np.abs(img.astype(int) - [0xD5, 0x5E, 0x00]) < 30, axis=-1)
    assert vermillion.sum() > 50


def test_config_toml_repeats_the_comparison(tmp_path):
    csv_file = tmp_path / "pts.csv"
    csv_file.write_text("x,y\n0,0\n1,1.1\n2,1.9\n3,3.2\n")
    job = build_job([{"epochs": 3, "out": str(tmp_path / "out"), "formats": "png"}], tmp_path)
    axes = (Axis("lr", (0.1, 0.3)), Axis("data", (DataSpec(), DataSpec(kind="csv", path="pts.csv"))))
    prep = prepare(job, Request(axes=axes, each=True))
    out = tmp_path / "out"
    out.mkdir()
    (out / "config.toml").write_text(compare_toml(prep, out))
    flat = load_config_file(out / "config.toml")
    assert flat["compare"]["each"] is True
    assert flat["compare"]["axes"] == [Axis("lr", (0.1, 0.3)),
                                       Axis("data", (DataSpec(), DataSpec(kind="csv", path=str(csv_file.resolve()))))]
    assert flat["epochs"] == 3 and flat["formats"] == ["png"]


@pytest.mark.slow
def test_compare_end_to_end_and_again_from_its_config(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    argv = ["--compare", "lr=0.1,0.5,1.5", "--epochs", "4", "--format", "png", "--size", "480x270",
            "--out", str(out)]
    assert render.main(argv) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out.split()
    for name in ("runs/lr=0.1/trace.json", "runs/lr=1.5/trace.json", "runs.csv", "summary.png", "summary.svg",
                 "compare.png", "config.toml"):
        assert str(out / name) in printed and (out / name).is_file(), name
    assert Image.open(out / "compare.png").size == (480, 270)
    rows = list(csv.DictReader((out / "runs.csv").open()))
    assert [r["label"] for r in rows] == ["lr=0.1", "lr=0.5", "lr=1.5"] and rows[2]["diverged_at_step"] != ""
    # The config file alone repeats it: the same runs, the same numbers.
    monkeypatch.chdir(tmp_path)
    assert render.main(["--config", str(out / "config.toml"), "--out", "again", "-q"]) == 0
    assert (tmp_path / "again/runs.csv").read_bytes() == (out / "runs.csv").read_bytes()
    assert (tmp_path / "again/runs/lr=0.5/trace.json").read_bytes() == (out / "runs/lr=0.5/trace.json").read_bytes()
    # ...and so do the saved runs, without training, through the [compare] traces it then writes.
    assert render.main(["--trace", str(out / "runs/lr=0.1/trace.json"), "--trace", str(out / "runs/lr=1.5/trace.json"),
                        "--format", "png", "--size", "480x270", "--out", "saved", "-q"]) == 0
    assert render.main(["--config", "saved/config.toml", "--out", "saved2", "-q"]) == 0
    assert (tmp_path / "saved2/runs.csv").read_bytes() == (tmp_path / "saved/runs.csv").read_bytes()


@pytest.mark.slow
def test_each_renders_every_runs_own_video(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["--compare", "lr=0.1,0.5", "--epochs", "2", "--format", "png", "--size", "480x270", "--each",
            "--name", "own", "--out", str(out)]
    assert render.main(argv) == 0, capsys.readouterr().err
    assert "renders 2/2" in capsys.readouterr().err
    for label in ("lr=0.1", "lr=0.5"):
        assert Image.open(out / "runs" / label / "own.png").size == (480, 270)
    assert (out / "compare.png").is_file()  # the race keeps its own name
    assert "each = true" in (out / "config.toml").read_text()


@pytest.mark.slow
def test_each_manim_task_gets_its_own_media_folder(monkeypatch):
    import os

    import scenes.manim.render as manim_render
    from scenes.compare.engine import RenderTask, render_task
    seen = []
    real = manim_render.manim_cache_dir

    def spy():
        seen.append(real())
        return seen[-1]
    monkeypatch.setattr(manim_render, "manim_cache_dir", spy)
    job = build_job([{"epochs": 1, "backend": "manim", "quality": "low", "formats": "png", "scene": "fit"}])
    for label in ("a", "b"):
        files = render_task(RenderTask(label, job))
        assert [name for name, _ in files] == ["sgd_fit.png"] and files[0][1][:8] == b"\x89PNG\r\n\x1a\n"
    shared = Path(os.environ["SGD_ANIM_CACHE"]) / "manim"
    assert len(seen) >= 2 and len(set(seen)) >= 2 and shared not in seen
    assert not any(p.exists() for p in seen)  # removed with the task's temporary folder
    assert "SGD_ANIM_MANIM_CACHE" not in os.environ
