"""Data sets: the article's six points, a CSV file, or a seeded synthetic line with noise.

No torch here: data is plain float64 numpy, so a trace can be re-rendered without torch.
"""
from __future__ import annotations

import csv
import io
import math
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from training.errors import InputError, shown
from training.files import display_name, read_limited
from training.numbers import finite_float32, within_float32

__all__ = ["SYNTHETIC_FIELDS", "ARTICLE_X", "ARTICLE_Y", "Dataset", "DataSpec", "load_csv", "synthetic", "load_data"]

# The article's data ("X_values" and "Y_values").
ARTICLE_X = (0.2, 0.4, 0.6, 0.8, 1.0, 1.2)
ARTICLE_Y = (0.18, 0.32, 0.42, 0.48, 0.58, 0.72)

MIN_POINTS = 2
MAX_CSV_BYTES = 50_000_000
MAX_POINTS = MAX_CSV_BYTES // 4 + 1  # the most rows a CSV file within the limit can hold ("0,0\n")


@dataclass(frozen=True)
class Dataset:
    x: np.ndarray
    y: np.ndarray
    source: str

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class DataSpec:
    """Where the points come from: ``article``, ``csv`` (with ``path``) or ``synthetic``."""

    kind: str = "article"
    path: str | None = None
    n: int = 100
    slope: float = 0.5
    intercept: float = 0.1
    noise: float = 0.05
    outliers: int = 0
    seed: int = 0
    x_min: float = 0.0
    x_max: float = 1.5

    @classmethod
    def parse(cls, text: str) -> "DataSpec":
        """Parse the ``--data`` flag: ``article``, ``synthetic[:n=1000,noise=0.1,...]`` or a path."""
        text = text.strip()
        if text in ("", "article"):
            return cls()
        if text == "synthetic" or text.startswith("synthetic:"):
            kwargs: dict = {}
            body = text[len("synthetic:"):] if ":" in text else ""
            types = SYNTHETIC_FIELDS
            for part in filter(None, (p.strip() for p in body.split(","))):
                key, sep, value = part.partition("=")
                key = key.strip()
                if not sep or key not in types:
                    raise InputError(
                        f"--data synthetic: bad setting {shown(part)}; accepted: "
                        + ", ".join(f"{k}=..." for k in types))
                try:
                    kwargs[key] = types[key](value)
                except ValueError:
                    raise InputError(f"--data synthetic: {key} must be a number, got {shown(value)}") from None
            return cls(kind="synthetic", **kwargs)
        return cls(kind="csv", path=text)

    def to_dict(self) -> dict:
        if self.kind == "article":
            return {"kind": "article"}
        if self.kind == "csv":
            return {"kind": "csv", "path": self.path}
        return {"kind": "synthetic", **{k: getattr(self, k) for k in SYNTHETIC_FIELDS}}


SYNTHETIC_FIELDS = {"n": int, "slope": float, "intercept": float, "noise": float,
                     "outliers": int, "seed": int, "x_min": float, "x_max": float}


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def load_csv(path: str | Path) -> Dataset:
    """Read columns x and y from a CSV file (or a pipe: ``--data <(cmd)``); a header row is optional.

    At most :data:`MAX_CSV_BYTES` are read, whatever the file is (see :mod:`training.files`).
    The text is decoded and parsed a line at a time, straight into arrays of numbers: memory
    is the file's bytes and 16 bytes a point, not a Python list per row (which took 70 times
    the file's size: 3.5 GB for a 50 MB file of short rows).

    Every failure is an :class:`InputError` whose message names the file and the problem.
    """
    name = display_name(path)
    raw = read_limited(path, what="data file", limit=MAX_CSV_BYTES, hint="; give a CSV file with columns x,y")
    if b"\x00" in raw:
        raise InputError(f"data file {name} is binary, not a CSV file with columns x,y")
    lines = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline="")
    try:
        return _parse_csv(lines, name)
    except UnicodeDecodeError:
        raise InputError(f"data file {name} is not UTF-8 text; give a CSV file with columns x,y") from None


def parse_csv_text(text: str, name: str = "<csv>") -> Dataset:
    """The points of a CSV text (pasted points, a test's text): as :func:`load_csv` reads a file."""
    return _parse_csv(io.StringIO(text, newline=""), name)


def _parse_csv(lines: Iterable[str], name: str) -> Dataset:
    reader = csv.reader(lines)
    xs, ys = array("d"), array("d")
    first = True
    try:
        for row in reader:
            if not any(c.strip() for c in row):  # blank lines are skipped but still counted
                continue
            lineno = reader.line_num
            cells = [c.strip() for c in row]
            if len(cells) != 2:
                raise InputError(f"data file {name}, row {lineno}: expected 2 columns (x,y), found {len(cells)}")
            try:
                x, y = float(cells[0]), float(cells[1])
            except ValueError:
                if first and not any(_is_number(c) for c in cells):  # a header row such as "x,y"
                    first = False
                    continue
                raise InputError(f"data file {name}, row {lineno}: {_show(cells)} is not two numbers") from None
            first = False
            if not (finite_float32(x) and finite_float32(y)):  # training runs in float32: larger values overflow
                raise InputError(f"data file {name}, row {lineno}: values must be finite numbers "
                                 f"(within +-3.4e38, training runs in float32), got {_show(cells)}")
            xs.append(x)
            ys.append(y)
    except csv.Error as e:  # e.g. a field longer than csv.field_size_limit()
        raise InputError(f"data file {name} is not a readable CSV file ({e}); give a CSV file with columns x,y") from None
    if first:
        raise InputError(f"data file {name} is empty; give a CSV file with columns x,y")
    if len(xs) < MIN_POINTS:
        raise InputError(f"data file {name} has {len(xs)} data point(s); at least {MIN_POINTS} are needed")
    x_arr = np.frombuffer(xs, dtype=np.float64)  # the arrays' own memory: no copy
    if np.ptp(x_arr) == 0:
        raise InputError(f"data file {name}: all x values are equal, so no line can be fitted")
    return Dataset(x_arr, np.frombuffer(ys, dtype=np.float64), f"csv:{name}")


def _show(cells: list[str], limit: int = 60) -> str:
    """A row for an error message: quoted, and cut short so the message stays one short line."""
    text = ",".join(cells)
    return repr(text if len(text) <= limit else text[:limit] + "...")


def synthetic(spec: DataSpec) -> Dataset:
    """A seeded noisy line y = slope·x + intercept + noise, with a few optional outliers."""
    if not MIN_POINTS <= spec.n <= 1_000_000:
        raise InputError(f"synthetic data: n must be between {MIN_POINTS} and 1000000, got {spec.n}")
    if not 0 <= spec.outliers <= spec.n:
        raise InputError(f"synthetic data: outliers must be between 0 and n={spec.n}, got {spec.outliers}")
    if not all(math.isfinite(v) for v in (spec.slope, spec.intercept, spec.noise, spec.x_min, spec.x_max)):
        raise InputError("synthetic data: slope, intercept, noise, x_min and x_max must be finite numbers")
    if not 0 <= spec.seed <= 2**64 - 1:
        raise InputError(f"synthetic data: seed must be a whole number from 0 to {2**64 - 1}, got {spec.seed}")
    if spec.noise < 0:
        raise InputError(f"synthetic data: noise must be >= 0, got {spec.noise}")
    if not spec.x_max > spec.x_min:
        raise InputError("synthetic data: x_max must be greater than x_min")
    overflow = InputError("synthetic data: the values overflow (training runs in float32, within +-3.4e38); "
                          "use a smaller slope, intercept, noise or x range")
    if not math.isfinite(spec.x_max - spec.x_min):
        raise overflow
    rng = np.random.default_rng(spec.seed)
    with np.errstate(over="ignore", invalid="ignore"):
        x = np.sort(rng.uniform(spec.x_min, spec.x_max, spec.n))
        y = spec.slope * x + spec.intercept + rng.normal(0.0, spec.noise, spec.n)
        if spec.outliers:
            which = rng.choice(spec.n, spec.outliers, replace=False)
            spread = max(spec.noise, 0.05) * 8 + 0.1 * abs(spec.slope) * (spec.x_max - spec.x_min)
            y[which] += rng.choice([-1.0, 1.0], spec.outliers) * spread
    if not (within_float32(x) and within_float32(y)):  # also catches inf, nan
        raise overflow
    return Dataset(x, y, f"synthetic:n={spec.n},seed={spec.seed}")


def load_data(spec: DataSpec, base_dir: Path | None = None) -> Dataset:
    """Build the data set a :class:`DataSpec` describes; CSV paths are relative to ``base_dir``."""
    if spec.kind == "article":
        return Dataset(np.array(ARTICLE_X), np.array(ARTICLE_Y), "article")
    if spec.kind == "synthetic":
        return synthetic(spec)
    if spec.kind == "csv":
        path = Path(spec.path or "")
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        return load_csv(path)
    raise InputError(f"unknown data kind {spec.kind!r}; accepted: article, csv, synthetic")
