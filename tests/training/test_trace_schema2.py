"""The schema-2 trace (issue 23): any model's parameter vector, written and read as JSON (whole
and streamed) and binary; its bad input refused in one line; its memory per step; and the
line's trace unchanged, byte for byte."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import ROOT
from training import record
from training.data import Dataset
from training.errors import InputError
from training.trace import Trace

XS = np.linspace(-1, 2, 12)
POLY = Dataset(XS, 0.3 - XS + 0.5 * XS**2, "t")


@pytest.fixture(scope="module")
def traces() -> dict[str, Trace]:
    return {"poly": record(None, POLY, model="poly", degree=2, lr=0.05, batch_size=5, epochs=4, drop_last=False),
            "mlp": record(None, POLY, model="mlp", hidden=3, optimizer="adam", epochs=3, batch_size=4, graph_steps=(2,)),
            "logistic": record(None, Dataset(XS, (XS > 0.4).astype(float), "t"), model="logistic", optimizer="momentum",
                               epochs=3, batch_size=4)}


def _binary(trace: Trace, tmp_path: Path) -> Path:
    path = tmp_path / "t.sgdtrace"
    trace.to_file(path)
    return path


@pytest.mark.parametrize("kind", ["poly", "mlp", "logistic"])
def test_json_whole_streamed_and_binary_give_the_same_trace(traces, kind, tmp_path):
    trace = traces[kind]
    text = trace.to_json()
    (tmp_path / "trace.json").write_text(text)
    whole = Trace.from_dict(json.loads(text))
    streamed = Trace.from_file(tmp_path / "trace.json")
    binary = Trace.from_file(_binary(trace, tmp_path))
    for other in (whole, streamed, binary):
        assert other == trace and other.to_json() == text
        assert other.param_names == trace.param_names and other.schema_version == 2
        for col in ("params", "grads", "updates"):
            arr = other.steps[col]
            assert isinstance(arr, np.ndarray) and arr.dtype == np.float64 and arr.shape == (trace.n_steps, len(trace.param_names))
            assert np.array_equal(arr, trace.steps[col])
        assert np.array_equal(other.final_params, trace.final_params)
    assert (trace.velocity is None) == (kind == "poly")


def test_the_json_layout(traces):
    doc = json.loads(traces["mlp"].to_json())
    assert list(doc)[:7] == ["schema_version", "config", "versions", "status", "param_names", "final", "n_steps"]
    assert doc["schema_version"] == 2 and doc["config"]["model"] == {"kind": "mlp", "hidden": 3, "activation": "tanh"}
    assert set(doc["steps"]) == {"epoch", "batch", "loss", "full_loss", "params", "grads", "updates", "velocity",
                                 "indices", "pred", "residual"}
    assert len(doc["steps"]["params"][0]) == 10 and len(doc["final"]["params"]) == 10 and set(doc["final"]) == {"params"}
    assert doc["graphs"][0]["step"] == 1
    text = traces["poly"].to_json()
    assert '"param_names": ["c0", "c1", "c2"],\n' in text and '"params": [[0.0, 0.0, 0.0], [' in text


def test_the_vector_view_is_the_same_for_the_lines_schema_1():
    line = record(epochs=2)
    assert line.schema_version == 1 and line.param_names == ("a", "b")
    assert np.array_equal(line.params[:, 0], line.steps["a"]) and np.array_equal(line.grads[:, 1], line.steps["grad_b"])
    assert np.array_equal(line.final_params, [line.final_a, line.final_b])
    assert np.allclose(line.loss_at(line.params), line.full_loss_at(line.steps["a"], line.steps["b"]))


def test_parameter_columns_cost_at_most_24_bytes_per_parameter_a_step(traces):
    """Parameters, gradients and the optimizer's state in float32 (the model's own numbers,
    exactly), the updates in float32 when exact, else float64: at most 24·P bytes a step,
    velocity included; every reader still gets float64 (the same numbers)."""
    for trace in traces.values():
        P, n = len(trace.param_names), trace.n_steps
        cols = [c for c in ("params", "grads", "updates", "velocity") if c in trace.steps]
        assert sum(trace.steps[c].nbytes for c in cols) <= 24 * P * n
        assert all(trace.steps[c].dtype == np.float32 for c in ("params", "grads"))
        for c in cols:
            assert getattr(trace, c).dtype == np.float64
        exact = np.diff(np.vstack([trace.params, trace.final_params[None, :]]), axis=0)
        assert np.array_equal(trace.updates, exact)  # after minus before, in float64


# ------------------------------------------------------------------ bad input
def _doc(trace: Trace) -> dict:
    return json.loads(trace.to_json())


def _refused(doc: dict, *words: str) -> str:
    with pytest.raises(InputError) as e:
        Trace.from_json(json.dumps(doc), "bad.json")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("trace file bad.json: ")
    for w in words:
        assert w in msg, msg
    return msg


def test_ragged_parameter_rows_are_refused(traces):
    doc = _doc(traces["poly"])
    doc["steps"]["grads"][3] = doc["steps"]["grads"][3][:2]
    _refused(doc, "steps.grads: step 3 holds 2 numbers; param_names names 3 parameters")


def test_rows_that_do_not_match_the_names_are_refused(traces):
    doc = _doc(traces["poly"])
    for col in ("params", "grads", "updates"):
        doc["steps"][col] = [row + [0.0] for row in doc["steps"][col]]
    _refused(doc, "steps.params: step 0 holds 4 numbers; param_names names 3")


def test_names_that_do_not_match_the_model_are_refused(traces):
    doc = _doc(traces["poly"])
    doc["param_names"] = ["c0", "c1", "c2", "c3"]
    _refused(doc, "step 0 holds 3 numbers; param_names names 4")
    doc = _doc(traces["poly"])
    doc["param_names"] = ["a", "b", "c"]
    _refused(doc, "param_names do not match config.model poly (degree 2): expected c0, c1, c2")
    doc = _doc(traces["poly"])
    doc["config"]["model"]["degree"] = 3
    _refused(doc, "param_names lists 3 parameters; config.model poly (degree 3) has 4")


@pytest.mark.parametrize("change, words", [
    (lambda d: d.pop("param_names"), "param_names must be a non-empty list"),
    (lambda d: d.__setitem__("param_names", ["c0", "c0", "c2"]), "param_names names 'c0' twice"),
    (lambda d: d.__setitem__("param_names", ["x"] * 0 + [f"p{i}" for i in range(300)]), "lists 300 parameters; the largest model has 193"),
    (lambda d: d["final"].__setitem__("params", [1.0, 2.0]), '"final" must hold "params", a list of 3 finite numbers'),
    (lambda d: d["config"].pop("model"), 'a schema-2 trace needs "config.model"'),
    (lambda d: d["config"].__setitem__("model", {"kind": "poly", "hidden": 3}), "config.model: hidden does not apply to poly"),
    (lambda d: d["config"].__setitem__("model", {"kind": "quadratic"}), "config.model.kind must be one of line, poly"),
    (lambda d: d["steps"]["params"].__setitem__(1, [1.0, "x", 2.0]), "steps.params must hold one list of numbers per step"),
    (lambda d: d["steps"]["updates"].pop(), "step columns have different lengths"),
    (lambda d: d.__setitem__("schema_version", 3), "schema_version 3 is not supported; this sgd-anim reads versions 1 and 2"),
])
def test_bad_schema_2_documents_are_refused_in_one_line(traces, change, words):
    doc = _doc(traces["poly"])
    change(doc)
    _refused(doc, words)


def test_a_schema_1_trace_naming_another_model_is_refused():
    doc = json.loads(record(epochs=1).to_json())
    doc["config"]["model"] = {"kind": "poly", "degree": 2}
    _refused(doc, "config.model is poly, but a schema-1 trace holds the line")


def test_a_binary_trace_with_a_short_parameter_column_is_refused(traces, tmp_path):
    trace = traces["poly"]
    bad = Trace(config=trace.config, versions=trace.versions, x=trace.x, y=trace.y,
                steps={**trace.steps, "grads": trace.steps["grads"][:, :2]}, param_names=trace.param_names,
                final_params=trace.final_params)
    buf = io.BytesIO()
    bad.write_binary(buf)  # the writer does not check; the reader does
    path = tmp_path / "bad.sgdtrace"
    path.write_bytes(buf.getvalue())
    with pytest.raises(InputError, match="holds .* values, not .* like the others of its kind"):
        Trace.from_file(path)


def test_the_streamed_reader_caps_a_parameter_column():
    from training.tracevalidate import step_column
    column = step_column("params")
    assert column.value_limit == 15 * 10_000_000 // 4 and column.limit == 10_000_000


# ------------------------------------------------------------------ no torch, the line unchanged
@pytest.mark.slow
@pytest.mark.subprocess
def test_loading_a_schema_2_trace_imports_no_torch(traces, tmp_path):
    traces["mlp"].to_file(tmp_path / "trace.json")
    traces["mlp"].to_file(tmp_path / "trace.sgdtrace")
    code = ("import sys; from training.trace import Trace\n"
            f"for p in ({str(tmp_path / 'trace.json')!r}, {str(tmp_path / 'trace.sgdtrace')!r}):\n"
            "    t = Trace.from_file(p); t.loss_at(t.params); t.model.predict(t.final_params, t.x)\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# A developer's check against another checkout (e.g. the commit before a change to the
# recorder): SGD_ANIM_BASELINE=/path/to/checkout. The suite never depends on a folder outside
# the repository, so without it the test is skipped.
BASELINE = Path(os.environ.get("SGD_ANIM_BASELINE", "/nonexistent-baseline"))
LINE_RUNS = """
import hashlib, io, sys
from training import record
cases = [dict(epochs=20), dict(optimizer="momentum", lr=0.05, epochs=10), dict(optimizer="adam", shuffle=True, seed=3, epochs=5),
         dict(data="synthetic:n=50,noise=0.2", batch_size=7, drop_last=False, epochs=2, zero_grad=False),
         dict(optimizer="rmsprop", momentum=0.5, weight_decay=0.01, epochs=3, graph_steps=(1, 4)), dict(lr=5.0, epochs=50)]
for c in cases:
    t = record(**c)
    b = io.BytesIO(); t.write_binary(b)
    print(hashlib.sha256(t.to_json().encode()).hexdigest(), hashlib.sha256(b.getvalue()).hexdigest())
"""


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.skipif(not (BASELINE / "training" / "recorder.py").exists(), reason="set SGD_ANIM_BASELINE to a checkout to compare with")
def test_the_lines_trace_is_byte_identical_to_the_baseline_checkout():
    """The line's JSON and binary traces, several settings, against the checkout before models
    (SGD_ANIM_BASELINE): the same bytes."""
    def run(root: Path) -> str:
        out = subprocess.run([sys.executable, "-c", LINE_RUNS], cwd=root, capture_output=True, text=True, timeout=300,
                             env={**os.environ, "PYTHONPATH": str(root)})
        assert out.returncode == 0, out.stderr
        return out.stdout
    assert run(ROOT) == run(BASELINE)
