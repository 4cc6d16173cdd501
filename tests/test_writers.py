"""Writers: registry, atomic output (no partial file, earlier file kept), streaming GIF."""
from __future__ import annotations

import numpy as np
import pytest

from scenes.writers import (GifWriter, MP4Writer, NullWriter, PngFramesWriter, get_writer,
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
    assert isinstance(get_writer("null"), NullWriter)
    with pytest.raises(InputError) as e:
        get_writer("avi")
    one_line(e.value, "avi")


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
