"""The Manim builders' modules: the old name ``scenes.manim.parts`` hands out the very objects
the scenes use (tests patch them through it), and each module stays small and self-contained."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

pytest.importorskip("manim")

import scenes.manim.parts as parts  # noqa: E402

MANIM = Path(__file__).resolve().parents[2] / "scenes" / "manim"
PANELS = ["base", "beats", "counter", "draw", "fit", "header", "loss", "math", "params", "table", "ticks"]


@pytest.mark.parametrize("name", parts.__all__)
def test_parts_re_exports_the_objects_the_scenes_use(name):
    homes = ["scenes.manim.style", *(f"scenes.manim.panels.{m}" for m in PANELS)]
    owners = [m for m in map(importlib.import_module, homes) if name in getattr(m, "__all__", ())]
    assert len(owners) == 1, f"{name}: defined in {[m.__name__ for m in owners]}"
    assert getattr(parts, name) is getattr(owners[0], name)


def test_the_scenes_import_the_panels_from_their_modules():
    from scenes.manim import scenes

    assert scenes.Header is parts.Header and scenes.ParamsPanel is parts.ParamsPanel


@pytest.mark.parametrize("path", [*(MANIM / "panels").glob("*.py"), MANIM / "style.py",
                                  MANIM / "race_layout.py", MANIM / "race_updates.py"],
                         ids=lambda p: p.name)
def test_builder_modules_are_small_and_import_no_old_name(path):
    text = path.read_text()
    assert len(text.splitlines()) < 400
    imported = {n.module for n in ast.walk(ast.parse(text)) if isinstance(n, ast.ImportFrom)}
    assert "scenes.manim.parts" not in imported  # parts re-exports them: importing it back is a cycle
