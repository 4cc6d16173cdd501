"""The live page's graph view (scenes/web/live/story_graph.js) against Python's export.

For each setting, Python records the run with PyTorch as ``render.py --format html`` does
(the plan's detailed steps and ``graph_steps`` carry an autograd graph: scenes.pipeline) and
exports its story's ``graph`` member (scenes/web/graph_export.py); Node recomputes the run
with the twin, asks for the same steps' graphs and builds the member in JavaScript. Texts,
flags, whole numbers and the layout agree exactly, the rules' progress within 1e-12.
"""
from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest

from scenes.pipeline import graph_steps, obtain_trace
from scenes.story import Story
from scenes.story.plan import PlanSettings
from scenes.story.theme import load_theme
from scenes.web.export import export_story
from scenes.web.live_block import live_block
from training.config import TrainConfig

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

ARTICLE = {"kind": "article"}
CASES = [
    {},                                                                           # the article's run
    {"optimizer": "momentum", "momentum": 0.9, "lr": 0.05, "epochs": 20, "graph_steps": [1, 40, 60]},
    {"optimizer": "adam", "lr": 0.05, "epochs": 30, "weight_decay": 0.01, "graph_steps": [90]},
    {"shuffle": True, "seed": 7, "batch_size": 4, "drop_last": False, "epochs": 10, "graph_steps": [5, 20]},
    {"lr": 0.01, "batch_size": 6, "epochs": 3, "zero_grad": False, "init_a": -2.0, "init_b": 3.0},
    {"lr": 1.0, "batch_size": 1, "graph_steps": [30]},                             # diverges before step 30
]


@pytest.fixture(scope="module")
def both():
    theme, plan = load_theme("light"), PlanSettings()
    py, reqs = [], []
    for case in CASES:
        train = TrainConfig.from_dict({"data": ARTICLE, **case})
        trace = obtain_trace(train, plan=plan, use_cache=False)
        py.append((graph_steps(train, len(trace.x), plan), export_story(Story(trace), plan, theme=theme).get("graph")))
        reqs.append({"config": trace.config, "data": {"x": list(map(float, trace.x)), "y": list(map(float, trace.y))}})
    out = subprocess.run([NODE, str(ROOT / "tests/web/live_graph.js")], capture_output=True, text=True, timeout=120,
                         input=json.dumps({"cases": reqs, "live": live_block(theme, plan)}), check=True).stdout
    return py, json.loads(out)


def same(p, j, where: str):
    if isinstance(p, dict):
        assert isinstance(j, dict) and set(p) == set(j), f"{where}: keys {sorted(set(p) ^ set(j or {}))}"
        for k in p:
            same(p[k], j[k], f"{where}.{k}")
    elif isinstance(p, (list, tuple)):
        assert isinstance(j, list) and len(p) == len(j), f"{where}: {p!r:.200} vs {j!r:.200}"
        for i, (a, b) in enumerate(zip(p, j)):
            same(a, b, f"{where}[{i}]")
    elif isinstance(p, float) and not isinstance(j, bool):
        assert math.isclose(p, j, rel_tol=1e-12, abs_tol=1e-12), f"{where}: {p!r} vs {j!r}"
    else:
        assert p == j and (type(p) is type(j) or isinstance(p, int) and isinstance(j, (int, float))), f"{where}: {p!r} vs {j!r}"


@pytest.mark.parametrize("case", range(len(CASES)))
def test_the_pages_graph_member_is_pythons(both, case):
    py, js = both
    steps, graph = py[case]
    assert js[case]["steps"] == list(steps)
    assert graph is not None and graph["graphs"]
    same(graph, js[case]["graph"], f"case {case}")


def test_the_graph_shows_the_runs_own_numbers(both):
    """Not the recorded run's: another learning rate, other values and texts."""
    _, js = both
    first, other = js[0]["graph"]["graphs"][1], js[1]["graph"]["graphs"][1]
    assert first["nodes"][4]["value_after"] != other["nodes"][4]["value_after"]
    assert "(lr = 0.05)" in other["texts"]["step"] and "(lr = 0.1)" in first["texts"]["step"]
