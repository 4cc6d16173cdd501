"""training.eager_only: torch.optim records without importing TorchDynamo, same numbers."""
from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest

from training import eager_only as eo

FAKE = "sgd_anim_fake_pkg._dynamo"


@pytest.fixture
def fake_name(monkeypatch):
    """The mechanism on a module name of its own: the real torch._dynamo is never touched."""
    monkeypatch.setattr(eo, "_NAME", FAKE)
    monkeypatch.delenv(eo.ENV, raising=False)
    yield FAKE
    sys.modules.pop(FAKE, None)


def test_stand_in_answers_disable_and_graph_break_and_leaves(fake_name):
    def f(x):
        return x + 1

    with eo.eager_only():
        m = sys.modules[fake_name]
        assert isinstance(m, eo._StandIn)
        assert m.disable(f) is f and m.disable(f, recursive=False, wrapping=False) is f
        assert m.disable()(f) is f  # as a decorator factory
        assert m.graph_break() is None
        with eo.eager_only():  # re-entrant: the inner block does not remove it
            pass
        assert sys.modules[fake_name] is m
    assert fake_name not in sys.modules


def test_any_other_name_loads_the_real_module(fake_name, monkeypatch):
    real = types.ModuleType(fake_name)
    real.is_compiling = lambda: False
    loaded = []

    def import_module(name):
        loaded.append(name)
        assert name not in sys.modules  # the stand-in stepped aside first
        sys.modules[name] = real
        return real

    monkeypatch.setattr(eo.importlib, "import_module", import_module)
    with eo.eager_only():
        assert sys.modules[fake_name].is_compiling() is False
        assert sys.modules[fake_name] is real
    assert loaded == [fake_name] and sys.modules[fake_name] is real  # the real one stays


def test_a_real_module_already_loaded_or_the_variable_leave_it_alone(fake_name, monkeypatch):
    real = types.ModuleType(fake_name)
    sys.modules[fake_name] = real
    with eo.eager_only():
        assert sys.modules[fake_name] is real
    del sys.modules[fake_name]
    monkeypatch.setenv(eo.ENV, "1")
    with eo.eager_only():
        assert fake_name not in sys.modules


_CHILD = r"""
import json, sys
from training.config import TrainConfig
from training.recorder import record
out = {}
for kw in (dict(), dict(optimizer="momentum", nesterov=True, weight_decay=0.01), dict(optimizer="adam"),
           dict(optimizer="rmsprop", momentum=0.5), dict(optimizer="adagrad"), dict(lr=5.0)):
    t = record(TrainConfig(**kw), graph_steps=(0, 1))
    out[repr(kw)] = [repr(t.final_a), repr(t.final_b), t.steps["a"].tolist(), t.steps["b"].tolist(),
                     t.steps["loss"].tolist(), t.steps["grad_a"].tolist(), len(t.graphs)]
out["dynamo"] = "torch._dynamo" in sys.modules and type(sys.modules["torch._dynamo"]).__name__
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.subprocess
def test_recording_skips_dynamo_with_the_same_numbers(tmp_path):
    import os

    def run(real: bool) -> dict:
        env = {**os.environ, eo.ENV: "1" if real else "0"}
        p = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, env=env, timeout=120)
        assert p.returncode == 0, p.stderr[-2000:]
        return json.loads(p.stdout.strip().splitlines()[-1])

    fast, real = run(False), run(True)
    assert fast.pop("dynamo") is False  # never imported
    assert real.pop("dynamo") == "module"  # torch.optim imports it unaided
    assert fast == real  # every number, bit for bit (repr of the floats)
