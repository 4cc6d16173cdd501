"""Themes: colours, font and sizes shared by the matplotlib and Manim backends.

A theme is a TOML file: a bundled one by name (``assets/themes``, installed with the package
and read through :mod:`scenes.resources`) or any ``.toml`` path. Both backends read the same
file, so a GIF and an MP4 of one config look alike.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from scenes import resources
from training.errors import InputError, shown

__all__ = ["Theme", "available_themes", "load_theme", "font_path"]

COLOR_KEYS = ("background", "panel", "text", "muted", "grid", "points", "batch", "line", "ghost",
              "residual", "update", "full_gradient", "velocity", "path", "loss_batch",
              "loss_full", "diverged", "contour_map")
_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
SIZE_KEYS = ("title", "label", "tick", "text", "table", "line_width", "point_size")


@dataclass(frozen=True)
class Theme:
    name: str
    font_family: str
    colors: dict[str, str]
    sizes: dict[str, float]

    def color(self, key: str) -> str:
        return self.colors[key]

    def size(self, key: str, height_px: int = 720) -> float:
        """A size in points, scaled so a frame of any height looks like the 720p design."""
        return self.sizes[key] * height_px / 720


def available_themes() -> list[str]:
    """The bundled themes' names (``dark``, ``light``)."""
    return resources.asset_names("themes", ".toml")


def load_theme(name_or_path: str | Path = "light") -> Theme:
    """Load a theme by name (``light``, ``dark``) or from a TOML path, checking every value:
    a bad theme is an :class:`InputError` before any drawing starts."""
    text = str(name_or_path)
    if text.endswith(".toml"):  # the user's theme file: a plain path
        path = Path(text)
    elif text in available_themes():  # a bundled theme, read through importlib.resources
        path = resources.asset("themes", f"{text}.toml")
    else:  # only a listed name reaches the package, so no path can pass as a name
        path = None
    if path is None or not (path.exists() if isinstance(path, Path) else path.is_file()):
        raise InputError(f"unknown theme {shown(text)}; accepted: {', '.join(available_themes())} or a .toml file")
    from training.files import MAX_TOML_BYTES, read_limited
    # A file on disk is read bounded (a regular file or a pipe, at most MAX_TOML_BYTES).
    raw = read_limited(path, what="theme file", limit=MAX_TOML_BYTES) if isinstance(path, Path) else path.read_bytes()
    try:
        doc = tomllib.loads(raw.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"theme file {path} is not valid TOML: {e}") from None
    colors, sizes = doc.get("colors", {}), doc.get("sizes", {})
    if not isinstance(colors, dict) or not isinstance(sizes, dict):
        raise InputError(f"theme file {path} is malformed: [colors] and [sizes] must be tables (see assets/themes/light.toml)")
    missing = [k for k in COLOR_KEYS if k not in colors] + [k for k in SIZE_KEYS if k not in sizes]
    if missing:
        raise InputError(f"theme file {path} lacks: {', '.join(missing)}")
    for key in COLOR_KEYS:
        value = colors[key]
        if key == "contour_map":
            from matplotlib import colormaps
            if not isinstance(value, str) or value not in colormaps:
                raise InputError(f"theme file {path}: contour_map {str(value)[:40]!r} is not a matplotlib colormap "
                                 "(for example Blues_r, cividis, viridis)")
        elif not isinstance(value, str) or not _HEX_COLOUR.fullmatch(value):
            raise InputError(f"theme file {path}: colors.{key} = {str(value)[:40]!r} is not a colour; use #RRGGBB")
    for key in SIZE_KEYS:
        value = sizes[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1000:
            raise InputError(f"theme file {path}: sizes.{key} must be a number > 0 and <= 1000, got {str(value)[:40]!r}")
    name, family = doc.get("name", Path(path.name).stem), doc.get("font_family", "DejaVu Sans")
    if not isinstance(name, str) or not isinstance(family, str):
        raise InputError(f"theme file {path}: name and font_family must be text")
    return Theme(name=name, font_family=family, colors={k: colors[k] for k in COLOR_KEYS},
                 sizes={k: float(sizes[k]) for k in SIZE_KEYS})


def font_path(bold: bool = False) -> Path:
    """The theme font's file (matplotlib ships DejaVu Sans), to register it with Manim's Pango."""
    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
