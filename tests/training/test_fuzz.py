"""Fuzz the readers of user files (issue 6, "Security"): every input either loads or raises
InputError with a one-line message, never any other exception.

Bounded and fast: a few examples per property in the suite (the Hypothesis profile "suite",
tests/conftest.py), no deadline, no torch; tests/training/test_fuzz_thorough.py (slow) runs
them again with many more.
"""
from __future__ import annotations

import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scenes.job import build_job, load_config_file
from tests.helpers import doc_paths, trace_doc
from training.data import DataSpec, Dataset, load_csv, load_data, parse_csv_text
from training.errors import InputError
from training.trace import Trace

# How many examples: the loaded Hypothesis profile's (see tests/conftest.py); FEW for the
# properties that write a file per example.
FUZZ = settings(settings.default)
FEW = settings(settings.default, max_examples=max(1, settings.default.max_examples // 2))
FLOAT32_MAX = 3.4028234663852886e38


def assert_clear(err: InputError) -> None:
    msg = str(err)
    assert msg.strip(), "empty message"
    assert "\n" not in msg and "\r" not in msg, f"not one line: {msg!r}"
    assert len(msg) < 2000, f"a {len(msg)}-character message"


# ------------------------------------------------------------------ a valid trace (tests/helpers.py: trace_doc)
def check_trace_text(text: str) -> Trace | None:
    try:
        trace = Trace.from_json(text, "fuzz.json")
    except InputError as e:
        assert_clear(e)
        return None
    # Whatever loads is a usable trace: it writes back, and reads back equal.
    again = Trace.from_json(trace.to_json(), "again.json")
    assert again == trace
    assert len(trace.x) == len(trace.y) >= 2
    assert all(len(v) == trace.n_steps for v in trace.steps.values())
    return trace


def test_the_hand_built_trace_is_valid():
    assert check_trace_text(json.dumps(trace_doc())) is not None
    assert check_trace_text(json.dumps(trace_doc(diverged=True))) is not None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10 ** 30), max_value=10 ** 30)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12)


# ------------------------------------------------------------------ Trace.from_json
@FUZZ
@given(st.text(max_size=300))
def test_trace_from_arbitrary_text(text):
    check_trace_text(text)


@FUZZ
@given(st.text(alphabet='{}[]",:0123456789.eE+-truefalsn NaIiy', max_size=200))
def test_trace_from_json_like_text(text):
    check_trace_text(text)


@FUZZ
@given(json_values)
def test_trace_from_arbitrary_json_value(value):
    check_trace_text(json.dumps(value))


@st.composite
def mutated_docs(draw):
    doc = trace_doc(n_points=draw(st.integers(2, 6)), n_steps=draw(st.integers(0, 4)), batch=1,
                    diverged=draw(st.booleans()))
    for _ in range(draw(st.integers(1, 3))):
        paths = doc_paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        op = draw(st.sampled_from(["delete", "replace", "wrap", "stringify", "truncate-list", "duplicate"]))
        key = path[-1]
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(json_values)
        elif op == "wrap":
            parent[key] = [parent[key]]
        elif op == "stringify":
            parent[key] = json.dumps(parent[key])
        elif op == "truncate-list" and isinstance(parent[key], list):
            del parent[key][draw(st.integers(0, len(parent[key]))):]
        elif op == "duplicate" and isinstance(parent, list):
            parent.append(parent[key])
    return doc


@FUZZ
@given(mutated_docs())
def test_trace_from_mutated_valid_trace(doc):
    check_trace_text(json.dumps(doc))


@FUZZ
@given(st.data())
def test_trace_truncated_or_with_a_byte_changed(data):
    text = json.dumps(trace_doc(), indent=1)
    cut = data.draw(st.integers(0, len(text)))
    where = data.draw(st.integers(0, len(text) - 1))
    char = data.draw(st.characters())
    for candidate in (text[:cut], text[:where] + char + text[where + 1:], text[:where] + text[where + 1:]):
        check_trace_text(candidate)


@FEW
@given(st.binary(max_size=400))
def test_trace_file_from_arbitrary_bytes(raw):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "t.json"
        path.write_bytes(raw)
        try:
            Trace.from_file(path)
        except InputError as e:
            assert_clear(e)


# ------------------------------------------------------------------ the CSV reader
def check_csv_text(text: str) -> Dataset | None:
    try:
        data = parse_csv_text(text, "fuzz.csv")
    except InputError as e:
        assert_clear(e)
        assert "fuzz.csv" in str(e)
        return None
    assert len(data) >= 2 and len(data.x) == len(data.y)
    assert data.x.dtype == np.float64 and data.y.dtype == np.float64
    assert np.all(np.abs(data.x) <= FLOAT32_MAX) and np.all(np.abs(data.y) <= FLOAT32_MAX)
    assert np.ptp(data.x) > 0
    return data


@FUZZ
@given(st.text(max_size=300))
def test_csv_from_arbitrary_text(text):
    check_csv_text(text)


number_like = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10 ** 40), 10 ** 40).map(str),
    st.sampled_from(["", " ", "x", "y", "nan", "-inf", "1e999", "1_000", "0x10", "1,5", '"2"', "é", "1e-400"]),
    st.text(alphabet="0123456789.-+eE, \"\t\r\n", max_size=6),
)


@FUZZ
@given(st.lists(st.lists(number_like, min_size=0, max_size=3), max_size=8),
       st.sampled_from([",", ";", "\t"]), st.sampled_from(["\n", "\r\n", "\r"]))
def test_csv_from_rows_of_number_like_cells(rows, sep, newline):
    check_csv_text(newline.join(sep.join(row) for row in rows))


@FUZZ
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), min_size=2, max_size=20),
       st.booleans())
def test_csv_of_good_numbers_loads_exactly(points, header):
    assume(len({x for x, _ in points}) > 1)
    text = ("x,y\n" if header else "") + "".join(f"{x!r},{y!r}\n" for x, y in points)
    data = check_csv_text(text)
    assert data is not None
    assert data.x.tolist() == [x for x, _ in points] and data.y.tolist() == [y for _, y in points]


@FEW
@given(st.binary(max_size=400))
def test_csv_file_from_arbitrary_bytes(raw):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "d.csv"
        path.write_bytes(raw)
        try:
            load_csv(path)
        except InputError as e:
            assert_clear(e)


# ------------------------------------------------------------------ --data and config files
@FUZZ
@given(st.one_of(st.text(max_size=60),
                 st.lists(st.tuples(st.sampled_from(["n", "slope", "intercept", "noise", "outliers", "seed",
                                                     "x_min", "x_max", "bogus"]),
                                    number_like), max_size=4)
                 .map(lambda kv: "synthetic:" + ",".join(f"{k}={v}" for k, v in kv))))
def test_data_flag_parses_or_is_refused(text):
    try:
        spec = DataSpec.parse(text)
        if spec.kind == "synthetic":
            spec = DataSpec(**{**spec.__dict__, "n": min(spec.n, 5000)})  # keep it fast
            data = load_data(spec)
            assert np.all(np.isfinite(data.x)) and np.all(np.isfinite(data.y))
    except InputError as e:
        assert_clear(e)


toml_scalars = st.one_of(
    st.booleans(), st.integers(-(2 ** 63), 2 ** 63 - 1), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(["sgd", "adam", "momentum", "mp4,gif", "1280x720", "dark", "light", "article",
                     "synthetic", "slides", "fit,loss", "low", "manim", "nope.csv"]),
)
toml_values = st.one_of(toml_scalars, st.lists(toml_scalars, max_size=3))
SECTION_KEYS = {
    "data": ["source", "n", "seed", "noise", "slope", "x_min", "x_max", "outliers", "bogus"],
    "training": ["lr", "batch_size", "epochs", "optimizer", "momentum", "nesterov", "beta1", "eps",
                 "seed", "init_a", "drop_last", "shuffle", "weight_decay", "bogus"],
    "render": ["formats", "size", "fps", "theme", "views", "backend", "scene", "quality", "duration",
               "detail_steps", "max_gif_mb", "stem", "preset", "out", "bogus"],
    "bogus": ["x"],
}


@FUZZ
@given(st.dictionaries(st.sampled_from(sorted(SECTION_KEYS)),
                       st.one_of(toml_scalars,
                                 st.dictionaries(st.sampled_from(sorted({k for v in SECTION_KEYS.values() for k in v})),
                                                 toml_values, max_size=4)),
                       max_size=3))
def test_config_file_loads_or_is_refused(doc):
    try:
        text = tomli_w.dumps(doc)
    except (TypeError, ValueError):
        return
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "run.toml"
        path.write_text(text, encoding="utf-8")
        try:
            layer = load_config_file(path)
            layer.pop("preset", None)
            job = build_job([layer], Path(d))
        except InputError as e:
            assert_clear(e)
            return
    assert job.train.lr > 0 and math.isfinite(job.train.lr)
    assert job.render.size[0] % 2 == 0 and job.render.size[1] % 2 == 0


@FEW
@given(st.text(max_size=200))
def test_config_file_from_arbitrary_text(text):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "run.toml"
        path.write_text(text, encoding="utf-8")
        try:
            build_job([load_config_file(path)], Path(d))
        except InputError as e:
            assert_clear(e)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
