"""Where a legend goes (scenes.mpl.views.legend): counting the marks a place covers looks
point by point only at marks whose box meets it, and counts what looking at all would."""
from __future__ import annotations

import numpy as np

from scenes.layout_check import Box, polyline_hits
from scenes.mpl.views.legend import count_hits, mark_reach

BOX = Box(10.0, 20.0, 30.0, 40.0)


def _all(marks, box):
    return sum(polyline_hits(m, box) for m in marks)


def test_marks_on_the_edges_and_across_the_box_count_as_before():
    nan = np.nan
    marks = [
        np.array([[10.0, 0.0], [10.0, 60.0]]),        # along the left edge (the check counts a touch)
        np.array([[0.0, 40.0], [50.0, 40.0]]),        # along the top edge
        np.array([[0.0, 0.0], [50.0, 60.0]]),         # across, no point inside
        np.array([[9.999, 0.0], [9.999, 60.0]]),      # just outside
        np.array([[20.0, 30.0]]),                     # one point inside
        np.array([[0.0, 30.0], [nan, nan], [50.0, 30.0]]),  # broken where it would cross
        np.array([[nan, nan], [nan, nan]]),           # nothing drawn
        np.empty((0, 2)),
        np.array([[31.0, 41.0], [60.0, 90.0]]),       # beyond the corner
    ]
    expected = [polyline_hits(m, BOX) for m in marks]
    assert expected == [True, True, True, False, True, False, False, False, False]  # the rule itself
    reach = mark_reach(marks)
    assert count_hits(marks, reach, BOX) == _all(marks, BOX) == 4
    for i, m in enumerate(marks):
        assert count_hits([m], reach[i:i + 1], BOX) == expected[i], i


def test_random_marks_and_places_count_as_looking_at_all():
    rng = np.random.default_rng(5)
    for _ in range(200):
        marks = []
        for _ in range(rng.integers(0, 12)):
            p = rng.uniform(0, 100, size=(rng.integers(1, 6), 2)).round(rng.integers(0, 2))
            p[rng.uniform(size=len(p)) < 0.1] = np.nan
            marks.append(p)
        x0, y0 = rng.uniform(0, 90, size=2).round()
        box = Box(x0, y0, x0 + rng.integers(1, 30), y0 + rng.integers(1, 30))
        assert count_hits(marks, mark_reach(marks), box) == _all(marks, box)
