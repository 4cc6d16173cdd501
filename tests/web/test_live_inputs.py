"""The live page's readers of what a reader types, pastes or links, in Node (no browser): the
CSV of points, the settings a link's hash names, and the merge of a partial settings object
(only the settings' names are taken; `__proto__` is a name like any other, refused)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

CASES = [
    ("csv", "x,y\n1,2\n3,4.5\n", {"ok": {"x": [1, 3], "y": [2, 4.5]}}),
    ("csv", "# a comment\n1;2\n3\t4\n5 6\n\n-1e-3,+2E2\n", {"ok": {"x": [1, 3, 5, -0.001], "y": [2, 4, 6, 200]}}),
    ("csv", "1,2\nnan,3\n", {"error": "line 2: values must be finite numbers (not nan)"}),
    ("csv", "1,2\n2,-inf\n", {"error": "line 2: values must be finite numbers (not -inf)"}),
    ("csv", "1,2\n2,banana\n", {"error": "line 2: banana is not a number"}),
    ("csv", "1,2,3\n", {"error": "line 1: expected two values x,y, got 3 (1,2,3)"}),
    ("csv", "a,b\nc,d\n", {"error": "line 2: c is not a number"}),
    ("hash", "#lr=0.3&batch_size=4&shuffle=1&optimizer=adam&step=3",
     {"ok": {"lr": 0.3, "batch_size": 4, "shuffle": True, "optimizer": "adam"}}),
    ("hash", "#step=3&beat=gradient", {"ok": None}),
    ("hash", "#x=1,2,3&y=4,5,6&seed=18446744073709551615",
     {"ok": {"data": {"x": [1, 2, 3], "y": [4, 5, 6]}, "seed": "18446744073709551615"}}),
    ("hash", "#lr=%E0%A4%A&epochs=5", {"ok": {"epochs": 5}}),
    ("hash", "#graph_steps=1,250&step=3", {"ok": {"graph_steps": [1, 250]}}),
    ("hash", "#graph_steps=", {"ok": {"graph_steps": []}}),
    ("merge", '{"__proto__": {"lr": 5}}', {"error": 'unknown setting "__proto__"'}),
    ("merge", '{"constructor": 1}', {"error": 'unknown setting "constructor"'}),
    ("merge", '[1, 2]', {"error": "settings must be an object"}),
    ("merge", '{"data": {"x": [1]}}', {"error": 'data must be {"x": [...], "y": [...]}'}),
]


@pytest.fixture(scope="module")
def results():
    payload = [[kind, text] for kind, text, _ in CASES]
    out = subprocess.run([NODE, str(ROOT / "tests/web/live_inputs.js")], input=json.dumps(payload), capture_output=True,
                         text=True, timeout=60, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("i", range(len(CASES)))
def test_what_a_reader_types_is_read_or_refused_with_its_reason(results, i):
    kind, text, want = CASES[i]
    got = results[i]
    if "error" in want:
        assert "error" in got and got["error"].startswith(want["error"]), got
    else:
        assert got == want


FORMATS = [("g", v, p) for v, p in [(-3.90625, 5), (0.0625, 2), (0.5625, 3), (2.5, 1), (3.5, 1), (0.125, 2), (1e-7, 6),
                                       (123456789.0, 6), (0.1, 6), (99995.0, 4), (-0.0, 6), (5e-324, 3)]] + \
          [("f", v, d) for v, d in [(0.0625, 3), (0.5625, 3), (-0.0625, 3), (2.5, 0), (0.0005, 3), (1.0005, 3),
                                    (-0.0001, 3), (1234.5675, 3), (7.0, 3)]]


def test_numbers_are_written_as_python_writes_them_ties_to_even():
    """The page's captions and notes write numbers with Python's "g" and "f" formats: an exact
    tie (0.0625 to 3 decimals) goes to the even digit, as Python's does (JavaScript's
    toFixed and toExponential round it away from zero)."""
    payload = [[kind, [v, n]] for kind, v, n in FORMATS]
    out = subprocess.run([NODE, str(ROOT / "tests/web/live_inputs.js")], input=json.dumps(payload), capture_output=True,
                         text=True, timeout=60, check=True)
    got = [r["ok"] for r in json.loads(out.stdout)]
    assert got == [format(v, f".{n}{kind}") for kind, v, n in FORMATS]


def test_a_merge_takes_the_settings_and_gives_a_new_optimizer_its_momentum(results):
    out = subprocess.run([NODE, str(ROOT / "tests/web/live_inputs.js")], capture_output=True, text=True, timeout=60,
                         check=True, input=json.dumps([["merge", '{"optimizer": "momentum"}'], ["merge", '{"optimizer": "adam"}'],
                                                       ["merge", '{"data": {"x": [1, 2], "y": [3, 4]}}']]))
    mom, adam, data = (r["ok"] for r in json.loads(out.stdout))
    assert mom["config"]["momentum"] == 0.9 and adam["config"].get("momentum") is None and adam["config"]["nesterov"] is False
    assert data["config"]["data"] == {"kind": "csv", "path": "points.csv"} and data["data"] == {"x": [1, 2], "y": [3, 4]}


# (the recorded run's graph_steps, what the reader changes, what the link must say of graph_steps)
LINKS = [(None, {"graph_steps": [2, 5]}, "graph_steps=2,5"),
         ([1, 2, 3], {"graph_steps": [4], "lr": 0.3}, "graph_steps=4"),
         ([1, 2, 3], {"graph_steps": []}, "graph_steps="),     # none: the link says so
         ([1, 2, 3], {"lr": 0.3}, None),                       # unchanged: the page's own
         (None, {"lr": 0.3}, None)]


def test_a_link_round_trips_graph_steps_when_the_reader_changed_them():
    """The link the live page writes after a change gives, opened on the same page, the settings
    the change gave, graph_steps included (they were left out of the link: a reader's graph
    steps were lost); graph_steps are in the link only when they differ from the recorded run's."""
    out = subprocess.run([NODE, str(ROOT / "tests/web/live_inputs.js")], capture_output=True, text=True, timeout=60,
                         check=True, input=json.dumps([["link", [rec, change]] for rec, change, _ in LINKS]))
    for (rec, change, says), r in zip(LINKS, json.loads(out.stdout)):
        got = r["ok"]
        assert got["opened"] == got["changed"], (rec, change, got)
        assert got["changed"].get("graph_steps", []) == change.get("graph_steps", rec or [])
        parts = got["hash"].lstrip("#").split("&")
        assert [p for p in parts if p.startswith("graph_steps=")] == ([says] if says else []), got["hash"]


def test_the_live_files_are_listed_small_and_the_story_dom_free():
    """live/MANIFEST lists every file of live/; each is small; the story builder uses no DOM
    (Node runs it); no file of the live page's script has a string or template literal that
    spans lines (compact.compact_js reads lines), and the compacted script still parses."""
    from scenes.web.page import player_script

    live = ROOT / "scenes/web/live"
    listed = [line.strip() for line in (live / "MANIFEST").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert sorted(listed) == sorted(p.name for p in live.glob("*.js"))
    for name in listed:
        text = (live / name).read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 450, name
        if name.startswith("story"):
            assert not re.search(r"\b(document|window)\.", text), name
    for path in [*live.glob("*.js"), *(ROOT / "scenes/web/twin").glob("*.js"), *(ROOT / "scenes/web/player").rglob("*.js")]:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            assert line.count("`") % 2 == 0 and not line.rstrip().endswith("\\"), f"{path.name}:{i + 1}"
    script = player_script(live=True)
    assert not any(line.lstrip().startswith(("//", "/*", "* ")) for line in script.splitlines())  # compacted
    check = subprocess.run([NODE, "--check", "-"], input=script, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr[-500:]
