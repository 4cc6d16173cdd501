"""The story module: every derived quantity checked against an independent float64
computation (closed-form MSE gradients, hand-written optimizers), with explicit tolerances."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scenes.story import FrameState, Story
from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE
from scenes.story.story import nice_floor, nice_scale
from training.config import TrainConfig
from training.data import ARTICLE_X, ARTICLE_Y
from training.recorder import record

X, Y = np.array(ARTICLE_X), np.array(ARTICLE_Y)


def carried_reference(cfg: TrainConfig, trace) -> tuple[np.ndarray, np.ndarray] | None:
    """What the optimizer carried over at each step, by the written definitions, in float64,
    driven by the trace's own gradients (so float32 training noise does not accumulate)."""
    lr, mu, wd = cfg.lr, cfg.effective_momentum, cfg.weight_decay
    out = []
    for p, g_col, u_col in (("a", "grad_a", "update_a"), ("b", "grad_b", "update_b")):
        theta, grads, upd = trace.steps[p], trace.steps[g_col], trace.steps[u_col]
        buf, m, v, col = 0.0, 0.0, 0.0, []
        for t, (th, g0, u) in enumerate(zip(theta, grads, upd), start=1):
            g = g0 + wd * th
            if cfg.optimizer in ("sgd", "momentum") and mu > 0:
                prev = buf
                buf = g if t == 1 else mu * buf + g
                col.append(-lr * mu * (buf if cfg.nesterov else prev))
            elif cfg.optimizer in ("sgd", "momentum"):
                if not wd:
                    return None
                col.append(-lr * wd * th)
            elif cfg.optimizer == "adam":
                prev = m
                m = cfg.beta1 * m + (1 - cfg.beta1) * g
                v = cfg.beta2 * v + (1 - cfg.beta2) * g * g
                denom = math.sqrt(v / (1 - cfg.beta2 ** t)) + cfg.eps
                col.append(-lr * cfg.beta1 * prev / (1 - cfg.beta1 ** t) / denom)
            elif cfg.optimizer == "rmsprop" and mu > 0:
                v = cfg.alpha * v + (1 - cfg.alpha) * g * g
                prev = buf
                buf = mu * buf + g / (math.sqrt(v) + cfg.eps)
                col.append(-lr * mu * prev)
            else:  # rmsprop without momentum, adagrad: the scaling's share of the step
                col.append(u + lr * g0)
        out.append(np.array(col))
    return out[0], out[1]


CASES = {
    "sgd": TrainConfig(epochs=5),
    "momentum": TrainConfig(optimizer="momentum", epochs=5),
    "nesterov": TrainConfig(optimizer="momentum", nesterov=True, epochs=5),
    "weight-decay": TrainConfig(weight_decay=0.1, epochs=5),
    "adam": TrainConfig(optimizer="adam", epochs=5),
    "rmsprop": TrainConfig(optimizer="rmsprop", lr=0.01, epochs=5),
    "rmsprop-momentum": TrainConfig(optimizer="rmsprop", momentum=0.5, lr=0.01, epochs=5),
    "adagrad": TrainConfig(optimizer="adagrad", epochs=5),
}
LABELS = {"sgd": None, "momentum": "momentum carried", "nesterov": "Nesterov look-ahead",
          "weight-decay": "weight decay", "adam": "first moment carried", "rmsprop": "adaptive scaling",
          "rmsprop-momentum": "momentum carried", "adagrad": "adaptive scaling"}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    cfg = CASES[request.param]
    return request.param, cfg, Story(record(cfg))


def test_carry_follows_its_written_definition(case):
    name, cfg, story = case
    want = carried_reference(cfg, story.trace)
    if want is None:
        assert story.carry is None
        return
    assert story.carry.label == LABELS[name]
    scale = max(np.abs(story.update_a).max(), np.abs(story.update_b).max())
    for got, ref in ((story.carry.a, want[0]), (story.carry.b, want[1])):
        np.testing.assert_allclose(got, ref, rtol=2e-3, atol=2e-5 * scale)


def test_momentum_carry_completes_the_plain_step(case):
    """For SGD momentum and Nesterov, update = −lr·g + carry, exactly what torch did."""
    name, cfg, s = case
    if name not in ("momentum", "nesterov"):
        pytest.skip("the identity is SGD momentum's")
    np.testing.assert_allclose(s.update_a, -cfg.lr * s.grad_a + s.carry.a, atol=2e-6)
    np.testing.assert_allclose(s.update_b, -cfg.lr * s.grad_b + s.carry.b, atol=2e-6)


def test_full_batch_step_is_the_closed_form_gradient(case):
    _, cfg, s = case
    for k in range(s.n):
        a, b = float(s.a[k]), float(s.b[k])
        r = a * X + b - Y
        ga, gb = 2 * np.mean(r * X), 2 * np.mean(r)
        fa, fb = s.vectors(k)["full"]
        assert fa == pytest.approx(-cfg.lr * ga, rel=1e-9, abs=1e-12)
        assert fb == pytest.approx(-cfg.lr * gb, rel=1e-9, abs=1e-12)


def test_shares_sum_to_autograds_gradient(case):
    _, _, s = case
    for k in range(s.n):
        sa, sb = s.shares(k)
        xb, yb, pred, res = s.batch(k)
        np.testing.assert_allclose(res, pred - yb, atol=1e-6)
        assert sa.sum() == pytest.approx(s.grad_a[k], abs=1e-5)
        assert sb.sum() == pytest.approx(s.grad_b[k], abs=1e-5)


def test_arrows_start_at_the_point_and_stay_in_the_view(case):
    _, _, s = case
    g = s.geom.params
    for k in range(s.n):
        scale = float(s.arrow_scale[k])
        assert scale >= 1 and nice_scale(scale) == scale
        for key, arrow in s.arrows(k).items():
            assert arrow.start == s.ab_before(k)
            assert g.contains(*arrow.end), (key, k)
            if not arrow.clipped:  # the drawn arrow is the vector times the magnification
                da, db = s.vectors(k)[key]
                assert arrow.end[0] - arrow.start[0] == pytest.approx(scale * da, rel=1e-9, abs=1e-12)
                assert arrow.end[1] - arrow.start[1] == pytest.approx(scale * db, rel=1e-9, abs=1e-12)


def test_diverging_run_arrows_are_cut_at_the_edge_and_say_so():
    s = Story(record(TrainConfig(lr=10)))
    assert s.trace.status.diverged
    clipped = [a for k in range(s.n) for a in s.arrows(k).values() if a.clipped]
    assert clipped
    for a in clipped:
        assert s.geom.params.contains(*a.end)
        on_edge = min(abs(a.end[0] - s.geom.params.x0), abs(a.end[0] - s.geom.params.x1),
                      abs(a.end[1] - s.geom.params.y0), abs(a.end[1] - s.geom.params.y1))
        assert on_edge < 1e-9


def test_steps_per_epoch_and_plan():
    s = Story(record(TrainConfig(batch_size=4, drop_last=False, epochs=3)))
    assert s.steps_per_epoch == 2  # 6 points: a batch of 4 and a short one of 2
    plan = s.plan()
    assert plan.detail_steps == 2 and plan.n_steps == 6


def test_contours_are_the_exact_loss_with_rising_levels():
    s = Story(record(TrainConfig(epochs=3)))
    A, B, L, levels = s.contours(n=40)
    i, j = 7, 29
    assert L[i, j] == pytest.approx(np.mean((A[i, j] * X + B[i, j] - Y) ** 2), rel=1e-9)
    assert np.all(np.diff(levels) > 0) and levels[0] > L.min() and levels[-1] == pytest.approx(L.max())


def test_captions_name_each_beat_and_the_end():
    s = Story(record(TrainConfig(epochs=4)))
    assert s.caption(INTRO, 0) == "6 points, batches of 2, learning rate 0.1, mini-batch SGD"
    assert s.caption(FORWARD, 1).startswith("Step 2 · forward pass")
    assert "residuals" in s.caption(RESIDUALS, 0) and "backward" in s.caption(GRADIENT, 0)
    assert s.caption(UPDATE, 0) == "Step 1 · update: a and b step against the gradient"
    assert s.caption(FAST, 3, 11) == "Fast-forward: epochs 2–4"
    assert s.caption(HOLD, 11).startswith("After 12 steps: y' = ")
    d = Story(record(TrainConfig(lr=10)))
    assert d.caption(HOLD, d.n - 1) == f"Diverged at step {d.trace.status.step}: learning rate 10 is too large"
    caps = s.captions(s.plan())
    assert [c[0] for c in caps] == [seg.start for seg in s.plan().segments()]


def test_frame_states_are_built_with_keywords():
    with pytest.raises(TypeError):
        FrameState(0, INTRO, 0.0, 1.0, 1.0)  # positional values are refused
    s = Story(record(TrainConfig(epochs=2)))
    st = s.state(1, UPDATE, 1.0)
    assert (st.a, st.b) == pytest.approx(s.ab_after(1))
    assert st.show_update and st.arrow_frac == 1.0 and st.ghost == s.ab_before(1)
    hold = s.state(0, HOLD, 0.0)
    assert (hold.a, hold.b) == (s.trace.final_a, s.trace.final_b) and not hold.batch


def test_nice_numbers():
    assert [nice_scale(v) for v in (0.5, 1.0, 1.5, 3, 7, 11)] == [1, 1, 2, 5, 10, 20]
    assert [nice_floor(v) for v in (0.5, 1.5, 3, 7, 11)] == [1, 1, 2, 5, 10]
