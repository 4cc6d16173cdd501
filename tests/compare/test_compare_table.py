"""runs.csv numbers against independent float64 computations (issue 11, "Comparisons")."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from scenes.compare.table import CSV_COLUMNS, least_squares, run_row, steps_to_within, write_runs_csv
from training.config import TrainConfig
from training.recorder import record


def _mse(a: float, b: float, x, y) -> float:
    return sum((a * xi + b - yi) ** 2 for xi, yi in zip(x, y)) / len(x)  # plain Python floats


def test_least_squares_matches_lstsq():
    rng = np.random.default_rng(3)
    x = rng.uniform(-2, 5, 40)
    y = 0.7 * x - 1.2 + rng.normal(0, 0.3, 40)
    (a, b), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)
    got = least_squares(x, y)
    assert got[0] == pytest.approx(a, rel=1e-12) and got[1] == pytest.approx(b, rel=1e-12, abs=1e-12)
    assert got[2] == pytest.approx(_mse(a, b, x, y), rel=1e-10)


@pytest.fixture(scope="module")
def traces():
    return {"ok": record(TrainConfig(lr=0.3, epochs=20)), "slow": record(TrainConfig(lr=0.01, epochs=5)),
            "diverged": record(TrainConfig(lr=1.5, epochs=20))}


def test_steps_to_within_by_hand(traces):
    for name, t in traces.items():
        best = least_squares(t.x, t.y)[2]
        # By hand: the parameters before step 0, then after each step; the first within 1%.
        params = [(t.steps["a"][0], t.steps["b"][0])] if t.n_steps else []
        params += list(zip(t.a_after, t.b_after))
        if not t.n_steps:
            params = [(t.final_a, t.final_b)]
        expected = next((k for k, (a, b) in enumerate(params) if _mse(a, b, t.x, t.y) <= best * 1.01), None)
        assert steps_to_within(t, best) == expected, name
    assert steps_to_within(traces["ok"], least_squares(traces["ok"].x, traces["ok"].y)[2]) is not None
    assert steps_to_within(traces["slow"], least_squares(traces["slow"].x, traces["slow"].y)[2]) is None


def test_runs_csv(traces, tmp_path):
    rows = [run_row(f"lr={t.settings.lr:g}", {"lr": t.settings.lr}, t) for t in traces.values()]
    path = write_runs_csv(rows, tmp_path / "runs.csv")
    table = list(csv.DictReader(path.open()))
    assert tuple(table[0]) == CSV_COLUMNS and len(table) == 3
    x, y = traces["ok"].x, traces["ok"].y
    a_ls, b_ls = np.polyfit(x, y, 1)
    for line, t in zip(table, traces.values()):
        assert float(line["lr"]) == t.settings.lr and line["optimizer"] == "sgd" and line["data"] == "article"
        assert float(line["final_a"]) == t.final_a and float(line["final_b"]) == t.final_b  # exact: repr round-trips
        assert float(line["final_loss"]) == pytest.approx(_mse(t.final_a, t.final_b, x, y), rel=1e-12)
        assert float(line["least_squares_loss"]) == pytest.approx(_mse(a_ls, b_ls, x, y), rel=1e-9)
    assert table[2]["diverged_at_step"] == str(traces["diverged"].status.step) and traces["diverged"].status.diverged
    assert table[0]["diverged_at_step"] == "" and table[1]["steps_to_within_1pct"] == ""
    assert int(table[0]["steps_to_within_1pct"]) > 0
