"""The recording's fast copies (training.loop_tensors.StateViews, grads_into, the parameters'
flat views made once) record exactly what the real tensors held at each step, also when a
parameter is not contiguous (its "flat view" would be a stale copy) and when the optimizer's
state tensors are replaced mid-run."""
from __future__ import annotations

import torch
from torch import nn

from training import recording


def _run(model, opt, steps, between=None):
    torch.manual_seed(1)
    X, Y = torch.randn(8, model.in_features), torch.randn(8, model.out_features)
    crit = nn.MSELoss()
    seen = {"params": [], "grads": [], "velocity": []}
    with recording(model, opt) as rec:
        for k in range(steps):
            if between is not None:
                between(k)
            seen["params"].append(torch.cat([p.detach().reshape(-1) for p in model.parameters()]))
            loss = crit(model(X), Y)
            opt.zero_grad()
            loss.backward()
            seen["grads"].append(torch.cat([p.grad.reshape(-1) for p in model.parameters()]))
            opt.step()
            seen["velocity"].append(torch.cat([opt.state[p]["momentum_buffer"].reshape(-1)
                                               for p in model.parameters()]))
    for name, column in (("params", rec.c_params), ("grads", rec.c_grads), ("velocity", rec.c_velocity)):
        got = column.result()
        assert got.shape[0] == steps, name
        for k in range(steps):
            assert got[k].tolist() == seen[name][k].tolist(), (name, k)


def test_a_non_contiguous_parameter_is_recorded_as_it_is_each_step():
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    model.weight = nn.Parameter(torch.randn(3, 2).t())  # a transposed tensor: not contiguous
    assert not model.weight.is_contiguous()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    _run(model, opt, 5)
    assert not opt.state[model.weight]["momentum_buffer"].is_contiguous()  # the state took its layout


def test_optimizer_state_replaced_mid_run_is_followed():
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def reload(k):
        if k == 3:  # new state tensors (copies), then updated in place from there on
            for p in model.parameters():
                opt.state[p]["momentum_buffer"] = opt.state[p]["momentum_buffer"].clone()
    _run(model, opt, 6, reload)
