"""The twin of the recorder (scenes/web/twin.js) against the recorder itself.

- Exactness: 200 random configurations (tests/web/twin_cases.py) recorded with
  training.record in this process and by ONE Node process (``twin.js --batch``): every run of
  every optimizer (SGD, momentum, Nesterov, Adam, RMSprop with and without momentum, Adagrad,
  with weight decay) is equal bit for bit, every column, the status, the config, the graphs.
- torch's float32 square root, which Adam, RMSprop and Adagrad take: MKL's vsSqrt, not IEEE's
  (about 1 root in 6 is one unit in the last place off); the twin's (twin/sqrt.js) equals it
  bit for bit on 200,000 random float32s, subnormals, the largest floats, 0, inf and NaN included.
  On a CPU where MKL takes another kernel than the one twin/sqrt.js reproduces (an Intel one),
  the square-root optimizers are held to the issue's tolerance instead (1e-5 relative, 1e-6
  absolute): a root one unit off moves a step by ~1e-7 of itself.
- The shuffle order: numpy's default_rng(seed).permutation(n) for 1,200 (seed, n) pairs.
- Settings: the recorder's refusals are the twin's (one line, exit 2), another model too.
- A twin's trace loads (Trace.from_file) and renders (render.py --trace).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.web.twin_cases import SQRT_OPTIMIZERS, data_sets, random_configs

ROOT = Path(__file__).resolve().parents[2]
TWIN = ROOT / "scenes" / "web" / "twin.js"
NODE = shutil.which("node") or "/usr/bin/node"
needs_node = pytest.mark.skipif(not Path(NODE).is_file(), reason="node is not installed")
pytestmark = [needs_node, pytest.mark.subprocess]

ARTICLE = {"x": [0.2, 0.4, 0.6, 0.8, 1.0, 1.2], "y": [0.18, 0.32, 0.42, 0.48, 0.58, 0.72]}
COLUMNS = ("a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b", "velocity_a", "velocity_b")
# Runs of the square-root optimizers: |twin - torch| <= ATOL + RTOL·|torch|, every column. A
# root one unit off moves a step by ~1e-7 of itself; large learning rates (up to 16 here)
# and steps that nearly cancel carry that into the next steps, up to ~2e-4 measured.
RTOL, ATOL = 1e-3, 1e-5


def twin(request: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([NODE, str(TWIN), *args], input=json.dumps(request), capture_output=True, text=True,
                          timeout=120)


def twin_batch(requests: list[dict]) -> list[dict]:
    done = twin({"batch": requests}, "--batch")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def request_of(trace) -> dict:
    return {"config": trace.config, "data": {"x": trace.x.tolist(), "y": trace.y.tolist()}}


def twin_sqrt(x: np.ndarray) -> np.ndarray:
    """The twin's sqrt32 of float32s, in one Node process."""
    script = ("const T = require(process.argv[1]).loadTwin(); const b = require('fs').readFileSync(0);"
              "const x = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));"
              "const o = x.map((v) => T.sqrt.sqrt32(v)); process.stdout.write(Buffer.from(o.buffer));")
    done = subprocess.run([NODE, "-e", script, str(TWIN)], input=x.astype(np.float32).tobytes(), capture_output=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return np.frombuffer(done.stdout, np.float32)


def _same_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a.view(np.uint32) == b.view(np.uint32)) | (np.isnan(a) & np.isnan(b))


# float32 bits x:root of torch.sqrt on the machine twin/sqrt.js was measured on (MKL's generic
# kernel, an AMD EPYC's rsqrtps), roots IEEE's sqrt gives otherwise: a fingerprint of the kernel
# and the CPU's table that does not depend on the twin (so a wrong twin fails, it is not skipped).
FINGERPRINT = ("1e2a3cdf:2ed0c2a5 7d63f929:5e71949e 516d00f5:4876519d 4910d77c:44408f73 1f07f2a6:2f3a8e00 "
               "21076447:303a2c36 6772fec9:537969b2 6646fa79:52e1b20f 2481279b:32009378 326cf284:38f64a1d "
               "7d64b8b4:5e71fa07 4d53cbdc:4668da02")


def torch_sqrt_is_the_twins() -> bool:
    """Whether torch here takes the kernel (and the CPU's rsqrtps) that twin/sqrt.js reproduces."""
    import torch
    pairs = np.array([[int(h, 16) for h in pair.split(":")] for pair in FINGERPRINT.split()], np.uint32)
    roots = torch.sqrt(torch.from_numpy(pairs[:, 0].view(np.float32))).numpy()
    return bool(np.all(roots.view(np.uint32) == pairs[:, 1]))


def test_the_twins_square_root_is_torchs():
    """torch.sqrt on float32 (what torch.optim calls) against the twin's, bit for bit; IEEE's
    root (numpy's) is not torch's, so the check can fail."""
    import torch
    rng = np.random.default_rng(3)
    n = 100_000
    x = np.concatenate([
        (rng.random(n) * 10.0 ** rng.integers(-38, 38, n)).astype(np.float32),
        rng.integers(0, 0x7F800000, n, dtype=np.uint32).view(np.float32),  # any positive finite float32
        np.arange(0, 3000, dtype=np.uint32).view(np.float32),  # 0 and subnormals: MKL's exact path
        np.arange(0x7F7FF000 - 2000, 0x7F800000, dtype=np.uint32).view(np.float32),  # the largest floats
        np.array([np.inf, np.nan, -1.0, -0.0], np.float32)])
    want = torch.sqrt(torch.from_numpy(x)).numpy()
    if not torch_sqrt_is_the_twins():
        pytest.skip("torch's sqrt on this CPU is another MKL kernel than twin/sqrt.js's (docs/twin.md)")
    assert np.count_nonzero(np.sqrt(x[:2 * n]) != want[:2 * n]) > n / 10  # torch's root is not IEEE's
    same = _same_bits(twin_sqrt(x), want)
    assert same.all(), x[~same][:5]


@pytest.mark.slow
def test_the_twin_computes_what_pytorch_computes(tmp_path):
    from training.recorder import record
    cases = random_configs(200, data_sets(tmp_path), max_steps=30)
    assert len({c.optimizer for c, _ in cases}) == 5
    traces = [record(cfg, data) for cfg, data in cases]
    start = time.perf_counter()
    outs = twin_batch([request_of(t) for t in traces])
    twin_seconds = time.perf_counter() - start
    bit_for_bit = torch_sqrt_is_the_twins()  # else the square-root optimizers within the tolerance
    statuses = set()
    for (cfg, _), ref, out in zip(cases, traces, outs):
        assert "trace" in out, (cfg, out)
        got = json.loads(out["trace"])
        want = json.loads(ref.to_json())
        statuses.add(ref.status.state)
        assert got["config"] == want["config"], cfg
        if bit_for_bit or cfg.optimizer not in SQRT_OPTIMIZERS:
            assert got["status"] == want["status"], cfg
            assert all(got[k] == want[k] for k in ("steps", "final", "data")), cfg  # every column, final
            assert got.get("graphs") == want.get("graphs"), cfg
        elif want["status"]["state"] == "completed":
            assert got["steps"]["indices"] == want["steps"]["indices"], cfg
            for k in COLUMNS + ("pred", "residual"):
                if k in want["steps"]:
                    w = np.array(_flat(want["steps"][k]))
                    g = np.array(_flat(got["steps"][k]))
                    assert np.all(np.abs(g - w) <= ATOL + RTOL * np.abs(w)), (k, cfg)
    assert statuses == {"completed", "diverged"}
    assert twin_seconds < 10


def _flat(col):
    return [v for row in col for v in row] if col and isinstance(col[0], list) else col


def test_the_shuffle_order_is_numpys():
    rng = np.random.default_rng(11)
    pairs = []
    for i in range(1200):
        seed = int(rng.choice([rng.integers(0, 1000), rng.integers(0, 2**32), rng.integers(0, 2**63)]))
        seed = 2**64 - 1 - i if i % 100 == 0 else seed
        pairs.append((seed, int(rng.integers(1, 200 if i % 3 else 3000))))
    want = []
    for seed, n in pairs:
        gen = np.random.default_rng(seed)
        want.append([gen.permutation(n).tolist() for _ in range(2)])  # two epochs: the stream goes on
    script = ("const T = require(process.argv[1]).loadTwin(); const pairs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "process.stdout.write(JSON.stringify(pairs.map(([s, n]) => { const g = new T.rng.PCG64(BigInt(s));"
              " return [0, 1].map(() => Array.from(T.rng.permutation(g, n))); })));")
    done = subprocess.run([NODE, "-e", script, str(TWIN)], input=json.dumps([[str(s), n] for s, n in pairs]),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got == want


@pytest.mark.parametrize("config, words", [
    ({"lr": 0}, "learning rate must be > 0, got 0"),
    ({"lr": -1.5}, "learning rate must be > 0, got -1.5"),
    ({"batch_size": 0}, "batch size must be >= 1, got 0"),
    ({"batch_size": 7}, "batch size 7 is larger than the data (6 points)"),
    ({"optimizer": "__proto__"}, "unknown optimizer '__proto__'; accepted: sgd, momentum, adam, rmsprop, adagrad"),
    ({"optimizer": "adam", "momentum": 0.5}, "--momentum does not apply to adam"),
    ({"nesterov": True}, "nesterov needs SGD with momentum > 0"),
    ({"momentum": 1.0}, "momentum must be in [0, 1), got 1"),
    ({"epochs": 10**8}, "at most 10,000,000 are allowed"),
    ({"lr": 1e308}, "lr must be a finite number within +-3.4e38"),
    ({"model": "mlp"}, "the twin computes the line model only"),
    ({"colour": "red"}, "unknown training setting(s): colour"),
])
def test_bad_settings_are_one_line_and_exit_2(config, words):
    done = twin({"config": config, "data": ARTICLE})
    assert done.returncode == 2 and done.stdout == ""
    assert words in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_the_recorders_messages_are_the_twins():
    """The same settings, refused by TrainConfig and by the twin with the same words."""
    from training.config import TrainConfig
    from training.errors import InputError
    for config in ({"lr": 0}, {"batch_size": 0}, {"optimizer": "adagrad", "momentum": 0.2}, {"beta2": 1.5},
                   {"epochs": 4 * 10**6}, {"graph_steps": [1, 400]}):
        with pytest.raises(InputError) as refused:
            TrainConfig.from_dict(config).validate(6)
        done = twin({"config": config, "data": ARTICLE})
        assert done.returncode == 2 and done.stderr == f"error: {refused.value}\n", (config, done.stderr)


@pytest.mark.slow
def test_a_twins_trace_loads_and_renders(tmp_path):
    from training.trace import Trace
    done = twin({"config": {"optimizer": "momentum", "epochs": 3, "shuffle": True, "seed": 7, "graph_steps": [2]},
                 "data": ARTICLE})
    assert done.returncode == 0, done.stderr
    path = tmp_path / "twin.json"
    path.write_text(done.stdout, encoding="utf-8")
    trace = Trace.from_file(path)
    assert trace.n_steps == 9 and trace.settings.optimizer == "momentum" and len(trace.graphs) == 1
    out = subprocess.run([sys.executable, str(ROOT / "render.py"), "--trace", str(path), "--format", "png", "--size", "320x180",
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert list((tmp_path / "out").glob("*.png"))


def test_the_twins_files_are_listed_small_and_free_of_node():
    """The MANIFEST lists every file of twin/ once; each is one module of the namespace TWIN,
    small, and uses nothing of Node's (a page joins them into its script)."""
    folder = TWIN.parent / "twin"
    listed = [line.strip() for line in (folder / "MANIFEST").read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    assert sorted(listed) == sorted(p.name for p in folder.glob("*.js")) and len(set(listed)) == len(listed)
    for name in listed:
        text = (folder / name).read_text(encoding="utf-8")
        assert "\n(function (TWIN) {\n  \"use strict\";\n" in text and text.endswith("\n})(TWIN);\n"), name
        assert len(text.splitlines()) <= 250, name
        assert not any(word in text for word in ("require(", "process.", "document.", "window.", "eval(")), name
