"""The autograd graph of one batch, taken from PyTorch while the real step runs (issue 22).

What ``loss.backward()`` does is read off PyTorch itself, never recomputed:

- the nodes are the ones reached from ``loss.grad_fn`` through ``next_functions``, under their
  own class names (``MseLossBackward0``, ``AddmmBackward0``, ``TBackward0``, ``AccumulateGrad``);
- their ids follow the order in which the backward pass ran them (a hook on each node counts);
- a node's ``grad`` (∂L with respect to its output) and what it passed to each input (the
  ``edge_grads``) are copied by that node's hook while ``backward()`` runs;
- forward values are copied as the forward pass makes them (a :class:`TorchFunctionMode` sees
  each operation's output, and which operation took the batch's x and y); a parameter's value is
  its ``AccumulateGrad`` node's variable, and its ``grad`` the ``.grad`` it ends backward with
  (under ``--no-zero-grad`` the accumulated sum).

Hooks and the mode only look: the step's numbers are the same bit for bit with or without
them (tests/training/test_autograd_graph.py). A graph is bounded: at most
:data:`MAX_GRAPH_NODES` nodes (the first ones backward ran; ``omitted`` counts the rest), and
a tensor of more than :data:`MAX_LIST` numbers is summarised (:func:`compact`). The result is
the JSON form documented in docs/trace-format.md ("graphs").

Given the model (``modules=``), forward hooks on its leaf modules note which module's forward
made each node (its ``"module"`` key), and a graph of more than :data:`MAX_UNGROUPED` nodes is
stored grouped by module (:mod:`training.graph_groups`).
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

from training.graph_groups import MAX_UNGROUPED, group_by_module
from training.tracegraphs import HEAD, MAX_GRAPH_NODES, MAX_LIST

__all__ = ["MAX_GRAPH_NODES", "MAX_LIST", "HEAD", "GraphCapture", "compact"]


def _number(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None  # JSON has no inf/nan: null says "not finite"


def compact(values: Any) -> Any:
    """A tensor's numbers in the graph's JSON form: a number (one value), a list (at most
    MAX_LIST, flattened), or ``{"shape", "head", "min", "max"}`` for a longer tensor."""
    arr = values.detach().to(torch.float64).cpu().numpy() if isinstance(values, torch.Tensor) \
        else np.asarray(values, dtype=np.float64)
    flat = arr.reshape(-1)
    if flat.size == 1:
        return _number(flat[0])
    if flat.size <= MAX_LIST:
        return [_number(v) for v in flat.tolist()]
    finite = flat[np.isfinite(flat)]
    return {"shape": list(arr.shape), "head": [_number(v) for v in flat[:HEAD].tolist()],
            "min": _number(finite.min()) if finite.size else None,
            "max": _number(finite.max()) if finite.size else None}


def _first_output(out: Any) -> torch.Tensor | None:
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (tuple, list)):
        return next((o for o in out if isinstance(o, torch.Tensor)), None)
    return None


class _Watch(TorchFunctionMode):
    """Sees every torch operation of the forward pass: keeps each output's value (compacted,
    keyed by the output's grad_fn) and which operation took one of the ``leaves`` (x, y)."""

    def __init__(self, capture: "GraphCapture"):
        super().__init__()
        self.capture = capture

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)  # the operation itself, exactly as without the mode
        tensor = _first_output(out)
        node = getattr(tensor, "grad_fn", None)
        if node is not None:
            c = self.capture
            c.values.setdefault(node, compact(tensor))
            if c.module_stack:  # made inside a module's forward: the innermost one's name
                c.node_module.setdefault(node, c.module_stack[-1])
            for arg in (*args, *kwargs.values()):
                if isinstance(arg, torch.Tensor):
                    name = c.leaf_names.get(id(arg))
                    if name is not None and (name, node) not in c.leaf_edges:
                        c.leaf_edges.append((name, node))
        return out


class GraphCapture:
    """One batch's graph. Use: ``with cap.forward(): <forward pass and loss>``, then
    ``cap.watch(loss)`` before ``loss.backward()``, then ``cap.result(step)`` after it.

    ``params`` names the parameters (``{weight: "a", bias: "b"}``); ``leaves`` the batch's
    tensors that are no autograd nodes (``{"x": (X_batch, "input"), "y": (Y_batch, "target")}``);
    ``labels`` the display text of the nodes that made these tensors (``{id(loss): "L"}``).
    ``modules`` (the model, optional) annotates each node with the module that made it, and
    groups a graph of more than ``group_above`` nodes by module.
    """

    def __init__(self, params: dict[torch.Tensor, str], leaves: dict[str, tuple[torch.Tensor, str]],
                 max_nodes: int = MAX_GRAPH_NODES, modules: torch.nn.Module | None = None,
                 group_above: int = MAX_UNGROUPED):
        self.params = {id(p): (p, name) for p, name in params.items()}
        self.leaves = leaves
        self.leaf_names = {id(t): name for name, (t, _) in leaves.items()}
        self.max_nodes = max_nodes
        self.values: dict[Any, Any] = {}           # grad_fn -> its forward output, compacted
        self.leaf_edges: list[tuple[str, Any]] = []  # (leaf name, grad_fn of the op that took it)
        self.nodes: list[Any] = []                   # every node reached from the loss
        self.ran: list[Any] = []                     # the nodes in the order backward ran them
        self.grads: dict[Any, Any] = {}              # node -> ∂L/∂output (compacted)
        self.passed: dict[Any, list] = {}            # node -> what it passed to each input
        self.param_values: dict[Any, Any] = {}       # AccumulateGrad -> the parameter before step()
        self.labels: dict[Any, str] = {}
        self._handles: list = []
        self.group_above = group_above
        self.module_stack: list[str] = []            # the leaf modules whose forward is running
        self.node_module: dict[Any, str] = {}        # grad_fn -> the module whose forward made it
        self.module_output: dict[str, Any] = {}      # module name -> grad_fn of its (last) output
        self.module_class: dict[str, str] = {}
        self.param_module: dict[int, str] = {}       # id(parameter) -> its owning module's name
        self.leaf_modules: list[tuple[str, torch.nn.Module]] = []
        if modules is not None:
            for name, m in modules.named_modules():
                if next(m.children(), None) is None:  # a leaf: Linear, Tanh, ... (not Sequential)
                    name = name or type(m).__name__   # the model itself a leaf: its class names it
                    self.leaf_modules.append((name, m))
                    self.module_class[name] = type(m).__name__
                    for p in m.parameters(recurse=False):
                        self.param_module[id(p)] = name

    @contextmanager
    def forward(self) -> Iterator[None]:
        hooks = []
        for name, m in self.leaf_modules:  # removed when the forward pass ends: nothing stays
            hooks.append(m.register_forward_pre_hook(self._enter(name)))
            hooks.append(m.register_forward_hook(self._leave(name)))
        try:
            with _Watch(self):
                yield
        finally:
            for h in hooks:
                h.remove()

    def _enter(self, name: str):
        def pre_hook(module, args):
            self.module_stack.append(name)
        return pre_hook

    def _leave(self, name: str):
        def hook(module, args, output):
            self.module_stack.pop()
            node = getattr(_first_output(output), "grad_fn", None)
            if node is not None:
                self.module_output[name] = node
        return hook

    def watch(self, loss: torch.Tensor, labels: dict[torch.Tensor, str] | None = None) -> None:
        """Walk the graph from ``loss.grad_fn`` and hook every node, before ``backward()``."""
        for tensor, text in (labels or {}).items():
            if tensor.grad_fn is not None:
                self.labels[tensor.grad_fn] = text
        seen, stack = set(), [loss.grad_fn]
        while stack:  # every node reached through next_functions, each once
            node = stack.pop()
            if node is None or node in seen:
                continue
            seen.add(node)
            self.nodes.append(node)
            variable = getattr(node, "variable", None)
            if variable is not None:  # AccumulateGrad: the parameter as the forward pass used it
                self.param_values[node] = compact(variable)
            elif type(node).__name__ == "TBackward0" and node not in self.values:
                # A transpose made inside an operation (linear's weight.t()): the forward pass
                # never handed it out; of a parameter, it is that parameter's view, transposed.
                inner = getattr(node.next_functions[0][0], "variable", None) if node.next_functions else None
                if inner is not None:
                    self.values[node] = compact(inner.detach().t())
            self._handles.append(node.register_hook(self._hook(node)))
            stack.extend(fn for fn, _ in reversed(node.next_functions))

    def _hook(self, node):
        def hook(grad_inputs, grad_outputs):  # after the node ran: copies only, returns None
            self.ran.append(node)
            if len(self.ran) <= self.max_nodes:
                self.grads[node] = compact(grad_outputs[0]) if grad_outputs and grad_outputs[0] is not None else None
                self.passed[node] = [None if g is None else compact(g) for g in grad_inputs]
        return hook

    def result(self, step: int) -> dict:
        """The graph in its JSON form (after ``backward()``)."""
        for h in self._handles:
            h.remove()
        ran = set(self.ran)
        order = self.ran + [n for n in self.nodes if n not in ran]  # nodes backward skipped: last
        kept = order[:self.max_nodes]
        ids = {node: i for i, node in enumerate(kept)}
        nodes = [self._node(i, node) for i, node in enumerate(kept)]
        edges, edge_grads = [], []
        for node in kept:  # edges into each node, from its inputs, in next_functions order
            passed = self.passed.get(node, [])
            for j, (fn, _) in enumerate(node.next_functions):
                if fn in ids:
                    edges.append([ids[fn], ids[node]])
                    edge_grads.append(passed[j] if j < len(passed) else None)
        for name, (tensor, op) in self.leaves.items():  # x and y: not autograd nodes, last
            targets = [ids[fn] for leaf, fn in self.leaf_edges if leaf == name and fn in ids]
            if not targets:
                continue
            leaf_id = len(nodes)
            nodes.append({"id": leaf_id, "op": op, "label": name, "value": compact(tensor), "grad": None})
            for t in targets:
                edges.append([leaf_id, t])
                edge_grads.append(None)
        graph = {"step": step, "grouped": False, "nodes": nodes, "edges": edges, "edge_grads": edge_grads}
        if len(order) > len(kept):
            graph["omitted"] = len(order) - len(kept)
        if self.leaf_modules and len(nodes) > self.group_above:
            outputs = {name: ids.get(fn) for name, fn in self.module_output.items()}
            return group_by_module(graph, self.module_class, outputs)
        for node in nodes:  # the module names only serve the grouping: a graph as drawn stays as it was
            node.pop("module", None)
        return graph

    def _node(self, i: int, node) -> dict:
        op = type(node).__name__
        param = self.params.get(id(getattr(node, "variable", None)))
        if param is not None:  # the parameter's .grad as backward() leaves it (accumulated or not)
            tensor, name = param
            out = {"id": i, "op": op, "label": name, "value": self.param_values.get(node),
                   "grad": None if tensor.grad is None else compact(tensor.grad), "param": name}
            module = self.param_module.get(id(tensor))
        else:
            out = {"id": i, "op": op, "label": self.labels.get(node) or self._label(node, op),
                   "value": self.values.get(node), "grad": self.grads.get(node)}
            module = self.node_module.get(node) or self._inner_module(node, op)
        if module is not None:
            out["module"] = module
        return out

    def _inner_module(self, node, op: str) -> str | None:
        # A parameter's AccumulateGrad, or a transpose made inside linear (weight.t()), which the
        # forward pass never hands out: the module that owns the parameter.
        if op == "TBackward0" and node.next_functions:
            node = node.next_functions[0][0]
        return self.param_module.get(id(getattr(node, "variable", None)))

    def _label(self, node, op: str) -> str:
        if op == "TBackward0":  # "aᵀ": the transpose of a named parameter
            fn = next((fn for fn, _ in node.next_functions if fn is not None), None)
            inner = self.params.get(id(getattr(fn, "variable", None)))
            if inner is not None:
                return f"{inner[1]}ᵀ"
        return op.removesuffix("Backward0").removesuffix("Backward1") or op
