"""render.py --run SCRIPT [-- ARGS] (issue 24): the user's script recorded, then rendered.

In-process (render.main): a script that fails, exits early or creates no optimizer gives one
line and its exit code, writes nothing, and leaves torch as it was; the article's loop, never
importing sgd-anim, renders (slow), and so do a custom MLP and a model of 3 inputs (slow).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

import render

ARTICLE = Path(__file__).resolve().parents[2] / "assets" / "examples" / "article_loop.py"
INIT = torch.optim.Optimizer.__init__

LOOP = """
import sys, torch
from torch import nn, optim
model = nn.Linear({d_in}, 1)
opt = optim.SGD(model.parameters(), lr=0.1)
crit = nn.MSELoss()
X, Y = torch.randn(8, {d_in}), torch.randn(8, 1)
for k in range(int(sys.argv[1]) if len(sys.argv) > 1 else 4):
    loss = crit(model(X[:4]), Y[:4])
    opt.zero_grad(); loss.backward(); opt.step()
{tail}
"""


def run(tmp_path, capsys, body: str, *extra: str) -> tuple[int, list[str]]:
    script = tmp_path / "train.py"
    script.write_text(body)
    out = tmp_path / "out"
    code = render.main(["--run", str(script), "--out", str(out), "--format", "png", *extra])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("sgd-anim")]
    assert not out.exists(), "no partial output"
    assert torch.optim.Optimizer.__init__ is INIT
    return code, err


@pytest.mark.parametrize("body, code, words", [
    (LOOP.format(d_in=1, tail="raise ValueError('bad data')"), 2, "the script failed: ValueError: bad data"),
    (LOOP.format(d_in=1, tail="sys.exit(3)"), 3, "exited with code 3"),
    ("import torch\nprint('no training here')\n", 2, "created no torch.optim optimizer"),
    (LOOP.format(d_in=1, tail="") + "\n", 2, None),  # (ok: used below with --run-optimizer nope)
])
def test_a_bad_script_is_one_line_and_nothing_written(tmp_path, capsys, body, code, words):
    extra = ("--run-optimizer", "nope") if words is None else ()
    got, err = run(tmp_path, capsys, body, *extra)
    assert got == code and len(err) == 1
    assert (words or "no optimizer assigned to nope") in err[0]


@pytest.mark.slow
def test_script_args_after_double_dash_reach_the_script(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text(LOOP.format(d_in=1, tail="sys.exit(0 if k == 1 else 5)"))
    out = tmp_path / "out"
    code = render.main(["--run", str(script), "--out", str(out), "--record-only", "--", "2"])
    from training.trace import Trace
    assert code == 0 and Trace.from_file(out / "trace.json").n_steps == 2  # argv[1] == "2" arrived
    assert sorted(p.name for p in out.iterdir()) == ["trace.json"]  # --record-only reached the run: no video
    assert torch.optim.Optimizer.__init__ is INIT


MLP = """
import torch
from torch import nn, optim
torch.manual_seed(1)
X = torch.linspace(-2, 2, 32).view(-1, 1)
Y = torch.tanh(2 * X)
model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
opt = optim.Adam(model.parameters(), lr=0.05)
crit = nn.MSELoss()
for epoch in range(6):
    for s in range(0, 32, 8):
        loss = crit(model(X[s:s + 8]), Y[s:s + 8])
        opt.zero_grad(); loss.backward(); opt.step()
"""


# the same loop in bfloat16 (numpy has no bfloat16: the recording widens its numbers to float32)
MLP_BF16 = MLP.replace("Y = torch.tanh(2 * X)", "X = X.bfloat16(); Y = torch.tanh(2 * X)").replace(
    "nn.Linear(8, 1))", "nn.Linear(8, 1)).bfloat16()")


@pytest.mark.slow
@pytest.mark.parametrize("body, curve", [(MLP, True), (LOOP.format(d_in=3, tail=""), False), (MLP_BF16, True)])
def test_a_custom_module_renders_every_matplotlib_view(tmp_path, body, curve):
    script = tmp_path / "train.py"
    script.write_text(body)
    out = tmp_path / "out"
    code = render.main(["--run", str(script), "--out", str(out), "--format", "png", "--size", "640x360"])
    assert code == 0 and (out / "sgd.png").stat().st_size > 0
    from training.trace import Trace
    t = Trace.from_file(out / "trace.json")
    assert t.config["model"] == {"kind": "module"} and (t.module_views.curves is not None) == curve
    assert t.landscape is not None  # P > 2: the landscape, with the module's own forward pass
    assert t.config["recorded"].get("dtype") == ("bfloat16" if body is MLP_BF16 else None)
    assert torch.optim.Optimizer.__init__ is INIT


@pytest.mark.slow
def test_the_article_loop_renders_unchanged(tmp_path, capsys):
    out = tmp_path / "out"
    code = render.main(["--run", str(ARTICLE), "--out", str(out), "--format", "png", "--size", "640x360"])
    assert code == 0 and (out / "sgd.png").stat().st_size > 0
    from training.trace import Trace
    t = Trace.from_file(out / "trace.json")
    assert t.n_steps == 300 and t.schema_version == 1 and t.config["recorded"]["model"] == "LinearRegressionModel"
    assert "a = 0.5047, b = 0.0963" in capsys.readouterr().out  # the script's own print


def test_a_missing_script_is_one_line_naming_it_and_the_bundled_examples(tmp_path, capsys):
    out = tmp_path / "out"
    code = render.main(["--run", "assets/examples/nope.py", "--out", str(out)])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and len(err) == 1 and not out.exists()
    assert "--run assets/examples/nope.py: no such script" in err[0] and "article_loop" in err[0]


@pytest.mark.parametrize("name", ["article_loop", "article_loop.py"])
def test_a_bundled_example_runs_by_its_bare_name_from_any_folder(name, tmp_path, monkeypatch, capsys):
    # An installed sgd-anim has no assets/ folder where the user stands (docs/installing.md).
    monkeypatch.chdir(tmp_path)
    code = render.main(["--run", name, "--record-only", "--out", "out"])
    assert code == 0 and (tmp_path / "out" / "trace.json").is_file()
    assert "a = 0.5047, b = 0.0963" in capsys.readouterr().out  # the bundled article loop ran
    assert torch.optim.Optimizer.__init__ is INIT


def test_a_missing_script_with_a_line_break_in_its_name_is_still_one_line(tmp_path, capsys):
    code = render.main(["--run", "bad\nname.py", "--out", str(tmp_path / "out")])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and len(err) == 1 and "no such script" in err[0]
