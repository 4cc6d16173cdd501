"""Fuzz the trace reader with every kind of trace (the "Survive" bug hunt, session 5): the
suite's other trace properties start from schema-1 traces, so a recorded module's views
(``module``), a landscape, autograd graphs and ``config.model`` were never mutated; here
they are, and whatever loads must also give the parameter view's contours and arrows (where
a loadable trace failed to render: tests/training/test_trace_render_fuzz.py).

Few examples (the Hypothesis profile's, tests/conftest.py), no deadline; bigger campaigns
are ad hoc (tests/training/FUZZING.md).
"""
from __future__ import annotations

import functools
import json
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import doc_paths
from training.errors import InputError
from training.trace import Trace

FUZZ = settings(settings.default, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALUES = [10 ** 400, -10 ** 30, 2 ** 63, 1e300, -1e300, 3.5e38, 5e-324, -0.0, 0, 1, -1, None, True, "", "x" * 50_000,
          [], {}, [[0]], {"x" * 50_000: 1}]


@functools.cache
def seeds() -> tuple[str, ...]:
    """A recorded module of two parameters (its pair grid and curves), a classifier (no loss
    known off its path), the MLP of record() with its landscape and a graph."""
    import torch
    from torch import nn, optim

    from training import record, recording
    from training.config import TrainConfig
    out = [record(TrainConfig(model="mlp", hidden=2, epochs=1, graph_steps=(1,))).to_json()]
    torch.manual_seed(0)
    for model, crit, y in ((nn.Linear(1, 1), nn.L1Loss(), lambda x: 2 * x),
                           (nn.Linear(1, 3), nn.CrossEntropyLoss(), lambda x: (x[:, 0] > 0).long())):
        X = torch.linspace(-1, 1, 8).view(-1, 1)
        opt = optim.SGD(model.parameters(), lr=0.1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with recording(model, opt) as rec:
                for s in (0, 4, 0):
                    loss = crit(model(X[s:s + 4]), y(X[s:s + 4]))
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
        out.append(rec.trace.to_json())
    return tuple(out)


@st.composite
def mutated(draw) -> str:
    doc = json.loads(draw(st.sampled_from(seeds())))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(doc_paths(doc)))
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        key = path[-1]
        op = draw(st.sampled_from(["value", "value", "delete", "key"]))
        if op == "value":
            parent[key] = draw(st.sampled_from(VALUES))
        elif op == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["x" * 50_000, "kind", "steps", ""]))] = parent.pop(key)
        if not doc_paths(doc):
            break
    return json.dumps(doc)


@FUZZ
@given(mutated())
def test_every_kind_of_trace_mutated_loads_and_draws_or_is_one_short_line(text):
    try:
        trace = Trace.from_json(text, "fuzz.json")
    except InputError as e:
        msg = str(e)
        assert msg.strip() and "\n" not in msg and len(msg) < 400, f"a {len(msg)}-character message: {msg[:200]!r}"
        return
    from scenes.story.story import Story
    story = Story(trace)
    with np.errstate(all="ignore"):
        _, _, L, levels = story.contours()
    assert np.isfinite(L).all() and np.isfinite(levels).all() and (np.diff(levels) > 0).all()
    assert np.isfinite(story.arrow_scale).all()
