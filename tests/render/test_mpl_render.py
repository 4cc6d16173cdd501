"""The matplotlib renderer: frame count, blit == full redraw, pixels where the numbers say."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from scenes.mpl.render import (FrameRenderer, _setup, build_plan, make_animation,
                               render_matplotlib, text_steps)
from scenes.story.plan import FAST, GRADIENT, PlanSettings
from scenes.writers import NullWriter
from tests.helpers import hex_rgb
from training.config import TrainConfig
from training.errors import InputError
from training.recorder import record
from training.trace import TraceStatus

SMALL = (320, 180)
VIEWS = ("fit", "loss", "params", "numbers")


@pytest.fixture(scope="module")
def trace():
    return record()


def renderer(trace, size=(640, 360), theme="light", plan=None, views=VIEWS):
    scene = _setup(trace, size, theme, views)
    return FrameRenderer(scene, build_plan(trace, plan))


def to_pixel(ax, height, x, y):
    """Data (x, y) to (row, col) in the frame array."""
    dx, dy = ax.transData.transform((x, y))
    return height - dy, dx


@pytest.mark.slow  # draws every frame of a run
def test_null_writer_counts_every_frame(trace):
    r = renderer(trace, SMALL, plan=PlanSettings(fps=5))  # 116 frames: the count is the check
    w = NullWriter()
    with w.saving(None, SMALL, 30):
        for f in r.frames(workers=1):
            w.grab_frame(f)
    assert w.frames_written == len(r.plan) > 100


def test_blitted_frame_equals_full_redraw(trace):
    r = renderer(trace)
    for i in (0, 60, len(r.plan) - 1):
        fast = r.frame(i).copy()
        full = r.frame_full(i)
        diff = np.abs(fast.astype(int) - full.astype(int)).max(axis=2)
        assert (diff > 8).mean() < 1e-4, f"frame {i}: blit differs from FuncAnimation's full draw"


@pytest.mark.slow  # draws the poster twice
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_poster_drawn_whole_is_the_blitted_final_frame(trace, theme):
    """A render with no video draws its poster in one full draw: the same pixels, exactly."""
    blitted = renderer(trace, SMALL, theme=theme).final_frame()
    poster = renderer(trace, SMALL, theme=theme).poster()
    assert poster.shape == blitted.shape and np.array_equal(poster, blitted)


def test_line_passes_through_a_x_plus_b(trace):
    r = renderer(trace)
    k = int(np.flatnonzero(r.plan.beat == FAST)[40])
    step = int(r.plan.step[k])
    img = r.frame(k)[..., :3].astype(float)
    ax = r.scene.axes["fit"]
    a, b = trace.a_after[step], trace.b_after[step]
    line = hex_rgb(r.scene.theme.color("line"))

    def dist_to_line_color(row, col, rad=2):
        rr, cc = int(round(row)), int(round(col))
        patch = img[rr - rad:rr + rad + 1, cc - rad:cc + rad + 1]
        return np.linalg.norm(patch - line, axis=2).min()

    for x in (0.1, 1.1):  # away from the data points
        row, col = to_pixel(ax, 360, x, a * x + b)
        assert dist_to_line_color(row, col) < 40, f"no line pixel at x={x}"
        assert dist_to_line_color(row - 15, col) > 100  # and 15 px above it there is none


def test_update_arrow_points_along_the_applied_update(trace):
    r = renderer(trace, (1280, 720))
    i = int(np.flatnonzero((r.plan.beat == GRADIENT) & (r.plan.step == 0))[-1])
    img = r.frame(i)[..., :3].astype(float)
    ax = r.scene.axes["params"]
    a0, b0 = trace.steps["a"][0], trace.steps["b"][0]
    da, db = trace.steps["update_a"][0], trace.steps["update_b"][0]
    r0, c0 = to_pixel(ax, 720, a0, b0)
    r1, c1 = to_pixel(ax, 720, a0 + da, b0 + db)
    want = math.atan2(-(r1 - r0), c1 - c0)
    mask = np.linalg.norm(img - hex_rgb(r.scene.theme.color("update")), axis=2) < 40
    rows, cols = np.nonzero(mask)
    far = np.hypot(rows - r0, cols - c0) > 14  # leave out the current point's marker
    x0, y0, x1, y1 = ax.bbox.extents
    inside = (cols > x0) & (cols < x1) & (rows > 720 - y1) & (rows < 720 - y0)
    rows, cols = rows[far & inside], cols[far & inside]
    assert len(rows) > 30
    got = math.atan2(-(rows.mean() - r0), cols.mean() - c0)
    assert abs(math.remainder(got - want, math.tau)) < math.radians(8)
    # The full-batch step points elsewhere, so this check can tell the two arrows apart.
    fa, fb = r.scene.story.vectors(0)["full"]
    fr, fc = to_pixel(ax, 720, a0 + fa, b0 + fb)
    other = math.atan2(-(fr - r0), fc - c0)
    assert abs(math.remainder(other - want, math.tau)) > math.radians(10)


@pytest.mark.slow  # draws every frame twice, once in worker processes
def test_parallel_frames_equal_serial(trace):
    plan = PlanSettings(one_frame_per_step=True)
    r = renderer(trace, SMALL, plan=plan)
    serial = [r.frame(i).copy() for i in range(0, 300, 37)]
    par = [f.copy() for j, f in enumerate(r.frames(workers=2)) if j % 37 == 0]
    assert len(par) == len(serial)
    for a, b in zip(serial, par):
        assert np.array_equal(a, b)


@pytest.mark.slow  # two renderers, 12 frames each
def test_every_frame_drawn_in_sequence_equals_its_full_redraw(trace):
    """Frames drawn one after another (kept regions and text tiles reused) are what a full
    redraw gives, each one of a stretch in which the note above the parameter panel changes
    length ("... · arrows ×2", then shorter): the region kept for it must hold its widest."""
    plan = PlanSettings(one_frame_per_step=True)
    seq, full = renderer(trace, (320, 180), plan=plan), renderer(trace, (320, 180), plan=plan)
    for i in range(12):  # (the first frame to differ was the 5th)
        assert np.array_equal(seq.frame(i), full.frame_full(i)), f"frame {i}"


def test_fast_forward_numbers_refresh_a_few_times_a_second(trace):
    plan = build_plan(trace, PlanSettings(fps=30))
    ts = text_steps(plan)
    fast = plan.beat == FAST
    assert np.all(ts[~fast] == plan.step[~fast])
    assert len(np.unique(ts[fast])) <= fast.sum() / 4
    assert np.all(ts[fast] <= plan.step[fast])


def test_fast_forward_ends_on_its_own_numbers(trace):
    """The fast-forward's last frame shows the last step's numbers, as its plots do (they
    said epoch 97/100 while the plots had reached step 300); the frame before still lags."""
    plan = build_plan(trace, PlanSettings(fps=30))
    ts = text_steps(plan)
    last = np.flatnonzero(plan.beat == FAST)[-1]
    assert plan.step[last] == trace.n_steps - 1 and ts[last] == plan.step[last]
    assert ts[last - 1] < plan.step[last - 1]


@pytest.mark.slow  # draws every frame of two runs (2.5 s)
def test_diverged_and_empty_traces_stay_readable():
    div = record(TrainConfig(lr=10))
    assert div.status.diverged
    low_fps = PlanSettings(fps=10)  # every beat's first and last frame, fewer in between
    r = renderer(div, SMALL, plan=low_fps)
    last = len(r.plan) - 1
    r.frame(last)
    caption = r.scene.header.caption
    assert caption.get_text() == f"Diverged at step {div.status.step}: learning rate 10 is too large"
    assert caption.get_color() == r.scene.theme.color("diverged")
    ax = r.scene.axes["params"]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    drawn = 0
    for i in range(len(r.plan)):  # no arrow reaches off the panel (they are not clipped by matplotlib)
        r.frame(i)
        for arrow in r.scene.view("params").arrows.values():
            if arrow.get_visible():
                drawn += 1
                for pa, pb in arrow._posA_posB:
                    assert x0 - 1e-9 <= pa <= x1 + 1e-9 and y0 - 1e-9 <= pb <= y1 + 1e-9
    assert drawn > 0
    empty = dataclasses.replace(div, steps={k: v[:0] for k, v in div.steps.items()},
                                status=TraceStatus("diverged", 0, "test"))
    r0 = renderer(empty, SMALL, plan=low_fps)
    for i in range(len(r0.plan)):
        r0.frame(i)
    assert r0.scene.header.caption.get_text().startswith("Diverged at step 0:")
    del ax


@pytest.mark.parametrize("kwargs, word", [
    ({"formats": ("mp4", "avi")}, "avi"), ({"views": ("fit", "nope")}, "nope"),
    ({"theme": "neon"}, "neon"), ({"size": (641, 360)}, "even"), ({"formats": ()}, "format")])
def test_bad_arguments_are_one_line_input_errors(trace, tmp_path, one_line, kwargs, word):
    # Formats are checked once, by scenes.job.check_formats, which scenes.render calls (and the
    # CLI's build_job); render_matplotlib trusts them. The other options it checks itself.
    from scenes.api import render

    with pytest.raises(InputError) as e:
        render(trace, tmp_path, backend="matplotlib", **kwargs)
    one_line(e.value, word)
    assert not any(tmp_path.iterdir())


def test_make_animation_is_a_funcanimation(trace):
    from matplotlib.animation import FuncAnimation

    anim = make_animation(trace, size=SMALL, views=("fit", "loss"))
    assert isinstance(anim, FuncAnimation)
    arts = anim._func(5)
    assert arts and all(a.get_animated() for a in arts)


@pytest.mark.slow
def test_low_res_render_writes_every_format(trace, tmp_path):
    import av
    from PIL import Image

    plan = PlanSettings(fps=10, detail_steps=1, fast_forward=2.0, hold=1.0, intro=0.5)
    paths = render_matplotlib(trace, tmp_path, formats=("mp4", "webm", "gif", "png"), fps=10,
                              size=SMALL, plan=plan, theme="dark")
    n = len(build_plan(trace, plan, 10))
    assert [p.name for p in paths] == ["sgd.mp4", "sgd.webm", "sgd.gif", "sgd.png", "sgd.vtt"]
    for name, codec in (("sgd.mp4", "h264"), ("sgd.webm", "vp9")):
        with av.open(str(tmp_path / name)) as c:
            s = c.streams.video[0]
            assert s.codec_context.name.startswith(codec.split("9")[0]) and codec in s.codec_context.name
            assert (s.codec_context.width, s.codec_context.height) == SMALL
            assert s.codec_context.pix_fmt == "yuv420p"
            assert sum(1 for _ in c.decode(video=0)) == n
    with Image.open(tmp_path / "sgd.gif") as g:
        assert g.info.get("loop") == 0 and g.size == SMALL
        assert g.n_frames >= n * 0.9  # identical consecutive frames may be merged
    with Image.open(tmp_path / "sgd.png") as p:
        assert p.size == SMALL
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


@pytest.mark.slow
def test_png_frames_folder(trace, tmp_path):
    plan = PlanSettings(fps=5, detail_steps=1, fast_forward=1.0, hold=0.4, intro=0.4)
    render_matplotlib(trace, tmp_path, formats=("frames",), fps=5, size=SMALL, plan=plan)
    n = len(build_plan(trace, plan, 5))
    assert len(list((tmp_path / "sgd_frames").glob("frame_*.png"))) == n


def test_ticks_measured_once_gives_matplotlibs_boxes_and_lets_go():
    """The layout's shortcut inside ``get_tightbbox`` (ticks computed and measured once an
    axis) gives matplotlib's own box, and afterwards the axes computes its ticks afresh."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from scenes.mpl.views.scene import _ticks_measured_once

    fig = Figure(figsize=(4, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.2, 0.2, 0.7, 0.7))
    ax.set_yscale("log")
    ax.set(xlim=(0, 1), ylim=(1e-3, 1), xlabel="step", ylabel="loss", title="Loss")
    r = fig.canvas.get_renderer()
    for xlim in ((0, 1), (-1234.5, 98765.0)):  # the second: wider tick labels, a wider box
        ax.set_xlim(*xlim)
        ax.set_ylabel("a long label" if xlim[0] else "loss")
        plain = ax.get_tightbbox(r).bounds
        with _ticks_measured_once(ax):
            once = ax.get_tightbbox(r).bounds
        assert once == plain
        assert "_update_ticks" not in vars(ax.xaxis) and "_get_ticklabel_bboxes" not in vars(ax.yaxis)
