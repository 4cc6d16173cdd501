"""A user's own module, recorded (training.recording), is drawn without torch: what its views
need is sampled when it is recorded (training.loop_views) into the trace's "module" member
(training.module_views), and RecordedModule answers the views from it. Numbers are checked
against the module's own forward pass, run here independently."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from training.errors import InputError
from training.module_views import CURVE_POINTS, curve_steps
from training.trace import Trace
from tests.user_loop import record_loop

ROOT = Path(__file__).resolve().parents[2]


def _record(model, X, Y, crit, epochs=6, batch=8, given=True, opt=None):
    opt = opt or torch.optim.SGD(model.parameters(), lr=0.1)
    start = copy.deepcopy(model)
    return record_loop(model, opt, crit, X, Y, epochs=epochs, batch=batch, given=given), start, model


def _load(module, vector):
    torch.nn.utils.vector_to_parameters(torch.tensor(vector, dtype=torch.float32), module.parameters())
    return module


@pytest.fixture(scope="module")
def mlp_run():
    torch.manual_seed(0)
    X = torch.linspace(-1, 1, 24).view(-1, 1)
    Y = torch.sin(3 * X)
    model = nn.Sequential(nn.Linear(1, 6), nn.Tanh(), nn.Linear(6, 1))
    return (*_record(model, X, Y, nn.MSELoss()), X, Y)


def test_the_curve_is_the_modules_output_at_each_stored_step(mlp_run):
    trace, start, model, X, Y = mlp_run
    v = trace.module_views
    path = np.vstack([trace.params, trace.final_params[None, :]])
    assert np.array_equal(v.curve_steps, curve_steps(len(path))) and v.curves.shape == (len(path), CURVE_POINTS)
    probe = copy.deepcopy(model)
    xt = torch.tensor(v.curve_x, dtype=torch.float32).view(-1, 1)
    for k in (0, 5, len(path) - 1):
        with torch.no_grad():
            want = _load(probe, path[k])(xt).view(-1).double().numpy()
        assert np.array_equal(v.curves[k], want)
    assert v.curve_x[0] < X.min().item() and v.curve_x[-1] > X.max().item()  # the data and a margin


def test_recorded_module_answers_the_views_on_the_path_and_between(mlp_run):
    trace = mlp_run[0]
    m, v = trace.model, trace.module_views
    k = 7
    assert m.where(trace.params[k]) == k and m.where(trace.final_params) == trace.n_steps
    xs = v.curve_x[::3]
    assert np.allclose(m.predict(trace.params[k], xs), v.curves[k, ::3], rtol=0, atol=1e-12)
    half = trace.params[k] + 0.25 * trace.updates[k]  # a step drawn a quarter of the way
    assert m.where(half) == pytest.approx(k + 0.25, abs=1e-6)
    assert np.allclose(m.predict(half, xs), 0.75 * v.curves[k, ::3] + 0.25 * v.curves[k + 1, ::3], atol=1e-9)
    assert m.loss(trace.params[k]) == trace.steps["full_loss"][k]
    assert m.loss(trace.final_params) == v.final_loss
    assert np.isnan(m.loss(trace.final_params + 1.0))  # off the path: no answer rather than a guess


def test_final_loss_and_landscape_use_the_modules_own_forward_pass(mlp_run):
    trace, start, model, X, Y = mlp_run
    with torch.no_grad():
        assert trace.module_views.final_loss == nn.MSELoss()(model(X), Y).item()
        wide = copy.deepcopy(model).double()
        want = nn.MSELoss()(wide(X.double()), Y.double()).item()  # float64, at the final parameters
    land = trace.landscape
    i, j = land.grid.origin
    assert land.grid.loss[j, i] == pytest.approx(want, rel=1e-12)
    assert land.plane.kind == "pca" and trace.module_views.note == ""


def test_the_trace_round_trips(mlp_run, tmp_path):
    trace = mlp_run[0]
    for name in ("t.json", "t.sgdtrace"):
        trace.to_file(tmp_path / name)
        back = Trace.from_file(tmp_path / name)
        assert back == trace
        assert np.array_equal(back.module_views.curves, trace.module_views.curves)
        assert back.model.loss(back.final_params) == trace.module_views.final_loss


@pytest.mark.subprocess
def test_a_recorded_module_loads_and_plans_without_torch(mlp_run, tmp_path):
    mlp_run[0].to_file(tmp_path / "t.json")
    code = ("import sys; from training.trace import Trace; from scenes.story.story import as_story; "
            f"t = Trace.from_file({str(tmp_path / 't.json')!r}); s = as_story(t); s.plan(); "
            "print(t.model.predict(t.final_params, [0.0]).shape, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == "False"


def test_two_parameters_get_the_exact_plane_from_a_grid_of_the_modules_loss():
    torch.manual_seed(1)
    X = torch.linspace(-1, 1, 16).view(-1, 1)
    Y = 0.5 * X + 0.2
    trace, start, model = _record(nn.Linear(1, 1), X, Y, nn.L1Loss(), epochs=4)  # not the article's: schema 2
    assert trace.schema_version == 2 and trace.model.plane == ("weight[0]", "bias[0]")
    from scenes.story.model_words import words_of
    words = words_of(trace.model)
    assert words.loss_name == "L1" and not words.shares  # its own loss: no closed-form shares of it
    v = trace.module_views
    probe = copy.deepcopy(model).double()
    for i, j in ((0, 0), (30, 17), (60, 60)):
        torch.nn.utils.vector_to_parameters(torch.tensor([v.pair_p0[i], v.pair_p1[j]], dtype=torch.float64),
                                            probe.parameters())
        with torch.no_grad():
            assert v.pair_loss[j, i] == pytest.approx(nn.L1Loss()(probe(X.double()), Y.double()).item(), rel=1e-12)
    path = np.vstack([trace.params, trace.final_params[None, :]])
    assert v.pair_p0[0] < path[:, 0].min() and v.pair_p1[-1] > path[:, 1].max()  # the grid covers the path
    off = np.array([v.pair_p0[30] + 1e-3, v.pair_p1[17]])  # off the path: the grid, interpolated
    assert trace.model.loss(off) == pytest.approx(v.pair_loss[17, 30], rel=1e-2)


def test_a_module_of_two_inputs_is_recorded_and_its_fit_view_says_there_is_no_curve():
    torch.manual_seed(2)
    X = torch.randn(20, 2)
    Y = X[:, :1] - 0.5 * X[:, 1:]
    trace, _, _ = _record(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)), X, Y, nn.MSELoss(), epochs=3,
                          given=False)
    v = trace.module_views
    assert v.curves is None and "2 inputs → 1 output: no curve" in v.note
    assert np.isnan(trace.model.predict(trace.final_params, [0.0, 1.0])).all()
    from scenes.story.model_words import words_of
    assert words_of(trace.model).formula.startswith("2 inputs → 1 output: no curve")
    assert v.final_loss is not None and trace.landscape is not None  # the rows seen are the data


def test_a_bad_module_member_is_refused_in_one_line(mlp_run):
    doc = json.loads(mlp_run[0].to_json())
    for change, words in ((lambda m: m["curve"].update(steps=[5, 3]), "must increase"),
                          (lambda m: m["curve"]["y"][0].pop(), "row 0 must hold"),
                          (lambda m: m.update(pair={"p0": [0, 1], "p1": [0, 1], "loss": [[1, 1], [1, 1]]}), "2 parameters"),
                          (lambda m: m.update(final_loss="x"), "final_loss")):
        bad = copy.deepcopy(doc)
        change(bad["module"])
        with pytest.raises(InputError, match=words) as e:
            Trace.from_dict(bad)
        assert "\n" not in str(e.value)
    line = json.loads(Trace.from_dict(doc).to_json())
    line["config"]["model"] = {"kind": "mlp", "hidden": 6, "activation": "tanh"}
    with pytest.raises(InputError, match="belongs to a trace of a recorded module"):
        Trace.from_dict(line)
