"""The installable wheel: built from this tree, installed (not editable) into a fresh virtual
environment, and run from a folder outside the repository, as a user would.

Installing torch, Manim and the rest into a new environment takes minutes, so the new
environment borrows the *dependencies* from the environment running the tests: a ``.pth`` file
appends that environment's site-packages to ``sys.path``. Only entries are appended; the ``.pth``
files inside that folder (among them the editable install's finder for this repository) are
not run, and sgd-anim itself comes from the wheel alone: the test checks that ``scenes``,
``training``, ``render`` and the assets all resolve inside the new environment.

The fast tests at the end check what the wheel is built from: every package and every asset
that should ship is listed in pyproject.toml.
"""
from __future__ import annotations

import fnmatch
import json
import os
import shutil
import site
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from tests.helpers import ROOT

ASSETS_PACKAGE = "sgd_anim_assets"
SHIPPED_ASSETS = {"presets.toml", "themes/dark.toml", "themes/light.toml", "configs/adam.toml",
                  "configs/noisy_csv.toml", "data/noisy_line.csv", "notebooks/walkthrough.ipynb",
                  "examples/article_loop.py"}  # `sgd-anim --run article_loop` runs it from any folder
NOT_SHIPPED = ("gallery/",)  # the README's images


def _copy_sources(dst: Path) -> Path:
    """What the build reads (top-level files, the packages, assets), copied so the build leaves
    no build/ folder in the working tree and no stale file from an earlier build gets in."""
    dst.mkdir()
    for entry in ROOT.iterdir():
        if entry.is_file():
            shutil.copy2(entry, dst / entry.name)
    for folder in ("scenes", "training", "assets"):
        shutil.copytree(ROOT / folder, dst / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dst


def _run(cmd: list[str], cwd: Path, env: dict, timeout: float = 240) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def _dependency_dirs() -> list[str]:
    """The site-packages folders the tests run with, where torch, Manim and the rest live."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    dirs = [d for d in dict.fromkeys(dirs) if Path(d).is_dir()]
    for d in dirs:  # the project itself must not be importable from there (an editable install is a finder)
        assert not any((Path(d) / name).exists() for name in ("scenes", "training", "render.py", ASSETS_PACKAGE)), d
    return dirs


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A wheel built from this tree and installed into a fresh venv: (venv, wheel, timings)."""
    base = tmp_path_factory.mktemp("wheel")
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    src = _copy_sources(base / "src")
    dist = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(src)],
         cwd=base, env=dict(os.environ))
    (wheel,) = dist.glob("sgd_anim-*.whl")
    times["build"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base, env=dict(os.environ))
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    (purelib / "_sgd_anim_test_deps.pth").write_text("\n".join(_dependency_dirs()) + "\n", encoding="utf-8")
    # Without PYTHONPATH: pip runs the install under the new venv's interpreter, and a PYTHONPATH
    # into a source tree holding an sgd_anim.egg-info (left by a `pip install .` there) makes
    # pip take sgd-anim as installed already and put nothing into the venv.
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
         cwd=base, env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")})
    times["install"] = time.perf_counter() - t0
    yield venv, purelib, wheel, times


def _user_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}  # no PYTHONPATH into the repo
    env["SGD_ANIM_CACHE"] = str(tmp / "cache")
    return env


@pytest.mark.slow
@pytest.mark.subprocess
def test_wheel_installs_and_renders_every_job_outside_the_repository(installed, tmp_path):
    venv, purelib, wheel, times = installed
    python, sgd_anim = venv / "bin" / "python", venv / "bin" / "sgd-anim"
    work = tmp_path / "user"
    work.mkdir()
    env = _user_env(tmp_path)

    # What the wheel holds: the code and the assets, not the README's gallery, not the tests.
    names = zipfile.ZipFile(wheel).namelist()
    assets = {n[len(ASSETS_PACKAGE) + 1:] for n in names if n.startswith(ASSETS_PACKAGE + "/")}
    assert SHIPPED_ASSETS <= assets, sorted(SHIPPED_ASSETS - assets)
    assert not [n for n in assets if n.startswith(NOT_SHIPPED)]
    assert "render.py" in names and "scenes/resources.py" in names and "scenes/story/theme.py" in names
    assert not [n for n in names if n.startswith("tests/")]

    # sgd-anim comes from the new venv, never from the repository or the editable install.
    probe = ("import json, render, scenes, training, sgd_anim_assets, importlib.resources as r\n"
             "from scenes import resources\n"
             "print(json.dumps({'modules': [m.__file__ for m in (render, scenes, training, sgd_anim_assets)],\n"
             "  'themes': sorted(p.name for p in r.files('sgd_anim_assets').joinpath('themes').iterdir()),\n"
             "  'dark': str(resources.asset_path('themes', 'dark.toml')),\n"
             "  'presets': 'slides' in resources.asset_text('presets.toml')}))\n")
    found = json.loads(_run([str(python), "-c", probe], cwd=work, env=env).stdout)
    for module_file in found["modules"] + [found["dark"]]:
        assert Path(module_file).resolve().is_relative_to(purelib.resolve()), module_file
        assert not Path(module_file).resolve().is_relative_to(ROOT), module_file
    assert {"dark.toml", "light.toml"} <= set(found["themes"]) and found["presets"]

    # --help lists the presets, the themes and the bundled example configs.
    help_text = _run([str(sgd_anim), "--help"], cwd=work, env=env).stdout
    for name in ("slides", "article", "social", "preview", "dark", "light", "adam", "noisy_csv"):
        assert name in help_text, name

    small = ["--epochs", "2", "--size", "320x180", "--duration", "3", "--quiet"]
    t0 = time.perf_counter()
    _run([str(sgd_anim), "--preset", "slides", *small, "--out", "slides"], cwd=work, env=env)
    times["slides"] = time.perf_counter() - t0
    from PIL import Image
    with Image.open(work / "slides" / "sgd.gif") as gif:
        assert gif.size == (320, 180) and gif.n_frames > 10
    assert 'theme = "dark"' in (work / "slides" / "config.toml").read_text(encoding="utf-8")

    # The article's preset with a bundled example config by name (one interpreter for both): the
    # config's CSV path is relative to it, inside the package; the flag's format wins over both.
    t0 = time.perf_counter()
    _run([str(sgd_anim), "--preset", "article", "--config", "noisy_csv", "--format", "png", *small, "--out", "article"],
         cwd=work, env=env)
    times["article png"] = time.perf_counter() - t0
    with Image.open(work / "article" / "sgd.png") as png:
        assert png.size == (320, 180)
    assert sorted(p.name for p in (work / "article").iterdir()) == ["config.toml", "sgd.png", "trace.json"]
    trace = json.loads((work / "article" / "trace.json").read_text(encoding="utf-8"))
    assert len(trace["data"]["x"]) > 10  # the noisy CSV's 40 points, not the article's six

    # Manim from the wheel: the fit scene, which reads the same installed theme and writes the same
    # files as the walkthrough at half its cost (the walkthrough's own code is modules of packages
    # the fast test below checks are listed; tests/render draws it).
    t0 = time.perf_counter()
    _run([str(sgd_anim), "--backend", "manim", "--scene", "fit", "--quality", "low", "--duration", "3", "--epochs", "2",
          "--quiet", "--out", "manim"], cwd=work, env=env)
    times["manim low"] = time.perf_counter() - t0
    assert (work / "manim" / "sgd_fit.mp4").stat().st_size > 10_000
    with Image.open(work / "manim" / "sgd_fit.gif") as gif, Image.open(work / "manim" / "sgd_fit.png") as png:
        assert gif.n_frames > 10 and png.size == gif.size == (854, 480)

    # The article's own loop, bundled: `--run article_loop` finds it with no assets/ folder here.
    t0 = time.perf_counter()
    ran = _run([str(sgd_anim), "--run", "article_loop", "--record-only", "--quiet", "--out", "own"], cwd=work, env=env)
    times["run article_loop"] = time.perf_counter() - t0
    assert "a = 0.5047, b = 0.0963" in ran.stdout and (work / "own" / "trace.json").is_file()

    assert sorted(p.name for p in work.iterdir()) == ["article", "manim", "own", "slides"], "stray files in the cwd"
    print("wheel test timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in times.items()))


# ------------------------------------------------------------------ fast: what the wheel is built from
def _setuptools_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_in_the_tree_is_listed_for_the_wheel():
    """A new folder with an __init__.py under scenes/ or training/ must be in pyproject's
    `packages`, or `pip install .` silently leaves it out."""
    listed = set(_setuptools_config()["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for top in ("scenes", "training")
               for p in (ROOT / top).rglob("__init__.py")}
    assert on_disk - listed == set(), f"add to [tool.setuptools] packages in pyproject.toml: {sorted(on_disk - listed)}"


def test_every_asset_but_the_gallery_is_package_data():
    """Each file under assets/ ships, except the README's gallery images."""
    config = _setuptools_config()
    assert config["package-dir"][ASSETS_PACKAGE] == "assets"
    patterns = config["package-data"][ASSETS_PACKAGE]
    files = {p.relative_to(ROOT / "assets").as_posix() for p in (ROOT / "assets").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    files -= {"__init__.py"}  # the package's own module, shipped as code
    shipped = {f for f in files if any(fnmatch.fnmatchcase(f, pat) for pat in patterns)}
    assert not [f for f in shipped if f.startswith(NOT_SHIPPED)]
    assert files - shipped == {f for f in files if f.startswith(NOT_SHIPPED)}, \
        f"not package data: {sorted(files - shipped - {f for f in files if f.startswith(NOT_SHIPPED)})}"
    assert SHIPPED_ASSETS <= shipped


def _glob_matches(path: str, pattern: str) -> bool:
    """As setuptools' glob of package data: a ``*`` never crosses a ``/`` (fnmatch's does)."""
    return path.count("/") == pattern.count("/") and PurePosixPath(path).match(pattern)


def test_every_file_of_the_code_packages_that_is_not_python_is_package_data():
    """The player's, the twin's and the live page's scripts, styles and MANIFESTs (read with
    importlib.resources) ship: each non-Python file under scenes/ and training/ matches a
    package-data pattern of the package holding it, or `pip install .` leaves it out and the
    installed tool fails where the repository works (a new player/views/sub/x.js, a new .css)."""
    config = _setuptools_config()
    patterns = config["package-data"]
    packages = set(config["packages"])
    missing = []
    for top in ("scenes", "training"):
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            rel = path.relative_to(ROOT)
            # the innermost listed package holding the file, and the file's path inside it
            for depth in range(len(rel.parts) - 1, 0, -1):
                package = ".".join(rel.parts[:depth])
                inside = "/".join(rel.parts[depth:])
                if package in packages and any(_glob_matches(inside, pat) for pat in patterns.get(package, ())):
                    break
            else:
                missing.append(rel.as_posix())
    assert not missing, f"not package data (add to [tool.setuptools.package-data] in pyproject.toml): {missing}"
