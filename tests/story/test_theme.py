"""Themes: both shipped themes load; every value of a theme file is checked."""
from __future__ import annotations

import pytest

from scenes.story.theme import COLOR_KEYS, SIZE_KEYS, available_themes, font_path, load_theme
from training.errors import InputError


@pytest.mark.parametrize("name", ["light", "dark"])
def test_shipped_themes_load_complete(name):
    th = load_theme(name)
    assert set(th.colors) == set(COLOR_KEYS) and set(th.sizes) == set(SIZE_KEYS)
    assert th.size("title", 1440) == pytest.approx(2 * th.size("title", 720))
    assert {"light", "dark"} <= set(available_themes())


def test_light_and_dark_differ_where_it_matters():
    light, dark = load_theme("light"), load_theme("dark")
    assert light.color("background") != dark.color("background")
    assert light.color("text") != dark.color("text")


def write(tmp_path, colors=None, sizes=None, extra=""):
    base = load_theme("light")
    c = {**base.colors, **(colors or {})}
    s = {**base.sizes, **(sizes or {})}
    lines = ["[colors]"] + [f'{k} = "{v}"' for k, v in c.items() if v is not None]
    lines += ["[sizes]"] + [f"{k} = {v}" for k, v in s.items() if v is not None]
    path = tmp_path / "mine.toml"
    path.write_text(extra + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_theme_file_by_path(tmp_path):
    th = load_theme(write(tmp_path, colors={"line": "#123456"}))
    assert th.color("line") == "#123456"


@pytest.mark.parametrize("colors, sizes, words", [
    ({"line": "red"}, None, ["colors.line", "#RRGGBB"]),
    ({"contour_map": "no_such_map"}, None, ["contour_map", "colormap"]),
    ({"line": None}, None, ["lacks", "line"]),
    (None, {"title": 0}, ["sizes.title"]),
    (None, {"tick": 5000}, ["sizes.tick"]),
])
def test_bad_values_are_one_line_errors(tmp_path, colors, sizes, words):
    with pytest.raises(InputError) as e:
        load_theme(write(tmp_path, colors, sizes))
    msg = str(e.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg


def test_unknown_name_and_bad_toml(tmp_path):
    with pytest.raises(InputError, match="unknown theme 'neon'"):
        load_theme("neon")
    bad = tmp_path / "bad.toml"
    bad.write_text("[colors\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_theme(bad)


def test_font_file_exists():
    assert font_path().is_file() and font_path(bold=True).is_file()
