"""Text tiles (scenes.mpl.text_tiles): a text shown before is copied back, with the same pixels."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from scenes.mpl.render import FrameRenderer, _setup, build_plan
from scenes.mpl.text_tiles import TextTiles
from scenes.story.plan import PlanSettings
from training.recorder import record

SMALL = (320, 180)


@pytest.fixture(scope="module")
def trace():
    return record()


@pytest.mark.slow  # draws every frame of a run twice
def test_tiled_frames_equal_plain_ones_and_reuse_texts(trace):
    plan = PlanSettings(fps=5)
    plain, tiled = (FrameRenderer(_setup(trace, SMALL, "light", ("fit", "loss", "params", "numbers")),
                                  build_plan(trace, plan)) for _ in range(2))
    plain.frame(0)
    for g in plain._groups:
        g[4].usable = False  # every text of a changed panel drawn, as before tiles
    for i in range(24):  # the intro and the first detailed steps: texts come and go, and return
        assert np.array_equal(plain.frame(i), tiled.frame(i)), f"frame {i}"
    tiles = [g[4] for g in tiled._groups]
    assert tiles[0].usable  # the numbers (at this size the header's texts come too near its edge)
    assert tiles[0].hits > 10 and tiles[0].misses > 0


def _figure(texts):
    fig = Figure(figsize=(2, 1), dpi=100)
    FigureCanvasAgg(fig)
    fig.set_facecolor("#fafafa")
    arts = [fig.text(x, 0.5, s, fontsize=14, animated=True) for x, s in texts]
    fig.canvas.draw()
    return fig, arts, fig.canvas.copy_from_bbox(fig.bbox)


def _plain(fig, arts, bg):
    fig.canvas.restore_region(bg)
    for a in arts:
        fig.draw_artist(a)
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def _tiled(fig, tiles, bg):
    fig.canvas.restore_region(bg)
    tiles.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


@pytest.mark.parametrize("texts", [[(0.05, "0.5"), (0.55, "1.0")],      # apart: tiles
                                   [(0.05, "0.5"), (0.12, "1.0")]])     # overlapping: drawn in order
def test_text_tiles_equal_drawing_every_text(texts):
    fig, arts, bg = _figure(texts)
    tiles = TextTiles(fig, fig.bbox.padded(-2), arts)
    for values in (("0.5", "1.0"), ("2.5", "1.0"), ("0.5", "−3.25"), ("0.5", "1.0"), ("", "1.0")):
        for a, v in zip(arts, values):
            a.set_text(v)
        assert np.array_equal(_tiled(fig, tiles, bg), _plain(fig, arts, bg)), values
    assert tiles.hits >= 4


def test_a_text_reaching_the_region_edge_turns_tiles_off():
    fig, arts, bg = _figure([(0.0, "edge"), (0.6, "x")])
    tiles = TextTiles(fig, fig.bbox.padded(-2), arts)  # "edge" starts at the figure's left
    assert np.array_equal(_tiled(fig, tiles, bg), _plain(fig, arts, bg))
    assert not tiles.usable
