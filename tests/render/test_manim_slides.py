"""manim-slides: the walkthrough rendered as a manim-slides Slide through manim-slides' own
Python API, a slide per beat with its notes, then converted to HTML and PowerPoint by
manim-slides' converters; and its command line on a file of one's own."""
from __future__ import annotations

import pytest

pytest.importorskip("manim")
pytest.importorskip("manim_slides")

from scenes.story.plan import PlanSettings  # noqa: E402
from scenes.story.notes import slide_notes  # noqa: E402
from scenes.story.story import Story, plan_of  # noqa: E402
from tests.helpers import ROOT  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.recorder import record  # noqa: E402

SHORT = PlanSettings(detail_steps=1, intro=0.2, beat_seconds=(0.2, 0.2, 0.3, 0.2), fast_forward=0.6, hold=0.3)


def test_the_slide_scene_is_a_manim_slides_slide_that_starts_a_slide_per_beat():
    from manim_slides import Slide

    from scenes.manim.scenes import Walkthrough
    from scenes.manim.slides import WalkthroughSlide
    assert issubclass(WalkthroughSlide, Slide) and issubclass(WalkthroughSlide, Walkthrough)
    assert WalkthroughSlide.on_beat is not Walkthrough.on_beat


@pytest.mark.slow
def test_manim_slides_presents_and_converts_the_walkthrough(tmp_path, monkeypatch):
    import av
    from manim_slides.config import PresentationConfig
    from manim_slides.convert import PowerPoint, RevealJS

    from scenes.manim.render import QUALITIES
    from scenes.manim.slides import render_slides

    monkeypatch.chdir(tmp_path)
    tr = record(TrainConfig(epochs=3))
    js = render_slides(tr, tmp_path / "slides", quality="low", plan=SHORT)
    assert js == tmp_path / "slides" / "WalkthroughSlide.json"
    _, _, fps = QUALITIES["low"]
    plan = plan_of(tr, PlanSettings(**{**SHORT.__dict__, "fps": fps}))
    segments = plan.segments()
    cfg = PresentationConfig.from_file(js)
    # one slide per segment: the intro, 4 beats of the detailed step, the fast-forward, the hold
    assert len(cfg.slides) == len(segments) == 7
    story = Story(tr)
    for slide, seg in zip(cfg.slides, segments):
        assert slide.notes == slide_notes(story, seg.beat, int(seg.steps[0]), int(seg.steps[-1]))
        with av.open(str(slide.file)) as c:
            assert sum(1 for _ in c.decode(c.streams.video[0])) == seg.n_frames
    assert "∂L/∂a share" in cfg.slides[1].notes
    # Manim's media went to a temporary folder, removed: only the slides are left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slides"]

    RevealJS(presentation_configs=[cfg]).convert_to(tmp_path / "deck.html")  # online assets: no download
    html = (tmp_path / "deck.html").read_text(encoding="utf-8")
    assert html.count("data-background-video=") == len(segments)
    PowerPoint(presentation_configs=[cfg]).convert_to(tmp_path / "deck.pptx")
    from pptx import Presentation
    prs = Presentation(str(tmp_path / "deck.pptx"))
    assert len(prs.slides) == len(segments)
    assert [s.notes_slide.notes_text_frame.text for s in prs.slides] == [s.notes for s in cfg.slides]


@pytest.mark.slow
@pytest.mark.subprocess
def test_manim_slides_command_line_renders_a_subclass_from_a_file_of_ones_own(tmp_path):
    """The README's route: a two-line file, `manim-slides render`, the run from SGD_ANIM_TRACE
    (a file in the package's own folder would let Manim import scenes.py as `scenes`)."""
    import os
    import subprocess
    import sys

    from manim_slides.config import PresentationConfig

    tr = record(TrainConfig(epochs=2))
    tr.to_file(tmp_path / "trace.json")
    (tmp_path / "sgd_slides.py").write_text(
        "from scenes.manim.slides import WalkthroughSlide\n\n\nclass SGDSlides(WalkthroughSlide):\n    pass\n")
    env = {**os.environ, "SGD_ANIM_TRACE": str(tmp_path / "trace.json"), "SGD_ANIM_DETAIL_STEPS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([sys.executable, "-m", "manim_slides", "render", "-ql", "--disable_caching",
                          "sgd_slides.py", "SGDSlides"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-2000:]
    cfg = PresentationConfig.from_file(tmp_path / "slides" / "SGDSlides.json")
    plan = plan_of(tr, PlanSettings(fps=15, detail_steps=1))
    assert len(cfg.slides) == len(plan.segments()) == 7
    assert cfg.resolution == (854, 480)
