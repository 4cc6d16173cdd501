"""The autograd graphs of chosen steps of a user's own loop (``recording(..., graph_steps=...)``).

The same :class:`training.autograd_graph.GraphCapture` that ``record()`` uses, driven from
hooks instead of lines of our own loop: on a chosen step the model's forward pre-hook enters
the capture's forward mode (x is the model's input); a loss module's forward pre-hook names
its target y; the loss module's forward hook (or, when the loop is known to compute its loss
without a module, the model's forward hook) leaves it. The loss tensor is watched when the
loop calls ``backward()`` on it (a function mode that only looks for that call, so a loss
made by a function is watched too), and the graph is taken in the optimizer's step pre-hook,
with the ``.grad`` backward left. Only the first forward pass and loss of a step are drawn.
Everything here only looks: a problem drops that step's graph with a warning, never the loop.
"""
from __future__ import annotations

import warnings
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from training.autograd_graph import GraphCapture
from training.config import MAX_GRAPH_STEPS
from training.errors import InputError

__all__ = ["LoopGraphs", "line_labels", "graph_indices"]

OUTPUT = "output"  # the model's output node, as record()'s module kind names it
LINE_OUTPUT = "ŷ = x·aᵀ + b"  # record()'s labels for the article's line (training.models.line)


class _Backward(TorchFunctionMode):
    """Sees ``loss.backward()`` (or ``torch.autograd.backward``) before it runs."""

    def __init__(self, on_backward):
        super().__init__()
        self.on_backward = on_backward

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in (torch.Tensor.backward, torch.autograd.backward) and args and isinstance(args[0], torch.Tensor):
            self.on_backward(args[0])
        return func(*args, **kwargs)


class LoopGraphs:
    """One recording's graphs: ``start``/``target``/``loss``/``model_done``/``backward`` from
    the hooks, ``take(step)`` in the step pre-hook, ``close()`` whenever the block ends."""

    def __init__(self, named: list[tuple[str, torch.Tensor]], steps: frozenset[int], warn):
        self.labels = {p: name for name, p in named}
        self.steps, self.warn = steps, warn
        self.graphs: list[dict] = []
        self.cap: GraphCapture | None = None
        self.step = -1            # the step (0-based) the capture belongs to
        self._forward = None      # the capture's forward-mode context while it is on
        self._mode: _Backward | None = None
        self._watched = False
        self._output: Any = None

    # ------------------------------------------------------------------ from the hooks
    def start(self, step: int, x: Any) -> None:
        """The model's forward pre-hook: a chosen step's first forward pass begins."""
        if step not in self.steps or step == self.step or not isinstance(x, torch.Tensor):
            return
        self.close()
        self.step = step
        self._guard(self._start, x)

    def _start(self, x: torch.Tensor) -> None:
        self.cap = GraphCapture(self.labels, {"x": (x, "input")})
        self._mode = _Backward(self.backward)
        self._mode.__enter__()  # outer: it must outlive the forward mode (modes stack)
        self._forward = self.cap.forward()
        self._forward.__enter__()

    def target(self, y: Any) -> None:
        """A loss module's forward pre-hook: its target is the batch's y (before the loss op runs)."""
        if self._forward is not None and isinstance(y, torch.Tensor) and "y" not in self.cap.leaves:
            self.cap.leaves["y"] = (y, "target")
            self.cap.leaf_names[id(y)] = "y"

    def model_done(self, output: Any, loss_follows: bool) -> None:
        """The model's forward hook: keep the output (its label); leave the forward mode now
        when no loss module will follow."""
        if self._forward is not None and self._output is None and isinstance(output, torch.Tensor):
            self._output = output
            if not loss_follows:
                self._leave_forward()

    def loss(self, value: Any) -> None:
        """A loss module's forward hook: the loss is computed."""
        if self._forward is not None:
            self._leave_forward()

    def backward(self, loss: torch.Tensor) -> None:
        """``backward()`` is about to run: watch the graph from this loss (once a step)."""
        if self.cap is None or self._watched or loss.grad_fn is None:
            return
        self._leave_forward()
        self._watched = True
        labels = {loss: "L"}
        if isinstance(self._output, torch.Tensor) and self._output.grad_fn is not None and self._output is not loss:
            labels[self._output] = OUTPUT
        self._guard(self.cap.watch, loss, labels)

    def take(self, step: int | None) -> None:
        """The optimizer's step pre-hook: the graph of ``step`` (None: the step is not recorded)."""
        cap, watched, mine = self.cap, self._watched, self.step
        if cap is None or step is None or step != mine or not watched:
            self.close()
        else:
            self.close_modes()
            self.cap, self._watched, self._output = None, False, None
        if cap is None or step is None or step != mine:
            return
        if not watched:
            self.warn(f"no graph for step {step + 1}: backward() was not called on a loss after the model's "
                      "forward pass")
            return
        graph = self._guard(cap.result, step)
        if graph is not None:
            self.graphs.append(graph)

    def close(self) -> None:
        """Leave the modes and forget the capture; safe to call at any time."""
        self.close_modes()
        if self.cap is not None:
            for h in self.cap._handles:  # the node hooks go whether or not result() is taken
                h.remove()
        self.cap, self._watched, self._output = None, False, None

    def close_modes(self) -> None:
        """Leave the forward mode, then the backward watch (modes stack: innermost first)."""
        self._leave_forward()
        if self._mode is not None:
            mode, self._mode = self._mode, None
            try:
                mode.__exit__(None, None, None)
            except Exception:  # noqa: BLE001 - a mode stack someone else changed: nothing to undo
                pass

    def _leave_forward(self) -> None:
        if self._forward is not None:
            fwd, self._forward = self._forward, None
            try:
                fwd.__exit__(None, None, None)
            except Exception:  # noqa: BLE001
                pass

    def _guard(self, fn, *args):
        try:
            return fn(*args)
        except Exception as e:  # noqa: BLE001 - a graph is never worth the user's loop
            self.warn(f"no graph for step {self.step + 1}: {type(e).__name__}: {e}")
            self._watched = False
            self.cap = None
            return None


def line_labels(graphs: list[dict], weight: str, bias: str) -> list[dict]:
    """The graphs of the article's line under record()'s names: ``a``, ``b``, ``aᵀ`` and the
    output ``ŷ = x·aᵀ + b`` (recorded under PyTorch's names of its weight and bias)."""
    names = {weight: "a", bias: "b"}
    out = []
    for g in graphs:
        nodes = []
        for n in g["nodes"]:
            n = dict(n)
            if n.get("param") in names:
                n["param"] = n["label"] = names[n["param"]]
            elif n["op"] == "TBackward0" and n["label"] == f"{weight}ᵀ":
                n["label"] = "aᵀ"
            elif n["label"] == OUTPUT and n["op"] not in ("input", "target"):
                n["label"] = LINE_OUTPUT
            nodes.append(n)
        out.append(dict(g, nodes=nodes))
    return out


def graph_indices(steps: Any) -> frozenset[int]:
    """``graph_steps`` (counted from 1) as 0-based step indices, checked."""
    try:
        chosen = [steps] if isinstance(steps, int) else list(steps or ())
    except TypeError:
        chosen = [steps]
    if not all(isinstance(k, int) and not isinstance(k, bool) and k >= 1 for k in chosen):
        raise InputError(f"recording: graph_steps must be whole numbers >= 1 (counted from 1), got {steps!r}")
    if len(set(chosen)) > MAX_GRAPH_STEPS:
        raise InputError(f"recording: graph_steps holds {len(set(chosen))} steps; at most {MAX_GRAPH_STEPS}")
    return frozenset(k - 1 for k in chosen)
