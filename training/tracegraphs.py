"""A trace's ``graphs``: the autograd graphs of chosen steps (issue 22), checked and written.

The form is documented in docs/trace-format.md ("graphs") and made by
:mod:`training.autograd_graph` while a run is recorded. Reading a trace (JSON or binary)
checks every entry here, with one-line messages that name the entry and its step, and returns
it in one canonical form (keys in the documented order, numbers as floats): the same graph
read from either file is the same value, and writes back to the same text. No torch here.
"""
from __future__ import annotations

import json
import math
from typing import Any, Callable, Iterator

from training.errors import InputError, listed, shown

__all__ = ["MAX_GRAPHS", "MAX_GRAPH_NODES", "MAX_LEAVES", "MAX_LIST", "MAX_UNGROUPED", "HEAD", "check_graphs", "graph_parts"]

MAX_GRAPHS = 100        # graphs in one trace: 50 asked for (--graph-steps) and 50 detailed steps
MAX_GRAPH_NODES = 256   # autograd nodes kept per graph (the line model has 5); more are omitted
MAX_LEAVES = 16         # nodes with op "input" or "target" (the batch's x and y), after them
MAX_LIST = 16           # a tensor of at most this many numbers is kept whole, as a list
HEAD = 8                # a longer one: its shape, its first HEAD numbers, min and max
MAX_TEXT = 200          # characters of an op, a label or a module name
MAX_UNGROUPED = 30      # a graph of more nodes is stored grouped by module (training/graph_groups.py)

_GRAPH_KEYS = ("step", "grouped", "nodes", "edges", "edge_grads", "omitted")
_NODE_KEYS = ("id", "op", "label", "value", "grad", "param", "module")
_REQUIRED_GRAPH = {"step", "nodes", "edges", "edge_grads"}
_REQUIRED_NODE = {"id", "op", "label", "value", "grad"}
_LEAF_OPS = ("input", "target")

Bad = Callable[[str], InputError]


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v: Any) -> bool:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:  # an integer too large for a float
        return False


def _values(v: Any, what: str, bad: Bad) -> Any:
    """A value or gradient: null, a number, a list of at most MAX_LIST numbers (null: not
    finite), or a summary ``{"shape", "head", "min", "max"}``; as floats."""
    if v is None:
        return None
    if _number(v):
        return float(v)
    if isinstance(v, list):
        if len(v) > MAX_LIST or not all(x is None or _number(x) for x in v):
            raise bad(f"{what} must be a list of at most {MAX_LIST} numbers")
        return [None if x is None else float(x) for x in v]
    if isinstance(v, dict):
        shape, head = v.get("shape"), v.get("head")
        if (set(v) != {"shape", "head", "min", "max"} or not isinstance(shape, list) or not 1 <= len(shape) <= 8
                or not all(_whole(s) and 0 <= s <= 2**40 for s in shape)
                or not isinstance(head, list) or len(head) > HEAD or not all(x is None or _number(x) for x in head)
                or not all(v[k] is None or _number(v[k]) for k in ("min", "max"))):
            raise bad(f'{what} must be a summary {{"shape", "head", "min", "max"}} of a long tensor')
        return {"shape": list(shape), "head": [None if x is None else float(x) for x in head],
                "min": None if v["min"] is None else float(v["min"]),
                "max": None if v["max"] is None else float(v["max"])}
    raise bad(f"{what} must be a number, a list of numbers, a summary or null")


def _text(v: Any, what: str, bad: Bad) -> str:
    if not isinstance(v, str) or not v or len(v) > MAX_TEXT:
        raise bad(f"{what} must be text of 1 to {MAX_TEXT} characters")
    return v


def _keys(entry: Any, required: set, known: tuple, what: str, bad: Bad) -> None:
    if not isinstance(entry, dict):
        raise bad(f"{what} must be an object")
    missing = sorted(required - set(entry), key=known.index)
    unknown = sorted(set(entry) - set(known))
    if missing or unknown:
        raise bad(f"{what} " + "; ".join(filter(None, [
            f"lacks {', '.join(missing)}" if missing else "",
            f"has unknown keys {listed(unknown, quote=True)}" if unknown else ""])))


def _node(raw: Any, j: int, where: str, bad: Bad) -> dict:
    what = f"{where} node {j}"
    _keys(raw, _REQUIRED_NODE, _NODE_KEYS, what, bad)
    if raw["id"] != j or not _whole(raw["id"]):
        raise bad(f"{what} has id {shown(raw['id'])}; ids are 0, 1, 2, ... in the order of the nodes")
    node = {"id": j, "op": _text(raw["op"], f"{what} op", bad), "label": _text(raw["label"], f"{what} label", bad),
            "value": _values(raw["value"], f"{what} value", bad), "grad": _values(raw["grad"], f"{what} grad", bad)}
    if "param" in raw:
        node["param"] = _text(raw["param"], f"{what} param", bad)
    if "module" in raw:  # the module whose forward made the node ("0.2"); a group's own name
        node["module"] = _text(raw["module"], f"{what} module", bad)
    if node["op"] == "module" and "module" not in node:
        raise bad(f'{what} has op "module" but no module name')
    return node


def _graph(raw: Any, i: int, n_steps: int, after: int, bad: Bad) -> dict:
    _keys(raw, _REQUIRED_GRAPH, _GRAPH_KEYS, f"graphs[{i}]", bad)
    step = raw["step"]
    if not _whole(step) or not 0 <= step < n_steps:
        raise bad(f"graphs[{i}]: step {shown(step)} is not one of the trace's steps (0 to {n_steps - 1}, "
                  "counted from 0)")
    if step <= after:
        raise bad(f"graphs[{i}]: step {step} comes after step {after}; graphs are ordered by step, one a step")
    where = f"graphs[{i}] (step {step})"
    grouped = raw.get("grouped", False)
    if not isinstance(grouped, bool):
        raise bad(f"{where}: grouped must be true or false")
    nodes, edges, grads = raw["nodes"], raw["edges"], raw["edge_grads"]
    if not isinstance(nodes, list) or not 1 <= len(nodes) <= MAX_GRAPH_NODES + MAX_LEAVES:
        raise bad(f"{where}: nodes must be a list of 1 to {MAX_GRAPH_NODES + MAX_LEAVES} nodes")
    out_nodes = [_node(n, j, where, bad) for j, n in enumerate(nodes)]
    if not grouped and any(n["op"] == "module" for n in out_nodes):
        raise bad(f'{where}: a node of op "module" is a group: the graph must be "grouped": true')
    leaves = [n["id"] for n in out_nodes if n["op"] in _LEAF_OPS]
    if len(leaves) > MAX_LEAVES or len(out_nodes) - len(leaves) > MAX_GRAPH_NODES:
        raise bad(f"{where}: at most {MAX_GRAPH_NODES} autograd nodes and {MAX_LEAVES} inputs and targets")
    if leaves and leaves != list(range(len(out_nodes) - len(leaves), len(out_nodes))):
        raise bad(f"{where}: the input and target nodes come after the autograd nodes")
    max_edges = 4 * len(out_nodes) + 64
    if not isinstance(edges, list) or len(edges) > max_edges:
        raise bad(f"{where}: edges must be a list of at most {max_edges} [from, to] pairs")
    out_edges = []
    for k, e in enumerate(edges):
        if not isinstance(e, list) or len(e) != 2 or not all(_whole(x) for x in e):
            raise bad(f"{where}: edge {k} must be a pair [from, to] of node ids")
        unknown = [x for x in e if not 0 <= x < len(out_nodes)]
        if unknown:
            raise bad(f"{where}: edge {k} {shown(e)} names node {shown(unknown[0])}, which is not one of its "
                      f"{len(out_nodes)} nodes (0 to {len(out_nodes) - 1})")
        if e[0] == e[1]:
            raise bad(f"{where}: edge {k} {e} joins a node to itself")
        if out_nodes[e[1]]["op"] in _LEAF_OPS:
            raise bad(f"{where}: edge {k} {e} leads into an input or target node, which takes nothing")
        out_edges.append([e[0], e[1]])
    if not isinstance(grads, list) or len(grads) != len(edges):
        raise bad(f"{where}: edge_grads must be a list as long as edges ({len(edges)})")
    out_grads = [_values(g, f"{where} edge_grads[{k}]", bad) for k, g in enumerate(grads)]
    graph = {"step": step, "grouped": grouped, "nodes": out_nodes, "edges": out_edges, "edge_grads": out_grads}
    if "omitted" in raw:
        if not _whole(raw["omitted"]) or raw["omitted"] < 1:
            raise bad(f"{where}: omitted must be a whole number >= 1 (the nodes left out)")
        graph["omitted"] = raw["omitted"]
    return graph


def check_graphs(raw: Any, n_steps: int, bad: Bad) -> list[dict]:
    """The ``graphs`` of a trace of ``n_steps`` steps, every entry checked, in canonical form;
    ``[]`` when absent (``raw`` None). The first problem is raised as ``bad(message)``."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bad('"graphs" must be a list, one object per recorded step')
    if len(raw) > MAX_GRAPHS:
        raise bad(f'"graphs" holds {len(raw)} graphs; a trace holds at most {MAX_GRAPHS}')
    out: list[dict] = []
    for i, g in enumerate(raw):
        out.append(_graph(g, i, n_steps, out[-1]["step"] if out else -1, bad))
    return out


def graph_parts(graphs: list[dict]) -> Iterator[str]:
    """The ``"graphs"`` member of a trace.json (with the comma before it), one graph a line;
    nothing when there are none, so a trace without graphs is written as before they existed."""
    if not graphs:
        return
    yield ',\n  "graphs": [\n'
    for i, g in enumerate(graphs):
        yield ("    " if not i else ",\n    ") + json.dumps(g, allow_nan=False, separators=(", ", ": "))
    yield "\n  ]"
