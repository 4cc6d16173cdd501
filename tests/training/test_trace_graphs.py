"""``graphs`` in the trace (issue 22): round trips through trace.json and the binary trace,
traces without graphs written as before, refusal of malformed entries, and the settings that
choose the steps (--graph-steps, the detailed steps, --no-zero-grad) with their bad input."""
from __future__ import annotations

import copy
import io
import json

import pytest

from scenes.compare.spec import parse_compare_flag
from scenes.job import build_job, job_to_toml, load_config_file
from scenes.pipeline import graph_steps, obtain_trace
from scenes.story.plan import PlanSettings
from training import cache
from training.config import TrainConfig
from training.data import load_data
from training.errors import InputError
from training.recorder import record
from training.trace import Trace
from training.tracegraphs import MAX_GRAPHS

from tests.helpers import run_main


@pytest.fixture(scope="module")
def trace() -> Trace:
    return record(TrainConfig(epochs=4, graph_steps=(1, 5, 12)))


# ------------------------------------------------------------------ round trips
def test_json_round_trip_keeps_graphs(trace, tmp_path):
    assert [g["step"] for g in trace.graphs] == [0, 4, 11]
    text = trace.to_json()
    assert json.loads(text)["graphs"] == json.loads(json.dumps(trace.graphs))
    back = Trace.from_json(text)
    assert back.graphs == trace.graphs and back.to_json() == text
    path = trace.to_file(tmp_path / "trace.json")
    assert Trace.from_file(path).graphs == trace.graphs
    assert back.settings.graph_steps == (1, 5, 12)


def test_binary_round_trip_keeps_graphs(trace, tmp_path):
    back = Trace.from_file(trace.to_file(tmp_path / "t.sgdtrace"))
    assert back.graphs == trace.graphs and back.to_json() == trace.to_json()
    # key order is the documented one whichever file it came from (the binary header sorts keys)
    assert list(back.graphs[0]) == ["step", "grouped", "nodes", "edges", "edge_grads"]
    assert list(back.graphs[0]["nodes"][2]) == ["id", "op", "label", "value", "grad", "param"]


def test_a_trace_without_graphs_is_written_as_before():
    plain = record(TrainConfig(epochs=2))
    text = plain.to_json()
    assert '"graphs"' not in text and text.endswith("]\n  }\n}\n")
    buf = io.BytesIO()
    plain.write_binary(buf)
    assert b'"graphs"' not in buf.getvalue()
    # the config as stored before zero_grad and graph_steps existed, and the same cache key
    assert set(json.loads(text)["config"]) == {"data", "lr", "batch_size", "epochs", "optimizer", "momentum",
                                               "nesterov", "beta1", "beta2", "eps", "alpha", "weight_decay",
                                               "shuffle", "seed", "init_a", "init_b", "drop_last"}
    data = load_data(plain.settings.data)
    assert cache.cache_key(plain.settings, data) == cache.cache_key(plain.settings, data, ())
    assert cache.cache_key(plain.settings, data, (0,)) != cache.cache_key(plain.settings, data, (1,))


# ------------------------------------------------------------------ malformed entries
BAD = {
    "unknown-node-in-edge": (lambda g: g[0]["edges"].append([1, 9]), ["graphs[0] (step 0)", "edge 6", "node 9"]),
    "negative-node-in-edge": (lambda g: g[0]["edges"].__setitem__(0, [-1, 0]), ["edge 0", "node -1"]),
    "edge-not-a-pair": (lambda g: g[0]["edges"].__setitem__(0, [1, 0, 2]), ["edge 0", "pair"]),
    "edge-into-input": (lambda g: g[0]["edges"].__setitem__(0, [1, 5]), ["edge 0", "input or target"]),
    "self-edge": (lambda g: g[0]["edges"].__setitem__(0, [1, 1]), ["edge 0", "itself"]),
    "edge-grads-short": (lambda g: g[0]["edge_grads"].pop(), ["edge_grads", "as long as edges"]),
    "step-out-of-range": (lambda g: g[2].__setitem__("step", 99), ["graphs[2]", "step 99"]),
    "step-not-a-number": (lambda g: g[0].__setitem__("step", "1"), ["graphs[0]", "step '1'"]),
    "steps-out-of-order": (lambda g: g.reverse(), ["graphs[1]", "ordered by step"]),
    "node-id-wrong": (lambda g: g[1]["nodes"][3].__setitem__("id", 7), ["(step 4) node 3", "id 7"]),
    "unknown-node-key": (lambda g: g[0]["nodes"][0].__setitem__("colour", "red"), ["node 0", "'colour'"]),
    "missing-nodes": (lambda g: g[0].pop("nodes"), ["graphs[0]", "lacks nodes"]),
    "value-too-long": (lambda g: g[0]["nodes"][1].__setitem__("value", [1.0] * 17), ["node 1 value", "16"]),
    "value-a-string": (lambda g: g[0]["nodes"][1].__setitem__("grad", "big"), ["node 1 grad"]),
    "bad-summary": (lambda g: g[0]["nodes"][1].__setitem__("value", {"shape": [3], "head": []}), ["summary"]),
    "op-empty": (lambda g: g[0]["nodes"][1].__setitem__("op", ""), ["node 1 op"]),
    "grouped-not-bool": (lambda g: g[0].__setitem__("grouped", "no"), ["grouped"]),
    "leaf-not-last": (lambda g: g[0]["nodes"][3].__setitem__("op", "input"), ["come after"]),
    "not-a-list": (lambda g: {"step": 0}, ['"graphs" must be a list']),
    "too-many": (lambda g: g * (MAX_GRAPHS // 3 + 1), [f"at most {MAX_GRAPHS}"]),
}


def _bad_doc(trace, case):
    doc = json.loads(trace.to_json())
    result = BAD[case][0](doc["graphs"])
    if case in ("not-a-list", "too-many"):
        doc["graphs"] = result
    return doc


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_malformed_graphs_entry_is_refused_in_one_line(trace, case):
    doc = _bad_doc(trace, case)
    with pytest.raises(InputError) as e:
        Trace.from_json(json.dumps(doc), "hand.json")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("trace file hand.json: ")
    for words in BAD[case][1]:
        assert words in msg, (words, msg)


def test_the_binary_trace_checks_graphs_the_same_way(trace, tmp_path):
    bad = copy.deepcopy(trace)
    bad.graphs[0]["edges"].append([1, 9])
    path = bad.to_file(tmp_path / "bad-graphs.sgdtrace")
    with pytest.raises(InputError, match=r"graphs\[0\] \(step 0\): edge 6 \[1, 9\] names node 9"):
        Trace.from_file(path)


def test_a_hand_edited_trace_is_refused_at_the_command_line(trace, tmp_path, capsys):
    path = tmp_path / "hand.json"
    path.write_text(json.dumps(_bad_doc(trace, "unknown-node-in-edge")), encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, err = run_main(capsys, "--trace", path, "--out", out, "--format", "png")
    assert code == 2 and stdout == "" and len(err.splitlines()) == 1 and "names node 9" in err
    assert not out.exists()


# ------------------------------------------------------------------ which steps
def test_the_detailed_steps_and_graph_steps_get_graphs():
    cfg = TrainConfig(graph_steps=(1, 150, 300))
    assert graph_steps(cfg, 6, PlanSettings()) == (0, 1, 2, 149, 299)      # the first epoch's 3 steps
    assert graph_steps(cfg, 6, PlanSettings(detail_steps=0)) == (0, 149, 299)
    assert graph_steps(TrainConfig(), 6, PlanSettings(detail_steps=5)) == (0, 1, 2, 3, 4)
    assert graph_steps(TrainConfig(), 6, None) == ()
    assert graph_steps(TrainConfig(epochs=1, batch_size=6), 6, PlanSettings()) == (0,)
    assert len(graph_steps(TrainConfig(), 6, PlanSettings(detail_steps=10 ** 6))) == 50


def test_obtain_trace_records_them_and_caches_them_apart():
    cfg = TrainConfig(epochs=2, graph_steps=(5,))
    with_detail = obtain_trace(cfg, plan=PlanSettings(detail_steps=2))
    assert [g["step"] for g in with_detail.graphs] == [0, 1, 4]
    alone = obtain_trace(cfg)  # another key: recorded, not the entry above
    assert [g["step"] for g in alone.graphs] == [4]
    assert obtain_trace(cfg, plan=PlanSettings(detail_steps=2)) == with_detail  # from the cache, graphs kept


def test_settings_from_toml_and_back(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[training]\ngraph_steps = [300, 1, 150]\nzero_grad = false\n", encoding="utf-8")
    job = build_job([load_config_file(path)])
    assert job.train.graph_steps == (1, 150, 300) and job.train.zero_grad is False
    text = job_to_toml(job)
    assert "graph_steps = [\n    1,\n    150,\n    300,\n]" in text or "graph_steps = [1, 150, 300]" in text
    assert "zero_grad = false" in text
    assert "graph_steps" not in job_to_toml(build_job([{}]))  # none asked for: not written


def test_compare_varies_zero_grad():
    axis = parse_compare_flag("zero_grad=true,false")
    assert axis.key == "zero_grad" and axis.values == (True, False)


REFUSED = {
    "zero": (["--graph-steps", "0"], ">= 1, got 0"),
    "past-the-end": (["--graph-steps", "1,301"], "step 301 is past the run's last step (300"),
    "not-numbers": (["--graph-steps", "1,two"], "whole numbers separated by commas"),
    "too-many": (["--graph-steps", ",".join(map(str, range(1, 52)))], "at most 50"),
    "with-trace": (["--graph-steps", "2", "--trace", "TRACE"], "--graph-steps"),
    "no-zero-grad-with-trace": (["--no-zero-grad", "--trace", "TRACE"], "--no-zero-grad"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_graph_settings_are_refused(case, trace, tmp_path, capsys):
    argv, words = REFUSED[case]
    path = trace.to_file(tmp_path / "given.json")
    out = tmp_path / "out"
    code, stdout, err = run_main(capsys, "--record-only", "--out", out, *[path if a == "TRACE" else a for a in argv])
    assert code == 2 and stdout == "" and "Traceback" not in err, err
    assert len(err.splitlines()) == 1 and words in err, err
    assert not out.exists()
