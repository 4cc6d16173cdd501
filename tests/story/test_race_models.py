"""The race of any model (issue 23): one plane for all runs of a model of P > 2 parameters,
checked against independent computations in float64 (least-squares coordinates by lstsq, the
plane's directions as the top eigenvectors of the weighted scatter matrix, the polynomial's
loss and curve written out), the exact plane of a two-parameter model, runs.csv's columns, and
a small matplotlib render of an MLP race."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from scenes.compare.table import csv_columns, run_row, write_runs_csv
from scenes.story.race import RaceStory
from training.config import TrainConfig
from training.data import Dataset
from training.errors import InputError
from training.recorder import record

X = np.linspace(-0.6, 1.0, 14)
Y = 0.2 + 0.5 * X - 1.1 * X ** 2 + 1.4 * X ** 3 + 0.02 * np.sin(7 * X)
POLY = TrainConfig(model="poly", degree=3, lr=0.3, batch_size=7, epochs=8)


def _poly64(c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """c0 + c1·x + c2·x² + c3·x³, written out."""
    return c[0] + c[1] * x + c[2] * x ** 2 + c[3] * x ** 3


@pytest.fixture(scope="module")
def poly_runs():
    data = Dataset(X, Y, "t")
    return [("sgd", record(POLY, data)), ("momentum", record(replace(POLY, optimizer="momentum", lr=0.1), data)),
            ("bs2", record(replace(POLY, batch_size=2), data))]


@pytest.fixture(scope="module")
def poly_race(poly_runs):
    return RaceStory(poly_runs, ["optimizer"])


def test_every_run_is_projected_onto_one_plane_by_least_squares(poly_runs, poly_race):
    sh = poly_race.shared
    basis, centre = sh.plane.basis, sh.plane.centre
    assert np.allclose(basis.T @ basis, np.eye(2), atol=1e-12)  # orthonormal
    for (_, t), run in zip(poly_runs, poly_race.runs):
        path = np.vstack([t.params, t.final_params[None, :]])
        coef, *_ = np.linalg.lstsq(basis, (path - centre).T, rcond=None)
        resid = np.linalg.norm(path - centre - (basis @ coef).T, axis=1)
        assert np.allclose(run.story.path_u, coef[0], atol=1e-10)
        assert np.allclose(run.story.path_v, coef[1], atol=1e-10)
        assert np.allclose(run.story.plane.land.distance, resid, atol=1e-10)
        # Every run's story reads the same plane: its view's limits are the race's.
        assert run.story.plane.land.basis is not None and np.array_equal(run.story.plane.land.basis, basis)


def test_the_plane_goes_through_the_best_end_along_the_weighted_principal_directions(poly_runs, poly_race):
    sh = poly_race.shared
    ends = [float(np.mean((_poly64(t.final_params, X) - Y) ** 2)) for _, t in poly_runs]
    best = int(np.argmin(ends))
    assert sh.centre_run == best and np.array_equal(sh.plane.centre, poly_runs[best][1].final_params)
    # Each run weighs the same: rows (θ − centre)/√n_r; the plane's directions are the top two
    # eigenvectors of the scatter matrix of those rows, and its share what they hold of it.
    rows = [(np.vstack([t.params, t.final_params[None, :]]) - sh.plane.centre) for _, t in poly_runs]
    scatter = sum(r.T @ r / len(r) for r in rows)
    w, v = np.linalg.eigh(scatter)
    assert abs(abs(v[:, -1] @ sh.plane.d1) - 1) < 1e-8 and abs(abs(v[:, -2] @ sh.plane.d2) - 1) < 1e-8
    assert sh.captured == pytest.approx((w[-1] + w[-2]) / w.sum(), abs=1e-10)
    assert sh.plane.shares == pytest.approx((w[-1] / w.sum(), w[-2] / w.sum()), abs=1e-10)
    assert "one plane for all runs: PC1" in poly_race.contour_note and poly_runs[best][0] in poly_race.contour_note


def test_the_surface_is_the_real_loss_and_the_curves_and_losses_are_the_models(poly_runs, poly_race):
    sh = poly_race.shared
    A, B, L, levels = poly_race.contours()
    for i, j in ((0, 0), (17, 40), (60, 60)):  # a few grid nodes, written out
        c = sh.plane.centre + A[i, j] * sh.plane.d1 + B[i, j] * sh.plane.d2
        assert L[i, j] == pytest.approx(np.mean((_poly64(c, X) - Y) ** 2), rel=1e-12)
    oi, oj = sh.grid.origin
    assert sh.grid.loss[oj, oi] == pytest.approx(np.mean((_poly64(sh.plane.centre, X) - Y) ** 2), rel=1e-13)
    assert sh.grid.loss[oj, oi] == poly_runs[sh.centre_run][1].final_full_loss  # the best run's end, exactly
    xs = np.linspace(-1, 1, 9)
    for r, (_, t) in enumerate(poly_runs):
        path = np.vstack([t.params, t.final_params[None, :]])
        want = [np.mean((_poly64(p, X) - Y) ** 2) for p in path]
        assert np.allclose(poly_race.runs[r].path_loss, want, rtol=1e-12)
        k = len(path) // 2
        assert np.allclose(poly_race.curve(r, k, xs), _poly64(path[k], xs), rtol=1e-12, atol=1e-15)
    assert poly_race.axis_labels == ("α (PC1 direction)", "β (PC2 direction)")
    assert poly_race.words.loss_name == "MSE" and not poly_race.is_line


def test_a_two_parameter_model_races_on_its_exact_plane():
    x = np.array([-2.0, -1.0, -0.5, 0.3, 1.0, 2.2])
    y = np.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0])
    cfg = TrainConfig(model="logistic", lr=0.5, batch_size=3, epochs=6)
    data = Dataset(x, y, "t")
    race = RaceStory([("sgd", record(cfg, data)), ("adam", record(replace(cfg, optimizer="adam"), data))], ["optimizer"])
    assert race.shared is None and race.axis_labels == ("w (weight)", "b (bias)") and race.optimum() is None
    A, B, L, _ = race.contours(n=21)
    w, b = A[5, 7], B[5, 7]
    z = w * x + b
    assert L[5, 7] == pytest.approx(np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))), rel=1e-12)
    assert np.allclose(race.curve(0, 0, x), 1 / (1 + np.exp(-(race.line(0, 0)[0] * x + race.line(0, 0)[1]))))


def test_runs_of_different_models_are_refused(poly_runs):
    line = record(TrainConfig(epochs=2))
    with pytest.raises(InputError, match="a race draws runs of one model on one picture; these are line, poly"):
        RaceStory([("line", line), ("poly", poly_runs[0][1])])


def test_runs_csv_has_a_column_for_each_parameter_and_the_polys_least_squares(poly_runs, tmp_path):
    rows = [run_row(label, {"optimizer": label}, t) for label, t in poly_runs]
    phi = X[:, None] ** np.arange(4)
    coef = np.linalg.solve(phi.T @ phi, phi.T @ Y)  # the normal equations
    assert rows[0].least_squares_loss == pytest.approx(np.mean((phi @ coef - Y) ** 2), rel=1e-9)
    text = write_runs_csv(rows, tmp_path / "runs.csv").read_text().splitlines()
    assert tuple(text[0].split(",")) == csv_columns(("c0", "c1", "c2", "c3"))
    assert csv_columns() == csv_columns(("a", "b")) and "final_a,final_b" in ",".join(csv_columns())
    cells = text[1].split(",")
    final = poly_runs[0][1].final_params
    start = len(csv_columns()) - 6
    assert [float(v) for v in cells[start:start + 4]] == list(final)


@pytest.mark.slow
def test_an_mlp_race_renders_with_its_plane_note(tmp_path):
    from scenes.compare.race import render_race
    from scenes.story.plan import PlanSettings
    x = np.linspace(-2, 2, 16)
    data = Dataset(x, np.sin(x), "t")
    cfg = TrainConfig(model="mlp", hidden=3, lr=0.1, batch_size=4, epochs=4)
    runs = [("sgd", record(cfg, data)), ("adam", record(replace(cfg, optimizer="adam"), data))]
    plan = PlanSettings(intro=0.5, fast_forward=0.5, hold=0.5, fps=4)
    (png,) = render_race(runs, tmp_path, varied=["optimizer"], formats=["png"], size=(480, 270), fps=4, plan=plan)
    from PIL import Image
    img = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert img.shape == (270, 480, 3) and img.std() > 20
