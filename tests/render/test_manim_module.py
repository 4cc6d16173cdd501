"""Manim draws a module recorded from its own loop (issues 23, 24): every scene constructs
(no NaN arrow reaches Manim's Arrow, a module's parameter names are words, not Typst maths),
the parameter panel draws no full-batch arrow and its legend says the step is not known."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("manim")
pytest.importorskip("typst")

from scenes.manim.render import run_scene  # noqa: E402
from scenes.story.plan import PlanSettings  # noqa: E402
from tests.user_loop import record_loop  # noqa: E402

SHORT = PlanSettings(detail_steps=2, intro=0.2, beat_seconds=(0.2, 0.2, 0.3, 0.2), fast_forward=0.5, hold=0.2)


def _trace(model, crit, x):
    torch.manual_seed(0)
    y = torch.sin(2 * x[:, :1])
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    return record_loop(model, opt, crit, x, y, epochs=3, batch=4)


@pytest.fixture(scope="module")
def traces():
    torch.manual_seed(2)
    line = torch.linspace(-2, 2, 12).view(-1, 1)
    return {"mlp": _trace(nn.Sequential(nn.Linear(1, 4), nn.Tanh(), nn.Linear(4, 1)), nn.MSELoss(), line),
            "l1": _trace(nn.Linear(1, 1), nn.L1Loss(), line),  # P = 2, named weight and bias
            "2d": _trace(nn.Linear(2, 1), nn.MSELoss(), torch.randn(12, 2))}


@pytest.mark.slow  # Manim, a few seconds each
@pytest.mark.parametrize("kind,scene", [("mlp", "params"), ("l1", "walkthrough"), ("2d", "walkthrough")])
def test_a_module_trace_constructs_in_manim(traces, kind, scene, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from scenes.manim.panels.params import ParamsPanel

    legends: list[list[str]] = []
    arrows: list = []
    real_legend, real_arrow = ParamsPanel._legend_rows, ParamsPanel._arrow

    def legend_rows(self):
        rows = real_legend(self)
        legends.append([getattr(m[1], "layout_text", "") for m in rows])
        return rows
    monkeypatch.setattr(ParamsPanel, "_legend_rows", legend_rows)
    monkeypatch.setattr(ParamsPanel, "_arrow", lambda self, arrow, key, width=5: arrows.append(
        (key, arrow)) or real_arrow(self, arrow, key, width))
    sc = run_scene(traces[kind], scene=scene, quality="low", plan=SHORT, fmt="none", skip_animations=True)
    assert sc.renderer.num_plays > 0
    assert arrows and all(k != "full_gradient" for k, _ in arrows)
    assert all(np.all(np.isfinite([*a.start, *a.end])) for _, a in arrows)
    assert any("not known" in t for rows in legends for t in rows), legends
