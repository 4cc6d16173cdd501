"""The model registry (training/models, issue 23): each family's names, numpy forward pass,
loss and closed-form gradient against PyTorch in float64, and the settings that choose a
model, with their refusals."""
from __future__ import annotations

import tomllib

import numpy as np
import pytest
import torch

from tests.helpers import ROOT, run_main
from training.config import MAX_STEPS, TrainConfig, max_steps
from training.data import Dataset
from training.errors import InputError
from training.models import MAX_PARAMS, MODELS, MLP, Line, Logistic, Poly, flatten_names, model_of

X = np.array([-1.3, -0.4, 0.0, 0.35, 0.9, 1.7, 2.2])
Y = np.array([0.5, -0.2, 0.1, 0.3, 0.8, 1.1, 0.4])
LABELS = np.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0])
FAMILIES = [Line(), Poly(1), Poly(3), Poly(8), Logistic(), MLP(2, "tanh"), MLP(7, "tanh"), MLP(5, "relu")]
IDS = [m.describe() for m in FAMILIES]


def _torch64(model, seed: int = 0):
    """The family's torch module in float64 with random parameters; the parameter vector."""
    torch.manual_seed(seed)
    module = model.module().double()
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, dtype=torch.float64) * 0.7)
    vector = torch.cat([p.detach().reshape(-1) for p in module.parameters()]).numpy()
    return module, vector


def _target(model):
    return LABELS if model.kind == "logistic" else Y


def test_the_registry_and_each_familys_names():
    assert tuple(MODELS) == ("line", "poly", "logistic", "mlp")
    assert Poly(3).param_names == ("c0", "c1", "c2", "c3") and Logistic().param_names == ("w", "b")
    assert Line().param_names == ("a", "b") and MLP(3).n_params == 10
    assert MLP(64).n_params == MAX_PARAMS == 193
    assert Line().plane == ("a", "b") and Logistic().plane == ("w", "b") and Poly(1).plane == ("c1", "c0")
    assert Poly(2).plane is None and MLP(4).plane is None


@pytest.mark.parametrize("model", [MLP(3, "tanh"), MLP(6, "relu")], ids=str)
def test_mlp_names_are_pytorchs_parameters_flattened_in_order(model):
    module = model.module()
    assert model.param_names == flatten_names([(n, tuple(p.shape)) for n, p in module.named_parameters()])
    assert model.param_names[0] == "0.weight[0]" and model.param_names[-1] == "2.bias[0]"


@pytest.mark.parametrize("model", FAMILIES, ids=IDS)
def test_numpy_forward_and_loss_equal_torchs_in_float64(model):
    module, theta = _torch64(model)
    if model.kind == "poly":
        module.powers = module.powers.double()
    x = torch.tensor(X).unsqueeze(1)
    y = torch.tensor(_target(model)).unsqueeze(1)
    with torch.no_grad():
        out = module(x)
        loss = model.criterion()(out, y).item()
        pred = model.torch_pred(out).numpy().reshape(-1)
    scale = max(1.0, float(np.abs(out.numpy()).max()))
    assert np.allclose(model.output(theta, X), out.numpy().reshape(-1), rtol=0, atol=1e-12 * scale)
    assert np.allclose(model.predict(theta, X), pred, rtol=0, atol=1e-12 * scale)
    assert model.loss(theta, X, _target(model)) == pytest.approx(loss, rel=1e-12)
    # Stacks of parameter vectors (a grid over a plane) broadcast over the leading axes.
    stack = np.stack([theta, 0.5 * theta, -theta]).reshape(3, 1, -1)
    losses = model.loss(stack, X, _target(model))
    assert losses.shape == (3, 1) and losses[0, 0] == pytest.approx(loss, rel=1e-12)
    assert losses[1, 0] == pytest.approx(float(model.loss(0.5 * theta, X, _target(model))), rel=1e-12)


@pytest.mark.parametrize("model", [m for m in FAMILIES if m.kind != "mlp"], ids=[i for i in IDS if "mlp" not in i])
def test_closed_form_gradients_equal_autograd_in_float64(model):
    module, theta = _torch64(model, seed=3)
    if model.kind == "poly":
        module.powers = module.powers.double()
    loss = model.criterion()(module(torch.tensor(X).unsqueeze(1)), torch.tensor(_target(model)).unsqueeze(1))
    loss.backward()
    autograd = torch.cat([p.grad.reshape(-1) for p in module.parameters()]).numpy()
    closed = model.gradient(theta, X, _target(model))
    assert np.allclose(closed, autograd, rtol=1e-12, atol=1e-12)
    assert model.gradient(np.stack([theta, theta]), X, _target(model)).shape == (2, model.n_params)


def test_the_mlp_has_no_closed_form_gradient_and_starts_at_pytorchs_init():
    assert MLP(4).gradient(np.zeros(13), X, Y) is None and MLP(4).start() is None
    assert np.array_equal(Poly(2).start(), np.zeros(3)) and np.array_equal(Logistic().start(), np.zeros(2))


def test_bce_is_stable_for_large_logits():
    m = Logistic()
    assert np.isfinite(m.loss(np.array([800.0, 0.0]), X, LABELS))
    assert m.loss(np.array([800.0, 0.0]), np.array([1.0]), np.array([1.0])) == 0.0
    assert m.predict(np.array([-800.0, 0.0]), np.array([1.0]))[0] == 0.0


# ------------------------------------------------------------------ settings
def test_settings_choose_the_model_and_its_defaults():
    assert model_of(TrainConfig()) == Line()
    assert model_of(TrainConfig(model="poly")) == Poly(3)
    assert model_of(TrainConfig(model="mlp", hidden=5)) == MLP(5, "tanh")
    assert TrainConfig(model="mlp", activation="relu").model_spec == MLP(8, "relu")


def test_the_line_stores_its_config_as_before_and_others_store_config_model():
    line = TrainConfig().to_dict()
    assert not {"model", "degree", "hidden", "activation"} & set(line) and line["init_a"] == 1.0
    poly = TrainConfig(model="poly", degree=2).to_dict()
    assert poly["model"] == {"kind": "poly", "degree": 2} and "init_a" not in poly and "degree" not in poly
    mlp = TrainConfig(model="mlp").to_dict()
    assert mlp["model"] == {"kind": "mlp", "hidden": 8, "activation": "tanh"}
    again = TrainConfig.from_dict(mlp)
    assert again.to_dict() == mlp and again.model_spec == MLP(8, "tanh")


@pytest.mark.parametrize("settings, words", [
    (dict(model="poly", degree=0), "degree must be a whole number from 1 to 8, got 0"),
    (dict(model="poly", degree=20), "degree must be a whole number from 1 to 8, got 20"),
    (dict(model="mlp", hidden=0), "hidden units must be a whole number from 2 to 64, got 0"),
    (dict(model="mlp", hidden=10**6), "got 1000000"),
    (dict(model="line", degree=3), "--degree applies to --model poly only"),
    (dict(model="logistic", hidden=4), "--hidden applies to --model mlp only"),
    (dict(model="poly", activation="tanh"), "--activation applies to --model mlp only"),
    (dict(model="mlp", activation="sigmoid"), "unknown activation 'sigmoid'"),
    (dict(model="poly", init_a=0.5), "--init-a/--init-b set the line's start"),
    (dict(model="cubic"), "unknown model 'cubic'; accepted: line, poly, logistic, mlp"),
])
def test_settings_refused_in_one_line(settings, words):
    with pytest.raises(InputError, match=None) as e:
        TrainConfig(**settings).validate()
    assert words in str(e.value) and "\n" not in str(e.value)


def test_the_step_cap_falls_as_the_model_grows():
    assert max_steps() == max_steps(2) == MAX_STEPS
    assert max_steps(193) == 193_050 and max_steps(25) < MAX_STEPS
    TrainConfig(model="mlp", hidden=64, epochs=193_050, batch_size=1).validate(1)
    with pytest.raises(InputError, match="at most 193,050 are allowed for mlp"):
        TrainConfig(model="mlp", hidden=64, epochs=193_051, batch_size=1).validate(1)


def test_logistic_refuses_labels_that_are_not_0_or_1():
    from training.recorder import record
    with pytest.raises(InputError, match=r"needs labels y of 0 or 1; row 2 has y = 0.5"):
        record(TrainConfig(model="logistic"), Dataset(np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.5, 1.0]), "t"))


# ------------------------------------------------------------------ config files and flags
def test_toml_takes_flat_keys_or_an_inline_model_table(tmp_path):
    from scenes.job import build_job, job_to_toml, load_config_file
    flat = tmp_path / "flat.toml"
    flat.write_text('[training]\nmodel = "poly"\ndegree = 2\n')
    inline = tmp_path / "inline.toml"
    inline.write_text('[training]\nmodel = {kind = "poly", degree = 2}\n')
    a, b = (build_job([load_config_file(p)]).train for p in (flat, inline))
    assert a == b and a.model_spec == Poly(2)
    written = tomllib.loads(job_to_toml(build_job([load_config_file(inline)])))
    assert written["training"]["model"] == "poly" and written["training"]["degree"] == 2
    assert "model" not in tomllib.loads(job_to_toml(build_job([])))["training"]  # the line: as before
    bad = tmp_path / "bad.toml"
    bad.write_text('[training]\nmodel = {kind = "poly", hidden = 2}\n')
    with pytest.raises(InputError, match="hidden does not apply to poly"):
        load_config_file(bad)


def test_init_in_a_config_starts_poly_and_logistic_there_and_is_kept(tmp_path):
    """``init = [...]``: the recorded first parameters, the trace's config read back, the
    written config.toml; a run without it is stored as before (no init key)."""
    from scenes.job import build_job, job_to_toml, load_config_file
    from training.recorder import record
    from training.trace import Trace
    cfg = tmp_path / "poly.toml"
    cfg.write_text('[training]\nmodel = "poly"\ndegree = 2\ninit = [0.25, -1, 0.5]\nepochs = 1\n')
    job = build_job([load_config_file(cfg)])
    assert job.train.init == (0.25, -1.0, 0.5)
    trace = record(job.train, Dataset(X, Y, "t"))
    assert trace.params[0].tolist() == [0.25, -1.0, 0.5]  # exact in float32
    assert trace.config["init"] == [0.25, -1.0, 0.5]
    trace.to_file(tmp_path / "t.json")
    assert Trace.from_file(tmp_path / "t.json").settings.init == (0.25, -1.0, 0.5)
    again = tmp_path / "again.toml"
    again.write_text(job_to_toml(job))
    assert build_job([load_config_file(again)]).train == job.train
    plain = record(TrainConfig(model="logistic", epochs=1), Dataset(X, LABELS, "t"))
    assert "init" not in plain.config and plain.params[0].tolist() == [0.0, 0.0]
    started = record(TrainConfig(model="logistic", epochs=1, init=[1.5, -0.5]), Dataset(X, LABELS, "t"))
    assert started.params[0].tolist() == [1.5, -0.5]


def test_init_flags_are_refused_with_another_model_even_at_their_defaults():
    from scenes.job import build_job
    with pytest.raises(InputError, match="--init-a, --init-b: the line's start does not apply to --model mlp"):
        build_job([{"model": "mlp", "init_a": 1.0, "init_b": 1.0}])


@pytest.mark.parametrize("config, first, least", [("poly3", 0.2, 0.02), ("logistic", 0.69, 0.2), ("mlp_sine", 0.13, 0.02)])
def test_the_bundled_examples_learn(config, first, least):
    """Each example's full-data loss at least halves (they teach something only if they learn)."""
    from scenes.job import build_job, load_config_file
    from training.recorder import record
    train = build_job([load_config_file(ROOT / "assets" / "configs" / f"{config}.toml")]).train
    assert train.model != "line"
    trace = record(train, base_dir=ROOT)
    start, end = trace.steps["full_loss"][0], trace.final_full_loss
    assert start > first and end < least and end <= start / 2 and not trace.status.diverged


def test_poly_example_sgd_crawls_where_momentum_does_not():
    """The poly3 example's lesson, as its comment states it: the same steps, momentum far lower."""
    from scenes.job import build_job, load_config_file
    from training.recorder import record
    train = build_job([load_config_file(ROOT / "assets" / "configs" / "poly3.toml")]).train
    from dataclasses import replace
    sgd = record(train, base_dir=ROOT).final_full_loss
    momentum = record(replace(train, optimizer="momentum", lr=0.1), base_dir=ROOT).final_full_loss
    assert momentum < sgd / 5


@pytest.mark.parametrize("argv, words", [
    (["--model", "logistic", "--backend", "manim"], "--model logistic: the Manim backend draws the line model only"),
    (["--model", "poly", "--degree", "20", "--record-only"], "degree must be a whole number from 1 to 8"),
    (["--model", "mlp", "--hidden", "1000000", "--record-only"], "from 2 to 64"),
    (["--model", "logistic", "--record-only"], "needs labels y of 0 or 1"),
    (["--model", "poly", "--init-b", "0", "--record-only"], "--init-b: the line's start"),
    (["--hidden", "4", "--record-only"], "--hidden applies to --model mlp only"),
    (["--model", "poly", "--init", "0,0.5,0", "--record-only"],
     "init has 3 numbers; poly (degree 3) has 4 parameters (c0, c1, c2, c3)"),
    (["--model", "logistic", "--init", "0,nan", "--record-only"], "init: every number must be finite"),
    (["--model", "logistic", "--init", "0,x", "--record-only"], "init must be numbers separated by commas"),
    (["--init", "1,2", "--record-only"], "init applies to --model poly or logistic; the line starts at --init-a"),
    (["--model", "mlp", "--init", "1,2", "--record-only"], "--model mlp starts from PyTorch's default initialisation"),
    (["--model", "mlp", "--compare", "optimizer=sgd,adam", "--backend", "manim"],
     "--model mlp: a comparison's race in Manim draws the line model only"),
    (["--compare", "model=line,poly"], "--compare: model cannot vary: a comparison races runs of one model"),
    (["--model", "poly", "--compare", "degree=2,3"], "--compare: degree cannot vary"),
])
def test_the_command_line_refuses_in_one_line_and_writes_nothing(capsys, tmp_path, argv, words):
    out = tmp_path / "out"
    code, _, err = run_main(capsys, *argv, "--epochs", "2", "--out", str(out))
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_record_only_writes_a_schema_2_trace(capsys, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = run_main(capsys, "--model", "mlp", "--hidden", "3", "--epochs", "2", "--record-only",
                                 "--out", str(out))
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["trace.json"]
    import json
    doc = json.loads((out / "trace.json").read_text())
    assert doc["schema_version"] == 2 and doc["config"]["model"] == {"kind": "mlp", "hidden": 3, "activation": "tanh"}
    assert doc["param_names"] == list(MLP(3).param_names) and len(doc["steps"]["params"][0]) == 10
    # Re-rendered with --trace in a format that draws the line only (while one does): refused in
    # one line, nothing written (matplotlib draws it).
    from scenes.story.drawable import LINE_ONLY, LINE_ONLY_FORMATS
    fmt = next((f for f in LINE_ONLY_FORMATS if f in LINE_ONLY), None)
    if fmt is not None:
        code, _, err = run_main(capsys, "--trace", str(out / "trace.json"), "--format", fmt,
                                "--out", str(tmp_path / "again"))
        assert code == 2 and f"--format {fmt} draws the line model only" in err and not (tmp_path / "again").exists()
