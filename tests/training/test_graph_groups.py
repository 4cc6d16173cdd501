"""A large graph is stored grouped by module (issue 22, item 4): a deep MLP captured with the
GraphCapture API, grouped and ungrouped, from the same batch."""
from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from scenes.story.graph import GraphStory
from scenes.story.plan import FORWARD
from scenes.story.story import Story
from tests.graph_fixture import article_trace
from training.autograd_graph import GraphCapture
from training.errors import InputError
from training.tracegraphs import MAX_UNGROUPED, check_graphs

WIDTHS = (1, 8, 8, 8, 8, 8, 1)  # 6 Linear and 5 Tanh modules


def _mlp() -> nn.Sequential:
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(WIDTHS, WIDTHS[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(WIDTHS) - 2:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def _capture(model: nn.Module, grouped: bool, group_above: int = MAX_UNGROUPED) -> dict:
    x = torch.linspace(-1, 1, 4).unsqueeze(1)
    y = x ** 2
    params = {p: name for name, p in model.named_parameters()}
    cap = GraphCapture(params, {"x": (x, "input"), "y": (y, "target")}, modules=model if grouped else None,
                       group_above=group_above)
    with cap.forward():
        out = model(x)
        loss = nn.functional.mse_loss(out, y)
    model.zero_grad()
    cap.watch(loss, {loss: "L", out: "ŷ"})
    loss.backward()
    return cap.result(0)


@pytest.fixture(scope="module")
def graphs():
    model = _mlp()
    return model, _capture(model, grouped=True), _capture(model, grouped=False)


def test_a_deep_mlp_is_stored_grouped_by_module(graphs):
    model, g, plain = graphs
    assert not plain["grouped"] and len(plain["nodes"]) > MAX_UNGROUPED
    assert g["grouped"]
    leaves = [name for name, m in model.named_modules() if next(m.children(), None) is None]
    assert len(leaves) == 11
    groups = [n for n in g["nodes"] if n["op"] == "module"]
    # One node per module, in backward order (the last layer first), labelled class and name.
    assert [n["module"] for n in groups] == leaves[::-1]
    assert [n["label"] for n in groups] == [f"{type(model[int(k)]).__name__} {k}" for k in leaves[::-1]]
    assert sorted(n["label"] for n in g["nodes"] if n["op"] != "module") == ["L", "x", "y"]
    assert len(g["nodes"]) == 14
    ids = {n["label"]: n["id"] for n in g["nodes"]}
    by_module = {n["module"]: n["id"] for n in groups}
    chain = [ids["x"]] + [by_module[k] for k in leaves] + [ids["L"]]
    assert sorted(map(tuple, g["edges"])) == sorted([*zip(chain, chain[1:]), (ids["y"], ids["L"])])
    assert check_graphs([g], 1, InputError) == [g]  # the validator accepts it as it is


def test_group_values_are_the_modules_outputs(graphs):
    model, g, plain = graphs
    out_plain = next(n for n in plain["nodes"] if n["label"] == "ŷ")
    out_group = next(n for n in g["nodes"] if n.get("module") == "10")
    assert out_group["grad"] == out_plain["grad"]
    assert out_group["value"] == out_plain["value"]
    # ∂L/∂ŷ of MSE, independently: 2(ŷ − y)/n in float64.
    x = torch.linspace(-1, 1, 4, dtype=torch.float64).unsqueeze(1)
    with torch.no_grad():
        pred = model.double()(x)
    model.float()
    assert out_group["grad"] == pytest.approx((2 * (pred - x ** 2) / 4).reshape(-1).tolist(), abs=1e-6)
    # The edge into the loss carries the same gradient as in the ungrouped graph.
    k = g["edges"].index([out_group["id"], 0])
    assert g["edge_grads"][k] == out_plain["grad"]


def test_a_graph_small_enough_is_stored_as_it_was(graphs):
    # The module names only serve the grouping: below the threshold the graph is the plain
    # capture's, key for key (the line's traces with graphs are unchanged by grouping).
    _, _, plain = graphs
    full = _capture(_mlp(), grouped=True, group_above=10 ** 6)  # annotated, never grouped
    assert not full["grouped"] and full["nodes"] == plain["nodes"] and full["edges"] == plain["edges"]
    assert not any("module" in n for n in full["nodes"])


def test_a_module_node_needs_a_grouped_graph(graphs):
    _, g, _ = graphs
    with pytest.raises(InputError, match="grouped"):
        check_graphs([{**g, "grouped": False}], 1, InputError)


def test_the_view_says_it_is_grouped(graphs):
    _, g, _ = graphs
    story = Story(dataclasses.replace(article_trace(), graphs=[g]))
    gs = GraphStory(story)
    drawn = gs.graphs[0]
    assert drawn.grouped and drawn.note == "grouped by module (14 groups)"
    assert set(drawn.layout.ids) == set(range(14))
    frame = gs.frame(0, FORWARD, 0.5)
    assert "grouped by module" in frame.note
