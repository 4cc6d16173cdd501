"""The graph view as the page's document carries it: every recorded graph prepared by the
story (layout, texts), the rule of each beat's frames, and which graph each step shows.

The player draws from this and derives nothing: it applies the rule to a graph exactly as
:func:`scenes.story.graph.apply_graph_reveal` does, with the layout computed here.
"""
from __future__ import annotations

from dataclasses import asdict, fields

import numpy as np

from scenes.story.graph import BEAT_PHASES, GraphReveal, graph_reveal
from scenes.story.plan import HOLD, INTRO, FramePlan
from scenes.story.story import Story

__all__ = ["export_graph"]

_FIELDS = [f.name for f in fields(GraphReveal)]


def _rule_table(beat: int, ts: np.ndarray) -> dict:
    """Each field's value at each frame; a field that holds one value at every frame is that
    value (as the plan's reveal rules: the player reads either, ``col`` in graph.js)."""
    rows = [asdict(graph_reveal(beat, float(t))) for t in ts]
    table = {}
    for name in _FIELDS:
        values = [r[name] for r in rows]
        same = bool(values) and all(type(v) is type(values[0]) and v == values[0] for v in values)
        table[name] = values[0] if same else values
    return table


def _shared(tables: list) -> list:
    """A table equal to an earlier one is written as that one's index (a detail step's beats
    repeat their rules from one step to the next)."""
    out: list = []
    for i, table in enumerate(tables):
        earlier = next((j for j in range(i) if table is not None and tables[j] == table), None)
        out.append(table if earlier is None else earlier)
    return out


def _graph(g) -> dict:
    return {"step": g.step, "grouped": g.grouped, "note": g.note, "layout": g.layout.to_dict(),
            "nodes": [{"id": n.id, "op": n.op, "op_text": n.op_text, "label": n.label, "value": n.value,
                       "grad": n.grad, "grad_name": n.grad_name, "rule": n.rule, "param": n.param,
                       "grad_before": n.grad_before, "value_after": n.value_after} for n in g.nodes],
            "edges": [list(e) for e in g.edges], "edge_grads": list(g.edge_grads), "texts": dict(g.texts),
            "note_latest": f"step {g.step + 1}'s graph, the latest recorded",
            "note_before": f"recorded at step {g.step + 1}"}


def export_graph(story: Story, plan: FramePlan) -> dict | None:
    """The graph view's data (None when the run recorded no graphs). ``rules``: per plan
    segment of a detailed beat, the rule at each of its frames (or the index of an earlier
    segment's equal table; None for other segments); ``index``: per step, the graph it shows
    (−1: none recorded yet)."""
    gs = story.graph
    if not gs.available:
        return None
    index = [gs.index_at(k) for k in range(story.n)]
    rules = [_rule_table(seg.beat, plan.t[seg.start:seg.stop]) if seg.beat in BEAT_PHASES or seg.beat == INTRO else None
             for seg in plan.segments()]
    return {"zero_grad": gs.zero_grad, "graphs": [_graph(g) for g in gs.graphs],
            "index": [-1 if i is None else i for i in index], "rules": _shared(rules),
            "recorded": asdict(graph_reveal(HOLD, 1.0)),
            "before": asdict(GraphReveal(phase="intro", grad="none"))}
