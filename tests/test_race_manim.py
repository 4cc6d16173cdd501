"""The Manim race: it plays exactly the race plan's frames into our writers, from the same
RaceStory as matplotlib, and every run's colour reaches the finish frame (slow: it renders)."""
from __future__ import annotations

import numpy as np
import pytest

from scenes.compare.race import render_race
from scenes.story.plan import PlanSettings
from scenes.story.race import RaceStory
from training.config import TrainConfig
from training.recorder import record

pytestmark = pytest.mark.slow


def hex_rgb(color: str) -> np.ndarray:
    color = color.lstrip("#")
    return np.array([int(color[i:i + 2], 16) for i in (0, 2, 4)], dtype=float)


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
