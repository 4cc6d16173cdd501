"""The matplotlib loss view's full-data curve ends where the run ends: at step n, the loss
after the last step, the number the header's L shows at the end (the curve holds the loss
before each step, so it used to stop one step short: a diverging run's curve ended an order
of magnitude below the L beside it)."""
from __future__ import annotations

import numpy as np
import pytest

from scenes.mpl.render import _setup
from scenes.story.plan import FAST, HOLD, UPDATE
from training.config import TrainConfig
from training.recorder import record

SIZE = (640, 360)
VIEWS = ("fit", "loss", "params", "numbers")


@pytest.fixture(scope="module")
def diverged():
    tr = record(TrainConfig(lr=1.0, epochs=20))  # assets/configs/too_large_lr.toml
    assert tr.status.diverged
    return tr


def _mse(a: float, b: float, x, y) -> float:
    """The full-data MSE in float64, written out (not the trace's helper)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return float(np.mean((a * x + b - y) ** 2))


def _full_curve(scene):
    xs, ys = scene.view("loss").full_line.get_data()
    return np.asarray(xs, float), np.asarray(ys, float)


def test_hold_curve_ends_at_the_final_full_loss(diverged):
    scene = _setup(diverged, SIZE, "light", VIEWS)
    n = diverged.n_steps
    scene.update(n - 1, HOLD, 1.0)
    xs, ys = _full_curve(scene)
    final = _mse(diverged.final_a, diverged.final_b, diverged.x, diverged.y)
    assert xs[-1] == n and len(xs) == n + 1
    assert ys[-1] == pytest.approx(final, rel=1e-6)
    assert ys[-1] > 5 * ys[-2]  # the jump a diverging run's last step makes, now drawn
    # the header's L at the end is that same number
    assert float(scene.header.values[4].get_text().replace("e", "E").replace("−", "-")) == pytest.approx(
        final, rel=1e-2)


def test_last_fast_frame_ends_there_too_and_earlier_frames_do_not(diverged):
    scene = _setup(diverged, SIZE, "light", VIEWS)
    n = diverged.n_steps
    scene.update(n - 1, FAST, 1.0)
    assert _full_curve(scene)[0][-1] == n
    scene.update(n - 2, FAST, 1.0)  # the parameters after step n-1: not the end yet
    xs, _ = _full_curve(scene)
    assert xs[-1] == n - 2 and len(xs) == n - 1
    scene.update(n - 1, UPDATE, 1.0)  # (a detailed beat keeps its curve as it was)
    assert _full_curve(scene)[0][-1] == n - 1
