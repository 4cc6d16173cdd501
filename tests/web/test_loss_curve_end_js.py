"""The page's loss view (scenes/web/player/views/loss.js) ends the full-data curve where the
run ends, as the video's does (tests/render/test_loss_curve_end.py): at step n, the loss after
the last step (the L its header shows at the end), on the fast-forward's last frame and the
hold, not before. Under Node, the file alone with the few helpers it takes stubbed and a
canvas context that records the points stroked."""
from __future__ import annotations

import pytest

from tests.web.node_harness import needs_node, run_harness

pytestmark = needs_node

HARNESS = r"""
var SGD = { clamp: function (v, a, b) { return Math.min(Math.max(v, a), b); }, dot: function () {},
            legend: function () {},
            Pen: function (ctx) { return function (x, y) { ctx.lineTo(x, y); }; },
            Thin: function (pen) { var f = function (x, y) { pen(x, y); }; f.end = function () {}; return f; } };
eval(require("fs").readFileSync(process.argv[2], "utf8"));
var lines, ctx = {};
["save", "restore", "beginPath", "stroke", "setLineDash", "rect", "clip", "setTransform", "drawImage"]
  .forEach(function (k) { ctx[k] = function () {}; });
ctx.moveTo = function (x, y) { lines.push(["M", x, y]); };
ctx.lineTo = function (x, y) { lines.push(["L", x, y]); };
var pn = { ctx: ctx, px: function (i) { return i; }, py: function (v) { return v; }, clipPlot: function () {},
           blocks: { stride: 1 }, y0: 0, y1: 1 };
var P = { lw: 2, theme: { colors: {} } };
var B = { FAST: 5, HOLD: 6, UPDATE: 4 };
var S = { n: 3, loss: [4, 5, 6], full_loss: [1, 2, 3], final: { full_loss: 40 }, run: {}, B: B };
var out = {};
[["hold", 3, B.HOLD], ["fast_last", 3, B.FAST], ["fast_before", 2, B.FAST], ["update_last", 3, B.UPDATE]]
  .forEach(function (c) { lines = []; SGD.drawLoss(P, pn, S, { loss_n: c[1], beat: c[2] }); out[c[0]] = lines; });
S.run.full_loss_words = "batch loss";  // a loop recorded without x, y: no full-data loss to end on
lines = []; SGD.drawLoss(P, pn, S, { loss_n: 3, beat: B.HOLD }); out.batch_only = lines;
console.log(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def strokes(tmp_path_factory):
    return run_harness(HARNESS, "views/loss.js", tmp_path_factory.mktemp("lossjs"))


def _ends_at_final(points) -> bool:
    """A segment from the last step's point (2, 3) to (n, the final full-data loss)."""
    return any(a == ["M", 2, 3] and b == ["L", 3, 40] for a, b in zip(points, points[1:]))


def test_the_hold_and_the_last_fast_frame_end_at_the_loss_after_the_last_step(strokes):
    assert _ends_at_final(strokes["hold"])
    assert _ends_at_final(strokes["fast_last"])


def test_earlier_frames_detailed_beats_and_a_batch_only_loop_do_not(strokes):
    for case in ("fast_before", "update_last", "batch_only"):
        assert not any(p[1] == 3 for p in strokes[case]), case
