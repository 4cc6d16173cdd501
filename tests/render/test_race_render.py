"""The matplotlib race: blit == full redraw, every run's colour on the frame, no text outside
the frame or on another text, and the files render_race writes (slow: they draw frames)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from scenes.compare.race import render_race
from scenes.mpl.race import RaceRenderer, RaceScene
from scenes.story.plan import PlanSettings
from scenes.story.race import RaceStory
from scenes.story.theme import load_theme
from tests.helpers import hex_rgb
from training.config import TrainConfig
from training.recorder import record

pytestmark = pytest.mark.slow
PLAN = PlanSettings(fps=10, intro=0.5, fast_forward=1.5, hold=0.5)


@pytest.fixture(scope="module")
def four():
    return [(f"lr={lr}", record(TrainConfig(lr=lr, epochs=10))) for lr in (0.03, 0.1, 0.3, 1.5)]


@pytest.fixture(scope="module")
def eight():
    return [(f"lr={lr}", record(TrainConfig(lr=lr, epochs=8)))
            for lr in (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 1.2)]


@pytest.fixture(scope="module")
def grid_of_six():
    """A grid's labels are long: optimizer=momentum,lr=0.05."""
    return [(f"optimizer={opt},lr={lr}", record(TrainConfig(optimizer=opt, lr=lr, epochs=6)))
            for opt in ("sgd", "momentum", "adam") for lr in (0.05, 0.2)]


def make(runs, size, theme="light", varied=("lr",)):
    race = RaceStory(runs, list(varied))
    plan = race.plan(PLAN)
    return RaceRenderer(RaceScene(race, load_theme(theme), size), plan)


def text_boxes(fig, renderer):
    """(name, extent) of every visible, non-empty text of the figure, its box's padding included."""
    out = []
    texts = list(fig.texts)
    for ax in fig.axes:
        # Titles set with loc="left" or "right" are other Text objects than ax.title.
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        # Tick labels as drawn: matplotlib keeps labels of ticks outside the limits, undrawn.
        x0, x1 = sorted(ax.get_xlim())
        y0, y1 = sorted(ax.get_ylim())
        texts += [t for t in ax.get_xticklabels() if x0 <= t.get_position()[0] <= x1]
        texts += [t for t in ax.get_yticklabels() if y0 <= t.get_position()[1] <= y1]
    for t in texts:
        if not t.get_visible() or not t.get_text().strip():
            continue
        e = t.get_window_extent(renderer)
        if t.get_bbox_patch() is not None:
            pad = 0.15 * t.get_fontsize() * fig.dpi / 72
            e = e.padded(pad)
        out.append((t.get_text(), e))
    return out


def check_texts(r: RaceRenderer, i: int) -> None:
    sc = r.scene
    r.frame(i)
    fig, W, H = sc.fig, sc.width, sc.height
    boxes = text_boxes(fig, sc.renderer)
    assert boxes
    for name, e in boxes:
        assert e.x0 >= -0.5 and e.y0 >= -0.5 and e.x1 <= W + 0.5 and e.y1 <= H + 0.5, f"{name!r} leaves the frame"
    for (n1, e1), (n2, e2) in itertools.combinations(boxes, 2):
        w = min(e1.x1, e2.x1) - max(e1.x0, e2.x0)
        h = min(e1.y1, e2.y1) - max(e1.y0, e2.y0)
        assert not (w > 1 and h > 1), f"{n1!r} overlaps {n2!r} at frame {i}"


def test_blitted_frame_equals_full_redraw(four):
    r = make(four, (480, 270))
    for i in (0, len(r.plan) // 2, len(r.plan) - 1):
        fast = r.frame(i).copy()
        full = r.frame_full(i)
        diff = np.abs(fast.astype(int) - full.astype(int)).max(axis=2)
        assert (diff > 8).mean() < 1e-3, f"frame {i}: blit differs from a full draw"


@pytest.mark.parametrize("size,theme", [((1280, 720), "light"), ((960, 540), "dark")])
def test_eight_runs_legible(eight, size, theme):
    r = make(eight, size, theme)
    for i in (0, len(r.plan) // 3, len(r.plan) - 1):
        check_texts(r, i)
    frame = r.frame(len(r.plan) - 1)[..., :3].astype(float)
    for colour in r.scene.colours:  # every run's colour is on the frame
        near = np.abs(frame - hex_rgb(colour)).max(axis=2) < 24
        assert near.sum() > 40, f"run colour {colour} not on the frame"


def test_four_runs_low_res_texts(four):
    r = make(four, (480, 270))
    for i in (0, len(r.plan) - 1):
        check_texts(r, i)


@pytest.mark.parametrize("size", [(540, 960), (720, 720)])
def test_tall_and_square_frames(eight, size):
    r = make(eight, size)
    for i in (0, len(r.plan) - 1):
        check_texts(r, i)


@pytest.mark.parametrize("size", [(960, 540), (720, 1280)])
def test_twelve_runs_are_small_multiples(four, eight, size):
    runs = [(f"lr=0.{i},bs={i % 3 + 1}", t) for i, (_, t) in enumerate(eight + four)]
    r = make(runs, size)
    assert r.scene.race.grid and len(r.scene.path_axes) == 12 and r.scene.loss_ax is None
    check_texts(r, len(r.plan) - 1)
    assert r.scene.leader_more is not None and "more runs" in r.scene.leader_more.get_text()


def test_render_race_writes_video_gif_and_finish(four, tmp_path):
    import av
    from PIL import Image

    paths = render_race(four, tmp_path, varied=["lr"], formats=("mp4", "gif", "png"), size=(480, 270),
                        fps=10, plan=PLAN)
    assert [p.name for p in paths] == ["compare.mp4", "compare.gif", "compare.png"]
    n = len(RaceStory(four, ["lr"]).plan(PLAN))
    with av.open(str(tmp_path / "compare.mp4")) as c:
        s = c.streams.video[0]
        assert (s.codec_context.width, s.codec_context.height) == (480, 270)
        assert sum(1 for _ in c.decode(video=0)) == n
    with Image.open(tmp_path / "compare.gif") as g:
        assert g.size == (480, 270) and g.n_frames >= n * 0.5
    with Image.open(tmp_path / "compare.png") as p:
        assert p.size == (480, 270)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("size", [(1280, 720), (960, 540)])
def test_a_grids_long_labels_stay_apart(grid_of_six, size):
    """Small-multiple titles and leaderboard names of a two-setting grid: each in its own room."""
    r = make(grid_of_six, size, varied=("optimizer", "lr"))
    for i in (0, len(r.plan) - 1):
        check_texts(r, i)
