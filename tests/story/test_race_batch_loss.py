"""A race of loops recorded without x, y (``render.py --trace A --trace B`` of ``--run``
traces): their loss column is each step's batch loss, so the race's loss view and leaderboard
say "batch loss" in every backend (they said "full-data loss"); its module's parameter names
("0.weight[0]") reach Manim's Typst quoted (the race used to fail: "unknown variable: weight")."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from scenes.story.race import RaceStory
from scenes.story.theme import load_theme
from tests.user_loop import record_loop
from training.recorder import record

X = torch.tensor([0.2, 0.4, 0.6, 0.8, 1.0, 1.2]).view(-1, 1)
Y = torch.tensor([0.18, 0.32, 0.42, 0.48, 0.58, 0.72]).view(-1, 1)


def _loop(lr: float):
    model = nn.Sequential(nn.Linear(1, 1))
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(1.0)
    return record_loop(model, torch.optim.SGD(model.parameters(), lr=lr), nn.L1Loss(), X, Y,
                       epochs=3, batch=2, given=False)


@pytest.fixture(scope="module")
def batch_race():
    return RaceStory([("lr=0.1", _loop(0.1)), ("lr=0.3", _loop(0.3))], ["lr"])


def test_the_race_says_what_its_losses_are(batch_race):
    assert batch_race.loss_words == "batch loss"
    assert RaceStory([("a", record()), ("b", record())], ["lr"]).loss_words == "full-data loss"


def test_matplotlib_and_the_page_say_batch_loss(batch_race):
    from scenes.mpl.race.scene import RaceScene
    from scenes.web.race_export import export_race

    scene = RaceScene(batch_race, load_theme("light"), size=(640, 360))
    texts = [t.get_text() for t in scene.fig.texts] + [ax.get_title(loc="left") for ax in scene.fig.axes]
    assert "batch loss now, lowest first" in texts and "Batch loss" in texts
    assert not [t for t in texts if "full-data" in t.lower()]
    assert export_race(batch_race, load_theme("light"))["loss_words"] == "batch loss"


@pytest.mark.slow  # (Manim's import and a dry run of the race: a few seconds)
def test_manim_draws_a_race_of_modules(batch_race):
    pytest.importorskip("manim")
    from scenes.manim.race import RaceScene
    from scenes.story.race import race_plan

    from manim import tempconfig

    with tempconfig({"dry_run": True, "disable_caching": True, "quality": "low_quality", "frame_rate": 5}):
        sc = RaceScene(batch_race, load_theme("light"), race_plan(batch_race.runs))
        sc.render()  # failed in Typst on the names "0.weight[0]", "0.bias[0]"
    words = {getattr(m, "layout_text", "") for m in sc.mobjects for m in m.get_family()}
    assert "batch loss now, lowest first" in words and "Batch loss (log)" in words
