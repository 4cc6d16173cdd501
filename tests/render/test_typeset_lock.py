"""Renders running at once share the typesetting cache (tex_dir, text_dir): Manim parses each
cached SVG through a temporary ``<hash>_.svg`` beside it and deletes it, so two processes
typesetting the same string at once failed ("No such file or directory: .../<hash>_.svg";
seen with two Manim renders side by side). scenes.manim.typeset_lock serialises that step."""
from __future__ import annotations

import multiprocessing as mp

import pytest

pytest.importorskip("manim")


def _typeset(folder: str, q) -> None:
    try:
        from manim import tempconfig

        from scenes.manim.style import Style
        from scenes.story.theme import load_theme
        st = Style(load_theme("light"))
        with tempconfig({"tex_dir": folder + "/typst", "text_dir": folder + "/texts", "verbosity": "ERROR"}):
            for i in range(25):
                st.math(f"x_{i} + {i}")
                st.text(f"label {i}")
        q.put("ok")
    except Exception as e:  # noqa: BLE001 - what failed is the finding
        q.put(f"{type(e).__name__}: {e}")


@pytest.mark.slow  # (three processes importing Manim: a few seconds)
@pytest.mark.subprocess
def test_three_processes_typesetting_the_same_strings_at_once_all_succeed(tmp_path):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_typeset, args=(str(tmp_path), q)) for _ in range(3)]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    assert results == ["ok"] * 3
