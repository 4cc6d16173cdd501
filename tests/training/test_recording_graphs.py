"""recording(..., graph_steps=...): a user's own loop keeps the autograd graphs of chosen steps
(training.loop_graphs), the same graphs record() keeps, without changing a number of the run."""
from __future__ import annotations

import copy
import warnings

import numpy as np
import torch
from torch import nn, optim

import training
import training.loop_recorder as R
from training import recording
from training.config import TrainConfig
from training.trace import Trace
from tests.training.test_recording import article_loop, article_setup


def _all_hooks_gone(model, opt) -> bool:
    return (not opt._optimizer_step_pre_hooks and not opt._optimizer_step_post_hooks
            and all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
            and not nn.modules.module._global_forward_hooks and not nn.modules.module._global_forward_pre_hooks
            and not R._active and not torch.overrides._get_current_function_mode_stack())


def test_the_article_loop_keeps_the_graphs_record_keeps():
    ns = article_setup()
    with recording(ns["model"], ns["optimizer"], graph_steps=(1, 150)) as rec:  # the loss module found by its hook
        article_loop(ns)
    t = rec.trace
    r = training.record(TrainConfig(graph_steps=(1, 150)))
    assert [g["step"] for g in t.graphs] == [0, 149]
    assert t.graphs == r.graphs  # the same nodes, labels, values, grads, edges and edge grads
    assert {n["op"] for n in t.graphs[0]["nodes"]} >= {"MseLossBackward0", "AccumulateGrad", "input", "target"}
    assert _all_hooks_gone(ns["model"], ns["optimizer"])
    assert Trace.from_json(t.to_json()).graphs == t.graphs


def test_graphs_change_no_number_of_the_run():
    ns1, ns2 = article_setup(), article_setup()
    with recording(ns1["model"], ns1["optimizer"], loss_fn=ns1["criterion"], graph_steps=(1, 2, 3)) as r1:
        article_loop(ns1, epochs=2)
    with recording(ns2["model"], ns2["optimizer"], loss_fn=ns2["criterion"]) as r2:
        article_loop(ns2, epochs=2)
    for p, q in zip(ns1["model"].parameters(), ns2["model"].parameters()):
        assert torch.equal(p, q)
    assert len(r1.trace.graphs) == 3 and not r2.trace.graphs
    for col in ("a", "b", "loss", "grad_a", "grad_b", "update_a", "update_b"):
        assert np.array_equal(r1.trace.steps[col], r2.trace.steps[col]), col


def test_a_loop_without_a_loss_module_keeps_its_graph():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(1, 3), nn.Tanh(), nn.Linear(3, 1))
    twin = copy.deepcopy(model)
    x, y = torch.linspace(-1, 1, 6).unsqueeze(1), torch.linspace(0, 2, 6).unsqueeze(1)

    def loop(m, rec_kwargs):
        opt = optim.SGD(m.parameters(), lr=0.1)
        with recording(m, opt, x=x, y=y, **rec_kwargs) as rec:
            for _ in range(4):
                loss = ((m(x) - y) ** 2).mean()  # no loss module: a function of the output
                opt.zero_grad()
                loss.backward()
                opt.step()
        assert _all_hooks_gone(m, opt)
        return rec.trace

    fn = lambda p, t: ((p - t) ** 2).mean()  # noqa: E731
    t = loop(model, dict(loss_fn=fn, graph_steps=(2,)))
    plain = loop(twin, dict(loss_fn=fn))
    assert [g["step"] for g in t.graphs] == [1]
    for p, q in zip(model.parameters(), twin.parameters()):
        assert torch.equal(p, q)
    nodes = t.graphs[0]["nodes"]
    assert nodes[0]["label"] == "L" and nodes[0]["op"] == "MeanBackward0"
    # The parameters' grads are the .grad the step used (steps.grads, independent of the graph).
    params = {n["param"]: n["grad"] for n in nodes if "param" in n}
    assert set(params) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert np.allclose(params["2.bias"], plain.steps["grads"][1][-1], rtol=0, atol=1e-7)
    assert any(n["op"] == "input" for n in nodes)


def test_a_step_without_backward_gives_a_warning_not_a_graph():
    m = nn.Linear(1, 1)
    opt = optim.SGD(m.parameters(), lr=0.1)
    x, y = torch.tensor([[0.5], [1.0]]), torch.tensor([[1.0], [2.0]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with recording(m, opt, graph_steps=(1,)) as rec:
            nn.MSELoss()(m(x), y)
            m.weight.grad = torch.ones_like(m.weight)
            m.bias.grad = torch.ones_like(m.bias)
            opt.step()
    assert not rec.trace.graphs and any("no graph for step 1" in str(w.message) for w in caught)
    assert rec.trace.n_steps == 1 and _all_hooks_gone(m, opt)


def test_run_flags_pass_graph_steps_through(tmp_path):
    from pathlib import Path
    from scenes.run_script import run_flags_trace
    script = Path(__file__).resolve().parents[2] / "assets" / "examples" / "article_loop.py"
    args = {"graph_steps": "1,2", "record_only": True}
    files, cleanup = run_flags_trace({"run": str(script)}, [], args, [])
    try:
        assert [g["step"] for g in Trace.from_file(files[0]).graphs] == [0, 1] and "graph_steps" not in args
    finally:
        cleanup()
