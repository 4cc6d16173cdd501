"""Every backend's parameter legend says the same words for the same arrows (the story's:
scenes.story.story UPDATE_LABEL, full_step_label, carry.label): Manim said "update taken" and
"full-batch step" where matplotlib and the page say "update applied" and "full-batch step −lr·∇L"."""
from __future__ import annotations

import pytest

import training
from scenes.story.story import Story
from training.config import TrainConfig

pytest.importorskip("manim")


@pytest.mark.slow  # (Manim imported, two runs recorded: a few seconds)
@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_manim_and_matplotlib_name_the_arrows_alike(optimizer):
    from scenes.manim.panels.params import ParamsPanel
    from scenes.manim.scenes import FULL
    from scenes.manim.style import Style
    from scenes.mpl.render import _setup
    from scenes.mpl.views import DEFAULT_VIEWS
    from scenes.story.theme import load_theme

    story = Story(training.record(TrainConfig(optimizer=optimizer, epochs=2)))
    mpl = _setup(story, (640, 360), "light", DEFAULT_VIEWS).view("params")
    mpl_words = [t.get_text() for t in mpl.legend.get_texts()]
    panel = ParamsPanel(Style(load_theme("light")), story, FULL["center"], FULL["width"], FULL["height"],
                        arrow_steps=range(2))
    manim_words = [m.layout_text for m in panel.legend.get_family() if getattr(m, "layout_text", "")]
    assert mpl_words[:3] == ["update applied", story.carry.label, "full-batch step −lr·∇L"] or \
        mpl_words[:3] == ["update applied", "full-batch step −lr·∇L", story.carry.label]
    assert sorted(manim_words) == sorted(w for w in mpl_words if w != "optimum")
