"""--no-zero-grad (issue 22, item 3): the captions and the numbers table say that .grad piles up.

The trace is the article's run in float64 without zero_grad() (tests/graph_fixture.py: the
gradient columns are running sums, as PyTorch's .grad is when never cleared)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from scenes.story import Story
from scenes.story.captions import gradient_sum_label
from scenes.story.plan import GRADIENT, HOLD, INTRO
from tests.graph_fixture import article_trace


def _story(zero_grad: bool) -> Story:
    tr = article_trace(epochs=2, zero_grad=zero_grad)
    if not zero_grad:
        tr = dataclasses.replace(tr, config={**tr.config, "zero_grad": False}, settings=None)
    return Story(tr)


@pytest.mark.parametrize("zero_grad", [True, False])
def test_captions_say_when_grad_accumulates(zero_grad):
    s = _story(zero_grad)
    assert s.settings.zero_grad is zero_grad
    intro, backward, end = s.caption(INTRO, 0), s.caption(GRADIENT, 1), s.caption(HOLD, s.n - 1)
    if zero_grad:
        assert "zero_grad" not in intro + backward + end
        assert backward == "Step 2 · backward pass: ∂L/∂a and ∂L/∂b" and end.startswith("After 6 steps: y' = ")
    else:
        assert intro.endswith(", no zero_grad()")
        assert backward == "Step 2 · backward pass adds ∂L/∂a, ∂L/∂b to .grad"
        assert end.startswith("Without zero_grad(), .grad piled up: after 6 steps y' = ")
        assert f"{s.trace.final_a:.3f}·x" in end


def test_the_sum_row_names_what_it_shows():
    # The row shows the trace's gradient (.grad). With zero_grad() that is the shares' sum;
    # without it, the running sum of every batch's gradient, which the shares alone are not.
    for zero_grad, label in ((True, "sum = gradient"), (False, "accumulated .grad")):
        s = _story(zero_grad)
        assert gradient_sum_label(s.settings) == label
        shares_a = [float(np.sum(s.shares(k)[0])) for k in range(s.n)]
        running = np.cumsum(shares_a) if not zero_grad else np.asarray(shares_a)
        np.testing.assert_allclose(s.grad_a, running, rtol=0, atol=1e-12)


def test_the_page_and_matplotlib_show_that_label():
    from scenes.mpl.render import _setup
    from scenes.web.export import export_story

    s = _story(False)
    assert export_story(s, contours=False)["run"]["sum_label"] == "accumulated .grad"
    scene = _setup(s.trace, (960, 540), "light", ("fit", "loss", "params", "numbers"))
    texts = [t.get_text() for ax in scene.fig.axes for t in ax.texts]
    assert "accumulated .grad" in texts and "sum = gradient" not in texts
