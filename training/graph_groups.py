"""A large autograd graph grouped by module (issue 22, item 4): one node per module.

A graph of more than :data:`MAX_UNGROUPED` nodes cannot be read when drawn node by node, so
the recorder stores it grouped (``"grouped": true``): every node that a module's forward made
(its ``"module"`` key, set by :class:`training.autograd_graph.GraphCapture` when it is given
the model) becomes one node of op ``"module"``, labelled by the module's class and name
(``"Linear 0.2"``), with the value and gradient of the module's output; nodes outside any
module (the loss, x, y) stay as they are. Edges join groups; each keeps the gradient of the
first edge between the same two groups. Plain dicts in, plain dicts out: no torch here.
"""
from __future__ import annotations

from typing import Any

from training.tracegraphs import MAX_UNGROUPED

__all__ = ["MAX_UNGROUPED", "group_by_module"]


def group_by_module(graph: dict, classes: dict[str, str], outputs: dict[str, Any]) -> dict:
    """``graph`` (the capture's JSON form, nodes with ``"module"`` keys) grouped by module.

    ``classes`` maps a module name to its class name; ``outputs`` a module name to the id of
    its output node in ``graph`` (None when backward never reached it)."""
    nodes = graph["nodes"]
    group_of: dict[int, int] = {}
    out_nodes: list[dict] = []
    slot: dict[str, int] = {}
    for n in nodes:  # groups in the order their first node ran backward; x and y stay last
        name = n.get("module")
        if name is None:
            group_of[n["id"]] = len(out_nodes)
            out_nodes.append({**n, "id": len(out_nodes)})
            continue
        if name not in slot:
            slot[name] = len(out_nodes)
            src = nodes[outputs[name]] if outputs.get(name) is not None else {}
            out_nodes.append({"id": len(out_nodes), "op": "module", "label": f"{classes.get(name, 'Module')} {name}",
                              "value": src.get("value"), "grad": src.get("grad"), "module": name})
        group_of[n["id"]] = slot[name]
    edges, edge_grads, seen = [], [], set()
    for (u, v), g in zip(graph["edges"], graph["edge_grads"]):
        e = (group_of[u], group_of[v])
        if e[0] == e[1] or e in seen:  # inside one module, or already joined
            continue
        seen.add(e)
        edges.append(list(e))
        edge_grads.append(g)
    out = {**graph, "grouped": True, "nodes": out_nodes, "edges": edges, "edge_grads": edge_grads}
    return out
