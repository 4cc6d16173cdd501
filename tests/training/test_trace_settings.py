"""The trace's config, typed: ``trace.settings`` is a validated TrainConfig, the only
reading of the settings that later stages use (no torch here)."""
from __future__ import annotations

import copy
import json

import pytest

from training.config import TrainConfig
from training.errors import InputError
from training.trace import SCHEMA_VERSION, Trace

DOC = {
    "schema_version": SCHEMA_VERSION,
    "config": {"lr": 0.05, "optimizer": "momentum", "momentum": 0.8, "nesterov": True,
               "data": {"kind": "synthetic", "n": 4, "noise": 0.1}},
    "versions": {},
    "status": {"state": "completed"},
    "final": {"a": 0.9, "b": 0.8},
    "n_steps": 3,
    "data": {"x": [0.2, 0.4, 0.6, 0.8], "y": [0.18, 0.32, 0.42, 0.48]},
    "steps": {
        "epoch": [0, 0, 1], "batch": [0, 1, 0], "a": [1.0, 0.95, 0.93], "b": [1.0, 0.9, 0.85],
        "loss": [1.0, 0.8, 0.7], "full_loss": [1.1, 0.9, 0.8], "grad_a": [0.5, 0.4, 0.3],
        "grad_b": [1.0, 0.9, 0.8], "update_a": [-0.05, -0.04, -0.03], "update_b": [-0.1, -0.09, -0.08],
        "indices": [[0, 1, 2], [3], [0, 1, 2]], "pred": [[1.2, 1.4, 1.6], [1.7], [1.2, 1.4, 1.6]],
        "residual": [[1.02, 1.08, 1.18], [1.22], [1.02, 1.08, 1.18]],
    },
}


def load(**config) -> Trace:
    doc = copy.deepcopy(DOC)
    doc["config"] = config
    return Trace.from_json(json.dumps(doc), "t.json")


def test_settings_are_typed_and_complete():
    s = Trace.from_json(json.dumps(DOC)).settings
    assert isinstance(s, TrainConfig)
    assert (s.lr, s.optimizer, s.momentum, s.nesterov) == (0.05, "momentum", 0.8, True)
    assert s.data.kind == "synthetic" and s.data.n == 4 and s.data.noise == 0.1
    # Missing epochs and batch size are read off the steps, not a default of 100 and 2.
    assert (s.epochs, s.batch_size) == (2, 3)


def test_empty_config_takes_defaults_in_one_place():
    s = load().settings
    assert (s.lr, s.optimizer, s.effective_momentum, s.init_a) == (0.1, "sgd", 0.0, 1.0)


def test_adam_has_no_momentum_and_old_traces_with_zero_still_load():
    assert load(optimizer="adam").settings.momentum is None
    assert load(optimizer="adam", momentum=0.0).settings.momentum is None
    with pytest.raises(InputError, match="momentum does not apply to adam"):
        load(optimizer="adam", momentum=0.5)


def test_recorded_dict_states_the_momentum_used():
    assert TrainConfig(optimizer="momentum").to_dict()["momentum"] == 0.9
    assert TrainConfig().to_dict()["momentum"] == 0.0
    assert "momentum" not in TrainConfig(optimizer="adam").to_dict()
    assert "momentum" not in TrainConfig(optimizer="adagrad").to_dict()


@pytest.mark.parametrize("config, words", [
    ({"lr": "fast"}, ["config.lr", "finite number"]),
    ({"lr": -1.0}, ["learning rate", "> 0"]),
    ({"optimizer": "lbfgs"}, ["unknown optimizer"]),
    ({"beta1": 1.5}, ["beta1"]),
    ({"shuffle": "yes"}, ["config.shuffle", "true or false"]),
    ({"seed": -1}, ["config.seed"]),
    ({"data": {"kind": "web"}}, ["config.data.kind"]),
    ({"data": {"kind": "csv", "path": 3}}, ["config.data.path"]),
    ({"data": {"kind": "synthetic", "n": 2.5}}, ["config.data.n"]),
    ({"nesterov": True}, ["nesterov"]),
])
def test_bad_settings_are_refused_at_load_with_the_file_named(config, words):
    with pytest.raises(InputError) as e:
        load(**config)
    assert str(e.value).startswith("trace file t.json:")
    for w in words:
        assert w in str(e.value)


def test_unknown_keys_are_kept_for_the_round_trip_but_not_read():
    tr = load(lr=0.2, future_setting={"x": 1})
    assert tr.settings.lr == 0.2
    assert json.loads(tr.to_json())["config"]["future_setting"] == {"x": 1}


def test_a_trace_built_in_code_gets_settings_too():
    t = Trace.from_json(json.dumps(DOC))
    built = Trace(config=t.config, versions={}, x=t.x, y=t.y, steps=t.steps, final_a=0.9, final_b=0.8)
    assert built.settings == t.settings
