"""The loss landscape recorded into a schema-2 trace (issue 23, item 3): the grid's origin is the
final full-data loss, the path points are the least-squares coordinates of the recorded
parameters, the stored landscape round-trips JSON and binary and is refused in one line when
malformed, and ``--plane`` is refused on a model of two parameters."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.helpers import run_main
from training import record
from training.cache import cache_key
from training.config import TrainConfig
from training.data import Dataset
from training.errors import InputError
from training.landscape import Plane
from training.landscape_io import landscape_to_dict
from training.landscape_trace import (MAX_PATH_POINTS, Landscape, landscape_of, param_groups, path_of,
                                      project_vectors, sample_steps)
from training.trace import Trace

XS = np.linspace(-1, 2, 12)
POLY = Dataset(XS, 0.3 - XS + 0.5 * XS**2, "t")
SINE = Dataset(XS, np.sin(2 * XS), "t")


@pytest.fixture(scope="module")
def traces() -> dict[str, Trace]:
    return {"poly": record(None, POLY, model="poly", degree=3, lr=0.05, batch_size=5, epochs=6, drop_last=False),
            "mlp": record(None, SINE, model="mlp", hidden=4, lr=0.2, batch_size=4, epochs=20, shuffle=True),
            "mlp_random": record(None, SINE, model="mlp", hidden=4, optimizer="momentum", lr=0.05, batch_size=4,
                                 epochs=10, plane="random", seed=3)}


def _points(trace: Trace) -> np.ndarray:
    return np.vstack([trace.steps["params"], trace.final_params[None, :]])


def _mlp_loss_by_hand(params: np.ndarray, hidden: int, x: np.ndarray, y: np.ndarray) -> float:
    """1 -> H -> 1 tanh MSE, one point and one unit at a time (not the registry's einsum)."""
    w1, b1, w2, b2 = params[:hidden], params[hidden:2 * hidden], params[2 * hidden:3 * hidden], params[3 * hidden]
    total = 0.0
    for xi, yi in zip(x, y):
        out = b2 + sum(w2[j] * np.tanh(w1[j] * xi + b1[j]) for j in range(hidden))
        total += (out - yi) ** 2
    return total / len(x)


# ------------------------------------------------------------------ the numbers
@pytest.mark.parametrize("kind", ["poly", "mlp", "mlp_random"])
def test_the_grids_origin_is_the_final_full_data_loss(traces, kind):
    trace = traces[kind]
    land = trace.landscape
    assert land is not None and land.kind == ("random" if kind == "mlp_random" else "pca")
    i, j = land.grid.origin
    assert land.grid.alpha[i] == 0.0 and land.grid.beta[j] == 0.0
    assert np.array_equal(land.plane.centre, trace.final_params)
    assert land.grid.loss[j, i] == pytest.approx(trace.final_full_loss, rel=4 * np.finfo(float).eps, abs=0)
    if kind == "poly":  # and against the closed form: mean((Phi c - y)^2) in float64
        phi = XS[:, None] ** np.arange(4)
        assert land.grid.loss[j, i] == pytest.approx(np.mean((phi @ trace.final_params - POLY.y) ** 2), rel=1e-13)
    else:
        assert land.grid.loss[j, i] == pytest.approx(_mlp_loss_by_hand(trace.final_params, 4, XS, SINE.y), rel=1e-13)


@pytest.mark.parametrize("kind", ["poly", "mlp", "mlp_random"])
def test_path_points_are_the_least_squares_coordinates_of_the_recorded_parameters(traces, kind):
    trace = traces[kind]
    land = trace.landscape
    points = _points(trace)
    assert np.array_equal(land.steps, np.arange(trace.n_steps + 1))  # a short run: every point stored
    basis = np.stack([land.plane.d1, land.plane.d2], axis=1)
    coef, *_ = np.linalg.lstsq(basis, (points - land.plane.centre).T, rcond=None)
    scale = np.abs(coef).max()
    assert np.allclose(land.alpha, coef[0], rtol=0, atol=1e-12 * scale)
    assert np.allclose(land.beta, coef[1], rtol=0, atol=1e-12 * scale)
    residual = np.linalg.norm((points - land.plane.centre).T - basis @ coef, axis=0)
    assert np.allclose(land.distance, residual, rtol=0, atol=1e-12 * max(1.0, residual.max()))
    assert land.alpha[-1] == pytest.approx(0, abs=1e-15) and land.distance[-1] == pytest.approx(0, abs=1e-15)
    whole = path_of(land, trace)  # the views' per-step positions: the same numbers
    assert np.array_equal(whole.alpha, land.alpha) and np.array_equal(whole.beta, land.beta)


def test_the_true_loss_and_the_surfaces_loss_under_it(traces):
    trace = traces["mlp"]
    land = trace.landscape
    for k in (0, trace.n_steps // 2, trace.n_steps):
        point = _points(trace)[k]
        under = land.plane.centre + land.alpha[k] * land.plane.d1 + land.beta[k] * land.plane.d2
        assert land.loss[k] == pytest.approx(_mlp_loss_by_hand(point, 4, XS, SINE.y), rel=1e-12)
        assert land.surface_loss[k] == pytest.approx(_mlp_loss_by_hand(under, 4, XS, SINE.y), rel=1e-12)
    assert land.loss[0] == pytest.approx(trace.steps["full_loss"][0], rel=1e-5)  # torch's float32 loss
    assert np.abs(land.gap).max() > 0  # the picture is not the run: off the plane, the loss differs
    assert 0 < land.captured <= 1


def test_pca_label_and_shares(traces):
    land = traces["mlp"].landscape
    s1, s2 = land.plane.shares
    assert land.label == f"PC1 {100 * s1:.0f} %, PC2 {100 * s2:.0f} %" and s1 >= s2 >= 0
    # captured: the share of sum |theta - centre|^2 in the plane; with centring "final" the shares'
    assert land.captured == pytest.approx(s1 + s2, abs=1e-12)
    assert traces["mlp_random"].landscape.label == "random directions (seed 3)"


def test_vector_arrows_are_least_squares_and_follow_the_path(traces):
    trace = traces["mlp_random"]  # random directions: not orthonormal in general
    land = trace.landscape
    upd = project_vectors(land.plane, trace.updates)
    basis = land.plane.basis
    coef, *_ = np.linalg.lstsq(basis, trace.updates.T, rcond=None)
    assert np.allclose(upd.dalpha, coef[0], atol=1e-12 * np.abs(coef).max(), rtol=0)
    assert np.allclose(upd.dbeta, coef[1], atol=1e-12 * np.abs(coef).max(), rtol=0)
    # the projection is linear: an update moves the projected point by its own projection
    assert np.allclose(np.diff(land.alpha), upd.dalpha, atol=1e-9 * np.abs(land.alpha).max(), rtol=0)
    one = land.vectors(trace.grads[0])
    assert np.ndim(one.dalpha) == 0 and one.off >= 0
    off = np.linalg.norm(trace.grads[0] - basis @ np.array([one.dalpha, one.dbeta]))
    assert one.off == pytest.approx(off, rel=1e-9)


def test_random_planes_use_the_models_tensors_as_filters(traces):
    import torch  # the registry's shapes against the real module's (torch is loaded: the fixture recorded)
    for model in (traces["mlp"].model, traces["poly"].model):
        named = [(n, tuple(p.shape)) for n, p in model.module().named_parameters()]
        assert [(g.name, g.shape) for g in param_groups(model)] == named
    assert torch is not None
    land = traces["mlp_random"].landscape
    h, centre = 4, land.plane.centre
    w2 = slice(2 * h, 3 * h)  # the output layer's weight (1, H) is one filter: its norm is kept
    assert np.linalg.norm(land.plane.d1[w2]) == pytest.approx(np.linalg.norm(centre[w2]), rel=1e-12)


def test_two_parameter_models_have_no_landscape():
    line = record(epochs=1)
    logistic = record(None, Dataset(XS, (XS > 0.4).astype(float), "t"), model="logistic", epochs=2, batch_size=4)
    poly1 = record(None, POLY, model="poly", degree=1, epochs=2, batch_size=4)
    for trace in (line, logistic, poly1):
        assert trace.landscape is None and landscape_of(trace) is None
        assert '"landscape"' not in trace.to_json()


def test_a_long_path_is_sampled_and_the_stored_size_is_bounded():
    steps = sample_steps(10**6)
    assert len(steps) == MAX_PATH_POINTS and steps[0] == 0 and steps[-1] == 10**6 - 1
    assert (np.diff(steps) > 0).all() and np.array_equal(sample_steps(5), np.arange(5))
    p, n = 193, MAX_PATH_POINTS  # the largest model, the most points stored
    rng = np.random.default_rng(0)
    d1, d2 = np.eye(p)[0], np.eye(p)[1]
    from training.landscape import Grid
    axis = np.linspace(-1, 1, 61)
    land = Landscape(Plane("pca", rng.standard_normal(p), d1, d2, (0.5, 0.25), None, "final"),
                     Grid(axis, axis, rng.random((61, 61))), np.arange(n), *rng.random((5, n)), 0.75)
    assert len(json.dumps(landscape_to_dict(land))) < 1_000_000


def test_a_sampled_path_round_trips(traces, tmp_path):
    trace = traces["mlp"]
    land = landscape_of(trace, most=7)
    assert len(land.steps) == 7 and land.steps[-1] == trace.n_steps
    full = trace.landscape
    assert np.allclose(land.alpha, full.alpha[land.steps], rtol=0, atol=1e-12)
    trace2 = Trace.from_json(trace.to_json())
    trace2.landscape = land
    back = Trace.from_json(trace2.to_json())
    assert np.array_equal(back.landscape.steps, land.steps) and np.array_equal(back.landscape.loss, land.loss)


# ------------------------------------------------------------------ stored and read back
@pytest.mark.parametrize("kind", ["poly", "mlp_random"])
def test_the_stored_landscape_round_trips_json_and_binary(traces, kind, tmp_path):
    trace = traces[kind]
    text = trace.to_json()
    (tmp_path / "t.json").write_text(text)
    trace.to_file(tmp_path / "t.sgdtrace")
    for back in (Trace.from_dict(json.loads(text)), Trace.from_file(tmp_path / "t.json"),
                 Trace.from_file(tmp_path / "t.sgdtrace")):
        assert back == trace and back.to_json() == text
        a, b = back.landscape, trace.landscape
        for field in ("steps", "alpha", "beta", "distance", "loss", "surface_loss"):
            assert np.array_equal(getattr(a, field), getattr(b, field)), field
        for field in ("alpha", "beta", "loss"):
            assert np.array_equal(getattr(a.grid, field), getattr(b.grid, field))
        for field in ("centre", "d1", "d2"):
            assert np.array_equal(getattr(a.plane, field), getattr(b.plane, field))
        assert (a.plane.shares, a.plane.seed, a.plane.note, a.captured) == \
            (b.plane.shares, b.plane.seed, b.plane.note, b.captured)


def _refused(doc: dict, *words: str) -> None:
    with pytest.raises(InputError) as e:
        Trace.from_json(json.dumps(doc), "bad.json")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("trace file bad.json: "), msg
    for w in words:
        assert w in msg, msg


def _set(path: str, value):
    def change(doc):
        *keys, last = path.split(".")
        node = doc["landscape"]
        for k in keys:
            node = node[int(k)] if isinstance(node, list) else node[k]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return change


@pytest.mark.parametrize("change, words", [
    (lambda d: d.__setitem__("landscape", [1, 2]), "the landscape is an object, not list"),
    (lambda d: d["landscape"].pop("grid"), "the landscape lacks grid"),
    (lambda d: d["landscape"].__setitem__("label", "PC1"), "the landscape has unknown key 'label'"),
    (lambda d: d["landscape"]["grid"]["loss"][2].pop(), "the landscape's loss row 2 has 60 values, not 61"),
    (_set("grid.loss.0.0", "x"), "the landscape's loss row 0 holds 'x', not a number"),
    (_set("plane.centre.1", 123.0), "the landscape's plane is not centred on the final parameters"),
    (lambda d: d["landscape"]["plane"]["d1"].pop(), "the landscape's d1 has 12 values, not 13"),
    (lambda d: _set("plane.d2", d["landscape"]["plane"]["d1"])(d), "d1 and d2 do not span a plane"),
    (lambda d: d["landscape"]["path"]["step"].pop(), "path.step runs up from 0 to the final point"),
    (lambda d: d["landscape"]["path"]["alpha"].pop(), "the landscape's path.alpha has"),
    (_set("path.distance.3", -1.0), "the landscape's path distances and losses are >= 0"),
    (_set("captured", 1.5), "the landscape's captured share is a number from 0 to 1"),
    (_set("plane.kind", "flat"), "plane kind is one of pca, random"),
    (_set("grid.alpha.0", 1e9), "the landscape's alpha axis is not increasing"),
])
def test_a_malformed_landscape_is_refused_in_one_line(traces, change, words):
    doc = json.loads(traces["mlp"].to_json())
    change(doc)
    _refused(doc, words)


def test_a_landscape_on_a_two_parameter_model_is_refused(traces):
    doc = json.loads(record(None, Dataset(XS, (XS > 0.4).astype(float), "t"), model="logistic", epochs=1,
                            batch_size=6).to_json())
    doc["landscape"] = json.loads(traces["mlp"].to_json())["landscape"]
    _refused(doc, "a landscape belongs to a model of more than 2 parameters; this trace's logistic has 2")


def test_a_malformed_binary_landscape_is_refused_in_one_line(traces, tmp_path):
    trace = Trace.from_json(traces["poly"].to_json())
    good = trace.landscape
    trace.landscape = Landscape(good.plane, good.grid, good.steps[:-1], good.alpha[:-1], good.beta[:-1],
                                good.distance[:-1], good.loss[:-1], good.surface_loss[:-1], good.captured)
    trace.to_file(tmp_path / "t.sgdtrace")
    with pytest.raises(InputError) as e:
        Trace.from_file(tmp_path / "t.sgdtrace")
    assert "\n" not in str(e.value) and "path.step runs up from 0 to the final point" in str(e.value)


# ------------------------------------------------------------------ the setting
@pytest.mark.parametrize("model", [{}, {"model": "logistic"}, {"model": "poly", "degree": 1}])
def test_plane_on_a_two_parameter_model_is_refused(model):
    with pytest.raises(InputError) as e:
        TrainConfig(plane="pca", **model).validate()
    assert "\n" not in str(e.value) and "--plane applies to a model of more than 2 parameters" in str(e.value)


@pytest.mark.parametrize("argv", [["--plane", "random"], ["--config", "logistic", "--plane", "pca"],
                                  ["--model", "mlp", "--plane", "flat"]])
def test_the_command_line_refuses_plane_in_one_line(capsys, tmp_path, argv):
    code, out, err = run_main(capsys, *argv, "--record-only", "--out", tmp_path / "o")
    assert code == 2 and err.count("\n") == 1 and not (tmp_path / "o").exists()
    assert "--plane applies to" in err or "unknown plane 'flat'; accepted: pca, random" in err


def test_the_plane_is_stored_when_not_the_default_and_keys_the_cache():
    base = dict(model="mlp", hidden=4)
    default, pca, random = (TrainConfig(**base, **p) for p in ({}, {"plane": "pca"}, {"plane": "random"}))
    assert "plane" not in default.to_dict() and "plane" not in pca.to_dict()
    assert random.to_dict()["plane"] == "random" and "plane" not in TrainConfig().to_dict()
    keys = {cache_key(c, SINE) for c in (default, pca, random)}
    assert len(keys) == 2 and cache_key(default, SINE) == cache_key(pca, SINE)
    assert TrainConfig.from_dict(random.to_dict()).plane == "random"


def test_a_diverged_run_still_records_and_loads():
    trace = record(None, SINE, model="mlp", hidden=4, lr=1e4, batch_size=4, epochs=5)
    assert trace.status.diverged
    back = Trace.from_json(trace.to_json())  # a landscape when one could be computed, else none
    assert (back.landscape is None) == (trace.landscape is None)
