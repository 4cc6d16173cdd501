"""The parameter view's contours when the loss is not known everywhere (the "Survive" bug hunt):
a recorded module of two parameters whose pair grid ends inside the view (NaN there), and one
of more whose loss is known nowhere off its path (one value everywhere). Every backend fills
what Story.contours gives; matplotlib refused both ("lower_level and upper_level cannot be
NaN", "Contour levels must be increasing")."""
from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn, optim

from scenes.story.story import CONTOUR_LEVELS, Story, contour_levels
from training import recording


def _levels_ok(L, levels) -> None:
    assert np.isfinite(L).all() and len(levels) == CONTOUR_LEVELS
    assert np.isfinite(levels).all() and (np.diff(levels) > 0).all()


def test_unknown_and_flat_grids_give_increasing_levels():
    L = np.array([[1.0, 2.0], [np.nan, 4.0]])
    out, levels = contour_levels(L)
    _levels_ok(out, levels)
    assert out[1, 0] == 4.0 and out[0, 1] == 2.0  # unknown: drawn as the highest; the rest as it was
    for flat in (np.full((3, 3), 1e30), np.full((3, 3), np.nan), np.zeros((3, 3))):
        _levels_ok(*contour_levels(flat))
    normal = np.arange(1.0, 10.0).reshape(3, 3)
    assert np.array_equal(contour_levels(normal)[1], np.geomspace(1.05 + 1e-9, 9.0, CONTOUR_LEVELS))


def _record(model, crit, X, Y, steps=4):
    opt = optim.SGD(model.parameters(), lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with recording(model, opt) as rec:
            for _ in range(steps):
                loss = crit(model(X[:4]), Y[:4])
                opt.zero_grad()
                loss.backward()
                opt.step()
    return rec.trace


def test_a_short_two_parameter_module_run_has_contours():
    torch.manual_seed(0)  # an L1 loss: a module, not the line; 4 short steps, a view wider than its grid
    t = _record(nn.Linear(1, 1), nn.L1Loss(), torch.randn(8, 1), torch.randn(8, 1))
    assert t.schema_version == 2 and len(t.param_names) == 2
    _, _, L, levels = Story(t).contours()
    _levels_ok(L, levels)


def test_a_module_whose_loss_is_unknown_off_its_path_has_contours():
    torch.manual_seed(0)  # class targets: the loss takes (N,) integers, the model gives (N, 3)
    t = _record(nn.Linear(2, 3), nn.CrossEntropyLoss(), torch.randn(8, 2), torch.randint(0, 3, (8,)))
    assert t.landscape is None
    _, _, L, levels = Story(t).contours()
    _levels_ok(L, levels)
