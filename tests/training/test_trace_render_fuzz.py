"""Traces that load but did not render (the "Survive" bug hunt, session 5: valid traces with
their numbers mutated, loaded and rendered as ``render.py --trace T --format png`` does).

Every number of a trace's columns is within float32's +-3.4e38; a recorded module's views
(``module``) took any finite float64, and 1e300 as its final loss broke the loss axis
("render failed: OverflowError", exit 1). A landscape grid may hold any finite float64 (the
built-in models' grids are float64); one value of 1e300 broke the contours ("upper_level
must be larger than lower_level")."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch
from torch import nn, optim

from scenes.story.story import Story, contour_levels
from training import record, recording
from training.config import TrainConfig
from training.errors import InputError
from training.module_views import ModuleViews, views_to_dict
from training.trace import Trace


@pytest.fixture(scope="module")
def module_doc() -> dict:
    torch.manual_seed(0)
    model, X = nn.Linear(1, 1), torch.linspace(-1, 1, 8).view(-1, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with recording(model, opt) as rec:
            for _ in range(3):
                loss = nn.L1Loss()(model(X), 2 * X)
                opt.zero_grad()
                loss.backward()
                opt.step()
    return json.loads(rec.trace.to_json())


@pytest.mark.parametrize("edit", [
    lambda m: m.update(final_loss=1e300),
    lambda m: m["pair"]["loss"][3].__setitem__(4, 1e300),
    lambda m: m["pair"]["p0"].__setitem__(-1, 1e300),
], ids=["final_loss", "pair.loss", "pair.p0"])
def test_module_views_beyond_float32s_range_are_refused(module_doc, edit):
    doc = json.loads(json.dumps(module_doc))
    edit(doc["module"])
    with pytest.raises(InputError, match="within"):
        Trace.from_json(json.dumps(doc), "t.json")


def test_module_views_beyond_float32s_range_are_written_as_unknown():
    v = ModuleViews(1e300, pair_p0=np.array([0.0, 1.0]), pair_p1=np.array([0.0, 1.0]),
                    pair_loss=np.array([[1.0, 1e300], [2.0, 3.0]]))
    d = views_to_dict(v)
    assert d["final_loss"] is None and d["pair"]["loss"] == [[1.0, None], [2.0, 3.0]]


def test_a_landscape_grid_of_huge_values_gives_contours_within_the_highest_band():
    L, levels = contour_levels(np.array([[1.0, 2.0], [3.0, 1e300]]))
    assert L.max() <= 1e30 and levels[-1] <= 1e30 and (np.diff(levels) > 0).all()
    t = record(TrainConfig(model="mlp", hidden=2, epochs=1))
    doc = json.loads(t.to_json())
    doc["landscape"]["grid"]["loss"][3][4] = 1e300  # loads: a landscape holds float64
    _, _, L, levels = Story(Trace.from_json(json.dumps(doc), "t.json")).contours()
    assert np.isfinite(levels).all() and levels[-1] <= 1e30


# Found by the suite's mutation fuzzer (tests/training/mutation_fuzz.py) run with seeds of every
# kind of trace (its own seeds are schema-1 traces only): a recorded module's views, a
# landscape, autograd graphs (tests/training/FUZZING.md).
@pytest.mark.parametrize("edit", [
    lambda d: d["module"]["pair"]["loss"][0].__setitem__(0, 10 ** 400),  # (OverflowError, exit 1)
    lambda d: d["module"]["pair"]["p1"].__setitem__(0, -10 ** 400),
], ids=["pair.loss", "pair.p1"])
def test_module_views_with_integers_of_hundreds_of_digits_are_refused(module_doc, edit):
    doc = json.loads(json.dumps(module_doc))
    edit(doc)
    with pytest.raises(InputError, match="not a finite number|finite numbers"):
        Trace.from_json(json.dumps(doc), "t.json")


def test_module_curve_steps_out_of_any_range_are_refused():
    t = record(TrainConfig(model="mlp", hidden=2, epochs=1))
    doc = json.loads(t.to_json())
    doc["config"]["model"] = {"kind": "module"}
    doc["module"] = {"final_loss": None, "note": "", "pair": None,
                     "curve": {"x": [0.0, 1.0], "steps": [-10 ** 30], "y": [[0.0, 1.0]]}}
    doc.pop("landscape")
    with pytest.raises(InputError, match="within 0..") as e:  # (OverflowError: int too large for C long)
        Trace.from_json(json.dumps(doc), "t.json")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("where", ["graph", "node", "model"])
def test_unknown_keys_of_a_hundred_thousand_characters_give_a_short_message(where):
    t = record(TrainConfig(model="mlp", hidden=2, epochs=1, graph_steps=(1,)))
    doc = json.loads(t.to_json())
    key = "\u00e9" * 100_000
    {"graph": doc["graphs"][0], "node": doc["graphs"][0]["nodes"][0], "model": doc["config"]["model"]}[where][key] = 1
    with pytest.raises(InputError) as e:  # (the key repeated whole: messages of 35,096 and 70,085 characters)
        Trace.from_json(json.dumps(doc), "t.json")
    assert len(str(e.value)) < 300 and "\n" not in str(e.value)


def test_arrows_of_the_smallest_float64_are_magnified_within_the_cap():
    """Every update and gradient 5e-324: MIN_ARROW / 5e-324 overflowed to infinity and
    nice_scale raised OverflowError ("render failed", exit 1)."""
    t = record(TrainConfig(epochs=2))
    doc = json.loads(t.to_json())
    for col in ("update_a", "update_b", "grad_a", "grad_b"):
        doc["steps"][col] = [5e-324] * t.n_steps
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (and no RuntimeWarning on stderr)
        scale = Story(Trace.from_json(json.dumps(doc), "t.json")).arrow_scale
    assert np.isfinite(scale).all() and scale.max() <= 1e6


def test_a_classifiers_page_has_no_nan_in_its_document():
    """A module under CrossEntropyLoss with class targets: no loss known at its final
    parameters (NaN); the page's document is JSON without NaN ("render failed: Out of range
    float values are not JSON compliant" for --format html, exit 1)."""
    from scenes.web.page import player_page
    torch.manual_seed(0)
    model, X, Y = nn.Linear(2, 3), torch.randn(8, 2), torch.randint(0, 3, (8,))
    opt = optim.SGD(model.parameters(), lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with recording(model, opt) as rec:
            for s in (0, 4, 0, 4):
                loss = nn.CrossEntropyLoss()(model(X[s:s + 4]), Y[s:s + 4])
                opt.zero_grad()
                loss.backward()
                opt.step()
    page = player_page(rec.trace)
    assert '"hold_loss":null' in page


@pytest.mark.parametrize("edit", [
    lambda g: g["edges"].__setitem__(0, [10 ** 400, 0]),  # (a message of 912 characters)
    lambda g: g["nodes"][1].__setitem__("id", 10 ** 400),  # (504 characters)
    lambda g: g.__setitem__("step", 10 ** 400),
    lambda g: g["nodes"][0].__setitem__("value", 10 ** 400),  # (OverflowError: int too large to convert to float)
], ids=["edge", "node id", "step", "value"])
def test_a_graph_with_an_integer_of_hundreds_of_digits_is_one_short_line(edit):
    t = record(TrainConfig(epochs=1, graph_steps=(1,)))
    doc = json.loads(t.to_json())
    edit(doc["graphs"][0])
    with pytest.raises(InputError) as e:
        Trace.from_json(json.dumps(doc), "t.json")
    assert len(str(e.value)) < 300 and "\n" not in str(e.value)
