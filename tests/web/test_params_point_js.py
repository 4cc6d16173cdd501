"""The page's parameter view (scenes/web/player/views/params.js) keeps the current point at
the plot's edge when it has left the view (a diverging run), as the video does
(scenes/mpl/views/params.py, and Manim): the page drew no point at all, so its final frame
showed a path running off the view and nothing where the run ended. Under Node: the file
alone, the helpers it takes stubbed, ``dot`` recording where it is drawn."""
from __future__ import annotations

import pytest

from tests.web.node_harness import needs_node, run_harness

pytestmark = needs_node

HARNESS = r"""
var dots = [];
var SGD = { clamp: function (v, a, b) { return Math.min(Math.max(v, a), b); },
            dot: function (ctx, x, y) { dots.push([x, y]); } };
eval(require("fs").readFileSync(process.argv[2], "utf8"));
var ctx = {}; ["save", "restore"].forEach(function (k) { ctx[k] = function () {}; });
var pn = { ctx: ctx, clipPlot: function () {}, x0: 10, x1: 110, y0: 20, y1: 220,  // y0: the top
           px: function (a) { return 10 + a * 10; }, py: function (b) { return 220 - b * 10; } };
var P = { lw: 2, theme: { colors: {} } };
var S = { n: 0, B: { HOLD: 6 } };
var out = {};
[["inside", 5, 5], ["far_low_left", -7641.3, -7763.3], ["far_high_right", 1e9, 1e9]].forEach(function (c) {
  dots = []; SGD.drawParams(P, pn, S, { a: c[1], b: c[2], arrow_frac: 0, beat: 6 }); out[c[0]] = dots;
});
console.log(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def dots(tmp_path_factory):
    return run_harness(HARNESS, "views/params.js", tmp_path_factory.mktemp("paramsjs"))


def test_a_point_in_view_is_drawn_where_it_is(dots):
    assert dots["inside"] == [[60, 170]]


def test_a_point_that_left_the_view_waits_at_its_edge(dots):
    assert dots["far_low_left"] == [[10, 220]]     # the bottom left corner
    assert dots["far_high_right"] == [[110, 20]]   # the top right corner
