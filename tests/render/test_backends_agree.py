"""One story, two pictures: for a momentum run and an Adam run, the matplotlib video and the
Manim scene draw the same arrows (end points in data coordinates), the same captions and
the same beat boundaries. Each side is read from what it drew, not from the story."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("manim")

from scenes.manim import parts as manim_parts  # noqa: E402
from scenes.manim.render import QUALITIES, run_scene  # noqa: E402
from scenes.mpl.render import FrameRenderer, _setup, build_plan  # noqa: E402
from scenes.story.plan import GRADIENT, PlanSettings  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.recorder import record  # noqa: E402

pytestmark = pytest.mark.slow  # Manim draws every scene

SHORT = PlanSettings(detail_steps=2, intro=0.2, beat_seconds=(0.2, 0.2, 0.3, 0.2),
                     fast_forward=1.0, hold=0.3)
FPS = QUALITIES["low"][2]


# Adam's first moment in the suite; momentum's and Nesterov's velocity with --full-matrix.
@pytest.fixture(scope="module", params=[pytest.param("momentum", marks=pytest.mark.full_matrix), "adam",
                                        pytest.param("nesterov", marks=pytest.mark.full_matrix)])
def trace(request):
    cfg = {"momentum": dict(optimizer="momentum"), "adam": dict(optimizer="adam"),
           "nesterov": dict(optimizer="momentum", nesterov=True)}[request.param]
    return record(TrainConfig(epochs=6, **cfg))


def mpl_side(trace):
    """Per detail step, the arrows at the end of the gradient beat; captions per segment."""
    scene = _setup(trace, (640, 360), "light", ("fit", "loss", "params", "numbers"))
    plan = build_plan(trace, SHORT, FPS)
    r = FrameRenderer(scene, plan)
    arrows, captions = {}, []
    for seg in plan.segments():
        r.frame(seg.stop - 1)
        captions.append(scene.header.caption.get_text())
        if seg.beat == GRADIENT:
            drawn = {}
            for key, patch in scene.view("params").arrows.items():
                if patch.get_visible():
                    drawn[key] = np.array(patch._posA_posB)
            arrows[int(seg.steps[0])] = drawn
    return plan, arrows, captions


def manim_side(trace, monkeypatch):
    captions, arrows = [], {}
    real_caption = manim_parts.Header.set_caption
    monkeypatch.setattr(manim_parts.Header, "set_caption",
                        lambda self, text, *a, **k: captions.append(text) or real_caption(self, text, *a, **k))
    real_gradient = manim_parts.ParamsPanel.gradient

    def gradient(self, k):
        out = real_gradient(self, k)
        P, L = self.panel, self.panel.lim
        o = P.p(L.x0, L.y0)
        ex, ey = P.p(L.x1, L.y0) - o, P.p(L.x0, L.y1) - o

        def to_data(q):  # the panel's mapping, inverted (linear axes)
            d = q - o
            return (L.x0 + d[0] / ex[0] * (L.x1 - L.x0), L.y0 + d[1] / ey[1] * (L.y1 - L.y0))
        drawn = {}
        for m in self.arrows:
            if not hasattr(m, "story_arrow"):
                continue  # the "arrows ×N" note
            key = {"update": "update", "full_gradient": "full", "velocity": "carry"}[
                next(c for c, name in (("update", "update"), ("full_gradient", "full_gradient"),
                                       ("velocity", "velocity"))
                     if np.allclose(m.get_color().to_rgb(), self.st.c(name).to_rgb()))]
            end = m.tip.tip_point if m.has_tip() else m.get_end()
            drawn[key] = np.array([to_data(m.get_start()), to_data(end)])
        arrows[k] = drawn
        return out

    monkeypatch.setattr(manim_parts.ParamsPanel, "gradient", gradient)
    sc = run_scene(trace, scene="walkthrough", quality="low", plan=SHORT, fmt="none", skip_animations=True)
    return sc, arrows, captions


def test_arrows_captions_and_beats_agree(trace, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    plan, mpl_arrows, mpl_captions = mpl_side(trace)
    sc, manim_arrows, manim_captions = manim_side(trace, monkeypatch)
    # Beat boundaries: both played the same segments.
    seg = lambda p: [(s.beat, s.start, s.stop) for s in p.segments()]  # noqa: E731
    assert seg(sc.frame_plan) == seg(plan)
    # Captions: one per segment, the same words.
    assert manim_captions == mpl_captions
    assert any("Fast-forward" in c for c in mpl_captions) and mpl_captions[-1].startswith(f"After {trace.n_steps} steps")
    # Arrows: the same set, the same end points (within a hair of the panel).
    p = sc.story.geom.params
    tol = 0.004 * max(p.x1 - p.x0, p.y1 - p.y0)
    assert sorted(mpl_arrows) == sorted(manim_arrows) == [0, 1]  # step 1 without a carried arrow, step 2 with
    for k in mpl_arrows:
        assert set(mpl_arrows[k]) == set(manim_arrows[k]), k
        assert "carry" in mpl_arrows[k] or k == 0
        for key in mpl_arrows[k]:
            np.testing.assert_allclose(manim_arrows[k][key], mpl_arrows[k][key], atol=tol, err_msg=f"{key} {k}")
