"""The Manim race: it plays exactly the race plan's frames into our writers, from the same
RaceStory as matplotlib, and every run's colour reaches the finish frame (slow: it renders)."""
from __future__ import annotations

import numpy as np
import pytest

from scenes.compare.race import render_race
from scenes.story.plan import PlanSettings
from scenes.story.race import RaceStory
from tests.helpers import hex_rgb
from training.config import TrainConfig
from training.recorder import record

pytestmark = pytest.mark.slow


def test_manim_race_low_quality(tmp_path):
    import av
    from PIL import Image

    from scenes.story.theme import load_theme

    runs = [(f"lr={lr}", record(TrainConfig(lr=lr, epochs=6))) for lr in (0.03, 0.3, 1.5)]
    plan = PlanSettings(intro=0.4, fast_forward=1.0, hold=0.4)
    paths = render_race(runs, tmp_path, varied=["lr"], formats=("mp4", "png"), backend="manim",
                        size=(480, 270), fps=10, plan=plan, stem="race")
    assert [p.name for p in paths] == ["race.mp4", "race.png"]
    n = len(RaceStory(runs, ["lr"]).plan(PlanSettings(intro=0.4, fast_forward=1.0, hold=0.4, fps=10)))
    with av.open(str(tmp_path / "race.mp4")) as c:
        s = c.streams.video[0]
        assert (s.codec_context.width, s.codec_context.height) == (480, 270)
        assert sum(1 for _ in c.decode(video=0)) == n
    with Image.open(tmp_path / "race.png") as im:
        frame = np.asarray(im.convert("RGB"), dtype=float)
    assert frame.shape == (270, 480, 3)
    for colour in RaceStory(runs, ["lr"]).colours(load_theme("light")):
        near = np.abs(frame - hex_rgb(colour)).max(axis=2) < 30
        assert near.sum() > 20, f"run colour {colour} not on the finish frame"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def _text_boxes(scene):
    """(text, (x0, y0, x1, y1)) in scene units of every visible text the scene shows."""
    out = []
    seen = set()
    for m in scene.mobjects:
        for sm in m.get_family():
            if getattr(sm, "layout_kind", None) != "text" or id(sm) in seen or not sm.has_points() and not sm.family_members_with_points():
                continue
            seen.add(id(sm))
            pts = np.concatenate([f.points[:, :2] for f in sm.family_members_with_points()])
            if not len(pts):
                continue
            out.append((getattr(sm, "layout_text", "?"), (*pts.min(0), *pts.max(0))))
    return out


@pytest.mark.parametrize("n_runs,theme", [(4, "dark"), (8, "light"), (10, "light")])
def test_manim_race_texts_inside_and_apart(n_runs, theme):
    from manim import tempconfig
    from manim.renderer.cairo_renderer import CairoRenderer

    from scenes.manim.file_writer import file_writer_for
    from scenes.manim.race import RaceScene
    from scenes.manim.render import _manim_config
    from scenes.story.theme import load_theme

    lrs = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 1.2, 0.03, 0.15)[:n_runs]
    runs = [(f"lr={lr}" if n_runs > 4 else f"batch_size={i + 1},lr={lr}", record(TrainConfig(lr=lr, epochs=4)))
            for i, lr in enumerate(lrs)]
    race = RaceStory(runs, ["lr"])
    plan = race.plan(PlanSettings(fps=5, intro=0.4, fast_forward=0.5, hold=0.4))
    with tempconfig(_manim_config(854, 480, 5)):
        renderer = CairoRenderer(file_writer_class=file_writer_for(lambda f, n: None), skip_animations=True)
        sc = RaceScene(race, load_theme(theme), plan, renderer=renderer)
        sc.render()
        half_w = 8.0 * 854 / 480 / 2
        for i in (0, len(plan) // 2, len(plan) - 1):
            sc.show(i)
            boxes = _text_boxes(sc)
            assert len(boxes) > 10
            for text, (x0, y0, x1, y1) in boxes:
                assert x0 >= -half_w - 1e-6 and x1 <= half_w + 1e-6 and y0 >= -4 - 1e-6 and y1 <= 4 + 1e-6, \
                    f"{text!r} leaves the frame"
            for j, (t1, b1) in enumerate(boxes):
                for t2, b2 in boxes[j + 1:]:
                    w = min(b1[2], b2[2]) - max(b1[0], b2[0])
                    h = min(b1[3], b2[3]) - max(b1[1], b2[1])
                    assert not (w > 0.02 and h > 0.02), f"{t1!r} overlaps {t2!r} at frame {i}"
