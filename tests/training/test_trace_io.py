"""The trace file: exact JSON round trips, atomic writes, and refusal of corrupt files."""
from __future__ import annotations

import json
import math
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from training.config import TrainConfig
from training.errors import InputError
from training.recorder import record
from training.trace import SCHEMA_VERSION, Trace


@pytest.fixture(scope="module")
def trace() -> Trace:
    return record(TrainConfig(epochs=5))


@pytest.fixture(scope="module")
def momentum_trace() -> Trace:
    return record(TrainConfig(optimizer="momentum", epochs=5, shuffle=True, seed=4))


@pytest.fixture(scope="module")
def text(trace) -> str:
    return trace.to_json()


# --------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("which", ["trace", "momentum_trace"])
def test_json_round_trip_is_exact(which, request):
    tr = request.getfixturevalue(which)
    s1 = tr.to_json()
    back = Trace.from_json(s1)
    assert back.to_json() == s1
    assert back == tr
    assert back.n_steps == tr.n_steps
    assert back.final_a == tr.final_a and back.final_b == tr.final_b
    for col, values in tr.steps.items():
        if isinstance(values, np.ndarray):
            assert np.array_equal(back.steps[col], values), col   # bit-exact floats
            assert back.steps[col].dtype == values.dtype, col
        else:
            assert back.steps[col] == values, col
    assert np.array_equal(back.x, tr.x) and np.array_equal(back.y, tr.y)
    assert back.config == json.loads(s1)["config"]
    assert back.status == tr.status


def test_json_is_the_documented_shape(text, trace):
    doc = json.loads(text)
    assert doc["schema_version"] == SCHEMA_VERSION
    assert {"config", "versions", "status", "final", "data", "steps"} <= set(doc)
    assert doc["status"] == {"state": "completed"}
    assert doc["n_steps"] == trace.n_steps == 15
    for col in ("epoch", "batch", "indices", "a", "b", "pred", "residual", "loss", "full_loss",
                "grad_a", "grad_b", "update_a", "update_b"):
        assert len(doc["steps"][col]) == 15, col
    for key in ("lr", "batch_size", "epochs", "optimizer", "shuffle", "seed", "init_a", "init_b",
                "drop_last", "data", "momentum"):
        assert key in doc["config"], key
    assert {"torch", "numpy", "python"} <= set(doc["versions"])
    # Column-wise and readable: one line per step column.
    assert re.search(r'^    "loss": \[[^\n]*\],?$', text, re.M)


def test_file_round_trip_and_atomic_write(tmp_path, trace, text):
    path = tmp_path / "sub" / "trace.json"
    assert trace.to_file(path) == path
    assert path.read_text(encoding="utf-8") == text
    assert Trace.from_file(path).to_json() == text
    assert sorted(p.name for p in path.parent.iterdir()) == ["trace.json"]   # no .part left
    # Overwriting an existing file also leaves nothing behind.
    trace.to_file(path)
    assert sorted(p.name for p in path.parent.iterdir()) == ["trace.json"]


def test_failed_write_leaves_old_file_and_no_part(tmp_path, trace, text, monkeypatch):
    path = tmp_path / "trace.json"
    path.write_text("old contents", encoding="utf-8")

    real_parts = Trace.json_parts

    def boom(self):  # the text is written a piece at a time: fail after some pieces went out
        parts = real_parts(self)
        yield next(parts)
        yield next(parts)
        raise RuntimeError("disk full")

    monkeypatch.setattr(Trace, "json_parts", boom)
    with pytest.raises(RuntimeError):
        trace.to_file(path)
    assert path.read_text(encoding="utf-8") == "old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["trace.json"]


def test_serialised_floats_are_exact(trace):
    # float32 values widened to float64 must survive as the same float64.
    doc = json.loads(trace.to_json())
    assert doc["steps"]["a"] == trace.steps["a"].tolist()
    assert doc["final"] == {"a": trace.final_a, "b": trace.final_b}


# --------------------------------------------------------------------------- divergence
def test_diverged_run_is_recorded_up_to_the_bad_step(tmp_path, one_line):
    tr = record(TrainConfig(lr=10.0))
    assert tr.status.state == "diverged" and tr.status.diverged
    k = tr.status.step
    assert isinstance(k, int) and 0 < k < 300
    assert tr.n_steps == k
    for col, values in tr.steps.items():
        assert len(values) == k, col
        if isinstance(values, np.ndarray):
            assert np.all(np.isfinite(values)), col
        else:
            assert all(math.isfinite(v) for row in values for v in row), col
    assert math.isfinite(tr.final_a) and math.isfinite(tr.final_b)
    assert tr.status.reason and "\n" not in tr.status.reason
    s1 = tr.to_json()
    assert json.loads(s1)["status"] == {"state": "diverged", "step": k, "reason": tr.status.reason}
    back = Trace.from_file(tr.to_file(tmp_path / "diverged.json"))
    assert back.to_json() == s1
    assert back.status == tr.status
    # A diverged trace must name the step it stopped at.
    doc = json.loads(s1)
    doc["status"]["step"] = k + 1
    with pytest.raises(InputError) as e:
        Trace.from_json(json.dumps(doc))
    one_line(e.value, "diverged")


# --------------------------------------------------------------------------- corrupt traces
def _mutated(text: str, mutate) -> str:
    doc = json.loads(text)
    mutate(doc)
    return json.dumps(doc)


def _set(path: str, value):
    """A mutation that sets doc[k1][k2]...[kn] (keys separated by '/', list indices as ints)."""
    keys = [int(k) if k.lstrip("-").isdigit() else k for k in path.split("/")]

    def mutate(doc):
        node = doc
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return mutate


def _delete(path: str):
    keys = path.split("/")

    def mutate(doc):
        node = doc
        for k in keys[:-1]:
            node = node[k]
        del node[keys[-1]]
    return mutate


CORRUPTIONS = {
    # schema
    "schema-2": _set("schema_version", 2),
    "schema-string": _set("schema_version", "1"),
    "schema-missing": _delete("schema_version"),
    "schema-null": _set("schema_version", None),
    # missing or malformed sections
    "no-config": _delete("config"),
    "no-data": _delete("data"),
    "no-steps": _delete("steps"),
    "no-final": _delete("final"),
    "no-status": _delete("status"),
    "steps-is-list": _set("steps", []),
    "no-column-grad_b": _delete("steps/grad_b"),
    "no-column-indices": _delete("steps/indices"),
    "no-data-x": _delete("data/x"),
    # different lengths
    "short-a": lambda d: d["steps"]["a"].pop(),
    "long-loss": lambda d: d["steps"]["loss"].append(0.5),
    "short-indices": lambda d: d["steps"]["indices"].pop(),
    "short-epoch": lambda d: d["steps"]["epoch"].pop(0),
    "x-longer-than-y": lambda d: d["data"]["x"].append(1.4),
    "pred-row-short": lambda d: d["steps"]["pred"][3].pop(),
    "empty-batch": lambda d: [d["steps"][c].__setitem__(2, []) for c in ("indices", "pred", "residual")],
    # wrong types
    "string-first-loss": _set("steps/loss/0", "0.5"),
    "string-middle-loss": _set("steps/loss/7", "0.5"),
    "string-last-a": _set("steps/a/-1", "1.0"),
    "bool-middle-grad": _set("steps/grad_a/4", True),
    "bool-first-b": _set("steps/b/0", False),
    "null-in-floats": _set("steps/update_a/3", None),
    "list-in-floats": _set("steps/full_loss/3", [1.0]),
    "string-in-x": _set("data/x/3", "0.8"),
    "bool-in-y": _set("data/y/2", True),
    "bool-in-epoch": _set("steps/epoch/5", True),
    "float-in-batch": _set("steps/batch/5", 1.5),
    "whole-float-in-epoch": _set("steps/epoch/5", 1.0),
    "string-in-epoch": _set("steps/epoch/5", "1"),
    "string-in-pred": _set("steps/pred/4/1", "0.3"),
    "bool-in-residual": _set("steps/residual/4/0", True),
    "float-index": _set("steps/indices/4/0", 4.0),
    "bool-index": _set("steps/indices/4/0", True),
    "column-is-string": _set("steps/grad_b", "oops"),
    "ragged-row-is-number": _set("steps/pred/2", 0.5),
    "final-a-string": _set("final/a", "0.5"),
    "final-b-missing": _delete("final/b"),
    "final-a-bool": _set("final/a", True),
    "huge-int-in-floats": _set("steps/loss/3", 10 ** 400),
    "huge-int-final": _set("final/a", 10 ** 400),
    "huge-int-in-pred": _set("steps/pred/3/0", 10 ** 400),
    "huge-int-in-epoch": _set("steps/epoch/3", 10 ** 400),
    # indices outside the data
    "index-too-large": _set("steps/indices/4/1", 6),
    "index-negative": _set("steps/indices/0/0", -1),
    "index-huge": _set("steps/indices/0/0", 10 ** 30),
    # status
    "status-unknown": _set("status/state", "running"),
    "diverged-without-step": _set("status", {"state": "diverged"}),
    "top-level-list": lambda d: d.clear(),
    "too-few-points": lambda d: (d["data"].__setitem__("x", [0.2]), d["data"].__setitem__("y", [0.18])),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corrupt_trace_is_refused_in_one_line(name, text, one_line):
    corrupt = _mutated(text, CORRUPTIONS[name])
    with pytest.raises(InputError) as e:
        Trace.from_json(corrupt, "bad.json")
    one_line(e.value, "bad.json")


def test_top_level_not_an_object(one_line):
    for doc in ("[]", "3", '"trace"', "null"):
        with pytest.raises(InputError) as e:
            Trace.from_json(doc, "t.json")
        one_line(e.value, "t.json")


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
@pytest.mark.parametrize("where", ["steps/loss", "steps/a", "data/x", "final", "steps/pred"])
def test_non_finite_numbers_are_refused(token, where, text, one_line):
    doc = json.loads(text)
    placeholder = 123456.789
    section, key = where.split("/") if "/" in where else (where, "a")
    if key == "pred":
        doc[section][key][2][0] = placeholder
    elif isinstance(doc[section][key], list):
        doc[section][key][2] = placeholder
    else:
        doc[section][key] = placeholder
    corrupt = json.dumps(doc).replace("123456.789", token)
    assert token in corrupt
    with pytest.raises(InputError) as e:
        Trace.from_json(corrupt, "nan.json")
    one_line(e.value, "nan.json")


@pytest.mark.parametrize("cut", [1, 10, 0.25, 0.5, 0.9, -2])
def test_truncated_json_is_refused(cut, text, one_line):
    end = cut if isinstance(cut, int) and cut > 0 else int(len(text) * cut) if cut > 0 else len(text) + cut
    with pytest.raises(InputError) as e:
        Trace.from_json(text[:end], "cut.json")
    one_line(e.value, "cut.json")


@pytest.mark.parametrize("garbage", ["", "   ", "not json", "schema_version: 1", "{'a': 1}",
                                     "<html></html>", "{" * 100_000, "[" * 100_000])
def test_not_json_is_refused(garbage, one_line):
    with pytest.raises(InputError) as e:
        Trace.from_json(garbage, "g.json")
    one_line(e.value, "g.json")


class _Evil:
    """Unpickling this creates a marker file: proof that the loader ran a pickle."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_pickle_and_binary_files_are_refused(tmp_path, protocol, one_line):
    marker = tmp_path / "pickle-was-executed"
    path = tmp_path / "trace.pkl"
    path.write_bytes(pickle.dumps({"schema_version": 1, "evil": _Evil(marker)}, protocol=protocol))
    pickle.loads(path.read_bytes())  # the payload works ...
    assert marker.exists()
    marker.unlink()
    with pytest.raises(InputError) as e:  # ... and the loader refuses it without running it
        Trace.from_file(path)
    one_line(e.value, str(path))
    assert not marker.exists()


def test_binary_and_odd_files_are_refused(tmp_path, one_line):
    cases = {
        "zeros.json": b"\x00" * 100,
        "random.json": bytes(range(256)) * 4,
        "latin1.json": '{"schema_version": 1, "name": "caf\xe9"}'.encode("latin-1"),
        "empty.json": b"",
        "gzip.json": b"\x1f\x8b\x08\x00" + b"\x00" * 20,
    }
    for name, raw in cases.items():
        path = tmp_path / name
        path.write_bytes(raw)
        with pytest.raises(InputError) as e:
            Trace.from_file(path)
        one_line(e.value, str(path))
    with pytest.raises(InputError) as e:
        Trace.from_file(tmp_path / "missing.json")
    one_line(e.value, "missing.json")
    with pytest.raises(InputError) as e:
        Trace.from_file(tmp_path)
    one_line(e.value, str(tmp_path))


def test_truncated_file_is_refused(tmp_path, trace, one_line):
    path = trace.to_file(tmp_path / "t.json")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(InputError) as e:
        Trace.from_file(path)
    one_line(e.value, str(path))


def test_unmodified_text_is_accepted(text):
    """The corruption tests start from a valid trace: without a mutation it loads."""
    assert Trace.from_json(_mutated(text, lambda d: None)).to_json() == text


def test_repr_is_one_short_line_a_notebook_can_show(trace):
    # A cell ending in `trace` (docs/usage.md) printed every column before: tens of kB.
    text = repr(trace)
    assert "\n" not in text and len(text) < 200
    assert text.startswith("<Trace: line, 15 steps, completed; final a = ")
    assert f"a = {trace.final_a:.4g}" in text and f"b = {trace.final_b:.4g}" in text and "6 points" in text
