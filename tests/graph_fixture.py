"""Autograd graphs built by hand, exactly as the contract (notes/graph-contract, docs/trace-format.md)
stores them, in float64 closed form: the drawing is tested without the recorder.

``article_trace()`` is the article's run (six points, batches of 2, plain SGD with lr 0.1, a = b = 1)
computed in float64; ``line_graph(trace, k)`` is the 7-node graph of step k of a line-model trace
(nn.Linear(1, 1) + nn.MSELoss()); ``with_graphs(trace, steps)`` attaches them.
"""
from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["ARTICLE_X", "ARTICLE_Y", "article_trace", "line_graph", "with_graphs", "LINE_IDS"]

ARTICLE_X = (0.2, 0.4, 0.6, 0.8, 1.0, 1.2)
ARTICLE_Y = (0.18, 0.32, 0.42, 0.48, 0.58, 0.72)
# The ids of the line model's graph, in the order PyTorch's backward pass runs it (the loss
# first), then the leaves that are not autograd nodes.
LINE_IDS = {"L": 0, "pred": 1, "b": 2, "aT": 3, "a": 4, "x": 5, "y": 6}


def article_trace(epochs: int = 2, zero_grad: bool = True):
    """The article's run, in float64, as a Trace (no torch). Without ``zero_grad`` the
    gradient accumulates over the batches, as PyTorch's .grad does when it is never cleared."""
    from training.trace import Trace

    x, y = np.array(ARTICLE_X), np.array(ARTICLE_Y)
    n_b = len(x) // 2
    cols: dict[str, list] = {k: [] for k in ("epoch", "batch", "a", "b", "loss", "full_loss", "grad_a", "grad_b",
                                            "update_a", "update_b", "indices", "pred", "residual")}
    a = b = 1.0
    acc_a = acc_b = 0.0
    for k in range(epochs * n_b):
        idx = [2 * (k % n_b), 2 * (k % n_b) + 1]
        pred = a * x[idx] + b
        res = pred - y[idx]
        ga, gb = float(np.sum(x[idx] * 2 * res / 2)), float(np.sum(2 * res / 2))
        if not zero_grad:
            acc_a, acc_b = acc_a + ga, acc_b + gb
            ga, gb = acc_a, acc_b
        for key, v in (("epoch", k // n_b), ("batch", k % n_b), ("a", a), ("b", b),
                       ("loss", float(np.mean(res ** 2))), ("full_loss", float(np.mean((a * x + b - y) ** 2))),
                       ("grad_a", ga), ("grad_b", gb), ("update_a", -0.1 * ga), ("update_b", -0.1 * gb),
                       ("indices", idx), ("pred", pred.tolist()), ("residual", res.tolist())):
            cols[key].append(v)
        a, b = a - 0.1 * ga, b - 0.1 * gb
    steps = {k: (v if k in ("indices", "pred", "residual") else np.asarray(v)) for k, v in cols.items()}
    config = {"lr": 0.1, "batch_size": 2, "epochs": epochs, "optimizer": "sgd", "data": {"kind": "article"}}
    return Trace(config=config, versions={"numpy": np.__version__}, x=x, y=y, steps=steps, final_a=a, final_b=b)


def line_graph(trace, k: int) -> dict:
    """The graph of step k (0-based) of a line-model trace, in the contract's form, its numbers
    in float64 closed form from the step's a, b and batch: L = mean((ŷ − y)²),
    ∂L/∂ŷ = 2(ŷ − y)/n, ∂L/∂a = Σ x·∂L/∂ŷ, ∂L/∂b = Σ ∂L/∂ŷ. The AccumulateGrad nodes' grad is
    the trace's gradient (the accumulated one when zero_grad is off, as PyTorch's .grad)."""
    st = trace.steps
    a, b = float(st["a"][k]), float(st["b"][k])
    idx = np.asarray(st["indices"][k], dtype=np.int64)
    x, y = trace.x[idx].astype(np.float64), trace.y[idx].astype(np.float64)
    pred = a * x + b
    g_pred = 2 * (pred - y) / len(x)
    ga, gb = float(np.sum(x * g_pred)), float(np.sum(g_pred))
    i = LINE_IDS
    nodes = [
        {"id": i["L"], "op": "MseLossBackward0", "label": "L", "value": float(np.mean((pred - y) ** 2)), "grad": 1.0},
        {"id": i["pred"], "op": "AddmmBackward0", "label": "ŷ = x·aᵀ + b", "value": pred.tolist(),
         "grad": g_pred.tolist()},
        {"id": i["b"], "op": "AccumulateGrad", "label": "b", "value": b, "grad": float(st["grad_b"][k]), "param": "b"},
        {"id": i["aT"], "op": "TBackward0", "label": "aᵀ", "value": a, "grad": ga},
        {"id": i["a"], "op": "AccumulateGrad", "label": "a", "value": a, "grad": float(st["grad_a"][k]), "param": "a"},
        {"id": i["x"], "op": "input", "label": "x", "value": x.tolist(), "grad": None},
        {"id": i["y"], "op": "target", "label": "y", "value": y.tolist(), "grad": None},
    ]
    edges = [[i["a"], i["aT"]], [i["aT"], i["pred"]], [i["b"], i["pred"]], [i["x"], i["pred"]],
             [i["pred"], i["L"]], [i["y"], i["L"]]]
    edge_grads = [ga, ga, gb, None, g_pred.tolist(), None]
    return {"step": k, "grouped": False, "nodes": nodes, "edges": edges, "edge_grads": edge_grads}


def with_graphs(trace, steps=(0, 1, 2)):
    """``trace`` with the graphs of ``steps`` (0-based) attached, as the recorder will."""
    return dataclasses.replace(trace, graphs=[line_graph(trace, k) for k in steps])
