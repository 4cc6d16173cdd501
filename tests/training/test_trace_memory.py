"""Memory that does not grow with history (issue 13, part 2).

- The per-sample columns are a Ragged (flat arrays + offsets) that reads like a list of lists.
- Recording holds compact arrays: memory per step is a few numbers' worth, not 1.5 KB.
- trace.json is written and parsed a chunk at a time: the text is byte for byte what it was,
  and whatever the chunking, the parse gives what json.loads + validation gives.
- The binary trace (*.sgdtrace) round-trips exactly and refuses anything it does not know.
- Every allowed length is bounded: the step and sample caps hold for recording and loading.
"""
from __future__ import annotations

import io
import json
import struct
import tracemalloc
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import doc_paths, synthetic_trace
from training import trace as trace_module
from training import tracebin, tracedump, tracejson, tracevalidate
from training.config import MAX_SAMPLES, MAX_STEPS, TrainConfig
from training.data import DataSpec
from training.errors import InputError
from training.ragged import Ragged
from training.trace import MAX_TRACE_BYTES, Trace

# How many examples: the loaded Hypothesis profile's (tests/conftest.py), as in test_fuzz.py.
FUZZ = settings(settings.default)


# =========================================================================== Ragged
def test_ragged_reads_like_a_list_of_lists():
    rows = Ragged.from_rows([[0, 1], [2], [3, 4, 5]], np.int64)
    x = np.array([10.0, 11.0, 12.0, 13.0, 14.0, 15.0])
    assert len(rows) == 3
    assert rows[0].tolist() == [0, 1] and rows[-1].tolist() == [3, 4, 5] and rows[np.int64(1)].tolist() == [2]
    assert x[rows[2]].tolist() == [13.0, 14.0, 15.0]          # numpy indexing with a row
    assert [r.tolist() for r in rows] == [[0, 1], [2], [3, 4, 5]]
    assert list(map(len, rows)) == [2, 1, 3] == rows.lengths.tolist()
    assert rows.max_len == 3 and Ragged.from_rows([], np.int64).max_len == 0
    assert rows == [[0, 1], [2], [3, 4, 5]] and rows != [[0, 1], [2], [3, 4]] and rows != [[0], [2], [3, 4, 5]]
    assert rows == Ragged(np.arange(6), [0, 2, 3, 6]) and rows != Ragged(np.arange(6), [0, 3, 3, 6])
    assert rows[1:].tolist() == [[2], [3, 4, 5]] and rows[::2].tolist() == [[0, 1], [3, 4, 5]]
    assert rows[5:2].tolist() == []
    assert rows.tolist() == [[0, 1], [2], [3, 4, 5]]
    assert rows[0].base is not None, "a row is a view, not a copy"
    with pytest.raises(IndexError):
        rows[3]
    for offsets in ([1, 2, 3, 6], [0, 2, 1, 6], [0, 2, 3, 5]):
        with pytest.raises(ValueError):
            Ragged(np.arange(6), offsets)
    assert "3 rows" in repr(rows)


def test_trace_built_from_lists_gets_ragged_columns():
    tr = Trace.from_json(json.dumps(json.loads(synthetic_trace(4, batch=2).to_json())))
    for col in ("indices", "pred", "residual"):
        assert isinstance(tr.steps[col], Ragged)
    # the three share one offsets array
    assert tr.steps["pred"].offsets is tr.steps["indices"].offsets is tr.steps["residual"].offsets
    assert tr.steps["indices"].dtype == np.int64 and tr.steps["pred"].dtype == np.float64


# =========================================================================== recording
def _recording_peak(epochs: int) -> tuple[int, int]:
    from training.recorder import record
    tracemalloc.start()
    try:
        tr = record(TrainConfig(batch_size=1, epochs=epochs))
        return tracemalloc.get_traced_memory()[1], tr.n_steps
    finally:
        tracemalloc.stop()


@pytest.mark.slow  # records two long runs under tracemalloc
def test_recording_memory_per_step_is_a_few_numbers():
    """Python lists cost ~1.5 KB per step; the compact columns 8 bytes a number: 14 numbers a
    step plus one offset and 3 per sample here (batch size 1), 144 bytes. Measured as the
    growth of the traced peak between a short and a longer run, so the fixed costs cancel:
    the columns are allocated once for the whole run, so 1,800 steps measure the same bytes a
    step as 6,000 or 30,000 (85 to 112 here, either way; a list of a step's numbers would add
    more than 500). A first run outside the measure does what happens once a process (torch's
    lazy imports), so that it does not hide growth in the short run."""
    from training.recorder import record
    record(TrainConfig(epochs=2))
    peak_short, n_short = _recording_peak(100)
    peak_long, n_long = _recording_peak(400)
    per_step = (peak_long - peak_short) / (n_long - n_short)
    assert per_step < 200, f"{per_step:.0f} bytes per step"


def test_recorded_columns_are_compact_arrays():
    from training.recorder import record
    tr = record(TrainConfig(optimizer="momentum", epochs=4, batch_size=4, drop_last=False,
                            data=DataSpec(kind="synthetic", n=10, seed=1)))
    for col, values in tr.steps.items():
        if col in ("indices", "pred", "residual"):
            assert isinstance(values, Ragged)
            assert values.offsets is tr.steps["indices"].offsets
        else:
            assert isinstance(values, np.ndarray) and values.dtype in (np.float64, np.int64), col
    assert tr.steps["indices"].lengths.tolist() == [4, 4, 2] * 4
    assert tr.steps["indices"] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] * 4


def test_a_diverged_run_keeps_only_its_steps():
    from training.recorder import record
    tr = record(TrainConfig(lr=10.0, epochs=100000))
    assert tr.status.diverged and tr.n_steps == tr.status.step < 50
    assert all(len(v) == tr.n_steps for v in tr.steps.values())
    assert len(tr.steps["pred"].values) == 2 * tr.n_steps
    assert Trace.from_json(tr.to_json()) == tr


# =========================================================================== the caps
def test_step_and_sample_caps_state_their_limits():
    with pytest.raises(InputError) as e:
        TrainConfig(batch_size=1, epochs=MAX_STEPS // 6 + 1).validate(6)
    assert f"at most {MAX_STEPS:,} are allowed" in str(e.value) and "4 GB" in str(e.value)
    TrainConfig(batch_size=1, epochs=MAX_STEPS // 6).validate(6)
    n = 1_000_000
    with pytest.raises(InputError) as e:
        TrainConfig(batch_size=n // 2, epochs=MAX_SAMPLES // n + 1).validate(n)
    assert f"at most {MAX_SAMPLES:,} are allowed" in str(e.value) and "samples" in str(e.value)
    TrainConfig(batch_size=n // 2, epochs=MAX_SAMPLES // n).validate(n)


def _held(tr: Trace) -> int:
    """Bytes of the arrays a trace holds (an array shared by columns counted once)."""
    arrays = {id(a): a for a in (tr.x, tr.y)}
    for v in tr.steps.values():
        for a in ((v.values, v.offsets) if isinstance(v, Ragged) else (v,)):
            arrays[id(a)] = a
    return sum(a.nbytes for a in arrays.values())


def test_a_trace_at_the_caps_fits_in_4_gb():
    """What a loaded trace holds per step and per sample, at both caps: under 3 GB, which
    leaves room for the interpreter and torch (~0.4 GB) and for transients (measured with
    10,000,000 steps and even 50,000,000 samples: loading the JSON peaks at 2.9 GB, the
    binary at 2.5 GB)."""
    one = Trace.from_json(synthetic_trace(200, batch=1, velocity=True).to_json())
    three = Trace.from_json(synthetic_trace(200, batch=3, velocity=True).to_json())
    per_sample = (_held(three) - _held(one)) / (200 * 2)
    per_step = _held(one) / 200 - per_sample
    assert per_sample <= 24 and per_step <= 15 * 8 + 1
    assert per_step * MAX_STEPS + per_sample * MAX_SAMPLES < 3e9


def test_a_trace_longer_than_the_cap_is_refused(monkeypatch, one_line):
    text = synthetic_trace(12).to_json()
    monkeypatch.setattr(tracevalidate, "MAX_STEPS", 10)
    with pytest.raises(InputError) as e:
        Trace.from_json(text, "long.json")
    one_line(e.value, "long.json", "more than 10 steps")
    monkeypatch.setattr(tracevalidate, "MAX_STEPS", 100)
    monkeypatch.setattr(tracevalidate, "MAX_SAMPLES", 20)
    with pytest.raises(InputError) as e:
        Trace.from_json(synthetic_trace(12, batch=2).to_json(), "wide.json")
    one_line(e.value, "wide.json", "more than 20 samples")


def test_the_largest_trace_the_recorder_writes_can_be_read():
    """MAX_TRACE_BYTES is a bound on reading time; it must not refuse a trace we wrote.
    The longest numbers (17 significant digits and an exponent) at both caps fit under it."""
    worst = synthetic_trace(50, batch=2, velocity=True)
    for col in worst.steps:
        if isinstance(worst.steps[col], np.ndarray) and worst.steps[col].dtype == np.float64:
            worst.steps[col][:] = -1.2345678901234567e-300
    for col in ("pred", "residual"):
        worst.steps[col].values[:] = -1.2345678901234567e-300
    base = len(synthetic_trace(0, diverged=True).to_json())
    per_step_and_samples = (len(worst.to_json()) - base) / 50   # 1 step, 2 samples
    per_sample = (len(synthetic_trace(50, batch=4, velocity=True).to_json())
                  - len(synthetic_trace(50, batch=2, velocity=True).to_json())) / 100 * 2  # generous
    assert per_step_and_samples * MAX_STEPS + per_sample * MAX_SAMPLES < MAX_TRACE_BYTES


# =========================================================================== writing
@pytest.mark.parametrize("write_steps", [1, 3, 7, 1 << 16])
def test_json_text_does_not_depend_on_the_write_chunks(write_steps, monkeypatch):
    tr = synthetic_trace(40, batch=3, velocity=True)
    with mock.patch.object(tracedump, "WRITE_STEPS", 1 << 20):
        whole = tr.to_json()
    monkeypatch.setattr(tracedump, "WRITE_STEPS", write_steps)
    assert tr.to_json() == whole
    # and it is json.dumps' own text for the columns
    doc = json.loads(whole)
    for col in ("a", "indices", "pred"):
        line = f'    "{col}": ' + json.dumps(doc["steps"][col], separators=(", ", ": "))
        assert line in whole.splitlines() or line + "," in whole.splitlines()


def test_ragged_batches_write_like_lists(monkeypatch):
    monkeypatch.setattr(tracedump, "WRITE_STEPS", 2)
    rows = Ragged.from_rows([[0, 1, 2], [3], [4, 5], [], [6]], np.int64)
    assert "".join(tracedump.column_parts(rows)) == "[[0, 1, 2], [3], [4, 5], [], [6]]"
    assert "".join(tracedump.column_parts(np.array([0.1, 2.0, -3e-300]))) == "[0.1, 2.0, -3e-300]"


# =========================================================================== the streaming parser
def _outcome(load):
    try:
        return "ok", load().to_json()
    except InputError as e:
        return "refused", str(e)


def _whole(text: str):
    """The reference: json.loads of the whole text, then the same validation."""
    try:
        doc = json.loads(text, parse_constant=tracejson._refuse_constant)
    except (ValueError, RecursionError):
        return "refused", None
    return _outcome(lambda: Trace.from_dict(doc, "d.json"))


def _streamed(text: str, chunk: int, short_reads: bool = False):
    raw = io.BytesIO(text.encode("utf-8"))
    sizes = iter([1, 5, 2, 3, 8] * 10_000)

    def read(n: int) -> bytes:
        return raw.read(min(n, next(sizes)) if short_reads else n)
    with mock.patch.object(tracejson, "CHUNK", chunk):
        return _outcome(lambda: Trace.from_dict(trace_module._parse(read, "d.json"), "d.json"))


def _same(whole, streamed) -> bool:
    if whole[0] == "ok":
        return streamed == whole
    if whole[1] is None:  # not JSON: the streamed parse refuses it as not valid JSON (or NaN, depth)
        return streamed[0] == "refused"
    return streamed == whole


def _base_doc(n: int = 3, batch: int = 2) -> dict:
    return json.loads(synthetic_trace(n, batch=batch, velocity=n % 2 == 0).to_json())


LAYOUTS = [dict(), dict(indent=1), dict(indent="\t"), dict(separators=(",", ":")), dict(indent=2, sort_keys=True),
           dict(separators=(" , ", " : "))]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1 << 22])
@pytest.mark.parametrize("layout", range(len(LAYOUTS)))
def test_any_layout_and_chunk_size_parses_like_json_loads(chunk, layout):
    text = json.dumps(_base_doc(), **LAYOUTS[layout])
    assert _whole(text)[0] == "ok"
    assert _streamed(text, chunk) == _whole(text)
    assert _streamed(text, chunk, short_reads=True) == _whole(text)


values = st.recursive(st.none() | st.booleans() | st.integers(-(10 ** 25), 10 ** 25)
                      | st.floats(allow_nan=False, allow_infinity=False) | st.text(alphabet='ab",[]{}\\ :', max_size=6),
                      lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
                      max_leaves=6)


@FUZZ
@given(st.data())
def test_mutated_traces_parse_like_json_loads(data):
    doc = _base_doc(data.draw(st.integers(0, 4)), data.draw(st.integers(1, 3)))
    for _ in range(data.draw(st.integers(1, 2))):
        paths = doc_paths(doc)
        path = data.draw(st.sampled_from(paths))
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        op = data.draw(st.sampled_from(["delete", "replace", "wrap", "stringify"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "replace":
            parent[path[-1]] = data.draw(values)
        elif op == "wrap":
            parent[path[-1]] = [parent[path[-1]]]
        else:
            parent[path[-1]] = json.dumps(parent[path[-1]])
    text = json.dumps(doc, **data.draw(st.sampled_from(LAYOUTS)))
    chunk = data.draw(st.sampled_from([1, 3, 16, 1 << 22]))
    assert _same(_whole(text), _streamed(text, chunk))


@FUZZ
@given(st.data())
def test_broken_text_is_refused_like_json_loads(data):
    text = json.dumps(_base_doc(), **data.draw(st.sampled_from(LAYOUTS)))
    where = data.draw(st.integers(0, len(text) - 1))
    op = data.draw(st.sampled_from(["cut", "replace", "delete", "insert"]))
    char = data.draw(st.sampled_from(list('{}[]",:0-.eE tfn\\x\n')))
    broken = {"cut": text[:where], "replace": text[:where] + char + text[where + 1:],
              "delete": text[:where] + text[where + 1:], "insert": text[:where] + char + text[where:]}[op]
    whole = _whole(broken)
    streamed = _streamed(broken, data.draw(st.sampled_from([1, 2, 5, 1 << 22])))
    assert _same(whole, streamed), (op, where, char, whole, streamed)


@pytest.mark.parametrize("chunk", [1, 5, 1 << 22])
@pytest.mark.parametrize("closer", ["]}", "}", "1}", "1,}"])
def test_a_brace_never_closes_an_array(chunk, closer):
    # Found by the thorough fuzz run: "[..., x}" was taken as a closed array.
    text = json.dumps(_base_doc())
    at = text.index('"grad_b": [') + len('"grad_b": [')
    end = text.index("]", at)
    broken = text[:at] + (text[at:end] + "}" if closer == "]}" else closer) + text[end + 1:]
    assert _whole(broken) == ("refused", None)
    got = _streamed(broken, chunk)
    assert got[0] == "refused" and "is not valid JSON" in got[1], got


@pytest.mark.parametrize("cut", [0.1, 0.37, 0.5, 0.93])
def test_syntax_errors_name_the_same_line_as_json_loads(cut):
    text = json.dumps(_base_doc(5, 2), indent=2)
    broken = text[: int(len(text) * cut)]
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(broken)
    for chunk in (3, 50, 1 << 22):
        got = _streamed(broken, chunk)
        assert got[0] == "refused" and "is not valid JSON" in got[1]
        assert f"(line {expected.value.lineno}:" in got[1], (got[1], expected.value.lineno)


def test_a_huge_single_value_is_refused_not_buffered(monkeypatch, one_line):
    monkeypatch.setattr(tracejson, "MAX_VALUE_BYTES", 1000)
    text = json.dumps({"schema_version": 1, "config": {"note": "x" * 5000}})
    with pytest.raises(InputError) as e:
        Trace.from_json(text, "big.json")
    one_line(e.value, "big.json", "larger than")


@pytest.mark.slow  # 50,000 steps written and read under tracemalloc
def test_loading_memory_does_not_hold_the_text(tmp_path):
    """json.loads of a whole trace holds the text and a Python object per number (~1.3 KB a
    step at batch size 1); the streamed parse holds the arrays (144 bytes a step) and a chunk.
    30,000 steps of difference measure what 100,000 do (about 200 bytes a step, either way)."""
    peaks = {}
    for n in (10_000, 40_000):
        path = synthetic_trace(n).to_file(tmp_path / f"t{n}.json")
        tracemalloc.start()
        try:
            tr = Trace.from_file(path)
            peaks[n] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert tr.n_steps == n
    per_step = (peaks[40_000] - peaks[10_000]) / 30_000
    assert per_step < 400, f"{per_step:.0f} bytes per step"


# =========================================================================== the binary trace
@pytest.mark.parametrize("kind", ["plain", "velocity", "diverged", "empty-diverged", "batch-3"])
def test_binary_round_trip_is_exact(kind, tmp_path):
    tr = {"plain": lambda: synthetic_trace(30), "velocity": lambda: synthetic_trace(31, velocity=True),
          "diverged": lambda: synthetic_trace(7, diverged=True),
          "empty-diverged": lambda: synthetic_trace(0, diverged=True),
          "batch-3": lambda: synthetic_trace(20, batch=3)}[kind]()
    text = tr.to_json()
    back = Trace.from_file(tr.to_file(tmp_path / "t.sgdtrace"))
    assert back.to_json() == text and back == tr
    for col, values in tr.steps.items():
        got = back.steps[col]
        if isinstance(values, np.ndarray):
            assert got.dtype == values.dtype and np.array_equal(got, values), col
        else:
            assert got == values, col
    # JSON -> binary -> JSON, and a binary file under another name is still recognised
    again = Trace.from_file(tmp_path / "t.sgdtrace").to_file(tmp_path / "again.json")
    assert again.read_text(encoding="utf-8") == text
    (tmp_path / "t.sgdtrace").rename(tmp_path / "renamed.json")
    assert Trace.from_file(tmp_path / "renamed.json") == tr


def test_binary_of_a_recorded_run(tmp_path):
    from training.recorder import record
    tr = record(TrainConfig(optimizer="adam", epochs=3, batch_size=4, drop_last=False))
    assert Trace.from_file(tr.to_file(tmp_path / "r.sgdtrace")) == tr
    assert (tmp_path / "r.sgdtrace").stat().st_size < len(tr.to_json())


def _binary(tr: Trace) -> tuple[dict, bytes]:
    buf = io.BytesIO()
    tr._write_binary(buf)
    raw = buf.getvalue()
    (n,) = struct.unpack("<Q", raw[16:24])
    return json.loads(raw[24:24 + n]), raw[24 + n:]


def _rebuild(header: dict, body: bytes) -> bytes:
    text = json.dumps(header).encode()
    return tracebin.MAGIC + struct.pack("<Q", len(text)) + text + body


def _edit_header(change):
    def build(tr):
        header, body = _binary(tr)
        change(header)
        return _rebuild(header, body)
    return build


def _column(header: dict, name: str) -> dict:
    return next(c for c in header["columns"] if c["name"] == name)


def _poke(name: str, value):
    """Overwrite the first value of a column in the body."""
    def build(tr):
        header, body = _binary(tr)
        offset = 0
        for c in header["columns"]:
            if c["name"] == name:
                break
            offset += 8 * c["length"]
        packed = struct.pack("<d" if isinstance(value, float) else "<q", value)
        return _rebuild(header, body[:offset] + packed + body[offset + 8:])
    return build


BAD_BINARIES = {
    "truncated": (lambda tr: tr and _rebuild(*_binary(tr))[:-5], ["truncated"]),
    "trailing-bytes": (lambda tr: _rebuild(*_binary(tr)) + b"\x00", ["header describes"]),
    "header-only": (lambda tr: _rebuild(_binary(tr)[0], b""), ["truncated"]),
    "magic-only": (lambda tr: tracebin.MAGIC, ["truncated"]),
    "header-length-huge": (lambda tr: tracebin.MAGIC + struct.pack("<Q", 1 << 40), ["header claims"]),
    "header-not-json": (lambda tr: tracebin.MAGIC + struct.pack("<Q", 3) + b"\x80ab", ["not valid JSON"]),
    "header-a-list": (lambda tr: tracebin.MAGIC + struct.pack("<Q", 2) + b"[]", ["not a JSON object"]),
    "format-2": (_edit_header(lambda h: h.update(format_version=2)), ["format_version 2"]),
    "unknown-key": (_edit_header(lambda h: h.update(extra=1)), ["unknown keys 'extra'"]),
    "missing-key": (_edit_header(lambda h: h.pop("final")), ["lacks final"]),
    "unknown-column": (_edit_header(lambda h: h["columns"].append({"name": "steps.evil", "dtype": "<f8",
                                                                   "length": 0})), ["columns are not"]),
    "columns-reordered": (_edit_header(lambda h: h["columns"].reverse()), ["columns are not"]),
    "column-extra-field": (_edit_header(lambda h: h["columns"][0].update(pickle=True)), ["columns"]),
    "object-dtype": (_edit_header(lambda h: _column(h, "data.x").update(dtype="|O")), ["dtype <f8"]),
    "big-endian": (_edit_header(lambda h: _column(h, "steps.a").update(dtype=">f8")), ["dtype <f8"]),
    "length-mismatch": (_edit_header(lambda h: _column(h, "steps.loss").update(length=3)), ["not"]),
    "negative-length": (_edit_header(lambda h: _column(h, "data.y").update(length=-1)), ["from 0 to"]),
    "over-the-cap": (_edit_header(lambda h: h.update(n_steps=MAX_STEPS + 1)), ["n_steps"]),
    "schema-3": (_edit_header(lambda h: h.update(schema_version=3)), ["schema_version 3", "versions 1 and 2"]),
    "nan-in-loss": (_poke("steps.loss", float("nan")), ["steps.loss", "finite"]),
    "index-outside": (_poke("steps.indices", 99), ["outside the data"]),
    "negative-batch-length": (_poke("steps.lengths", -1), ["one list of numbers per step"]),
    "bad-status": (_edit_header(lambda h: h.update(status={"state": "running"})), ["completed, diverged or stopped"]),
}


@pytest.mark.parametrize("case", sorted(BAD_BINARIES))
def test_bad_binary_trace_is_refused(case, tmp_path, one_line):
    build, words = BAD_BINARIES[case]
    path = tmp_path / "bad.sgdtrace"
    path.write_bytes(build(synthetic_trace(6, batch=2)))
    with pytest.raises(InputError) as e:
        Trace.from_file(path)
    one_line(e.value, str(path), *words)


def test_binary_reader_checks_sizes_before_allocating(tmp_path, monkeypatch):
    """A header that claims a billion steps in a small file is refused before any array is made."""
    header, body = _binary(synthetic_trace(4))
    for c in header["columns"]:
        if c["name"].startswith("steps.") and c["name"] not in ("steps.indices", "steps.pred", "steps.residual"):
            c["length"] = 1_000_000
    header["n_steps"] = 1_000_000
    (tmp_path / "liar.sgdtrace").write_bytes(_rebuild(header, body))
    made = []
    real_empty = np.empty
    monkeypatch.setattr(tracebin.np, "empty", lambda *a, **k: made.append(a) or real_empty(*a, **k))
    with pytest.raises(InputError) as e:
        Trace.from_file(tmp_path / "liar.sgdtrace")
    assert "truncated" in str(e.value) and not made
