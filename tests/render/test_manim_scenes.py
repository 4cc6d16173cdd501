"""Manim scenes: construct() without encoding for several traces, one low-resolution render
checked by its metadata, and the final fit checked pixel by pixel."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("manim")
pytest.importorskip("typst")

from scenes.manim.render import QUALITIES, output_name, render_manim, run_scene  # noqa: E402
from scenes.manim.scenes import SCENES, fit_panel, plan_for  # noqa: E402
from scenes.story.plan import PlanSettings  # noqa: E402
from scenes.story.theme import load_theme  # noqa: E402
from tests.helpers import hex_rgb  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.errors import InputError  # noqa: E402
from training.recorder import record  # noqa: E402

# Small and quick: 2 detail steps, a second of fast-forward.
SHORT = PlanSettings(detail_steps=2, intro=0.2, beat_seconds=(0.2, 0.2, 0.3, 0.2),
                     fast_forward=1.0, hold=0.3)


@pytest.fixture(scope="module")
def traces():
    return {
        "default": record(TrainConfig(epochs=20)),
        "momentum": record(TrainConfig(optimizer="momentum", epochs=20)),
        "diverged": record(TrainConfig(lr=10, epochs=20)),
        "shuffled": record(TrainConfig(shuffle=True, batch_size=4, epochs=5, drop_last=False)),
    }


# Every scene once and every trace once in the suite (the diverged run where its captions
# show; the backprop scene is constructed by tests/render/test_graph_drawn.py's layout checks);
# all 20 pairs with --full-matrix.
SCENE_SAMPLE = {("walkthrough", "diverged"), ("fit", "shuffled"), ("loss", "momentum"), ("params", "default")}


@pytest.mark.slow  # Manim
@pytest.mark.parametrize("scene,kind", [
    pytest.param(s, k, marks=() if (s, k) in SCENE_SAMPLE else pytest.mark.full_matrix)
    for s in SCENES for k in ("default", "momentum", "diverged", "shuffled")])
def test_construct_runs_without_encoding(traces, scene, kind, tmp_path, monkeypatch):
    assert {s for s, _ in SCENE_SAMPLE} | {"backprop"} == set(SCENES)  # the sample keeps covering every scene
    monkeypatch.chdir(tmp_path)
    tr = traces[kind]
    if scene == "backprop":  # the scene of the recorded graphs: the first two steps carry one
        from tests.graph_fixture import with_graphs
        tr = with_graphs(tr, (0, 1))
    from scenes.manim import parts as manim_parts
    captions: list[str] = []
    real_caption = manim_parts.Header.set_caption
    monkeypatch.setattr(manim_parts.Header, "set_caption",
                        lambda self, text, *a, **k: captions.append(text) or real_caption(self, text, *a, **k))
    sc = run_scene(tr, scene=scene, quality="low", plan=SHORT, fmt="none", skip_animations=True)
    plan = plan_for(tr, PlanSettings(**{**SHORT.__dict__, "fps": 15}))
    assert sc.renderer.num_plays >= len(plan.segments())
    assert not (tmp_path / "media").exists()
    if kind == "diverged":
        # The final caption names the step, once the video gets there (no spoiler at the start).
        assert tr.status.diverged and captions and f"Diverged at step {tr.status.step}" in captions[-1]
        assert not any("Diverged" in c for c in captions[:-1]), captions


@pytest.mark.slow  # Manim
def test_file_writer_passes_a_wait_on_as_one_repeated_frame(tmp_path, monkeypatch):
    """A static wait reaches the sink as one frame and a repeat count, as Manim emits it;
    render_manim then gives each writer that frame that many times."""
    from manim import FadeIn, Scene, Square, tempconfig
    from manim.renderer.cairo_renderer import CairoRenderer

    from scenes.manim.file_writer import file_writer_for
    from scenes.manim.render import _manim_config

    class Tiny(Scene):
        def construct(self):
            self.play(FadeIn(Square()), run_time=0.5)
            self.wait(1.0)

    monkeypatch.chdir(tmp_path)
    got = []
    with tempconfig(_manim_config(160, 90, 10)):
        renderer = CairoRenderer(file_writer_class=file_writer_for(lambda f, n: got.append((f.shape, n))))
        Tiny(renderer=renderer).render()
    assert [n for _, n in got] == [1] * 5 + [10]  # 0.5 s of fade-in, then 1 s of one frame
    assert {shape for shape, _ in got} == {(90, 160, 4)}
    assert list(tmp_path.iterdir()) == []


def test_repeated_frames_reach_every_writer_that_many_times(traces, tmp_path, monkeypatch):
    import av

    from scenes.manim import render as manim_render

    w, h, fps = QUALITIES["low"]
    a = np.zeros((h, w, 4), np.uint8)
    a[..., 0], a[..., 3] = 200, 255
    b = a.copy()
    b[: h // 2, :, 2] = 255

    def fake_run_scene(trace, *, on_frame, skip_animations, **kw):  # Manim's emission, no drawing
        assert not skip_animations
        on_frame(a, 3)
        on_frame(b, 1)
    monkeypatch.setattr(manim_render, "run_scene", fake_run_scene)
    times: list[float] = []
    done = []
    files = render_manim(traces["default"], tmp_path, quality="low", formats=("mp4", "frames", "png"),
                         plan=SHORT, frame_times=times, progress=lambda d, n: done.append(d))
    assert [f.name for f in files] == ["sgd.mp4", "sgd_frames", "sgd.png", "sgd.vtt"]
    with av.open(str(tmp_path / "sgd.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == 4
    assert len(list((tmp_path / "sgd_frames").iterdir())) == 4
    assert len(times) == 4 and done == [3, 4]
    from PIL import Image
    with Image.open(tmp_path / "sgd.png") as poster:
        assert np.array_equal(np.asarray(poster), b[..., :3])  # the last frame, alpha dropped


def test_unknown_options_are_input_errors(traces, tmp_path, one_line):
    from scenes.api import render

    tr = traces["default"]
    for kw, word in (({"scene": "nope"}, "scene"), ({"quality": "8k"}, "quality"),
                     ({"formats": ("mp4", "avi")}, "format"), ({"theme": "neon"}, "theme")):
        with pytest.raises(InputError) as e:  # formats: checked by scenes.job.check_formats
            render(tr, tmp_path, backend="manim", **kw)
        one_line(e.value, word)
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_low_render_writes_every_format_through_the_shared_writers(traces, tmp_path, monkeypatch):
    """A low render of the momentum walkthrough (velocity arrows) to every format; and the
    frames as run_scene emits them to render_manim: every frame rasterised, one per frame of
    the plan, through Manim's own seam."""
    import av
    from manim.scene.scene_file_writer import SceneFileWriter
    from PIL import Image

    from scenes.manim import render as manim_render
    from scenes.manim.render import manim_cache_dir

    monkeypatch.chdir(tmp_path)
    asked: dict[str, dict] = {}
    from scenes import encode
    real_get_writer = encode.get_writer

    def spy(name, **options):
        asked[name] = options
        return real_get_writer(name, **options)
    monkeypatch.setattr(encode, "get_writer", spy)
    emitted, scenes = [], []
    real_run_scene = manim_render.run_scene

    def run_scene_spy(*a, on_frame, **k):
        def tap(frame, repeat):
            emitted.append((frame.shape, frame.dtype, repeat))
            return on_frame(frame, repeat)
        scenes.append(real_run_scene(*a, on_frame=tap, **k))
        return scenes[-1]
    monkeypatch.setattr(manim_render, "run_scene", run_scene_spy)
    out = tmp_path / "out"
    tr = traces["momentum"]
    done = []
    files = render_manim(tr, out, scene="walkthrough", quality="low",
                         formats=("mp4", "webm", "gif", "png", "frames"), plan=SHORT, stem="t",
                         progress=lambda d, n: done.append((d, n)))
    assert [f.name for f in files] == ["t.mp4", "t.webm", "t.gif", "t.png", "t_frames", "t.vtt"]
    # no partial or temporary files, no Manim media folder here or in the cache
    assert sorted(p.name for p in out.iterdir()) == ["t.gif", "t.mp4", "t.png", "t.vtt", "t.webm", "t_frames"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert not (manim_cache_dir() / "media").exists()
    w, h, fps = QUALITIES["low"]
    n_plan = len(plan_for(tr, PlanSettings(**{**SHORT.__dict__, "fps": fps})))
    assert done[-1] == (n_plan, n_plan)
    # What run_scene emitted: one RGBA H x W x 4 frame per frame of the plan (a repeat count for
    # a still), through a SceneFileWriter subclass, nothing patched; the scene's top-level
    # mobjects stay bounded (nothing piles up over the steps).
    (sc,) = scenes
    assert sum(n for _, _, n in emitted) == n_plan
    assert {(shape, dtype) for shape, dtype, _ in emitted} == {((h, w, 4), np.dtype(np.uint8))}
    assert isinstance(sc.renderer.file_writer, SceneFileWriter) and "add_frame" not in vars(sc.renderer)
    assert len(sc.mobjects) < 60
    for name, codec in (("t.mp4", "h264"), ("t.webm", "vp9")):
        with av.open(str(out / name)) as c:
            s = c.streams.video[0]
            assert s.codec_context.name == codec
            assert (s.codec_context.width, s.codec_context.height) == (w, h)
            assert s.codec_context.pix_fmt == "yuv420p"
            assert s.average_rate == fps
            assert sum(1 for _ in c.decode(s)) == n_plan
    # Captions: Manim plays every plan segment in exactly its frames (at the quality's rate),
    # so the cues are the plan's segments; MP4 and WebM carry them as a soft subtitle track.
    from scenes.writers.vtt import frame_at, parse_vtt
    segs = plan_for(tr, PlanSettings(**{**SHORT.__dict__, "fps": fps})).segments()
    cues = parse_vtt((out / "t.vtt").read_text(encoding="utf-8"))
    assert [(frame_at(a, fps), frame_at(b, fps)) for a, b, _ in cues] == [(g.start, g.stop) for g in segs]
    for name, codec in (("t.mp4", "mov_text"), ("t.webm", "webvtt")):
        with av.open(str(out / name)) as c:
            assert [s.codec_context.name for s in c.streams.subtitles] == [codec]
    with open(out / "t.mp4", "rb") as f:  # +faststart: the index before the data
        head = f.read(4096)
    assert head.find(b"moov") != -1 and head.find(b"moov") < max(head.find(b"mdat"), 1 << 30)
    # The GIF: looping, within the slide caps (which the Manim backend asks the writer for)
    assert asked["gif"]["max_width"] == 960 and asked["gif"]["max_fps"] == 15
    with Image.open(out / "t.gif") as g:
        assert g.info.get("loop") == 0 and g.size[0] <= 960 and g.size == (w, h)
        durations = []
        for i in range(g.n_frames):
            g.seek(i)
            durations.append(g.info["duration"])
    # <= 15 fps (GIF delays are whole hundredths: 15 fps is 7, 7, 6, ...), and the video's length
    assert sum(durations) / len(durations) >= 1000 / 15 - 1 and min(durations) >= 60
    assert sum(durations) == pytest.approx(1000 * n_plan / fps, abs=20)
    pngs = sorted((out / "t_frames").iterdir())
    assert [p.name for p in pngs] == [f"frame_{i:05d}.png" for i in range(n_plan)]
    with Image.open(pngs[-1]) as last, Image.open(out / "t.png") as poster:
        assert poster.size == (w, h) and poster.mode == "RGB"
        assert np.array_equal(np.asarray(last.convert("RGB")), np.asarray(poster))  # the last frame
    # Frames reach the writers as Manim's RGBA, unscrambled: the first frame of the MP4 matches
    # the lossless PNG of the same frame (H.264 blurs edges a little; the mean error is small).
    with av.open(str(out / "t.mp4")) as c:
        first = next(c.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    with Image.open(pngs[0]) as p0:
        ref = np.asarray(p0.convert("RGB")).astype(int)
    assert np.abs(first - ref).mean() < 3


@pytest.mark.slow
def test_fit_last_frame_line_passes_through_final_params(traces, tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    tr = traces["default"]
    (png,) = render_manim(tr, tmp_path, scene="fit", quality="low", formats=("png",), plan=SHORT)
    assert png.name == output_name("sgd", "fit", "png")
    img = np.asarray(Image.open(png).convert("RGB")).astype(int)
    h, w = img.shape[:2]
    theme = load_theme("light")
    line_rgb = hex_rgb(theme.color("line")).astype(int)
    panel = fit_panel(tr, theme, "fit")
    fw = 8.0 * w / h
    lim = panel.lim
    xs = np.linspace(lim.x0 + 0.1 * (lim.x1 - lim.x0), lim.x1 - 0.1 * (lim.x1 - lim.x0), 7)
    hits = 0
    for x in xs:
        X, Y, _ = panel.p(x, tr.final_a * x + tr.final_b)
        px, py = (X + fw / 2) * w / fw, (4.0 - Y) * h / 8.0
        i, j = int(round(py)), int(round(px))
        patch = img[max(i - 2, 0):i + 3, max(j - 2, 0):j + 3].reshape(-1, 3)
        if np.min(np.abs(patch - line_rgb).sum(axis=1)) < 60:
            hits += 1
    assert hits == len(xs)
    # and a point well away from the line is background, not line colour
    X, Y, _ = panel.p(xs[3], tr.final_a * xs[3] + tr.final_b + 0.3 * (lim.y1 - lim.y0))
    px, py = (X + fw / 2) * w / fw, (4.0 - Y) * h / 8.0
    assert np.abs(img[int(py), int(px)] - line_rgb).sum() > 100


@pytest.mark.slow
def test_a_failure_mid_render_leaves_no_partial_file_and_keeps_the_old_one(traces, tmp_path, monkeypatch):
    from scenes.writers import ffmpeg

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "sgd.mp4").write_bytes(b"the earlier video")
    real, calls = ffmpeg.FFmpegWriter.grab_frame, {"n": 0}

    def failing(self, frame):
        calls["n"] += 1
        if calls["n"] == 20:
            raise OSError(28, "No space left on device")
        return real(self, frame)
    monkeypatch.setattr(ffmpeg.FFmpegWriter, "grab_frame", failing)
    with pytest.raises(OSError, match="No space"):
        render_manim(traces["default"], out, quality="low", formats=("mp4", "webm", "gif", "png", "frames"),
                     plan=SHORT)
    assert sorted(p.name for p in out.iterdir()) == ["sgd.mp4"]  # no partial file or folder
    assert (out / "sgd.mp4").read_bytes() == b"the earlier video"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
