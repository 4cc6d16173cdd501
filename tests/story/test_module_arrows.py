"""A module recorded from its own loop has no known full-batch step (its gradient off the
recorded batches is NaN): the story hands no arrow of it, nor any other arrow that is not
finite, to a backend, and the legends say the step is not known (issue 24)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from scenes.story.story import FULL_STEP_LABEL, FULL_STEP_UNKNOWN, Story
from tests.user_loop import record_loop
from training.config import TrainConfig
from training.recorder import record


def _module_trace(model, crit, epochs=4):
    torch.manual_seed(0)
    X = torch.linspace(-2, 2, 16).view(-1, 1)
    Y = torch.sin(2 * X)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return record_loop(model, opt, crit, X, Y, epochs=epochs, batch=4)


@pytest.fixture(scope="module")
def module_traces():
    torch.manual_seed(1)
    return {"mlp": _module_trace(nn.Sequential(nn.Linear(1, 5), nn.Tanh(), nn.Linear(5, 1)), nn.MSELoss()),
            "l1": _module_trace(nn.Linear(1, 1), nn.L1Loss())}


def _all_arrows(story: Story):
    for k in range(story.n):
        for grow in (0.3, 1.0):
            yield from story.arrows(k, grow).items()


@pytest.mark.parametrize("kind", ["mlp", "l1"])
def test_a_module_has_no_full_batch_arrow_and_every_arrow_is_finite(module_traces, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # once "All-NaN slice encountered"
        s = Story(module_traces[kind])
        assert not s.full_step_known
        assert s.full_step_label == FULL_STEP_UNKNOWN
        assert "full" not in s.vector_columns and "full" not in s.arrow_table
        assert np.all(np.isfinite(s.arrow_scale)) and np.all(s.arrow_scale >= 1)
        drawn = list(_all_arrows(s))
    assert drawn, "the update arrows are drawn"
    for key, arrow in drawn:
        assert key != "full"
        assert all(math.isfinite(v) for v in (*arrow.start, *arrow.end)), (key, arrow)
    # The update arrow is the step applied, as recorded (projected onto the plane), magnified.
    k = 1
    du, dv = s.vector_columns["update"][0][k], s.vector_columns["update"][1][k]
    up = s.arrows(k)["update"]
    f = s.arrow_scale[k]
    if not up.clipped:
        assert up.end[0] - up.start[0] == pytest.approx(f * du, rel=1e-9, abs=1e-12)
        assert up.end[1] - up.start[1] == pytest.approx(f * dv, rel=1e-9, abs=1e-12)


def test_the_line_keeps_its_full_batch_arrow():
    s = Story(record(TrainConfig(epochs=2)))
    assert s.full_step_known and s.full_step_label == FULL_STEP_LABEL
    assert "full" in s.arrow_table and any(k == "full" for k, _ in _all_arrows(s))


def test_a_step_whose_vector_is_not_finite_gets_no_arrow():
    s = Story(record(TrainConfig(epochs=2)))
    before = s.arrows(3)
    assert "full" in before
    fu, fv = s.full_step
    fu, fv = fu.copy(), fv.copy()
    fu[3] = np.nan
    fv[4] = np.inf
    s.__dict__["full_step"] = (fu, fv)  # a cached_property: this story's own value
    for name in ("vector_columns", "arrow_table", "arrow_scale"):
        s.__dict__.pop(name, None)
    assert "full" not in s.arrows(3) and "full" not in s.arrows(4)
    assert "update" in s.arrows(3) and "full" in s.arrows(5)
    assert np.isnan(s.arrow_table["full"][2][3]) and np.isnan(s.arrow_table["full"][2][4])


def test_a_modules_title_notes_say_where_its_data_and_start_came_from(module_traces):
    from scenes.story.model_notes import settings_lines

    lines = settings_lines(Story(module_traces["mlp"]))
    assert lines[-2] == "data: 16 rows, x, y as given" and lines[-1] == "start: where your loop's model started"
    assert not any("six points" in line or "seed" in line for line in lines)
