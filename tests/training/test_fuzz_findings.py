"""What the mutation fuzzer (tests/training/mutation_fuzz.py) found in the file readers, one
fixed test each; every one failed before its fix (tests/training/FUZZING.md has the numbers).
"""
from __future__ import annotations

import io
import json
import struct
import tracemalloc

import pytest

from tests.helpers import synthetic_trace
from training import tracebin, tracejson
from training.data import load_csv
from training.errors import InputError
from training.trace import Trace


def _peak(load) -> int:
    tracemalloc.start()
    try:
        try:
            load()
        except InputError:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _refusal(load) -> str:
    with pytest.raises(InputError) as e:
        load()
    msg = str(e.value)
    assert len(msg.splitlines()) == 1, msg
    return msg


# ------------------------------------------------------------------ trace.json
def test_a_long_string_in_a_trace_takes_little_memory():
    """The string regex held ~120 bytes per byte of a string (a 64 MB value allowed by
    MAX_VALUE_BYTES: 8 GB); possessive, it holds none. 1 MB of text: was 122 MB."""
    doc = json.loads(synthetic_trace(3).to_json())
    doc["config"]["note"] = "A" * 1_000_000
    doc["versions"]["escaped"] = "\\n" * 300_000
    text = json.dumps(doc)
    assert _peak(lambda: Trace.from_json(text, "long.json")) < 12_000_000
    assert Trace.from_json(text).config["note"] == "A" * 1_000_000


def test_many_short_arrays_are_looked_at_once(monkeypatch):
    """Each array looked SCAN (256 kB) ahead for its end: 1000 short arrays in a row took
    seconds (quadratic). The window now grows from FIRST_SCAN: linear in the text."""
    looked = []
    real = tracejson._Parser._cut_in

    def counting(self, stop):
        looked.append(stop - self.pos)
        return real(self, stop)
    monkeypatch.setattr(tracejson._Parser, "_cut_in", counting)
    doc = json.loads(synthetic_trace(4).to_json())
    for i in range(3000):
        doc["steps"][f"unknown_{i}"] = [i, "x"]
    text = json.dumps(doc, indent=1)
    assert Trace.from_json(text) == synthetic_trace(4)
    assert sum(looked) < 4 * len(text), (sum(looked), len(text))


# ------------------------------------------------------------------ the config file
@pytest.mark.parametrize("text, words", [
    ("[training]\nepochs = " + "[" * 5000 + "1" + "]" * 5000, "nests arrays or tables too deeply"),
    ("[render]\nx = " + "{a=" * 3000 + "1" + "}" * 3000, "nests arrays or tables too deeply"),
    ("[training]\nepochs = 1" + "0" * 5000, "not valid TOML"),
])
def test_a_config_tomllib_cannot_parse_is_refused_in_one_line(tmp_path, text, words):
    """tomllib raised RecursionError (deep nesting) and ValueError (an integer of more than
    4300 digits), which the reader did not catch: a traceback."""
    from scenes.job import load_config_file
    (tmp_path / "c.toml").write_text(text)
    assert words in _refusal(lambda: load_config_file(tmp_path / "c.toml"))


@pytest.mark.parametrize("value", [10**400, -10**400, 10**39], ids=["1e400", "-1e400", "1e39"])
def test_a_number_setting_beyond_float_range_is_refused(tmp_path, value):
    """``lr = 1000...0`` (400 digits): float(int) and math.isfinite(int) raised OverflowError."""
    from scenes.job import build_job, load_config_file
    (tmp_path / "c.toml").write_text(f"[training]\nlr = {value}\n")
    msg = _refusal(lambda: build_job([load_config_file(tmp_path / "c.toml")], tmp_path))
    assert "lr must be a finite number" in msg and len(msg) < 200


# ------------------------------------------------------------------ messages that repeated the input whole
def _binary_with(change) -> bytes:
    buf = io.BytesIO()
    synthetic_trace(3).write_binary(buf)
    raw = buf.getvalue()
    (n,) = struct.unpack("<Q", raw[16:24])
    header = json.loads(raw[24:24 + n])
    change(header)
    text = json.dumps(header).encode()
    return tracebin.MAGIC + struct.pack("<Q", len(text)) + text + raw[24 + n:]


def _json_with(change) -> str:
    doc = json.loads(synthetic_trace(3).to_json())
    change(doc)
    return json.dumps(doc)


LONG = "A" * 70_000
DEEP: object = 0
for _ in range(500):
    DEEP = [DEEP]
CONFIGS = {
    "format": f'[render]\nformats = ["{LONG}"]\n',
    "view": f'[render]\nviews = ["{LONG}"]\n',
    "preset": f'[render]\npreset = "{LONG}"\n',
    "whole-number": "[training]\nbatch_size = " + "[" * 200 + "]" * 200 + "\n",
    "number": f'[training]\nlr = "{LONG}"\n',
    "unknown-key": f'[training]\n"{LONG}" = 1\n',
    "compare": f'[compare]\noptimizer = [{{ {", ".join(f"k{i} = {i}" for i in range(2000))} }}]\n',
    "epochs": "[training]\nepochs = 1" + "0" * 1200 + "\n",
    "data-settings": "[data]\n" + "".join(f"k{i} = {i}\n" for i in range(1000)),
    "synthetic-settings": '[data]\nsource = "synthetic"\n' + "".join(f"k{i} = {i}\n" for i in range(1000)),
    "traces-and-more": '[compare]\ntraces = ["a.json"]\n' + "".join(f"k{i} = [{i}]\n" for i in range(1000)),
    "synthetic-value": f'[compare]\ndata = ["article", "synthetic:n={LONG}"]\n',
    "synthetic-key": f'[compare]\ndata = ["article", "synthetic:{LONG}=1"]\n',
    "seed": "[training]\nseed = -1" + "0" * 1200 + "\n",
}


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_a_config_message_shows_a_long_value_cut_short(tmp_path, case):
    from scenes.job import build_job, layers, load_config_file
    from training.data import load_data
    (tmp_path / "c.toml").write_text(CONFIGS[case])

    def load():
        layer = load_config_file(tmp_path / "c.toml")
        layer.pop("compare", None)
        job = build_job(layers({}, layer), tmp_path)
        job.train.validate(len(load_data(job.train.data, tmp_path)))
    msg = _refusal(load).replace(str(tmp_path), "")  # (the folder's name is pytest's, not ours)
    assert len(msg) < 400, (len(msg), msg[:300])


TRACES = {
    "schema_version": lambda: _json_with(lambda d: d.update(schema_version={f"k{i}": i for i in range(5000)})),
    "optimizer": lambda: _json_with(lambda d: d["config"].update(optimizer="é" * 40_000)),
    "status": lambda: _json_with(lambda d: d.update(status={"state": LONG})),
    "diverged-step": lambda: _json_with(lambda d: d.update(status={"state": "diverged", "step": DEEP})),
}
BINARIES = {
    "dtype": lambda: _binary_with(lambda h: h["columns"][0].update(dtype=DEEP)),
    "format_version": lambda: _binary_with(lambda h: h.update(format_version=LONG)),
    "unknown-keys": lambda: _binary_with(lambda h: h.update({f"extra{i}": 1 for i in range(3000)})),
}


@pytest.mark.parametrize("case", sorted(TRACES) + sorted(BINARIES))
def test_a_trace_message_shows_a_long_value_cut_short(tmp_path, case):
    if case in TRACES:
        (tmp_path / "t.json").write_text(TRACES[case]())
    else:
        (tmp_path / "t.json").write_bytes(BINARIES[case]())
    msg = _refusal(lambda: Trace.from_file(tmp_path / "t.json"))
    assert len(msg) < 400, (len(msg), msg[:300])


def test_shown_cuts_any_value_short():
    from training.errors import shown
    assert shown("x") == "'x'" and shown(1.5) == "1.5" and shown(None) == "None"
    for value in (LONG, DEEP, 10**4000, {f"k{i}": LONG for i in range(100)}, "a\nb\u2028" * 1000):
        text = shown(value)
        assert len(text) <= 100 and len(text.splitlines()) == 1, text


# ------------------------------------------------------------------ the CSV reader
def test_reading_a_csv_takes_a_few_bytes_per_byte(tmp_path):
    """Every row was kept as a Python list of two strings, then two lists of floats: about
    70 bytes per byte of a file of short rows (3.5 GB for an allowed 50 MB file). Now the
    file's bytes and 16 bytes a point (240 kB of rows: was 17 MB)."""
    path = tmp_path / "d.csv"
    path.write_text("x,y\n" + "".join(f"{i % 10},{i % 7}\n" for i in range(60_000)))
    size = path.stat().st_size
    assert _peak(lambda: load_csv(path)) < 8 * size
    data = load_csv(path)
    assert len(data) == 60_000 and data.x[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert data.y[:8].tolist() == [0, 1, 2, 3, 4, 5, 6, 0]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_csv_loads_whatever_its_line_ends(tmp_path, newline):
    """Lines are split as the csv module asks (newline=""): a file saved with old Mac line
    ends ("\\r") loads too (it was refused: "new-line character seen in unquoted field")."""
    path = tmp_path / "d.csv"
    path.write_bytes(newline.join(["x,y", "1,2", "3,5", '"4",6', ""]).encode())
    assert load_csv(path).x.tolist() == [1, 3, 4]


# ------------------------------------------------------------------ found in the suite's own run
@pytest.mark.parametrize("keep", ["velocity_a", "velocity_b"])
def test_a_trace_with_one_velocity_column_is_refused(keep, one_line):
    """It loaded, and then could not be written as a binary trace (the cache's format): a
    KeyError. The binary layout holds both columns or neither, and so does a loaded trace."""
    drop = "velocity_b" if keep == "velocity_a" else "velocity_a"
    text = _json_with_velocity(drop)
    with pytest.raises(InputError) as e:
        Trace.from_json(text, "half.json")
    one_line(e.value, "half.json", "steps.velocity_a and steps.velocity_b go together", f"only steps.{keep}")


def _json_with_velocity(drop: str) -> str:
    doc = json.loads(synthetic_trace(3, velocity=True).to_json())
    del doc["steps"][drop]
    return json.dumps(doc)


@pytest.mark.parametrize("source", ["a\nb.csv", "\x1b[31mred.csv", "x" * 5000 + ".csv", "tab\there.csv"])
def test_a_file_name_with_a_line_break_is_quoted_in_the_message(tmp_path, source):
    """A config's data source is any string: "data file /tmp/\\n\\n..." was a message of many lines."""
    from scenes.job import build_job, load_config_file
    from training.data import load_data
    (tmp_path / "c.toml").write_text(f"[data]\nsource = {json.dumps(source)}\n")
    job = build_job([load_config_file(tmp_path / "c.toml")], tmp_path)
    msg = _refusal(lambda: load_data(job.train.data, tmp_path))
    assert msg.startswith("data file '") and msg.isprintable() and len(msg) < 400, msg


def test_every_trace_that_loads_can_be_written_as_a_binary_trace(tmp_path, one_line):
    """A 17 MB string in "config" loaded from JSON (values up to 64 MB are read), and its binary
    trace, whose header is read up to 16 MB, could not be read back. Now refused on loading;
    a large value that fits still round-trips."""
    doc = json.loads(synthetic_trace(3).to_json())
    doc["config"]["note"] = "é" * (3 << 20)   # 6 MB of text, 18 MB written out as \\u00e9
    with pytest.raises(InputError) as e:
        Trace.from_json(json.dumps(doc, ensure_ascii=False), "big.json")
    one_line(e.value, "big.json", '"config", "versions", "status" and "graphs" take', "at most")
    doc["config"]["note"] = "A" * (12 << 20)
    tr = Trace.from_json(json.dumps(doc))
    assert Trace.from_file(tr.to_file(tmp_path / "t.sgdtrace")) == tr


# ------------------------------------------------------------------ found by the long run (100,000 cases)
def test_a_binary_header_longer_than_the_file_is_refused_before_reading(tmp_path):
    """The header's length was read before it was compared with the file's size: a 100-byte
    file claiming a 16 MB header allocated 16 MB."""
    path = tmp_path / "t.sgdtrace"
    path.write_bytes(tracebin.MAGIC + struct.pack("<Q", tracebin.MAX_HEADER_BYTES) + b'{"a": 1}' * 10)
    assert _peak(lambda: Trace.from_file(path)) < 1_000_000
    assert "the file is truncated" in _refusal(lambda: Trace.from_file(path))


@pytest.mark.parametrize("text", [
    '[compare]\ndata = ["article", "synthet\\u0000ic:n=5"]\n',
    '[data]\nsource = "a\\u0000.csv"\n',
    '[render]\nout = "o\\u0000ut"\n',
])
def test_a_config_value_with_a_nul_is_refused(tmp_path, text):
    """os functions raise ValueError on a NUL in a path ("embedded null byte"): a traceback."""
    from scenes.job import load_config_file
    (tmp_path / "c.toml").write_text(text)
    assert "NUL character" in _refusal(lambda: load_config_file(tmp_path / "c.toml"))


def test_a_compare_number_beyond_float_range_is_refused(tmp_path):
    from scenes.job import load_config_file
    (tmp_path / "c.toml").write_text("[compare]\nlr = [0.1, 1" + "0" * 400 + "]\n")
    msg = _refusal(lambda: load_config_file(tmp_path / "c.toml"))
    assert "lr must be a finite number" in msg and len(msg) < 300


def test_an_unknown_theme_is_shown_cut_short(tmp_path):
    from scenes.job import build_job, load_config_file
    (tmp_path / "c.toml").write_text(f'[render]\ntheme = "{LONG}"\n')
    msg = _refusal(lambda: build_job([load_config_file(tmp_path / "c.toml")], tmp_path))
    assert msg.startswith("unknown theme 'AAA") and len(msg) < 300
