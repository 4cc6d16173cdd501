"""Manim scenes: construct() without encoding for several traces, one low-resolution render
checked by its metadata, and the final fit checked pixel by pixel."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("manim")
pytest.importorskip("typst")

from scenes.manim.render import QUALITIES, output_name, render_manim, run_scene  # noqa: E402
from scenes.manim.scenes import SCENES, fit_panel, plan_for  # noqa: E402
from scenes.story.plan import PlanSettings  # noqa: E402
from scenes.story.theme import load_theme  # noqa: E402
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


@pytest.mark.parametrize("kind", ["default", "momentum", "diverged", "shuffled"])
@pytest.mark.parametrize("scene", list(SCENES))
def test_construct_runs_without_encoding(traces, scene, kind, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tr = traces[kind]
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


def test_dry_run_emits_exactly_the_planned_frames(traces, tmp_path, monkeypatch):
    """Without skipping, every frame is rasterised (no encoder): one per frame of the plan."""
    monkeypatch.chdir(tmp_path)
    tr = traces["momentum"]
    seen = []
    sc = run_scene(tr, scene="walkthrough", quality="low", plan=SHORT, fmt="none",
                   on_frame=lambda f, n: seen.append(n))
    plan = plan_for(tr, PlanSettings(**{**SHORT.__dict__, "fps": 15}))
    assert sum(seen) == len(plan)
    # nothing piles up: the scene holds a bounded number of top-level mobjects
    assert len(sc.mobjects) < 60


def test_unknown_options_are_input_errors(traces, tmp_path, one_line):
    tr = traces["default"]
    for kw, word in (({"scene": "nope"}, "scene"), ({"quality": "8k"}, "quality"),
                     ({"formats": ("mp4", "avi")}, "format")):
        with pytest.raises(InputError) as e:
            render_manim(tr, tmp_path, **kw)
        one_line(e.value, word)
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_low_render_metadata(traces, tmp_path, monkeypatch):
    import av

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    tr = traces["default"]
    files = render_manim(tr, out, scene="walkthrough", quality="low", formats=("mp4", "png", "gif"),
                         plan=SHORT, stem="t")
    assert [f.name for f in files] == ["t.mp4", "t.png", "t.gif"]
    assert sorted(p.name for p in out.iterdir()) == ["t.gif", "t.mp4", "t.png"]  # no partials
    assert not (tmp_path / "media").exists()
    w, h, fps = QUALITIES["low"]
    n_plan = len(plan_for(tr, PlanSettings(**{**SHORT.__dict__, "fps": fps})))
    with av.open(str(out / "t.mp4")) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264"
        assert (s.codec_context.width, s.codec_context.height) == (w, h)
        assert s.codec_context.pix_fmt == "yuv420p"
        assert sum(1 for _ in c.decode(s)) == n_plan
    with open(out / "t.mp4", "rb") as f:
        head = f.read(4096)
    assert head.find(b"moov") != -1 and head.find(b"moov") < max(head.find(b"mdat"), 1 << 30)
    from PIL import Image
    assert Image.open(out / "t.png").size == (w, h)
    assert Image.open(out / "t.gif").info.get("loop") == 0


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
    line_rgb = np.array([int(theme.color("line")[i:i + 2], 16) for i in (1, 3, 5)])
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
