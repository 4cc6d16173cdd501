"""Package data through scenes.resources (importlib.resources): themes, presets, example
configs and data, the notebook; the same files in an editable install and in a wheel
(tests/test_wheel.py installs one)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import render
from scenes import resources
from scenes.job import build_job, example_config_names, load_config_file, preset_names
from scenes.story.theme import available_themes, load_theme
from tests.helpers import ROOT
from training.errors import InputError



@pytest.mark.parametrize("parts", [("presets.toml",), ("themes", "dark.toml"), ("themes", "light.toml"),
                                   ("configs", "noisy_csv.toml"), ("data", "noisy_line.csv"),
                                   ("notebooks", "walkthrough.ipynb")])
def test_bundled_files_are_the_repositorys_assets(parts):
    assert resources.asset_text(*parts) == (ROOT / "assets").joinpath(*parts).read_text(encoding="utf-8")
    assert resources.asset_path(*parts).read_bytes() == (ROOT / "assets").joinpath(*parts).read_bytes()


def test_names_come_from_the_package():
    assert available_themes() == ["dark", "light"]
    assert set(preset_names()) >= {"slides", "article", "social", "preview"}
    assert set(example_config_names()) >= {"adam", "article", "momentum", "noisy_csv", "shuffled", "too_large_lr"}
    assert [f.name for f in resources.iter_assets("themes", ".toml")] == ["dark.toml", "light.toml"]
    assert resources.asset_names("no_such_folder", ".toml") == []


@pytest.mark.parametrize("bad", ["..", ".", "", "themes/dark.toml", "..\\x", "a\0b"])
def test_asset_names_cannot_leave_the_package(bad):
    with pytest.raises(ValueError, match="plain asset name"):
        resources.asset("themes", bad)


def test_missing_asset_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="no bundled asset themes/neon.toml"):
        resources.asset_path("themes", "neon.toml")


@pytest.mark.parametrize("name", ["../presets", "../configs/adam", "neon", "Dark"])
def test_a_theme_name_is_only_a_bundled_theme(name, one_line):
    with pytest.raises(InputError) as e:
        load_theme(name)
    one_line(e.value, f"unknown theme {name!r}", "dark, light")


def test_a_theme_name_never_reads_a_file_of_that_name(tmp_path, monkeypatch, one_line):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "neon").write_text((ROOT / "assets" / "themes" / "dark.toml").read_text(encoding="utf-8"))
    with pytest.raises(InputError) as e:
        load_theme("neon")
    one_line(e.value, "unknown theme 'neon'")


def test_bundled_and_file_themes_load_alike(tmp_path):
    copy = tmp_path / "mine.toml"
    copy.write_text(resources.asset_text("themes", "dark.toml"), encoding="utf-8")
    assert load_theme("dark").colors == load_theme(copy).colors


def test_a_bundled_example_config_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # far from the repository
    flat = load_config_file("noisy_csv")
    assert Path(flat["data"].path).read_text(encoding="utf-8") == resources.asset_text("data", "noisy_line.csv")
    job = build_job([load_config_file("adam")])
    assert job.train.optimizer == "adam" and job.train.lr == 0.05


def test_a_file_of_that_name_wins_over_a_bundled_example(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adam").write_text('[training]\nlr = 0.25\n', encoding="utf-8")
    assert load_config_file("adam") == {"lr": 0.25}


@pytest.mark.parametrize("name", ["nope", "adam.toml", "configs/adam", "../assets/configs/adam"])
def test_an_unknown_config_names_the_bundled_examples(name, tmp_path, monkeypatch, one_line):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as e:
        load_config_file(name)
    one_line(e.value, f"config file {name} does not exist", "adam", "noisy_csv")


def test_help_lists_presets_themes_and_examples(capsys):
    with pytest.raises(SystemExit) as e:
        render.main(["--help"])
    assert e.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "one of: article, preview, slides, social" in text
    assert "one of: dark, light, or a theme .toml file" in text
    assert f"A bare name picks a bundled example: {', '.join(example_config_names())}" in text
    assert "adam, article," in text and "momentum" in text


def test_package_code_never_finds_files_through_its_own_location():
    """Assets are read with importlib.resources (scenes/resources.py), which works from a wheel;
    a path built from __file__ points into the source tree, which a wheel does not have."""
    offenders = []
    for path in [ROOT / "render.py", *(ROOT / "scenes").rglob("*.py"), *(ROOT / "training").rglob("*.py")]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\b__file__\b", line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
