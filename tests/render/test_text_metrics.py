"""The layout's text sizes kept across runs (scenes.mpl.text_metrics): the answers are
FreeType's own, given back only while nothing that decides them has changed, and a scene laid
out from them is the scene laid out by measuring."""
from __future__ import annotations

import dataclasses
import json

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties, fontManager

from scenes.mpl.text_metrics import MeasuredOnce, metrics_path, stamp

TEXTS = [("0.25", False, {}), ("Numbers of this batch", False, {"weight": "bold"}),
         ("step 12 of 300", False, {"style": "italic", "size": 13.5}),
         (r"$\mathdefault{10^{-2}}$", True, {"size": 9.0})]


def _prop(kw) -> FontProperties:
    return FontProperties(family="DejaVu Sans", **{"size": 11.0, **kw})


def _measured(renderer):
    return [renderer.get_text_width_height_descent(s, _prop(kw), ismath) for s, ismath, kw in TEXTS]


def _freetype():
    """The same texts measured by a fresh renderer of the class, nothing remembered."""
    r = RendererAgg(100, 100, 100)
    return [RendererAgg.get_text_width_height_descent(r, s, _prop(kw), ismath) for s, ismath, kw in TEXTS]


def test_sizes_come_back_as_freetype_measured_them(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    first = MeasuredOnce(RendererAgg(100, 100, 100), path)
    assert first.known == {}
    got = _measured(first.renderer)
    assert len(first.new) == len(TEXTS)
    first.close()
    assert "get_text_width_height_descent" not in vars(first.renderer)  # the class's own again
    assert path.exists()

    calls = []
    real = RendererAgg.get_text_width_height_descent
    monkeypatch.setattr(RendererAgg, "get_text_width_height_descent",
                        lambda self, *a, **k: calls.append(a[0]) or real(self, *a, **k))
    second = MeasuredOnce(RendererAgg(100, 100, 100), path)
    again = _measured(second.renderer)
    assert calls == []  # every answer from the file
    assert not second.new
    expected = _freetype()
    assert len(calls) == len(TEXTS)  # (the independent measurement did call FreeType)
    assert again == got == [tuple(float(v) for v in e) for e in expected]
    # Another dpi or another size is another question.
    second.renderer.dpi = 72
    second.renderer.get_text_width_height_descent("0.25", _prop({}), False)
    assert len(second.new) == 1


def test_a_change_of_settings_or_fonts_starts_afresh(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    m = MeasuredOnce(RendererAgg(100, 100, 100), path)
    _measured(m.renderer)
    m.close()
    assert MeasuredOnce(RendererAgg(100, 100, 100), path).known  # same settings: kept
    with matplotlib.rc_context({"text.hinting": "none" if matplotlib.rcParams["text.hinting"] != "none" else "auto"}):
        assert MeasuredOnce(RendererAgg(100, 100, 100), path).known == {}
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Serif"]}):
        assert MeasuredOnce(RendererAgg(100, 100, 100), path).known == {}
    before = stamp(m.renderer)
    fonts = list(fontManager.ttflist)
    fonts[0] = dataclasses.replace(fonts[0], weight=fonts[0].weight + 100)  # a font installed anew
    monkeypatch.setattr(fontManager, "ttflist", fonts)
    assert stamp(m.renderer) != before
    assert MeasuredOnce(RendererAgg(100, 100, 100), path).known == {}


def test_a_damaged_file_or_a_folder_that_cannot_be_written_costs_time_only(tmp_path):
    path = tmp_path / "m.json"
    for junk in (b"{not json", b"[1, 2]", b'{"stamp": 3}', b'{"stamp": "x", "sizes": {"a": 1}}'):
        path.write_bytes(junk)
        m = MeasuredOnce(RendererAgg(100, 100, 100), path)
        assert m.known == {}
        assert _measured(m.renderer) == [tuple(float(v) for v in e) for e in _freetype()]
    (tmp_path / "file").write_text("")
    m = MeasuredOnce(RendererAgg(100, 100, 100), tmp_path / "file" / "m.json")  # its folder is a file
    _measured(m.renderer)
    m.close()  # nothing raised, nothing written
    assert not (tmp_path / "file" / "m.json").exists()


def test_a_wrong_answer_in_the_file_is_measured_again(tmp_path):
    path = tmp_path / "m.json"
    m = MeasuredOnce(RendererAgg(100, 100, 100), path)
    _measured(m.renderer)
    m.close()
    doc = json.loads(path.read_text())
    doc["sizes"] = {k: [1.0] for k in doc["sizes"]}  # the right stamp, answers of the wrong shape
    path.write_text(json.dumps(doc))
    m = MeasuredOnce(RendererAgg(100, 100, 100), path)
    assert _measured(m.renderer) == [tuple(float(v) for v in e) for e in _freetype()]
    m.close()
    assert all(len(v) == 3 for v in json.loads(path.read_text())["sizes"].values())  # replaced


def test_no_cache_folder_to_be_found_measures(monkeypatch):
    def nowhere():
        raise RuntimeError("Could not determine home directory.")
    monkeypatch.setattr("scenes.mpl.text_metrics.metrics_path", nowhere)
    m = MeasuredOnce(RendererAgg(100, 100, 100))
    assert m.path is None and m.known == {}
    assert _measured(m.renderer) == [tuple(float(v) for v in e) for e in _freetype()]
    m.close()


def test_the_newest_sizes_are_kept_first(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    m = MeasuredOnce(RendererAgg(100, 100, 100), path)
    _measured(m.renderer)  # 4 sizes
    m.close()
    monkeypatch.setattr("scenes.mpl.text_metrics.MAX_ENTRIES", 5)
    m = MeasuredOnce(RendererAgg(100, 100, 100), path)
    for s in ("a", "b"):
        m.renderer.get_text_width_height_descent(s, _prop({}), False)
    new = set(m.new)
    m.close()
    kept = json.loads(path.read_text())["sizes"]
    assert len(kept) == 5 and new <= set(kept)


@pytest.fixture(scope="module")
def trace():
    from training.recorder import record
    return record()


def _layout(scene):
    """Everything the layout decides: cells, axes, ticks, titles, legends."""
    out = {"cells": {k: tuple(v.bounds) for k, v in scene.cells.items()}, "header": scene.header_px}
    for name, ax in scene.axes.items():
        out[name] = (ax.get_position().bounds, tuple(ax.get_xticks()), tuple(ax.get_yticks()),
                     ax.title.get_fontsize(), ax.title.get_text(), ax._left_title.get_text(),
                     ax._left_title.get_fontsize(),
                     ax.get_legend()._loc if ax.get_legend() is not None else None)
    return out


@pytest.mark.slow  # records a run, lays out two scenes and draws them
def test_a_scene_laid_out_from_remembered_sizes_is_the_measured_one(trace, fresh_cache, monkeypatch):
    from scenes.mpl.render import _setup

    views = ("fit", "loss", "params", "numbers")
    with matplotlib.rc_context({"text.hinting": "none"}):  # as a render lays out
        measured = _setup(trace, (480, 270), "light", views)
        assert metrics_path().exists()
        calls = []
        real = RendererAgg.get_text_width_height_descent
        monkeypatch.setattr(RendererAgg, "get_text_width_height_descent",
                            lambda self, *a, **k: calls.append(a[0]) or real(self, *a, **k))
        remembered = _setup(trace, (480, 270), "light", views)
        assert calls == []  # no text measured by FreeType for the layout
        assert _layout(remembered) == _layout(measured)
        pixels = []
        for scene in (measured, remembered):
            scene.fig.canvas.draw()
            pixels.append(np.asarray(scene.fig.canvas.buffer_rgba()).copy())
    assert np.array_equal(*pixels)
