"""The recorder against an independent float64 computation written out by hand (no torch).

The model is y' = a*x + b with MSE loss over a batch of m points:
    L = 1/m * sum(r_i^2),  r_i = a*x_i + b - y_i
    dL/da = 2/m * sum(r_i * x_i),  dL/db = 2/m * sum(r_i)
The optimizers below follow the update rules documented for torch.optim (SGD with
momentum/dampening 0/Nesterov, Adam with bias correction, RMSprop, Adagrad; weight decay
as L2 added to the gradient). PyTorch computes in float32, so agreement is to a tolerance.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from training.config import TrainConfig
from training.data import ARTICLE_X, ARTICLE_Y, DataSpec, load_data
from training.recorder import record

# The article's data, typed in again here rather than taken from training.data.
X = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2]
Y = [0.18, 0.32, 0.42, 0.48, 0.58, 0.72]

SCALAR_COLUMNS = ("a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b")


# --------------------------------------------------------------------------- reference
class RefOptimizer:
    """One parameter's optimizer, float64, following torch.optim's documented algorithms."""

    def __init__(self, kind: str, lr: float, momentum: float = 0.0, nesterov: bool = False,
                 beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, alpha: float = 0.99,
                 weight_decay: float = 0.0):
        self.kind, self.lr, self.mu, self.nesterov = kind, lr, momentum, nesterov
        self.beta1, self.beta2, self.eps, self.alpha, self.wd = beta1, beta2, eps, alpha, weight_decay
        self.t = 0
        self.buf = None      # SGD / RMSprop momentum buffer
        self.m = 0.0         # Adam first moment (exp_avg)
        self.v = 0.0         # Adam second moment / RMSprop square average
        self.sum = 0.0       # Adagrad sum of squares

    def step(self, p: float, grad: float) -> tuple[float, float | None]:
        """Return the new parameter and the velocity torch would report (None if it has none)."""
        self.t += 1
        g = grad + self.wd * p if self.wd else grad
        if self.kind in ("sgd", "momentum"):
            if self.mu:
                self.buf = g if self.buf is None else self.mu * self.buf + g   # dampening 0
                g = g + self.mu * self.buf if self.nesterov else self.buf
            return p - self.lr * g, self.buf
        if self.kind == "adam":
            self.m = self.beta1 * self.m + (1 - self.beta1) * g
            self.v = self.beta2 * self.v + (1 - self.beta2) * g * g
            m_hat = self.m / (1 - self.beta1 ** self.t)
            v_hat = self.v / (1 - self.beta2 ** self.t)
            return p - self.lr * m_hat / (math.sqrt(v_hat) + self.eps), self.m
        if self.kind == "rmsprop":
            self.v = self.alpha * self.v + (1 - self.alpha) * g * g
            step = g / (math.sqrt(self.v) + self.eps)
            if self.mu:
                self.buf = self.mu * (self.buf or 0.0) + step   # torch starts the buffer at zero
                return p - self.lr * self.buf, self.buf
            return p - self.lr * step, None
        if self.kind == "adagrad":
            self.sum += g * g
            return p - self.lr * g / (math.sqrt(self.sum) + self.eps), None
        raise AssertionError(self.kind)


def reference_run(x, y, batches, *, kind="sgd", lr=0.1, a=1.0, b=1.0, **opt) -> dict:
    """Train on ``batches`` (index lists, in step order) and return every step's numbers."""
    x = [float(v) for v in x]
    y = [float(v) for v in y]
    n = len(x)
    opt_a, opt_b = RefOptimizer(kind, lr, **opt), RefOptimizer(kind, lr, **opt)
    cols: dict[str, list] = {k: [] for k in (*SCALAR_COLUMNS, "pred", "residual",
                                             "velocity_a", "velocity_b")}
    for idx in batches:
        m = len(idx)
        xs, ys = [x[i] for i in idx], [y[i] for i in idx]
        pred = [a * xi + b for xi in xs]
        r = [p - yi for p, yi in zip(pred, ys)]
        loss = sum(ri * ri for ri in r) / m
        full = sum((a * xi + b - yi) ** 2 for xi, yi in zip(x, y)) / n
        ga = 2.0 / m * sum(ri * xi for ri, xi in zip(r, xs))
        gb = 2.0 / m * sum(r)
        new_a, va = opt_a.step(a, ga)
        new_b, vb = opt_b.step(b, gb)
        for k, v in (("a", a), ("b", b), ("loss", loss), ("full_loss", full), ("grad_a", ga),
                     ("grad_b", gb), ("update_a", new_a - a), ("update_b", new_b - b),
                     ("pred", pred), ("residual", r), ("velocity_a", va), ("velocity_b", vb)):
            cols[k].append(v)
        a, b = new_a, new_b
    cols["final_a"], cols["final_b"] = a, b
    return cols


def in_order(n: int, batch_size: int, epochs: int, drop_last: bool = True) -> list[list[int]]:
    stop = n - n % batch_size if drop_last else n
    epoch = [list(range(i, min(i + batch_size, n))) for i in range(0, stop, batch_size)]
    return epoch * epochs


def assert_matches(trace, ref: dict, tol: float, velocity: bool = False) -> None:
    """Every column of ``trace`` equals the reference within ``tol`` (absolute)."""
    assert trace.n_steps == len(ref["a"])
    for col in SCALAR_COLUMNS:
        got = np.asarray(trace.steps[col], dtype=np.float64)
        want = np.asarray(ref[col], dtype=np.float64)
        err = np.abs(got - want)
        worst = int(np.argmax(err))
        assert err[worst] <= tol, f"{col} at step {worst}: recorded {got[worst]!r}, expected {want[worst]!r}"
    for col in ("pred", "residual"):
        for i, (got, want) in enumerate(zip(trace.steps[col], ref[col])):
            assert len(got) == len(want), f"{col} step {i}: {len(got)} values, expected {len(want)}"
            assert np.max(np.abs(np.subtract(got, want))) <= tol, f"{col} step {i}: {got} vs {want}"
    if velocity:
        assert trace.has_velocity
        for col in ("velocity_a", "velocity_b"):
            got = np.asarray(trace.steps[col], dtype=np.float64)
            want = np.asarray(ref[col], dtype=np.float64)
            err = np.abs(got - want)
            worst = int(np.argmax(err))
            assert err[worst] <= tol, f"{col} at step {worst}: recorded {got[worst]!r}, expected {want[worst]!r}"
    assert abs(trace.final_a - ref["final_a"]) <= tol, (trace.final_a, ref["final_a"])
    assert abs(trace.final_b - ref["final_b"]) <= tol, (trace.final_b, ref["final_b"])


# --------------------------------------------------------------------------- the default run
@pytest.fixture(scope="module")
def article_trace():
    return record(TrainConfig())


def test_article_data_is_the_articles():
    assert list(ARTICLE_X) == X and list(ARTICLE_Y) == Y
    data = load_data(DataSpec())
    assert data.x.tolist() == X and data.y.tolist() == Y


def test_default_run_is_the_articles(article_trace):
    tr = article_trace
    cfg = tr.config
    assert (cfg["lr"], cfg["batch_size"], cfg["epochs"], cfg["optimizer"], cfg["shuffle"]) == (0.1, 2, 100, "sgd", False)
    assert (cfg["init_a"], cfg["init_b"]) == (1.0, 1.0)
    assert tr.n_steps == 300 and tr.status.state == "completed"
    assert tr.steps["epoch"].tolist() == [s // 3 for s in range(300)]
    assert tr.steps["batch"].tolist() == [0, 1, 2] * 100
    assert tr.steps["indices"] == [[0, 1], [2, 3], [4, 5]] * 100
    assert not tr.has_velocity


def test_default_run_matches_closed_form_every_step(article_trace):
    ref = reference_run(X, Y, in_order(6, 2, 100), kind="sgd", lr=0.1)
    assert_matches(article_trace, ref, tol=1e-5)


def test_first_step_by_hand(article_trace):
    # Batch (0.2, 0.18), (0.4, 0.32) at a = b = 1: predictions 1.2 and 1.4,
    # residuals 1.02 and 1.08, loss (1.02^2 + 1.08^2)/2, dL/da = 0.2*1.02 + 0.4*1.08, dL/db = 2.1.
    s = article_trace.steps
    assert s["pred"][0] == pytest.approx([1.2, 1.4], abs=1e-6)
    assert s["residual"][0] == pytest.approx([1.02, 1.08], abs=1e-6)
    assert s["loss"][0] == pytest.approx((1.02 ** 2 + 1.08 ** 2) / 2, abs=1e-6)
    assert s["grad_a"][0] == pytest.approx(0.2 * 1.02 + 0.4 * 1.08, abs=1e-6)
    assert s["grad_b"][0] == pytest.approx(2.1, abs=1e-6)
    assert s["update_a"][0] == pytest.approx(-0.1 * 0.636, abs=1e-6)
    assert s["a"][1] == pytest.approx(1 - 0.0636, abs=1e-6)


def test_steps_chain_and_final_is_after_last_step(article_trace):
    s = article_trace.steps
    assert np.allclose(s["a"][1:], s["a"][:-1] + s["update_a"][:-1], atol=1e-6)
    assert np.allclose(s["b"][1:], s["b"][:-1] + s["update_b"][:-1], atol=1e-6)
    assert article_trace.final_a == pytest.approx(s["a"][-1] + s["update_a"][-1], abs=1e-6)
    # The article's run converges close to the least-squares line.
    slope, intercept = np.polyfit(X, Y, 1)
    assert abs(article_trace.final_a - slope) < 0.05 and abs(article_trace.final_b - intercept) < 0.05


def test_comparison_detects_a_different_run(article_trace):
    """The check is not vacuous: a slightly different learning rate is caught."""
    ref = reference_run(X, Y, in_order(6, 2, 100), kind="sgd", lr=0.1001)
    with pytest.raises(AssertionError):
        assert_matches(article_trace, ref, tol=1e-5)
    ref = reference_run(X, Y, in_order(6, 2, 100), kind="momentum", lr=0.1, momentum=0.1)
    with pytest.raises(AssertionError):
        assert_matches(article_trace, ref, tol=1e-5)


# --------------------------------------------------------------------------- optimizers
OPTIMIZER_CASES = [
    # id, TrainConfig settings, reference settings, has velocity
    ("momentum", dict(optimizer="momentum"), dict(kind="momentum", momentum=0.9), True),
    ("sgd-momentum-0.5", dict(optimizer="sgd", momentum=0.5), dict(kind="sgd", momentum=0.5), True),
    ("nesterov", dict(optimizer="momentum", nesterov=True), dict(kind="momentum", momentum=0.9, nesterov=True), True),
    ("adam", dict(optimizer="adam"), dict(kind="adam"), True),
    ("adam-lr0.01-betas", dict(optimizer="adam", lr=0.01, beta1=0.8, beta2=0.99),
     dict(kind="adam", lr=0.01, beta1=0.8, beta2=0.99), True),
    ("rmsprop", dict(optimizer="rmsprop", lr=0.01), dict(kind="rmsprop", lr=0.01), False),
    ("rmsprop-momentum", dict(optimizer="rmsprop", lr=0.01, momentum=0.5),
     dict(kind="rmsprop", lr=0.01, momentum=0.5), True),
    ("adagrad", dict(optimizer="adagrad"), dict(kind="adagrad"), False),
    ("sgd-weight-decay", dict(weight_decay=0.1), dict(kind="sgd", weight_decay=0.1), False),
    ("momentum-weight-decay", dict(optimizer="momentum", weight_decay=0.05),
     dict(kind="momentum", momentum=0.9, weight_decay=0.05), True),
    ("adam-weight-decay", dict(optimizer="adam", weight_decay=0.1), dict(kind="adam", weight_decay=0.1), True),
    ("adagrad-weight-decay", dict(optimizer="adagrad", weight_decay=0.1),
     dict(kind="adagrad", weight_decay=0.1), False),
    ("sgd-init", dict(init_a=-2.0, init_b=3.0, lr=0.05), dict(kind="sgd", lr=0.05, a=-2.0, b=3.0), False),
]


@pytest.mark.parametrize("settings, ref_settings, velocity",
                         [c[1:] for c in OPTIMIZER_CASES], ids=[c[0] for c in OPTIMIZER_CASES])
def test_optimizer_matches_reference(settings, ref_settings, velocity):
    cfg = TrainConfig(**settings)
    trace = record(cfg)
    assert trace.status.state == "completed"
    ref = reference_run(X, Y, in_order(6, cfg.batch_size, cfg.epochs),
                        **{"lr": cfg.lr, **ref_settings})
    assert trace.has_velocity == velocity
    assert_matches(trace, ref, tol=1e-4, velocity=velocity)


def test_momentum_update_is_not_minus_lr_grad():
    trace = record(TrainConfig(optimizer="momentum"))
    s = trace.steps
    assert s["update_a"][0] == pytest.approx(-0.1 * s["grad_a"][0], abs=1e-7)  # buffer = grad at step 1
    assert s["velocity_a"][0] == pytest.approx(s["grad_a"][0], abs=1e-7)
    off = np.abs(s["update_a"][1:] + 0.1 * s["grad_a"][1:])
    assert off.max() > 1e-3


def test_velocity_comparison_is_not_vacuous():
    """Momentum 0.9 recorded vs a reference with momentum 0.8 must differ in the velocity."""
    trace = record(TrainConfig(optimizer="momentum", epochs=5))
    ref = reference_run(X, Y, in_order(6, 2, 5), kind="momentum", lr=0.1, momentum=0.8)
    with pytest.raises(AssertionError):
        assert_matches(trace, ref, tol=1e-4, velocity=True)


# --------------------------------------------------------------------------- batching and shuffling
def synthetic_cfg(n: int, **kw) -> TrainConfig:
    return TrainConfig(data=DataSpec(kind="synthetic", n=n, seed=3), **kw)


def epochs_of(trace) -> list[list[list[int]]]:
    out: dict[int, list] = {}
    for e, idx in zip(trace.steps["epoch"].tolist(), trace.steps["indices"]):
        out.setdefault(e, []).append(idx.tolist())  # a row is a numpy array (a view into the column)
    return [out[e] for e in sorted(out)]


def test_shuffle_same_seed_is_reproducible():
    cfg = synthetic_cfg(10, batch_size=3, epochs=4, shuffle=True, seed=7)
    assert record(cfg).to_json() == record(cfg).to_json()


def test_shuffle_different_seeds_differ():
    orders = {tuple(map(tuple, record(TrainConfig(shuffle=True, seed=s, epochs=5)).steps["indices"]))
              for s in range(4)}
    assert len(orders) == 4


def test_shuffle_each_epoch_is_a_permutation_and_epochs_differ():
    trace = record(synthetic_cfg(12, batch_size=3, epochs=6, shuffle=True, seed=1))
    epochs = epochs_of(trace)
    assert len(epochs) == 6
    for batches in epochs:
        assert [len(b) for b in batches] == [3, 3, 3, 3]
        assert sorted(i for b in batches for i in b) == list(range(12))
    assert len({tuple(map(tuple, e)) for e in epochs}) > 1, "every epoch had the same order"
    assert epochs[0] != [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]


def test_shuffled_run_matches_closed_form_on_its_batches():
    cfg = synthetic_cfg(12, batch_size=3, epochs=6, shuffle=True, seed=1, optimizer="momentum", lr=0.05)
    trace = record(cfg)
    ref = reference_run(trace.x, trace.y, trace.steps["indices"], kind="momentum", lr=0.05, momentum=0.9)
    assert_matches(trace, ref, tol=1e-5, velocity=True)


def test_no_shuffle_keeps_data_order():
    trace = record(synthetic_cfg(9, batch_size=3, epochs=2, shuffle=False, seed=5))
    assert trace.steps["indices"] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]] * 2


def test_drop_last_drops_the_short_batch():
    trace = record(synthetic_cfg(7, batch_size=2, epochs=3, drop_last=True, shuffle=True, seed=2))
    assert trace.n_steps == 9
    assert trace.steps["batch"].tolist() == [0, 1, 2] * 3
    for batches in epochs_of(trace):
        assert [len(b) for b in batches] == [2, 2, 2]
        flat = [i for b in batches for i in b]
        assert len(set(flat)) == 6 and set(flat) <= set(range(7))


def test_keep_last_keeps_the_short_batch_and_its_gradient_is_right():
    trace = record(synthetic_cfg(7, batch_size=2, epochs=3, drop_last=False, shuffle=True, seed=2))
    assert trace.n_steps == 12
    assert trace.steps["batch"].tolist() == [0, 1, 2, 3] * 3
    for batches in epochs_of(trace):
        assert [len(b) for b in batches] == [2, 2, 2, 1]
        assert sorted(i for b in batches for i in b) == list(range(7))
    ref = reference_run(trace.x, trace.y, trace.steps["indices"], kind="sgd", lr=0.1)
    assert_matches(trace, ref, tol=1e-5)
    # The one-point batch by hand: L = r^2, dL/da = 2*r*x, dL/db = 2*r.
    s = trace.steps
    for step in (3, 7, 11):
        (i,) = s["indices"][step]
        r = s["a"][step] * trace.x[i] + s["b"][step] - trace.y[i]
        assert s["residual"][step][0] == pytest.approx(r, abs=1e-5)
        assert s["loss"][step] == pytest.approx(r * r, abs=1e-5)
        assert s["grad_a"][step] == pytest.approx(2 * r * trace.x[i], abs=1e-5)
        assert s["grad_b"][step] == pytest.approx(2 * r, abs=1e-5)


def test_full_batch_run_matches_closed_form():
    trace = record(TrainConfig(batch_size=6, epochs=50, lr=0.3))
    ref = reference_run(X, Y, in_order(6, 6, 50), kind="sgd", lr=0.3)
    assert_matches(trace, ref, tol=1e-5)
    assert np.allclose(trace.steps["loss"], trace.steps["full_loss"], atol=1e-6)
