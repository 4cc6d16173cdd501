"""Writers: registry, atomic output (no partial file, earlier file kept), streaming GIF."""
from __future__ import annotations

import numpy as np
import pytest

from scenes.writers import (WRITERS, AbstractFrameWriter, GifWriter, MP4Writer, NullWriter,
                            PngFramesWriter, WebMWriter, available_writers, get_writer, register,
                            write_png)
from training.errors import InputError

SIZE = (64, 48)


def frames(n, size=SIZE):
    w, h = size
    for i in range(n):
        f = np.full((h, w, 4), 255, np.uint8)
        f[:, : (i * 7) % w, 0] = 200
        f[h // 2, :, 1] = 30 * i % 256
        yield f


def test_registry_finds_writers_by_name(one_line):
    assert isinstance(get_writer("mp4"), MP4Writer)
    assert isinstance(get_writer("webm", crf=40), WebMWriter) and get_writer("webm", crf=40).crf == 40
    assert isinstance(get_writer("null"), NullWriter)
    assert {"mp4", "webm", "gif", "frames", "null"} <= set(WRITERS)
    with pytest.raises(InputError) as e:
        get_writer("avi")
    one_line(e.value, "avi", "accepted", "frames, gif, mp4, null, pptx, webm")


@pytest.fixture
def scratch_registry():
    """Writers registered by a test are removed afterwards."""
    before = dict(WRITERS)
    yield
    WRITERS.clear()
    WRITERS.update(before)


def test_a_writer_registers_itself_with_the_decorator(scratch_registry):
    @register("count")
    class Counter(AbstractFrameWriter):
        def grab_frame(self, frame):
            self.frames_written += 1

        def finish(self):
            pass

    assert WRITERS["count"] is Counter and Counter.name == "count"
    assert "count" in available_writers()
    w = get_writer("count", channels=3)
    assert isinstance(w, Counter) and w.channels == 3
    with pytest.raises(TypeError):
        register("not-a-writer")(dict)


def test_an_unavailable_writer_is_listed_nowhere_and_says_what_to_install(scratch_registry, one_line):
    @register("needs-x")
    class NeedsX(AbstractFrameWriter):
        requires = "x-codec (pip install x-codec)"

        @classmethod
        def is_available(cls):
            return False

        def grab_frame(self, frame):
            pass

        def finish(self):
            pass

    assert "needs-x" not in available_writers()
    with pytest.raises(InputError) as e:
        get_writer("needs-x")
    one_line(e.value, "needs-x", "pip install x-codec")


def test_the_shipped_writers_are_available_here():
    # imageio-ffmpeg's binary has libx264, libvpx-vp9 and gif; Pillow writes the PNGs.
    for cls in (MP4Writer, WebMWriter, GifWriter, PngFramesWriter, NullWriter):
        assert cls.is_available(), cls
    assert available_writers() == sorted(available_writers())
    assert {"mp4", "webm", "gif", "frames", "null"} <= set(available_writers())


def test_the_base_is_abstract():
    with pytest.raises(TypeError):
        AbstractFrameWriter()

    class NoFinish(AbstractFrameWriter):
        def grab_frame(self, frame):
            pass

    with pytest.raises(TypeError):
        NoFinish()


def test_odd_size_is_refused_for_h264(tmp_path, one_line):
    with pytest.raises(InputError) as e:
        with MP4Writer().saving(tmp_path / "a.mp4", (65, 48), 10):
            pass
    one_line(e.value, "even")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["mp4", "gif", "webm"])
def test_failure_midway_leaves_no_partial_file_and_keeps_the_old_one(tmp_path, name):
    target = tmp_path / f"out.{name}"
    target.write_bytes(b"the earlier video")
    with pytest.raises(RuntimeError, match="boom"):
        with get_writer(name).saving(target, SIZE, 10) as w:
            for i, f in enumerate(frames(20)):
                w.grab_frame(f)
                if i == 12:
                    raise RuntimeError("boom")
    assert target.read_bytes() == b"the earlier video"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_encoder_that_dies_raises_and_leaves_nothing(tmp_path):
    w = MP4Writer(extra_args=["-not-an-option", "1"])
    with pytest.raises(RuntimeError, match="ffmpeg"):
        with w.saving(tmp_path / "x.mp4", SIZE, 10) as ww:
            for f in frames(50):
                ww.grab_frame(f)
    assert list(tmp_path.iterdir()) == []


def test_wrong_frame_shape_is_refused(tmp_path):
    with pytest.raises(ValueError, match="expects"):
        with MP4Writer().saving(tmp_path / "x.mp4", SIZE, 10) as w:
            w.grab_frame(np.zeros((10, 10, 4), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_gif_streams_with_a_fitted_palette_and_loops(tmp_path):
    from PIL import Image

    # No palette frames given: the writer fits the palette to the first frames, then streams.
    w = GifWriter(sample=4)
    with w.saving(tmp_path / "a.gif", SIZE, 10):
        for f in frames(15):
            w.grab_frame(f)
    with Image.open(tmp_path / "a.gif") as g:
        assert g.info["loop"] == 0 and g.size == SIZE and g.n_frames == 15
        g.seek(3)
        rgb = np.asarray(g.convert("RGB"))
    assert tuple(rgb[0, 0]) == (200, 255, 255)  # a content colour is in the palette exactly


def test_gif_palette_fitted_in_the_background_changes_no_byte(tmp_path, monkeypatch):
    """Given palette frames, the palette is fitted while frames arrive; they wait for it, so a
    slow fit (frames kept, then sent) makes the same file as a fit done before the first frame."""
    import time

    from scenes.writers import gif

    palette = [f.copy() for f in frames(4)][1::2]

    def write(name):
        w = GifWriter(palette_frames=palette)
        with w.saving(tmp_path / name, SIZE, 10):
            for f in frames(12):
                w.grab_frame(f)
        return (tmp_path / name).read_bytes(), w

    quick, _ = write("quick.gif")
    fit = gif.GifWriter._make_palette
    monkeypatch.setattr(gif.GifWriter, "_make_palette", lambda self, fr: (time.sleep(0.3), fit(self, fr)))
    slow, w = write("slow.gif")
    assert slow == quick and w.frames_written == 12
    monkeypatch.setattr(gif, "PALETTE_WAIT_BYTES", 3 * SIZE[0] * SIZE[1] * 4)  # the 3rd frame waits
    assert write("capped.gif")[0] == quick

    def fail(self, fr):
        raise RuntimeError("ffmpeg palettegen failed: test")
    monkeypatch.setattr(gif.GifWriter, "_make_palette", fail)
    with pytest.raises(RuntimeError, match="palettegen failed"):
        write("failed.gif")
    assert not (tmp_path / "failed.gif").exists()


def test_png_frames_folder_is_replaced_whole(tmp_path):
    target = tmp_path / "f"
    target.mkdir()
    (target / "old.png").write_bytes(b"x")
    with PngFramesWriter().saving(target, SIZE, 10) as w:
        for f in frames(3):
            w.grab_frame(f)
    assert sorted(p.name for p in target.iterdir()) == [f"frame_{i:05d}.png" for i in range(3)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_png_poster_is_rgb(tmp_path):
    from PIL import Image

    write_png(tmp_path / "p.png", next(frames(1)))
    with Image.open(tmp_path / "p.png") as im:
        assert im.mode == "RGB" and im.size == SIZE


@pytest.mark.parametrize("fps, max_fps, stride", [(12, 5, 3), (20, 15, 2), (60, 15, 4), (15, 15, 1),
                                                  (10, None, 1)])
def test_gif_caps_keep_every_kth_frame_and_scale_down(tmp_path, fps, max_fps, stride):
    from PIL import Image

    w = GifWriter(sample=2, max_width=32, max_fps=max_fps)
    with w.saving(tmp_path / "a.gif", SIZE, fps):
        for f in frames(15):
            w.grab_frame(f)
    assert w.stride == stride and w.gif_fps <= (max_fps or fps)
    kept = len(range(0, 15, stride))
    with Image.open(tmp_path / "a.gif") as g:
        assert g.info["loop"] == 0 and g.size == (32, 24) and g.n_frames == kept
        durations = []
        for i in range(g.n_frames):
            g.seek(i)
            durations.append(g.info["duration"])
    # the GIF lasts as long as the video (GIF delays are whole hundredths of a second)
    assert sum(durations) == pytest.approx(1000 * kept * stride / fps, abs=10 * kept)


def test_gif_is_not_scaled_up_or_strided_below_the_caps(tmp_path):
    from PIL import Image

    w = GifWriter(sample=3, max_width=960, max_fps=15)
    with w.saving(tmp_path / "a.gif", SIZE, 10):
        for f in frames(6):
            w.grab_frame(f)
    with Image.open(tmp_path / "a.gif") as g:
        assert g.size == SIZE and g.n_frames == 6


def test_gif_palette_holds_colours_that_appear_after_the_sample(tmp_path):
    """A streamed GIF fits its palette to the first frames; ``palette_colors`` keeps a colour
    that shows up only later exact, instead of mapped to the nearest early colour."""
    from PIL import Image

    late = (204, 121, 167)  # the light theme's residual pink

    def video():
        for i in range(8):
            f = np.full((SIZE[1], SIZE[0], 4), 255, np.uint8)
            f[10:20, 5 + i:15 + i, :3] = (0, 114, 178)  # blue from the start
            if i >= 5:
                f[30:40, 20:40, :3] = late  # pink only after the sample
            yield f

    for colours, exact in (((), False), (("#CC79A7", "#0072B2"), True)):
        path = tmp_path / f"g{len(colours)}.gif"
        w = GifWriter(sample=3, palette_colors=colours)
        with w.saving(path, SIZE, 10):
            for f in video():
                w.grab_frame(f)
        with Image.open(path) as g:
            g.seek(6)
            got = tuple(int(v) for v in np.asarray(g.convert("RGB"))[35, 30])
        assert (got == late) is exact, (colours, got)


def test_writers_keep_a_shared_frame_as_is_and_copy_any_other():
    import queue

    from scenes.writers.base import SharedFrame, share_frame
    from scenes.writers.ffmpeg import MP4Writer

    w = MP4Writer()
    w.size, w._queue, w._failed = (4, 2), queue.Queue(), None
    frame = np.zeros((2, 4, 4), np.uint8)
    shared = share_frame(frame)
    assert isinstance(shared, SharedFrame) and not shared.flags.writeable
    assert not np.shares_memory(shared, frame)
    w.grab_frame(shared)
    assert w._queue.get_nowait() is shared  # no second copy
    w.grab_frame(frame)
    kept = w._queue.get_nowait()
    assert not np.shares_memory(kept, frame)  # the caller draws the next frame into its buffer
    frame[:] = 7
    assert not kept.any()


def test_the_pipe_to_ffmpeg_is_widened():
    import fcntl
    import os

    from scenes.writers.ffmpeg import PIPE_BYTES, _widen_pipe

    r, w = os.pipe()
    try:
        with os.fdopen(w, "wb") as f:
            _widen_pipe(f)
            assert fcntl.fcntl(f.fileno(), getattr(fcntl, "F_GETPIPE_SZ", 1032)) >= PIPE_BYTES
    finally:
        os.close(r)


def test_encoders_copy_a_frame_once_for_the_writers_that_keep_it(monkeypatch, tmp_path):
    import scenes.encode as encode

    class Keeper(NullWriter):
        keeps_frames = True

        def grab_frame(self, frame):
            got.append((self.name, frame))

    got: list = []
    monkeypatch.setattr(encode, "get_writer", lambda fmt, **kw: Keeper())
    frame = np.zeros((2, 4, 4), np.uint8)
    with encode.Encoders({"mp4": tmp_path / "a", "gif": tmp_path / "b"}, (4, 2), 30) as enc:
        enc(frame)
    (_, a), (_, b) = got
    assert a is b and not np.shares_memory(a, frame)  # one copy, for both
    got.clear()
    with encode.Encoders({"mp4": tmp_path / "a"}, (4, 2), 30) as enc:
        enc(frame)
    assert got[0][1] is frame  # one writer: it copies itself
