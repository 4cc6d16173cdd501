"""The frame plan: bounded length, exact one-frame-per-step mode, segments that tile the plan."""
from __future__ import annotations

import numpy as np
import pytest

from scenes.story.plan import (FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE, PlanSettings,
                         make_plan)
from training.errors import InputError


def test_length_is_bounded_by_the_plan_not_the_steps():
    short, long = make_plan(300, 3), make_plan(10_000, 3)
    assert abs(len(long) - len(short)) <= 2
    assert len(long) < 0.1 * 10_000  # seconds of video, not one frame per step


def test_one_frame_per_step_is_exact():
    p = make_plan(300, 3, PlanSettings(one_frame_per_step=True))
    assert len(p) == 300
    assert np.array_equal(p.step, np.arange(300))
    assert set(p.beat.tolist()) == {FAST}


def test_detail_beats_then_fast_forward_then_hold():
    p = make_plan(300, 3, PlanSettings(fps=30))
    order = [s.beat for s in p.segments()]
    assert order[0] == INTRO and order[-1] == HOLD and order[-2] == FAST
    assert order[1:5] == [FORWARD, RESIDUALS, GRADIENT, UPDATE]
    assert p.detail_steps == 3 and len(order) == 1 + 3 * 4 + 2
    assert int(p.step[-1]) == 299
    fast = p.step[p.beat == FAST]
    assert fast[0] == 3 and fast[-1] == 299 and np.all(np.diff(fast) >= 0)


def test_segments_tile_the_plan():
    p = make_plan(1000, 5, PlanSettings(fps=24))
    segs = p.segments()
    assert segs[0].start == 0 and segs[-1].stop == len(p)
    assert all(a.stop == b.start for a, b in zip(segs, segs[1:]))
    assert sum(s.n_frames for s in segs) == len(p)


def test_target_duration_and_zero_steps():
    p = make_plan(300, 3, PlanSettings(fps=30, target_duration=8.0))
    assert abs(p.duration - 8.0) < 0.5
    empty = make_plan(0, 1)
    assert len(empty) > 0 and set(empty.beat.tolist()) == {INTRO, HOLD}


def test_bad_settings_are_input_errors(one_line):
    with pytest.raises(InputError) as e:
        make_plan(10, 2, PlanSettings(fps=0))
    one_line(e.value, "fps")


@pytest.mark.parametrize("fps", [10, 15, 24, 30])
@pytest.mark.parametrize("seconds", [8.0, 12.0, 20.0])
def test_target_duration_is_never_exceeded(fps, seconds):
    """The slides preset promises at most 12 s: rounding beats up must not overrun."""
    p = make_plan(300, 3, PlanSettings(fps=fps, target_duration=seconds))
    assert seconds - 0.5 < p.duration <= seconds
