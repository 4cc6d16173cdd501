"""Where each node of a recorded autograd graph sits: left to right, leaves, operations, L.

One layout for every backend (matplotlib, Manim, the page, the deck): it is computed here,
once, in graph units that a backend scales to its box, and the page receives it as data
(the player never lays a graph out). Deterministic: the same graph always gives the same
places, whatever order its nodes were listed in by id.

Columns: an operation stands one column right of its furthest input (a leaf counting as
column 0), so the loss, which consumes everything, ends up alone on the right; a leaf (a
node no edge points into: the parameters' ``AccumulateGrad`` nodes, the batch's ``input``
and ``target``) stands one column left of the first operation that uses it. So every edge
of the line model joins neighbouring columns and crosses no box, and the graph takes three
rows, not four (a frame's graph band is wide and low).
Rows: each operation at the mean row of its inputs, the leaves of a column under its
operations in a fixed order (parameters first, by name; then inputs; then targets), then
pushed apart just enough that no two nodes of a column share a row.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GraphLayout", "MAX_LAID_OUT", "layout_graph", "graph_error"]

MAX_LAID_OUT = 30  # larger graphs are grouped by module when recorded (the contract's "grouped")
_LEAF_ORDER = {"AccumulateGrad": 0, "input": 1, "target": 2}


@dataclass(frozen=True)
class GraphLayout:
    """Node places in graph units: ``col`` 0..n_cols−1 from left to right, ``row`` in
    [0, n_rows − 1] from top to bottom (a float: an operation sits between its inputs).
    ``x`` and ``y`` are the same places scaled to [0, 1] (y down), what a backend maps to
    its box; ``order`` lists node ids column by column, top to bottom."""

    ids: tuple[int, ...]                 # node ids, in the graph's order
    col: dict[int, int]
    row: dict[int, float]
    n_cols: int
    n_rows: int                          # the most nodes in one column
    order: tuple[int, ...]

    def x(self, node: int) -> float:
        return self.col[node] / (self.n_cols - 1) if self.n_cols > 1 else 0.5

    def y(self, node: int) -> float:
        return self.row[node] / (self.n_rows - 1) if self.n_rows > 1 else 0.5

    def to_dict(self) -> dict:
        """The layout as the page's document carries it (ids as text keys become lists)."""
        return {"n_cols": self.n_cols, "n_rows": self.n_rows,
                "nodes": [{"id": i, "col": self.col[i], "row": round(self.row[i], 6),
                           "x": round(self.x(i), 6), "y": round(self.y(i), 6)} for i in self.ids]}


def graph_error(graph: dict) -> str | None:
    """What is wrong with a graph dict for drawing (None when nothing): every edge must join
    two known nodes, and the edges must not form a cycle (an autograd graph never does)."""
    ids = [n.get("id") for n in graph.get("nodes", [])]
    if not ids or len(set(ids)) != len(ids):
        return "its nodes are missing or their ids repeat"
    known = set(ids)
    for e in graph.get("edges", []):
        if len(e) != 2 or e[0] not in known or e[1] not in known:
            return f"edge {list(e)!r} names an unknown node"
    if len(graph.get("edge_grads", graph.get("edges", []))) != len(graph.get("edges", [])):
        return "edge_grads is not as long as edges"
    return None


def _columns(ids: list[int], edges: list[tuple[int, int]]) -> dict[int, int]:
    inputs: dict[int, list[int]] = {i: [] for i in ids}
    for u, v in edges:
        inputs[v].append(u)
    col: dict[int, int] = {}
    # Longest path from a leaf, without recursion (a grouped graph may still be deep).
    pending = list(ids)
    consumers: dict[int, list[int]] = {i: [] for i in ids}
    for u, v in edges:
        consumers[u].append(v)
    for _ in range(len(ids) + 1):
        if not pending:
            break
        later = []
        for i in pending:
            if all(u in col for u in inputs[i]):
                col[i] = 1 + max((col[u] for u in inputs[i]), default=-1)
            else:
                later.append(i)
        pending = later
    if pending:
        raise ValueError("the graph's edges form a cycle")
    for i in ids:  # a leaf just left of its first consumer
        if not inputs[i] and consumers[i]:
            col[i] = min(col[v] for v in consumers[i]) - 1
    return col


def _spread(wanted: list[tuple[float, int]], gap: float = 1.0) -> dict[int, float]:
    """Rows for one column's nodes: each as near its wanted row as can be, in the wanted order,
    at least ``gap`` apart, the whole column centred on its wanted rows."""
    wanted = sorted(wanted)
    rows = []
    for want, _ in wanted:
        rows.append(max(want, rows[-1] + gap) if rows else want)
    # Pushing apart only moves nodes down: shift back by the mean displacement.
    shift = sum(r - w for r, (w, _) in zip(rows, wanted)) / len(rows)
    return {node: r - shift for r, (_, node) in zip(rows, wanted)}


def layout_graph(graph: dict) -> GraphLayout:
    """The layout of one graph dict (the contract's form; see docs/trace-format.md)."""
    nodes = {n["id"]: n for n in graph["nodes"]}
    ids = [n["id"] for n in graph["nodes"]]
    edges = [(int(u), int(v)) for u, v in graph.get("edges", [])]
    col = _columns(ids, edges)
    n_cols = max(col.values()) + 1
    inputs: dict[int, list[int]] = {i: [] for i in ids}
    for u, v in edges:
        inputs[v].append(u)

    row: dict[int, float] = {}
    for c in range(n_cols):
        ops = [i for i in ids if col[i] == c and inputs[i]]
        wanted = [(sum(row[u] for u in inputs[i]) / len(inputs[i]), i) for i in ops]
        leaves = sorted((i for i in ids if col[i] == c and not inputs[i]),
                        key=lambda i: (_LEAF_ORDER.get(nodes[i]["op"], 3), str(nodes[i].get("param", "")),
                                       str(nodes[i].get("label", "")), i))
        below = max((w for w, _ in wanted), default=-1.0)
        wanted += [(below + 1 + j, i) for j, i in enumerate(leaves)]
        row.update(_spread(wanted))
    lo = min(row.values())
    row = {i: r - lo for i, r in row.items()}
    span = max(row.values())
    n_rows = max(int(round(span)) + 1, max(sum(1 for i in ids if col[i] == c) for c in range(n_cols)))
    order = tuple(sorted(ids, key=lambda i: (col[i], row[i], i)))
    return GraphLayout(tuple(ids), col, row, n_cols, n_rows, order)
