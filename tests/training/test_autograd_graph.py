"""The recorded autograd graph (issue 22) against an independent float64 computation.

Every number on the line model's graph is checked against its closed form, computed in
float64 from the float32 inputs the run used (x, y, a, b as PyTorch held them): within 1e-6 of
the tensor's scale (its largest absolute value, at least 1e-7). And recording a graph changes
nothing: the run is the same bit for bit with graphs on every step as without any.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from training.autograd_graph import GraphCapture, compact
from training.config import TrainConfig
from training.errors import InputError
from training.recorder import record
from training.tracegraphs import HEAD, MAX_GRAPH_NODES, MAX_LIST, check_graphs

f32 = lambda v: np.asarray(v, dtype=np.float32).astype(np.float64)  # noqa: E731 - what torch held


def close(got, want, what: str) -> None:
    got, want = np.atleast_1d(np.asarray(got, dtype=np.float64)), np.atleast_1d(np.asarray(want, dtype=np.float64))
    assert got.shape == want.shape, (what, got, want)
    scale = max(float(np.max(np.abs(want))), 1e-7)
    assert np.max(np.abs(got - want)) <= 1e-6 * scale, (what, got.tolist(), want.tolist())


def batch_of(trace, k: int):
    idx = trace.steps["indices"][k]
    return f32(trace.x[idx]), f32(trace.y[idx])


def closed_form(trace, k: int) -> dict:
    """Each node's value and gradient for step k of the line model, in float64."""
    x, y = batch_of(trace, k)
    a, b, n = trace.steps["a"][k], trace.steps["b"][k], len(x)
    pred = a * x + b
    dpred = 2 * (pred - y) / n
    da, db = float(np.sum(x * dpred)), float(np.sum(dpred))
    return {"L": (float(np.mean((pred - y) ** 2)), 1.0), "pred": (pred, dpred), "aT": (a, da),
            "a": (a, da), "b": (b, db), "x": (x, None), "y": (y, None)}


def roles(graph) -> dict[str, int]:
    """Which node is which, from PyTorch's class names and the edges alone."""
    nodes = graph["nodes"]
    by_op = {}
    for node in nodes:
        by_op.setdefault(node["op"], []).append(node["id"])
    params = {nodes[i]["param"]: i for i in by_op["AccumulateGrad"]}
    return {"L": by_op["MseLossBackward0"][0], "pred": by_op["AddmmBackward0"][0], "aT": by_op["TBackward0"][0],
            "a": params["a"], "b": params["b"], "x": by_op["input"][0], "y": by_op["target"][0]}


def check_step(trace, graph) -> None:
    k = graph["step"]
    want = closed_form(trace, k)
    r = roles(graph)
    nodes = graph["nodes"]
    assert len(nodes) == 7 and set(r.values()) == set(range(7))
    for role, (value, grad) in want.items():
        node = nodes[r[role]]
        close(node["value"], value, f"step {k} {role} value")
        if grad is None:
            assert node["grad"] is None
        else:
            close(node["grad"], grad, f"step {k} {role} grad")
    # The edges the forward way, and the gradient that flowed back along each.
    edges = {(f, t): g for (f, t), g in zip(graph["edges"], graph["edge_grads"])}
    assert set(edges) == {(r["pred"], r["L"]), (r["b"], r["pred"]), (r["aT"], r["pred"]), (r["a"], r["aT"]),
                          (r["x"], r["pred"]), (r["y"], r["L"])}
    close(edges[r["pred"], r["L"]], want["pred"][1], "edge ŷ -> L")
    close(edges[r["b"], r["pred"]], want["b"][1], "edge b -> ŷ")
    close(edges[r["aT"], r["pred"]], want["aT"][1], "edge aᵀ -> ŷ")
    close(edges[r["a"], r["aT"]], want["a"][1], "edge a -> aᵀ")
    assert edges[r["x"], r["pred"]] is None and edges[r["y"], r["L"]] is None
    # Exactly what the trace recorded: the loss, and .grad as the trace's gradient columns.
    assert nodes[r["L"]]["value"] == trace.steps["loss"][k]
    assert nodes[r["a"]]["grad"] == trace.steps["grad_a"][k] and nodes[r["b"]]["grad"] == trace.steps["grad_b"][k]
    assert nodes[r["a"]]["value"] == trace.steps["a"][k] and nodes[r["b"]]["value"] == trace.steps["b"][k]
    assert nodes[r["pred"]]["value"] == trace.steps["pred"][k].tolist()


RUNS = {
    "article": TrainConfig(epochs=3),
    "shuffled-batch-4-keep-last": TrainConfig(epochs=3, batch_size=4, shuffle=True, seed=3, drop_last=False),
    "momentum-synthetic": TrainConfig(epochs=2, optimizer="momentum", batch_size=5,
                                      data=TrainConfig().data.parse("synthetic:n=20,noise=0.2")),
}


@pytest.mark.parametrize("run", sorted(RUNS))
def test_every_number_on_the_graph_is_its_closed_form(run):
    cfg = RUNS[run]
    trace = record(cfg, graph_steps=range(10_000))
    assert [g["step"] for g in trace.graphs] == list(range(trace.n_steps))
    for graph in trace.graphs:
        check_step(trace, graph)


def test_the_article_s_first_batch_by_hand():
    graph = record(TrainConfig(epochs=1), graph_steps=[0]).graphs[0]
    r, nodes = roles(graph), graph["nodes"]
    assert abs(nodes[r["a"]]["grad"] - 0.636) < 1e-6 and abs(nodes[r["b"]]["grad"] - 2.100) < 1e-6
    close(nodes[r["L"]]["value"], (1.02 ** 2 + 1.08 ** 2) / 2, "L = 1.1034")
    close(nodes[r["pred"]]["grad"], [1.02, 1.08], "∂L/∂ŷ")
    close(nodes[r["x"]]["value"], [0.2, 0.4], "x")
    # The documented order: backward ran L first, then ŷ, then b, aᵀ and a; x and y come last.
    assert [(n["op"], n["label"]) for n in nodes] == [
        ("MseLossBackward0", "L"), ("AddmmBackward0", "ŷ = x·aᵀ + b"), ("AccumulateGrad", "b"),
        ("TBackward0", "aᵀ"), ("AccumulateGrad", "a"), ("input", "x"), ("target", "y")]
    assert all(f > t for f, t in graph["edges"])  # a node's id is smaller than its inputs'


def test_without_zero_grad_the_gradient_is_the_running_sum():
    cfg = TrainConfig(epochs=3, zero_grad=False, lr=0.01)
    trace = record(cfg, graph_steps=range(9))
    assert not trace.status.diverged and len(trace.graphs) == 9
    sum_a = sum_b = 0.0
    for graph in trace.graphs:
        k = graph["step"]
        want = closed_form(trace, k)  # this batch's gradient at the recorded parameters
        sum_a, sum_b = sum_a + want["a"][1], sum_b + want["b"][1]
        r, nodes = roles(graph), graph["nodes"]
        close(nodes[r["a"]]["grad"], sum_a, f"step {k} accumulated .grad of a")
        close(nodes[r["b"]]["grad"], sum_b, f"step {k} accumulated .grad of b")
        assert nodes[r["a"]]["grad"] == trace.steps["grad_a"][k]  # the trace's column is the sum too
        # What flowed along the edges is this batch's alone.
        edges = {(f, t): g for (f, t), g in zip(graph["edges"], graph["edge_grads"])}
        close(edges[r["a"], r["aT"]], want["a"][1], f"step {k} edge a -> aᵀ")
        close(edges[r["b"], r["pred"]], want["b"][1], f"step {k} edge b -> ŷ")
    # and the optimizer stepped with the sum: plain SGD, a_{k+1} = a_k - lr * running sum
    close(trace.steps["update_a"][:9], -cfg.lr * trace.steps["grad_a"][:9], "updates")
    assert abs(trace.steps["grad_a"][8]) > 3 * abs(record(replace(cfg, zero_grad=True)).steps["grad_a"][8])


BIT_RUNS = {
    "article": TrainConfig(epochs=20),
    "no-zero-grad": TrainConfig(epochs=20, zero_grad=False),
    "adam-shuffled": TrainConfig(epochs=10, optimizer="adam", shuffle=True, seed=2, lr=0.05),
    "nesterov-keep-last": TrainConfig(epochs=10, optimizer="momentum", nesterov=True, batch_size=4, drop_last=False),
    "diverging": TrainConfig(epochs=50, lr=9.0),
}


@pytest.mark.parametrize("run", sorted(BIT_RUNS))
def test_recording_graphs_changes_nothing(run):
    cfg = BIT_RUNS[run]
    plain = record(cfg)
    watched = record(cfg, graph_steps=range(10_000))  # every step: hooks and the mode each time
    assert plain.graphs == [] and len(watched.graphs) == watched.n_steps > 0
    assert replace(watched, graphs=[]) == plain  # the same JSON text, to the last bit
    for col, values in plain.steps.items():
        mine = watched.steps[col]
        a, b = (values.values, mine.values) if hasattr(values, "values") else (values, mine)
        assert a.tobytes() == b.tobytes(), col
    assert (plain.final_a, plain.final_b, plain.status) == (watched.final_a, watched.final_b, watched.status)


def test_a_diverged_step_has_no_graph():
    trace = record(TrainConfig(epochs=50, lr=9.0), graph_steps=range(10_000))
    assert trace.status.diverged
    assert [g["step"] for g in trace.graphs] == list(range(trace.n_steps))


# ------------------------------------------------------------------ bounds
def test_a_long_tensor_is_summarised():
    t = torch.arange(40.0).reshape(5, 8) - 3
    assert compact(t) == {"shape": [5, 8], "head": [float(v) for v in range(-3, 5)], "min": -3.0, "max": 36.0}
    assert compact(torch.arange(float(MAX_LIST))) == [float(v) for v in range(MAX_LIST)]
    assert compact(torch.tensor([[2.5]])) == 2.5
    assert compact(torch.tensor([1.0, float("inf")])) == [1.0, None]  # JSON has no inf: null


def _chain_graph(length: int, width: int = 20, max_nodes: int = MAX_GRAPH_NODES) -> dict:
    """A graph longer than the cap, over a parameter of width² numbers."""
    w = torch.nn.Parameter(torch.linspace(-1, 1, width * width).reshape(width, width))
    x = torch.ones(width, 1)
    cap = GraphCapture({w: "w"}, {"x": (x, "input")}, max_nodes=max_nodes)
    with cap.forward():
        h = w @ x
        for _ in range(length):
            h = h * 1.01
        loss = h.pow(2).mean()
    cap.watch(loss, {loss: "L"})
    loss.backward()
    return cap.result(0)


def test_the_node_count_is_capped_and_the_graph_stays_valid():
    graph = _chain_graph(400)
    autograd = [n for n in graph["nodes"] if n["op"] not in ("input", "target")]
    total = 400 + 4  # mean, pow, 400 muls, mm, AccumulateGrad
    assert len(autograd) == MAX_GRAPH_NODES and graph["omitted"] == total - MAX_GRAPH_NODES
    assert autograd[0]["op"] == "MeanBackward0"  # the first ones backward ran are kept
    assert check_graphs([graph], 1, InputError) == [graph]


def test_a_big_parameter_is_summarised_on_its_node():
    graph = _chain_graph(2)
    w = next(n for n in graph["nodes"] if n.get("param") == "w")
    assert w["value"]["shape"] == [20, 20] and len(w["value"]["head"]) == HEAD
    assert w["value"]["min"] == -1.0 and w["value"]["max"] == 1.0
    assert set(w["grad"]) == {"shape", "head", "min", "max"}
    x = next(n for n in graph["nodes"] if n["op"] == "input")
    assert x["id"] == len(graph["nodes"]) - 1 and x["value"]["shape"] == [20, 1]
    assert check_graphs([graph], 1, InputError) == [graph]
