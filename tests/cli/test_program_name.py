"""The commands sgd-anim shows (--help's examples, a written config.toml's header) name the
command the user ran: `sgd-anim` once installed (no render.py where they stand), `python
render.py` in a clone."""
from __future__ import annotations

import re
import sys

import pytest

from scenes.flags import EXAMPLES, build_parser, examples_for
from scenes.job import build_job, job_to_toml
from scenes.program import program_name


@pytest.mark.parametrize("argv0, name", [("/home/u/sgd/bin/sgd-anim", "sgd-anim"), ("render.py", "python render.py"),
                                         ("/work/clone/render.py", "python render.py"), ("-c", "sgd-anim"),
                                         ("", "sgd-anim")])
def test_program_name_is_what_the_user_ran(argv0, name, monkeypatch):
    monkeypatch.setattr(sys, "argv", [argv0])
    monkeypatch.setattr(sys, "orig_argv", ["python", argv0])
    assert program_name() == name


def test_python_m_render_is_named_so(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["/venv/lib/python3.11/site-packages/render.py", "--help"])
    monkeypatch.setattr(sys, "orig_argv", ["/venv/bin/python", "-m", "render", "--help"])
    assert program_name() == "python -m render"


def test_installed_help_shows_the_installed_command(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["/home/u/sgd/bin/sgd-anim"])
    monkeypatch.setattr(sys, "orig_argv", ["/home/u/sgd/bin/python", "/home/u/sgd/bin/sgd-anim"])
    text = build_parser().format_help()
    examples = text[text.index("examples:"):]
    assert "render.py" not in examples
    assert "  sgd-anim --preset slides " in examples and "  sgd-anim --run article_loop " in examples
    # every command listed in the clone's help is there, in the same order
    assert re.findall(r"(?m)^  python render\.py(.*?)(?: {2,}|$)", EXAMPLES) == \
        re.findall(r"(?m)^  sgd-anim(.*?)(?: {2,}|$)", examples_for("sgd-anim"))


def test_the_clones_help_is_unchanged():
    assert examples_for("python render.py") == EXAMPLES


def test_descriptions_stay_in_one_column():
    lines = [m for m in re.finditer(r"(?m)^(  sgd-anim.*?) {2,}(\S.*)$", examples_for("sgd-anim"))]
    assert len(lines) > 10
    for m in lines:  # the clone's column, 52, unless the command itself reaches past it
        start = m.start(2) - m.start(0)
        assert start == 52 or (len(m.group(1)) > 50 and start == len(m.group(1)) + 3), m.group(0)


@pytest.mark.parametrize("argv0, command", [("/home/u/sgd/bin/sgd-anim", "#   sgd-anim --config config.toml"),
                                            ("render.py", "#   python render.py --config config.toml")])
def test_a_written_config_names_the_command_to_regenerate_it(argv0, command, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "argv", [argv0])
    monkeypatch.setattr(sys, "orig_argv", ["python", argv0])
    text = job_to_toml(build_job([{}], tmp_path))
    assert text.splitlines()[1] == command


def test_version_prints_the_installed_version_and_exits_zero(capsys):
    from importlib import metadata
    import render
    with pytest.raises(SystemExit) as stop:
        render.main(["--version"])
    assert stop.value.code in (0, None)
    try:
        expected = metadata.version("sgd-anim")
    except metadata.PackageNotFoundError:
        expected = "unknown"
    assert capsys.readouterr().out == f"sgd-anim {expected}\n"
