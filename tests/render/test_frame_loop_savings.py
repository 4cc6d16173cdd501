"""The frame loop's savings give the pixels of the plain way: glyphs rendered once
(scenes.mpl.glyph_cache), the background restored where a frame can change only
(scenes.mpl.blit_areas), a text's layout remembered (scenes.mpl.layout_memo)."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from scenes.mpl import glyph_cache
from scenes.mpl.blit_areas import MARGIN, BlitAreas
from scenes.mpl.layout_memo import remember_layout
from scenes.mpl.render import FrameRenderer, _setup, build_plan
from scenes.story.plan import PlanSettings

TEXTS = ["0.5047", "a:  0.5048 → 0.5047   (Δa = −3.27e−5)", "L = 3.85e−4", "Epoch 12/100 · step 7"]


def _texts_drawn(cached: bool) -> np.ndarray:
    fig = Figure(figsize=(4, 2), dpi=100)
    canvas = FigureCanvasAgg(fig)
    fig.set_facecolor("#fafafa")
    arts = []
    for i, s in enumerate(TEXTS * 3):  # each string again at other fractions of a pixel
        x = 0.02 + 0.013 * i + 0.0007 * i * i
        arts.append(fig.text(x, 0.05 + 0.075 * i, s, fontsize=9 + i % 3, color="#333333", animated=True))
    canvas.draw()
    if cached:
        assert glyph_cache.install(canvas.get_renderer())
    for a in arts:
        fig.draw_artist(a)
    if cached:
        cache = canvas.get_renderer()._sgd_glyphs
        assert 0 < len(cache) < sum(len(a.get_text()) for a in arts)  # glyphs were reused
    return np.asarray(canvas.buffer_rgba()).copy()


def test_cached_glyphs_give_the_same_pixels_as_matplotlib():
    plain, cached = _texts_drawn(False), _texts_drawn(True)
    assert plain.any() and np.array_equal(plain, cached)


def test_the_blit_areas_are_the_artists_clip_boxes_and_an_empty_text_draws_nothing():
    fig = Figure(figsize=(4, 2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.1, 0.2, 0.5, 0.6))
    line, = ax.plot([0, 1], [0, 1])
    note = fig.text(0.8, 0.5, "")
    areas = BlitAreas(fig, [line, note], [])
    x0, y0, x1, y1 = ax.bbox.extents  # (40, 40) to (240, 160) in a 400x200 figure
    assert areas.boxes == [(slice(int(200 - y1) - MARGIN, int(200 - y0) + MARGIN),
                            slice(int(x0) - MARGIN, int(x1) + MARGIN))]
    assert areas.unclipped == [note] and not areas.drew_unclipped()
    note.set_text("drawn anywhere")
    assert areas.drew_unclipped()


def test_a_remembered_layout_follows_the_text_and_its_font():
    fig = Figure(figsize=(4, 2), dpi=100)
    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    text, fresh = fig.text(0.1, 0.5, "0.5047"), fig.text(0.1, 0.5, "")
    assert remember_layout(text)
    first = text._get_layout(renderer)
    assert text._get_layout(renderer) is first  # the same inputs: not computed again
    for change in (lambda t: t.set_text("−3.27e−5"), lambda t: t.set_fontsize(17),
                   lambda t: t.set_ha("right"), lambda t: t.set_rotation(30)):
        change(text)
        change(fresh)
        fresh.set_text(text.get_text())
        got, want = text._get_layout(renderer), fresh._get_layout(renderer)
        assert got is not first and repr(got) == repr(want)
        first = got


@pytest.mark.slow  # draws 30 frames twice
def test_frames_drawn_in_a_row_equal_the_plain_way(monkeypatch, good_trace_text):
    from training.trace import Trace

    trace = Trace.from_json(good_trace_text)
    plan = PlanSettings(fps=5)

    def make():
        return FrameRenderer(_setup(trace, (960, 540), "light", ("fit", "loss", "params", "numbers")),
                             build_plan(trace, plan))

    fast = make()
    partial = 0
    frames = []
    for i in range(30):  # the intro and the first steps: panels change and stay
        partial += fast._known
        frames.append(fast.frame(i).copy())
    assert partial > 15 and fast.canvas.get_renderer()._sgd_glyphs
    # The plain way: the whole background every frame, matplotlib's glyph drawing and layout.
    monkeypatch.setattr(glyph_cache, "install", lambda renderer: False)
    monkeypatch.setattr("scenes.mpl.text_tiles.remember_layout", lambda text: False)
    plain = make()
    for i, want in enumerate(frames):
        plain._known = False
        assert np.array_equal(plain.frame(i), want), f"frame {i}"
    assert not hasattr(plain.canvas.get_renderer(), "_sgd_glyphs")
    assert not any("_get_layout" in vars(a) for g in plain._groups for a in g[1])
