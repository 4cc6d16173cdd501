"""Data sets (CSV, synthetic), TrainConfig validation, and the torch-free import of trace/data."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import ROOT
from training.config import TrainConfig
from training.data import DataSpec, load_csv, load_data, synthetic
from training.errors import InputError



def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


# --------------------------------------------------------------------------- CSV: accepted
@pytest.mark.parametrize("content", [
    "x,y\n0.2,0.18\n0.4,0.32\n0.6,0.42\n",
    "0.2,0.18\n0.4,0.32\n0.6,0.42\n",
    "X , Y\r\n0.2, 0.18\r\n0.4 ,0.32\r\n\r\n0.6,0.42",       # spaces, CRLF, blank line, no final newline
    "\ufeffx,y\n0.2,0.18\n0.4,0.32\n0.6,0.42\n",             # UTF-8 byte-order mark (Excel)
    "\n\nx,y\n0.2,0.18\n\n0.4,0.32\n0.6,0.42\n\n",           # blank lines anywhere
    '"x","y"\n"0.2","0.18"\n0.4,0.32\n6e-1,4.2e-1\n',        # quoted cells, exponents
])
def test_csv_with_and_without_header(tmp_path, content):
    data = load_csv(write(tmp_path, "d.csv", content))
    assert data.x.tolist() == [0.2, 0.4, 0.6]
    assert data.y.tolist() == [0.18, 0.32, 0.42]
    assert data.x.dtype == np.float64 and len(data) == 3


def test_csv_two_points_is_enough(tmp_path):
    data = load_csv(write(tmp_path, "two.csv", "1,2\n3,5\n"))
    assert data.x.tolist() == [1.0, 3.0] and data.y.tolist() == [2.0, 5.0]


def test_csv_relative_to_base_dir(tmp_path):
    write(tmp_path, "d.csv", "x,y\n0,1\n1,3\n2,5\n")
    data = load_data(DataSpec(kind="csv", path="d.csv"), base_dir=tmp_path)
    assert data.y.tolist() == [1.0, 3.0, 5.0]
    assert load_data(DataSpec.parse(str(tmp_path / "d.csv"))).x.tolist() == [0.0, 1.0, 2.0]


# --------------------------------------------------------------------------- CSV: refused
BAD_CSV = {
    "ragged-short": "x,y\n0.2,0.18\n0.4\n0.6,0.42\n",
    "ragged-long": "x,y\n0.2,0.18\n0.4,0.32,0.5\n0.6,0.42\n",
    "one-column": "0.2\n0.4\n0.6\n",
    "semicolons": "x;y\n0.2;0.18\n0.4;0.32\n",
    "non-numeric": "x,y\n0.2,0.18\n0.4,abc\n0.6,0.42\n",
    "non-numeric-no-header": "0.2,0.18\nzero,0.32\n0.6,0.42\n",
    "empty-cell": "x,y\n0.2,0.18\n0.4,\n0.6,0.42\n",
    "nan": "x,y\n0.2,0.18\n0.4,nan\n0.6,0.42\n",
    "NaN-x": "x,y\n0.2,0.18\nNaN,0.32\n0.6,0.42\n",
    "inf": "x,y\n0.2,0.18\n0.4,inf\n0.6,0.42\n",
    "minus-infinity": "x,y\n-Infinity,0.18\n0.4,0.32\n0.6,0.42\n",
    "overflow": "x,y\n0.2,1e400\n0.4,0.32\n0.6,0.42\n",
    "empty": "",
    "whitespace-only": "  \n\n \t\n",
    "header-only": "x,y\n",
    "one-point": "x,y\n0.2,0.18\n",
    "one-point-no-header": "0.2,0.18\n",
    "all-x-equal": "x,y\n1,2\n1,3\n1,4\n",
    "two-headers": "x,y\nx,y\n0.2,0.18\n0.4,0.32\n",
    "huge-field": '"' + "9" * 200_000 + '",1\n2,3\n',
}


@pytest.mark.parametrize("name", list(BAD_CSV))
def test_bad_csv_is_refused_in_one_line_naming_the_file(tmp_path, name, one_line):
    path = write(tmp_path, f"{name}.csv", BAD_CSV[name])
    with pytest.raises(InputError) as e:
        load_csv(path)
    one_line(e.value, str(path))


@pytest.mark.parametrize("raw", [
    b"\x00\x01\x02\x03" * 50,                             # NUL bytes
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)),             # an image
    "x,y\n0.5,caf\xe9\n".encode("latin-1"),               # not UTF-8
    b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00",      # a pickle
])
def test_binary_file_is_refused(tmp_path, raw, one_line):
    path = write(tmp_path, "data.csv", raw)
    with pytest.raises(InputError) as e:
        load_csv(path)
    one_line(e.value, str(path))


def test_missing_file_and_directory_are_refused(tmp_path, one_line):
    missing = tmp_path / "nope.csv"
    with pytest.raises(InputError) as e:
        load_csv(missing)
    one_line(e.value, str(missing))
    with pytest.raises(InputError) as e:
        load_csv(tmp_path)
    one_line(e.value, str(tmp_path))
    with pytest.raises(InputError) as e:
        load_data(DataSpec(kind="csv", path="nope.csv"), base_dir=tmp_path)
    one_line(e.value, "nope.csv")


def test_error_names_the_row(tmp_path, one_line):
    path = write(tmp_path, "d.csv", "x,y\n0.2,0.18\n0.4,abc\n")
    with pytest.raises(InputError) as e:
        load_csv(path)
    one_line(e.value, str(path), "row 3")


# --------------------------------------------------------------------------- synthetic data
def test_synthetic_is_seeded_and_reproducible():
    spec = DataSpec(kind="synthetic", n=200, seed=11, noise=0.1, outliers=3)
    d1, d2 = synthetic(spec), load_data(spec)
    assert np.array_equal(d1.x, d2.x) and np.array_equal(d1.y, d2.y)
    assert len(d1) == 200 and d1.x.dtype == np.float64
    other = synthetic(DataSpec(kind="synthetic", n=200, seed=12, noise=0.1, outliers=3))
    assert not np.array_equal(d1.y, other.y)


def test_synthetic_follows_its_line():
    d = synthetic(DataSpec(kind="synthetic", n=5000, seed=0, slope=2.0, intercept=-1.0, noise=0.05,
                           x_min=-1.0, x_max=3.0))
    assert d.x.min() >= -1.0 and d.x.max() <= 3.0 and np.all(np.diff(d.x) >= 0)
    slope, intercept = np.polyfit(d.x, d.y, 1)
    assert slope == pytest.approx(2.0, abs=0.01) and intercept == pytest.approx(-1.0, abs=0.01)
    assert np.std(d.y - (2.0 * d.x - 1.0)) == pytest.approx(0.05, rel=0.1)
    exact = synthetic(DataSpec(kind="synthetic", n=10, seed=0, slope=0.5, intercept=0.1, noise=0.0))
    assert np.allclose(exact.y, 0.5 * exact.x + 0.1)


def test_synthetic_spec_parses_from_the_flag(one_line):
    spec = DataSpec.parse("synthetic:n=50,seed=3,noise=0.2")
    assert (spec.kind, spec.n, spec.seed, spec.noise) == ("synthetic", 50, 3, 0.2)
    assert DataSpec.parse("synthetic") == DataSpec(kind="synthetic")
    assert DataSpec.parse("article") == DataSpec()
    for bad in ("synthetic:m=3", "synthetic:n=abc", "synthetic:n"):
        with pytest.raises(InputError) as e:
            DataSpec.parse(bad)
        one_line(e.value)


@pytest.mark.parametrize("settings", [dict(n=1), dict(n=0), dict(noise=-0.1), dict(x_min=1.0, x_max=1.0),
                                      dict(outliers=-1), dict(n=5, outliers=6), dict(slope=float("nan"))])
def test_synthetic_refuses_bad_settings(settings, one_line):
    with pytest.raises(InputError) as e:
        synthetic(DataSpec(kind="synthetic", **settings))
    one_line(e.value, "synthetic")


# --------------------------------------------------------------------------- TrainConfig.validate
def test_default_config_is_valid():
    cfg = TrainConfig()
    assert cfg.validate(6) is cfg
    TrainConfig(optimizer="momentum", nesterov=True).validate(6)
    TrainConfig(optimizer="sgd", momentum=0.5, nesterov=True).validate(6)
    TrainConfig(optimizer="adam", lr=0.01).validate(6)
    TrainConfig(batch_size=6).validate(6)
    TrainConfig(momentum=0.0).validate(6)


@pytest.mark.parametrize("settings", [
    dict(lr=0.0), dict(lr=-0.1), dict(lr=float("nan")), dict(lr=float("inf")),
    dict(batch_size=0), dict(batch_size=-2), dict(batch_size=7), dict(batch_size=2.0),
    dict(epochs=0), dict(epochs=-1),
    dict(optimizer="lbfgs"), dict(optimizer="SGD"), dict(optimizer=""),
    dict(momentum=1.0), dict(momentum=1.5), dict(momentum=-0.1), dict(momentum=float("nan")),
    dict(nesterov=True), dict(optimizer="sgd", momentum=0.0, nesterov=True),
    dict(optimizer="adam", nesterov=True),
    dict(weight_decay=-0.1),
], ids=repr)
def test_validate_refuses(settings, one_line):
    with pytest.raises(InputError) as e:
        TrainConfig(**settings).validate(6)
    one_line(e.value)


def test_batch_larger_than_data_names_both(one_line):
    with pytest.raises(InputError) as e:
        TrainConfig(batch_size=10).validate(6)
    one_line(e.value, "10", "6")
    TrainConfig(batch_size=10).validate()  # without a data size this cannot be checked yet


def test_record_validates_before_training(one_line):
    from training.recorder import record

    with pytest.raises(InputError) as e:
        record(TrainConfig(batch_size=7))
    one_line(e.value)


# --------------------------------------------------------------------------- no torch
@pytest.mark.subprocess
def test_trace_and_data_do_not_import_torch():
    code = ("import sys; import training.trace, training.data, training.errors; "
            "assert 'torch' not in sys.modules, 'torch was imported'; "
            "from training.trace import Trace; "
            "t = Trace.from_json(sys.stdin.read()); "
            "assert 'torch' not in sys.modules, 'loading a trace imported torch'; print(t.n_steps)")
    from training.recorder import record

    text = record(TrainConfig(epochs=2)).to_json()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "6"


def test_a_first_row_with_one_number_is_bad_data_not_a_header():
    from training.data import parse_csv_text
    with pytest.raises(InputError, match="row 1"):
        parse_csv_text("1,abc\n2,3\n3,4\n", "f.csv")
    assert len(parse_csv_text("x,y\n2,3\n3,4\n", "f.csv")) == 2
