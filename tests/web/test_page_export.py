"""The page's exports (scenes/web/player/reproduce.js, export.js; scenes/web/page_export.py).

Under Node, with the page's own document: its trace.json is the recorded trace (every value),
render.py renders it, and the command and the config.toml it writes, read back through
render.py's parser and config reader, give the run's settings exactly (an independent check:
Python's own flag and TOML readers, not the page's table). In Chromium (slow): the WebM has
frames (decoded with PyAV), the PNG is the frame, nothing is fetched, nothing is logged.
"""
from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from scenes.job import build_job, layers, load_config_file
from scenes.story.story import Story
from scenes.story.theme import load_theme
from scenes.web.page_export import reproduce_table, run_document
from training.config import SETTINGS, TrainConfig
from training.data import DataSpec
from training.recorder import record
from training.trace import Trace

ROOT = Path(__file__).resolve().parents[2]
PLAYER = ROOT / "scenes" / "web" / "player"
NODE = shutil.which("node") or "/usr/bin/node"
needs_node = pytest.mark.skipif(not Path(NODE).is_file(), reason="node is not installed")

# The page's texts for its own run, under Node: decode.js and reproduce.js as the page joins them.
HARNESS = """
const fs = require("fs"), path = require("path"), dir = process.argv[1];
const SGD = {};
for (const f of ["decode.js", "reproduce.js"]) new Function("SGD", fs.readFileSync(path.join(dir, f), "utf8"))(SGD);
const doc = JSON.parse(fs.readFileSync(0, "utf8")), R = SGD.reproduce, run = R.recordedTrace(doc.stories[0]);
process.stdout.write(JSON.stringify({trace: R.traceText(run), command: R.commandOf(doc.reproduce, run, run),
                                     toml: R.tomlOf(doc.reproduce, run, run)}));
"""

RUNS = {
    "article": dict(),
    "momentum": dict(optimizer="momentum", momentum=0.8, lr=0.05, shuffle=True, seed=7, epochs=3, init_a=-0.5,
                     data="synthetic:n=20,noise=0.1,x_min=-1"),
    "adam": dict(optimizer="adam", lr=0.3, weight_decay=0.01, drop_last=False, zero_grad=False, batch_size=4,
                 epochs=4, beta2=0.99, graph_steps=(1, 3), init_b=-2.0),
    "rmsprop": dict(optimizer="rmsprop", alpha=0.9, eps=1e-6, epochs=2, shuffle=True, seed=2**64 - 1, nesterov=False),
    "sgd_zero_momentum": dict(optimizer="momentum", momentum=0.0, nesterov=False, epochs=2, lr=1.0),
}


def page_texts(trace: Trace) -> dict:
    doc = run_document(Story(trace), None, load_theme("light"))
    out = subprocess.run([NODE, "-e", HARNESS, str(PLAYER)], input=json.dumps(doc), capture_output=True,
                         text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def settings_of_command(command: str, cwd: Path) -> TrainConfig:
    """The command as render.py reads it (a heredoc first writes data.csv into ``cwd``)."""
    import shlex

    from scenes.flags import build_parser
    if command.startswith("cat > data.csv <<'EOF'\n"):
        csv, _, command = command[len("cat > data.csv <<'EOF'\n"):].partition("EOF\n")
        (cwd / "data.csv").write_text(csv, encoding="utf-8")
    argv = shlex.split(command)
    assert argv[:2] == ["python", "render.py"]
    args = vars(build_parser().parse_args(argv[2:]))
    return build_job(layers(args, {}), cwd).train


def same_config(settings: TrainConfig, trace: Trace) -> None:
    got, want = settings.to_dict(), dict(trace.config)
    if want["data"]["kind"] == "csv":  # the points are checked instead: a file of the page's points
        assert got["data"]["kind"] == "csv"
        got["data"] = want["data"]
    assert got == want


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    def config(kw: dict) -> TrainConfig:
        kw = dict(kw)
        if "data" in kw:
            kw["data"] = DataSpec.parse(kw["data"])
        return TrainConfig(**kw)

    out = {name: record(config(kw)) for name, kw in RUNS.items()}
    csv = tmp_path_factory.mktemp("csv") / "points.csv"
    csv.write_text("x,y\n0.1,0.3\n0.7,-0.2\n1.3,0.9\n2.5,1.1e-3\n", encoding="utf-8")
    out["csv"] = record(TrainConfig(data=DataSpec.parse(str(csv)), batch_size=1, epochs=2))
    return out


def test_the_table_is_the_settings_tables():
    table = reproduce_table()
    by_name = {s.name: s for s in SETTINGS}
    assert [e["name"] for e in table["settings"]] == [s.name for s in SETTINGS if s.name != "data"]
    for e in table["settings"]:
        s = by_name[e["name"]]
        assert e["flag"] == s.cli_flag and e["default"] == s.default
        if s.kind is bool:  # a bool flag sets the value that is not the default
            assert e["sets"] is (not s.default)
    assert table["momentum_defaults"]["momentum"] == 0.9


@needs_node
@pytest.mark.parametrize("name", [*RUNS, "csv"])
def test_the_pages_trace_command_and_config_are_the_run(traces, name, tmp_path):
    trace = traces[name]
    texts = page_texts(trace)
    back = Trace.from_json(texts["trace"])
    assert json.loads(back.to_json()) == json.loads(trace.to_json())  # every value (an int 0 may read as 0.0)
    np.testing.assert_array_equal(back.steps["a"], trace.steps["a"])
    same_config(settings_of_command(texts["command"], tmp_path), trace)
    (tmp_path / "config.toml").write_text(texts["toml"], encoding="utf-8")
    flat = load_config_file(tmp_path / "config.toml")
    same_config(build_job(layers({}, flat), tmp_path).train, trace)
    if name == "csv":
        from training.data import load_csv
        points = load_csv(tmp_path / "data.csv")
        np.testing.assert_array_equal(points.x, trace.x)
        np.testing.assert_array_equal(points.y, trace.y)
    if name == "article":  # the article's run is the defaults: nothing to say but the command
        assert texts["command"] == "python render.py"
