"""sgd-anim's package data: themes, presets, example configs, example data, the notebook.

The files live in the repository's top-level ``assets/`` folder, which pyproject.toml installs
as the package ``sgd_anim_assets``, in a wheel, ``pip install .`` and the editable install of
``.ci/setup.sh`` alike. Everything that reads a bundled file goes through this module, which
reads it with :mod:`importlib.resources`: no path is ever computed from a source file's place.

    from scenes import resources
    resources.asset_names("themes", ".toml")                 # ['dark', 'light']
    resources.asset_text("presets.toml")                     # the presets, as text
    resources.asset_path("notebooks", "walkthrough.ipynb")   # a real file, say to copy
"""
from __future__ import annotations

import atexit
from collections.abc import Iterator
from contextlib import ExitStack
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["PACKAGE", "AssetsMissing", "assets_root", "asset", "asset_text", "asset_path", "iter_assets",
           "asset_names"]

PACKAGE = "sgd_anim_assets"

_extracted = ExitStack()  # temporary copies made by asset_path() when the package is not on disk
atexit.register(_extracted.close)


class AssetsMissing(RuntimeError):
    """sgd-anim's package data is not installed (a broken install, or a source tree never installed)."""


def assets_root() -> Traversable:
    """The root of the bundled files (``assets/`` in the repository)."""
    try:
        return resources.files(PACKAGE)
    except ModuleNotFoundError:
        raise AssetsMissing(f"sgd-anim's assets (the package {PACKAGE}) are not installed; install sgd-anim "
                            "with `pip install .`, or run `bash .ci/setup.sh` in a clone") from None


def asset(*parts: str) -> Traversable:
    """A bundled file or folder, named by its parts below ``assets/``: ``asset("themes", "dark.toml")``.

    Parts are plain names (no ``..``, no separators), so nothing outside the package is reachable.
    """
    if not parts:
        raise ValueError("asset() needs at least one name")
    node = assets_root()
    for part in parts:
        if (not isinstance(part, str) or part in ("", ".", "..") or "/" in part or "\\" in part
                or "\0" in part):
            raise ValueError(f"not a plain asset name: {part!r}")
        node = node.joinpath(part)
    return node


def asset_text(*parts: str) -> str:
    """The text of a bundled file (UTF-8)."""
    return asset(*parts).read_text(encoding="utf-8")


def asset_path(*parts: str) -> Path:
    """A real file-system path to a bundled file, for code that needs one: a config file whose
    data path is relative to it, or a notebook to copy. Installed from a wheel or editable this
    is the installed file itself; from a zip it is a temporary copy, removed at exit."""
    node = asset(*parts)
    if not (node.is_file() or node.is_dir()):
        raise FileNotFoundError(f"no bundled asset {'/'.join(parts)} in {PACKAGE}")
    if isinstance(node, Path):
        return node
    return _extracted.enter_context(resources.as_file(node))


def iter_assets(folder: str, suffix: str = "") -> Iterator[Traversable]:
    """The files in a bundled folder whose names end with ``suffix``, sorted by name."""
    root = asset(folder)
    if not root.is_dir():
        return iter(())
    return iter(sorted((f for f in root.iterdir() if f.is_file() and f.name.endswith(suffix)),
                       key=lambda f: f.name))


def asset_names(folder: str, suffix: str) -> list[str]:
    """The names, without ``suffix``, of the files in a bundled folder: ``["dark", "light"]``."""
    return [f.name[: len(f.name) - len(suffix)] for f in iter_assets(folder, suffix)
            if not f.name.startswith((".", "_"))]
