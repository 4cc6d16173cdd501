"""The page's parameter view (scenes/web/player/views/params.js) keeps the current point at
the plot's edge when it has left the view (a diverging run), as the video does
(scenes/mpl/views/params.py, and Manim): the page drew no point at all, so its final frame
showed a path running off the view and nothing where the run ended. Under Node: the file
alone, the helpers it takes stubbed, ``dot`` recording where it is drawn."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node") or "/usr/bin/node"
pytestmark = pytest.mark.skipif(not Path(NODE).is_file(), reason="node is not installed")

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
    runner = tmp_path_factory.mktemp("paramsjs") / "run.js"
    runner.write_text(HARNESS, encoding="utf-8")
    done = subprocess.run([NODE, str(runner), str(ROOT / "scenes/web/player/views/params.js")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_point_in_view_is_drawn_where_it_is(dots):
    assert dots["inside"] == [[60, 170]]


def test_a_point_that_left_the_view_waits_at_its_edge(dots):
    assert dots["far_low_left"] == [[10, 220]]     # the bottom left corner
    assert dots["far_high_right"] == [[110, 20]]   # the top right corner
