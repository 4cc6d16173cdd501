"""The deck (--format pptx) of a model other than the line (issue 23): its notes' numbers
against closed-form float64 polynomial gradients and a hand-written SGD step, the final
slide's least squares against the normal equations, the deck cut from frames and re-read."""
from __future__ import annotations

import re

import numpy as np
import pytest

pytest.importorskip("pptx")

from scenes.story.deck import deck_outline  # noqa: E402
from scenes.story.notes import slide_notes  # noqa: E402
from scenes.story.plan import INTRO, UPDATE  # noqa: E402
from scenes.story.story import Story, plan_of  # noqa: E402
from tests.render.test_deck import TINY, write_tiny_deck  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.data import Dataset  # noqa: E402
from training.recorder import record  # noqa: E402

X = np.linspace(-0.6, 1.0, 12)
Y = 0.2 + 0.5 * X - 1.1 * X ** 2 + 1.4 * X ** 3


def _numbers(text: str) -> list[float]:
    return [float(v.replace("−", "-")) for v in re.findall(r"[−-]?\d+(?:\.\d+)?(?:e[−+-]?\d+)?", text)]


@pytest.fixture(scope="module")
def poly():
    return record(TrainConfig(model="poly", degree=3, lr=0.3, batch_size=4, epochs=3), Dataset(X, Y, "t"))


def test_a_poly_beats_notes_hold_its_closed_form_gradient_and_sgd_step(poly):
    story = Story(poly)
    k = 2
    notes = slide_notes(story, UPDATE, k)
    idx = np.asarray(poly.steps["indices"][k], dtype=np.int64)
    phi = X[idx, None] ** np.arange(4)
    c = poly.params[k]
    r = phi @ c - Y[idx]
    grad = 2 / len(idx) * r @ phi  # the MSE's gradient, written out in float64
    lines = notes.splitlines()
    got = [v for line in lines if "∂L/∂c" in line for v in _numbers(re.sub(r"∂L/∂c\d", "", line))]
    np.testing.assert_allclose(got, grad, rtol=1e-4, atol=1e-7)
    step = [v for line in lines if "Δc" in line for v in _numbers(re.sub(r"Δc\d", "", line))]
    np.testing.assert_allclose(step, -0.3 * grad, rtol=1e-4, atol=1e-7)  # plain SGD: Δ = −lr·g
    loss = _numbers(next(line for line in lines if line.startswith("L = mean")).split("=")[-1])[0]
    assert loss == pytest.approx(np.mean(r ** 2), rel=1e-4)
    assert "ŷ − y" in notes and f"Step {k + 1}:" in notes


def test_the_title_and_final_slides_say_the_model_its_start_and_least_squares(poly):
    story = Story(poly)
    plan = plan_of(poly, TINY)
    outline = deck_outline(story, plan)
    assert outline.title == "Mini-batch SGD fits ŷ = c0 + c1·x + c2·x² + c3·x³"
    title = next(s for s in outline.segments if s.kind == "title")
    assert "start: every parameter 0" in title.lines and title.lines[0].startswith("model: ŷ = c0")
    final = "\n".join(next(s for s in outline.segments if s.kind == "final").lines)
    phi = X[:, None] ** np.arange(4)
    coef = np.linalg.solve(phi.T @ phi, phi.T @ Y)  # the normal equations
    ls = final.split("least squares:")[1]
    got = [v for part in ls.splitlines()[1:3] for v in _numbers(re.sub(r"c\d = ", "", part))]
    np.testing.assert_allclose(got, coef, rtol=1e-4)
    # The line's deck keeps its words.
    line = record(TrainConfig(epochs=1))
    assert deck_outline(Story(line), plan_of(line, TINY)).title == "Mini-batch SGD fits y' = a·x + b"
    assert slide_notes(Story(line), INTRO, 0).count("start: a = ") == 1


def test_a_poly_deck_is_cut_from_frames_with_its_notes(poly, tmp_path):
    from pptx import Presentation
    plan = write_tiny_deck(poly, tmp_path / "d.pptx")
    slides = list(Presentation(str(tmp_path / "d.pptx")).slides)
    story = Story(poly)
    notes = [sl.notes_slide.notes_text_frame.text for sl in slides]
    outline = deck_outline(story, plan)
    final = next(s for s in outline.segments if s.kind == "final")
    assert notes[-1] == final.notes and "least squares:" in notes[-1]
    assert notes[0] == next(s for s in outline.segments if s.kind == "title").notes
    assert "Step 1:" in notes[1] and "∂L/∂c0" in notes[1]
