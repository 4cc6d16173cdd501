"""The live page's story builder (scenes/web/live/story*.js) against the Python story.

The same trace (recomputed by the twin, read back by Python) goes through both: Python's
export_story (scenes/story, scenes/web/export.py) and the page's JavaScript builder in Node.
Every field of the document must agree: strings, whole numbers and flags exactly; derived
floats (limits, arrows, shares, the plan's progress) within 1e-9 relative (1e-12 absolute):
both compute in float64, in orders that differ only in a sum's rounding; the arrows the
export rounds to float32 within 1e-6 relative. The contours are traced another way (see
story_contours.js): their limits, levels and colours must agree, and every vertex of a JS
level line must lie on its level. Fast: two Node processes, no torch, no browser.
"""
from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from scenes.story import Story
from scenes.story.theme import load_theme
from scenes.web.export import decode, decode_paths, export_story
from scenes.web.live_block import live_block
from training.trace import Trace

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

ARTICLE = {"x": [0.2, 0.4, 0.6, 0.8, 1.0, 1.2], "y": [0.18, 0.32, 0.42, 0.48, 0.58, 0.72]}
_rng = np.random.default_rng(5)
_sx = np.round(_rng.uniform(-3, 5, 40), 3)
SYNTH = {"x": _sx.tolist(), "y": np.round(0.7 * _sx - 1.2 + _rng.normal(0, 0.4, 40), 3).tolist()}

CASES = [
    ({}, ARTICLE),
    ({"optimizer": "momentum", "epochs": 30}, ARTICLE),
    ({"optimizer": "momentum", "nesterov": True, "shuffle": True, "seed": 7, "batch_size": 4, "drop_last": False}, ARTICLE),
    ({"optimizer": "adam", "lr": 0.05, "epochs": 40, "weight_decay": 0.01}, ARTICLE),
    ({"optimizer": "rmsprop", "momentum": 0.5, "lr": 0.01, "epochs": 20}, ARTICLE),
    ({"optimizer": "adagrad", "lr": 0.3, "epochs": 20, "init_a": -2.0, "init_b": 3.0}, ARTICLE),
    ({"optimizer": "sgd", "weight_decay": 0.1, "epochs": 10}, ARTICLE),
    ({"lr": 1.0, "batch_size": 1}, ARTICLE),                      # diverges
    ({"lr": 1e30}, ARTICLE),                                      # diverges at the first step
    ({"zero_grad": False, "epochs": 5, "lr": 0.01}, ARTICLE),
    ({"batch_size": 16, "lr": 0.02, "epochs": 60, "shuffle": True, "seed": 3}, SYNTH),
    ({"batch_size": 1, "lr": 0.002, "epochs": 3, "optimizer": "momentum"}, SYNTH),
]


def _node(script: str, payload: dict, *args: str) -> str:
    out = subprocess.run([NODE, str(ROOT / script), *args], input=json.dumps(payload), capture_output=True,
                         text=True, timeout=120, check=True)
    return out.stdout


@pytest.fixture(scope="module")
def both():
    theme = load_theme("light")
    block = live_block(theme)
    reqs = [{"config": cfg, "data": data} for cfg, data in CASES]
    lines = _node("scenes/web/twin.js", {"batch": reqs}, "--batch").splitlines()
    texts = [json.loads(line)["trace"] for line in lines]
    js = json.loads(_node("tests/web/live_story.js", {"traces": [json.loads(t) for t in texts], "live": block,
                                                       "panel": theme.color("panel")}))
    py = [export_story(Story(Trace.from_json(t)), theme=theme) for t in texts]
    return py, [j["story"] for j in js], texts


def _close(p, j, where: str, rel: float, absolute: float = 1e-12):
    p = np.asarray(p, dtype=np.float64)
    j = np.asarray([np.nan if v is None else v for v in j], dtype=np.float64)
    assert p.shape == j.shape, f"{where}: {p.shape} vs {j.shape}"
    assert np.array_equal(np.isnan(p), np.isnan(j)), f"{where}: NaN at other places"
    ok = ~np.isnan(p)
    bad = np.abs(p[ok] - j[ok]) > np.maximum(rel * np.abs(p[ok]), absolute)
    assert not bad.any(), f"{where}: {p[ok][bad][:3]} vs {j[ok][bad][:3]}"


def compare(p, j, where: str = ""):
    """Python's document ``p`` (typed columns encoded) against the JS one (plain lists)."""
    if isinstance(p, dict) and "b64" in p:
        rel = 1e-6 if p["dtype"] == "f32" and "arrows" in where else 1e-9
        if p["dtype"] in ("i32", "u16", "u8"):
            assert decode(p).tolist() == j, where
        else:
            _close(decode(p), j, where, rel)
        return
    if isinstance(p, dict):
        assert set(p) == set(j), f"{where}: keys {sorted(set(p) ^ set(j))}"
        for k in p:
            compare(p[k], j[k], f"{where}.{k}")
        return
    if isinstance(p, list):
        assert isinstance(j, list) and len(p) == len(j), f"{where}: {p!r:.200} vs {j!r:.200}"
        for i, (a, b) in enumerate(zip(p, j)):
            compare(a, b, f"{where}[{i}]")
        return
    if isinstance(p, float) and not isinstance(j, bool) and j is not None:
        assert math.isclose(p, j, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {p!r} vs {j!r}"
        return
    assert p == j and type(p) is type(j) or (isinstance(p, (int, float)) and not isinstance(p, bool) and p == j), \
        f"{where}: {p!r} vs {j!r}"


@pytest.mark.parametrize("case", range(len(CASES)))
def test_the_js_story_is_the_python_story(both, case):
    py, js, _ = both
    p, j = dict(py[case]), dict(js[case])
    pc, jc = p.pop("contours"), j.pop("contours")
    compare(p, j, f"case {case}")
    assert pc["limits"] == pytest.approx(jc["limits"], rel=1e-12)
    assert pc["levels"] == pytest.approx(jc["levels"], rel=1e-9)
    assert [b["color"] for b in pc["bands"]] == [b["color"] for b in jc["bands"]]


def _off_level(c: dict, data: dict) -> np.ndarray:
    """How far each vertex of a contours block's level lines is from its nearest level, as a
    fraction of that level's distance from the one below."""
    x, y = np.asarray(data["x"]), np.asarray(data["y"])
    lim, q = c["limits"], c["quant"]
    pts = np.asarray(c["lines"], dtype=np.float64)
    pts = pts[pts != 65535].reshape(-1, 2)
    a = lim[0] + pts[:, 0] / q * (lim[1] - lim[0])
    b = lim[2] + pts[:, 1] / q * (lim[3] - lim[2])
    loss = np.mean((np.outer(a, x) + b[:, None] - y) ** 2, axis=1)
    levels = np.asarray(c["levels"])
    gaps = np.diff(np.concatenate([[0.0], levels]))
    return np.min(np.abs(loss[:, None] - levels[None, :]) / gaps[None, :], axis=1)


@pytest.mark.parametrize("case", [0, 3, 10])
def test_the_js_level_lines_lie_on_their_levels_as_matplotlibs_do(both, case):
    """Each JS contour vertex lies on a level to within the grid's linear interpolation (a
    cell is 1/119 of the view) and the uint16 rounding, as closely as matplotlib's own
    (exported by Python) do, and every band Python fills is filled in JS too."""
    py, js, _ = both
    pc = dict(py[case]["contours"], lines=decode_paths(py[case]["contours"]["lines"]).tolist())
    mine, theirs = _off_level(js[case]["contours"], CASES[case][1]), _off_level(pc, CASES[case][1])
    assert len(mine) > 100
    assert np.quantile(mine, 0.99) <= 1.5 * np.quantile(theirs, 0.99) + 0.005, (np.quantile(mine, 0.99), np.quantile(theirs, 0.99))
    assert mine.max() <= 1.5 * theirs.max() + 0.01, (mine.max(), theirs.max())
    for pb, jb in zip(py[case]["contours"]["bands"], js[case]["contours"]["bands"]):
        assert len(jb["path"]) > 0 or len(decode_paths(pb["path"])) == 0


@pytest.mark.parametrize("case", [0, 10])
def test_the_js_bands_fill_where_the_loss_is_in_them(both, case):
    """A point of the view lies in the JS band of its loss: 600 random points, leaving out
    those within 5 % of a level's gap from a level (where a cell's linear interpolation may
    put the boundary on either side)."""
    from matplotlib.path import Path as MplPath

    _, js, _ = both
    c, data = js[case]["contours"], CASES[case][1]
    x, y = np.asarray(data["x"]), np.asarray(data["y"])
    lim, q, levels = c["limits"], c["quant"], np.asarray(c["levels"])
    rng = np.random.default_rng(case)
    u, v = rng.uniform(0.01, 0.99, 600), rng.uniform(0.01, 0.99, 600)
    a, b = lim[0] + u * (lim[1] - lim[0]), lim[2] + v * (lim[3] - lim[2])
    loss = np.mean((np.outer(a, x) + b[:, None] - y) ** 2, axis=1)
    truth = np.searchsorted(levels, loss, side="right")  # the band: how many levels lie at or below
    gaps = np.diff(np.concatenate([[0.0], levels]))
    near = np.min(np.abs(loss[:, None] - levels[None, :]) / gaps[None, :], axis=1) < 0.05
    pts = np.column_stack([u * q, v * q])
    found = np.full(len(pts), -1)
    for i, band in enumerate(c["bands"]):
        flat = np.asarray(band["path"], dtype=np.float64)
        verts, codes, start = [], [], True
        k = 0
        while k < len(flat):
            if flat[k] == 65535:
                if verts and not start:
                    verts.append(verts[-1]); codes.append(MplPath.CLOSEPOLY)
                start = True; k += 1; continue
            verts.append((flat[k], flat[k + 1])); codes.append(MplPath.MOVETO if start else MplPath.LINETO)
            start = False; k += 2
        if verts:
            inside = MplPath(verts, codes).contains_points(pts)
            found[inside & (found < 0)] = i
    ok = ~near
    assert ok.sum() > 300
    assert np.array_equal(found[ok], truth[ok]), np.flatnonzero(found[ok] != truth[ok])[:10]


def test_a_recorders_line_run_gets_a_live_page_and_others_say_why(both):
    """The page carries the twin and the live block for a line run of render.py's settings; a
    run from a user's own loop carries the reason instead (and no twin); the presenter page is
    not live."""
    from scenes.web.live_block import live_reason
    from scenes.web.page import player_page

    def page_document(page: str) -> dict:
        return json.loads(page.split('id="sgd-story">', 1)[1].split("</script>", 1)[0])

    line = Trace.from_json(both[2][0])
    assert live_reason(line) is None
    page = player_page(line)
    doc = page_document(page)
    assert doc["live"]["config"]["lr"] == 0.1 and len(decode(doc["live"]["cmap"])) == 3 * 256 and re.search(r"var TWIN ?= ?\{\};", page)
    assert "notes" not in doc["stories"][0]["plan"]  # only the presenter page shows them
    assert "live" not in page_document(player_page(line, presenter=True))
    raw = json.loads(both[2][0])
    raw["config"]["recorded"] = {"optimizer": "SGD"}
    loop = Trace.from_json(json.dumps(raw))
    page = player_page(loop)
    assert "training loop of its own" in page_document(page)["live"]["reason"] and "var TWIN" not in page
