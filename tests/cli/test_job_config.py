"""Config layers (defaults < preset < config file < flags), presets, and config.toml round trips."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from scenes.job import build_job, job_to_toml, load_config_file, load_preset, preset_names
from tests.helpers import ROOT
from training.data import DataSpec
from training.errors import InputError

CONFIGS = ROOT / "assets" / "configs"


def test_defaults_are_the_articles_run():
    job = build_job([])
    t = job.train
    assert (t.lr, t.batch_size, t.epochs, t.optimizer, t.shuffle, t.init_a, t.init_b) == (0.1, 2, 100, "sgd", False, 1.0, 1.0)
    assert t.data == DataSpec()
    assert job.render.formats == ("mp4", "gif", "png")
    assert job.out == Path("out")


def test_flags_override_config_which_overrides_preset(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[training]\nlr = 0.05\nepochs = 7\n[render]\nfps = 24\ntheme = "light"\n')
    job = build_job([load_preset("slides"), load_config_file(cfg), {"epochs": 3}])
    assert job.train.lr == 0.05          # from the file
    assert job.train.epochs == 3         # flag beats file
    assert job.render.fps == 24          # file beats preset (15)
    assert job.render.theme == "light"   # file beats preset (dark)
    assert job.render.size == (960, 540)  # preset value kept
    assert job.render.formats == ("gif",)
    assert job.render.max_gif_mb == 3.0


@pytest.mark.parametrize("name", ["slides", "article", "social", "preview"])
def test_every_preset_builds(name):
    job = build_job([load_preset(name)])
    assert job.render.size[0] % 2 == 0 and job.render.size[1] % 2 == 0


def test_preset_values_match_the_spec():
    assert set(preset_names()) >= {"slides", "article", "social", "preview"}
    slides = build_job([load_preset("slides")]).render
    assert (slides.formats, slides.size, slides.fps, slides.theme) == (("gif",), (960, 540), 15, "dark")
    assert slides.duration is not None and slides.duration <= 12
    article = build_job([load_preset("article")]).render
    assert set(article.formats) == {"mp4", "webm", "png"} and article.size == (1920, 1080) and article.fps == 30
    assert build_job([load_preset("social")]).render.size == (1080, 1080)


def test_unknown_preset_lists_the_accepted_ones():
    with pytest.raises(InputError, match="accepted: article, preview, slides, social"):
        load_preset("poster")


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_configs_load(path):
    job = build_job([load_config_file(path)])
    assert job.train.epochs >= 1


def test_csv_path_is_relative_to_the_config_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # somewhere else entirely
    job = build_job([load_config_file(CONFIGS / "noisy_csv.toml")])
    assert Path(job.train.data.path) == (ROOT / "assets" / "data" / "noisy_line.csv").resolve()


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.toml")), ids=lambda p: p.name)
def test_written_config_regenerates_the_same_job(path, tmp_path):
    job = build_job([load_config_file(path)])
    out = tmp_path / "out"
    out.mkdir()
    written = out / "config.toml"
    written.write_text(job_to_toml(job, relative_to=out))
    again = build_job([load_config_file(written)])
    assert again.train.to_dict() == job.train.to_dict()
    assert again.render == job.render


def test_written_config_is_plain_toml_with_three_sections():
    doc = tomllib.loads(job_to_toml(build_job([])))
    assert set(doc) == {"data", "training", "render"}
    assert doc["training"]["lr"] == 0.1 and doc["render"]["size"] == "1280x720"


def test_adam_config_round_trips_without_momentum():
    job = build_job([{"optimizer": "adam"}])
    doc = tomllib.loads(job_to_toml(job))
    assert "momentum" not in doc["training"]


@pytest.mark.parametrize("text, fragment", [
    ("[training]\nlr = 'fast'\n", "lr must be a number"),
    ("[training]\nlearning_rate = 0.1\n", "unknown setting 'learning_rate'"),
    ("[video]\nfps = 3\n", "unknown section"),
    ("lr = 0.1\n", "unknown section or key 'lr'"),
    ("[render]\nsize = '1281x720'\n", "even width and height"),
    ("[render]\nformats = ['mov']\n", "unknown format 'mov'"),
    ("[render]\nviews = ['fit', 'histogram']\n", "unknown view 'histogram'"),
    ("[data]\nsource = 'synthetic'\nn = 'many'\n", "[data] n must be a whole number"),
    ("[data]\nsource = 'article'\nnoise = 0.1\n", "only apply to source = \"synthetic\""),
    ("[training\nlr = 0.1\n", "not valid TOML"),
    ("[training]\nbatch_size = true\n", "batch size must be a number"),
])
def test_bad_config_files_give_one_clear_line(tmp_path, text, fragment):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    with pytest.raises(InputError) as err:
        build_job([load_config_file(cfg)])
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_synthetic_data_from_config(tmp_path):
    cfg = tmp_path / "s.toml"
    cfg.write_text("[data]\nsource = 'synthetic'\nn = 50\nnoise = 0.2\nseed = 3\n")
    spec = build_job([load_config_file(cfg)]).train.data
    assert (spec.kind, spec.n, spec.noise, spec.seed) == ("synthetic", 50, 0.2, 3)


def test_data_flag_parses_synthetic_settings():
    spec = build_job([{"data": "synthetic:n=1000,noise=0.1"}]).train.data
    assert (spec.kind, spec.n, spec.noise) == ("synthetic", 1000, 0.1)


def test_both_backends_accept_every_format_but_vector_posters():
    from scenes.job import BACKEND_FORMATS, BACKENDS, FORMATS

    assert set(BACKEND_FORMATS) == set(BACKENDS)
    job = build_job([{"backend": "manim", "formats": "webm,frames"}])  # was refused inside the backend
    assert (job.render.backend, job.render.formats) == ("manim", ("webm", "frames"))
    assert build_job([{"backend": "matplotlib", "formats": list(FORMATS)}]).render.formats == FORMATS
    # Manim rasterises every frame (Cairo): its poster is a PNG; svg and pdf are matplotlib's.
    manim = tuple(f for f in FORMATS if f not in ("svg", "pdf"))
    assert build_job([{"backend": "manim", "formats": list(manim)}]).render.formats == manim
    for fmt in ("svg", "pdf"):
        with pytest.raises(InputError, match=f"the manim backend cannot write {fmt}; it writes: "):
            build_job([{"backend": "manim", "formats": ["png", fmt]}])


def test_an_unsupported_backend_format_pair_is_refused_once_before_any_work(monkeypatch, tmp_path, capsys,
                                                                            one_line):
    """The table is the one place that says which pairs are unsupported, and the CLI and
    scenes.render both refuse such a pair through check_formats, before any work."""
    import render
    import scenes
    from scenes import job as job_module

    monkeypatch.setitem(job_module.BACKEND_FORMATS, "manim", ("mp4", "png"))
    with pytest.raises(InputError) as e:
        build_job([{"backend": "manim", "formats": "mp4,webm"}])
    msg = one_line(e.value, "manim", "webm", "mp4, png")
    with pytest.raises(InputError):
        build_job([{"backend": "manim"}])  # the default formats (mp4, gif, png) are checked too
    assert build_job([{"formats": "webm"}]).render.formats == ("webm",)  # matplotlib still does

    def no_work(*a, **k):
        raise AssertionError("training started for a refused job")
    monkeypatch.setattr("training.recorder.record", no_work)
    out = tmp_path / "out"
    assert render.main(["--backend", "manim", "--format", "webm", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"sgd-anim: error: {msg}"]
    assert not out.exists()
    with pytest.raises(InputError) as e2:  # checked before the trace is even read
        scenes.render(tmp_path / "missing.json", tmp_path, backend="manim", formats=["webm"])
    assert str(e2.value) == msg
