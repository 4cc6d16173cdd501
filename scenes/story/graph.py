"""The backward pass as the story tells it: the recorded autograd graphs, laid out, with what
each frame shows of them.

Every backend draws the graph view from here (matplotlib's ``graph`` view, the page's, Manim's
``backprop`` scene, the deck's slides) and none reads ``trace.graphs`` itself. Like
:mod:`scenes.story.frames`, it works in two parts: :func:`graph_reveal` says what a beat shows
of a graph at progress t (a :class:`GraphReveal`: a rule, no numbers), and
:func:`apply_graph_reveal` applies it to one prepared graph (a :class:`DrawnGraph`: its layout
and every text it can show). The page receives both as data and applies the rule the same way.

The phases follow the loop the recorder runs (forward, loss, ``zero_grad()``, ``backward()``,
``step()``), in step with the detailed beats (:data:`BEAT_PHASES`):

- FORWARD: the forward pass lights the nodes from left to right, with their values;
- RESIDUALS: the loss node L lights with the batch loss; then ``optimizer.zero_grad()`` clears
  ``.grad`` on a and b (under ``--no-zero-grad`` it keeps the last batch's gradient);
- GRADIENT: ``loss.backward()`` runs from right to left: each edge carries its gradient, each
  node's local rule stands beside it, and ``.grad`` fills on a and b;
- UPDATE: ``optimizer.step()`` moves a and b.

Fast-forward and the final hold show the most recent recorded step's graph, complete.
No drawing, no torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from scenes.story.frames import ease
from scenes.story.graph_layout import MAX_LAID_OUT, GraphLayout, graph_error, layout_graph
from scenes.story.graph_text import RULES, graph_value, graph_value_short, node_rule, op_text, phase_text
from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE
from scenes.story.protocol import StoryLike

__all__ = ["BEAT_PHASES", "GraphReveal", "graph_reveal", "DrawnNode", "DrawnGraph", "NodeShow", "EdgeShow",
           "GraphFrame", "apply_graph_reveal", "GraphStory", "NO_GRAPHS"]

# The phases each detailed beat shows, in order (the deck's slides and the notes read this).
BEAT_PHASES = {FORWARD: ("forward",), RESIDUALS: ("loss", "zero_grad"), GRADIENT: ("backward",),
               UPDATE: ("step",)}
LOSS_UNTIL = 0.55  # in the residuals beat: the loss lights first, zero_grad() follows

NO_GRAPHS = ("this trace holds no autograd graphs: record them with --graph-steps (for example "
             "--graph-steps 1,2,3), or render without --trace so the run records the detailed steps' graphs")


@dataclass(frozen=True, kw_only=True)
class GraphReveal:
    """What a beat shows of a graph at one moment: a rule, no numbers.

    ``forward``: progress of the forward walk over the columns left of L (the nodes of column
    c are lit once ``forward`` ≥ c / (columns − 2)); −1: nothing lit. ``loss``: L is lit.
    ``backward``: progress of the backward walk from L (column c is reached once
    ``backward`` ≥ (columns − 1 − c) / (columns − 1)); −1: not started. ``grad``: what
    ``.grad`` on the parameters shows before the walk reaches them: "none" (never set),
    "previous" (the last batch's), "cleared" (after ``zero_grad()``). ``step``: how far
    ``step()`` has gone (the new values show once it is above 0). ``rules``: the local rules
    stand beside the nodes the walk has reached."""

    phase: str
    forward: float = -1.0
    loss: bool = False
    backward: float = -1.0
    grad: str = "previous"
    step: float = 0.0
    rules: bool = False


def _clip(v: float) -> float:
    return min(1.0, max(0.0, v))


def graph_reveal(beat: int, t: float) -> GraphReveal:
    """What ``beat`` shows of the step's graph at progress ``t`` in [0, 1]."""
    if beat == INTRO:
        return GraphReveal(phase="intro", grad="none")
    if beat == FORWARD:
        return GraphReveal(phase="forward", forward=_clip((t - 0.05) / 0.75))
    if beat == RESIDUALS:
        if t < LOSS_UNTIL:
            return GraphReveal(phase="loss", forward=1.0, loss=True)
        return GraphReveal(phase="zero_grad", forward=1.0, loss=True, grad="cleared")
    done = dict(forward=1.0, loss=True, grad="cleared", rules=True)
    if beat == GRADIENT:
        return GraphReveal(phase="backward", backward=_clip(t / 0.8), **done)
    if beat == UPDATE:
        return GraphReveal(phase="step", backward=1.0, step=ease(min(1.0, t / 0.7)), **done)
    if beat in (FAST, HOLD):
        return GraphReveal(phase="recorded", backward=1.0, **done)
    raise ValueError(f"unknown beat {beat}")


@dataclass(frozen=True)
class DrawnNode:
    """One node and every text it can show. ``value`` and ``grad`` are the recorded numbers
    as text; ``grad_name`` names the gradient (∂L/∂ŷ, or a.grad on a parameter); a
    parameter also has ``grad_before`` (its .grad before this batch's zero_grad: "None" at
    the first step) and ``value_after`` (after step())."""

    id: int
    op: str
    op_text: str
    label: str
    value: str
    grad: str                     # "" for the leaves x and y (no gradient)
    grad_name: str
    rule: str = ""                # the local rule beside the node (RULES), "" for none
    rule_typst: str = ""
    param: str = ""
    grad_before: str = ""
    value_after: str = ""
    # The same numbers in compact form (graph_value_short), for a graph whose boxes have
    # little room; "" where the compact form is the full one.
    short: dict = field(default_factory=dict, compare=False)

    def text(self, name: str, compact: bool) -> str:
        """``value``, ``grad``, ``grad_before`` or ``value_after``, compact if asked."""
        full = getattr(self, name)
        return self.short.get(name) or full if compact and full else full


@dataclass(frozen=True)
class DrawnGraph:
    """A recorded graph, prepared for drawing: its layout, nodes, edges and texts."""

    step: int                     # 0-based, as in the contract
    grouped: bool
    layout: GraphLayout
    nodes: tuple[DrawnNode, ...]  # in the graph's order
    edges: tuple[tuple[int, int], ...]
    edge_grads: tuple[str, ...]   # the gradient that flowed back along each edge, "" for none
    texts: dict[str, str]         # each phase's sentence
    edge_grads_short: tuple[str, ...] = ()  # the same, compact (graph_value_short)

    def node(self, node_id: int) -> DrawnNode:
        return self._by_id[node_id]

    @cached_property
    def _by_id(self) -> dict[int, DrawnNode]:
        return {n.id: n for n in self.nodes}

    @property
    def note(self) -> str:
        if self.grouped:
            return f"grouped by module ({len(self.nodes)} groups)"
        if len(self.nodes) > MAX_LAID_OUT:
            return f"{len(self.nodes)} nodes: too many to read, record a grouped graph"
        return ""


@dataclass(frozen=True)
class NodeShow:
    lit: bool = False     # the forward pass has reached it: drawn in full, with its value
    active: bool = False  # the walk (forward or backward) is at it now
    value: str = ""
    grad: str = ""        # "" hidden; for a parameter always its .grad line ("None", a number)
    rule: str = ""


@dataclass(frozen=True)
class EdgeShow:
    lit: bool = False     # the forward value has flowed along it
    grad: str = ""        # the gradient it carried back ("" hidden)
    active: bool = False


@dataclass(frozen=True)
class GraphFrame:
    """What one frame shows of the graph view."""

    graph: int            # index into GraphStory.graphs
    step: int             # the step the graph was recorded at
    phase: str
    text: str             # the phase's sentence
    note: str             # which step's graph this is when not the frame's own, and "grouped"
    nodes: dict[int, NodeShow]
    edges: tuple[EdgeShow, ...]


def apply_graph_reveal(g: DrawnGraph, r: GraphReveal, index: int = 0, zero_grad: bool = True,
                       note: str = "", compact: bool = False) -> GraphFrame:
    """The rule ``r`` applied to graph ``g`` (the player's graph view does the same).
    ``compact``: the numbers in their compact form (a view whose boxes have little room)."""
    lay = g.layout
    last = lay.n_cols - 1
    inner = max(last - 1, 0)
    fwd_col = r.forward * inner if r.forward >= 0 else -1.0
    back_col = last - r.backward * last if r.backward >= 0 else last + 1.0

    def lit(c: int) -> bool:
        return r.loss if c == last and last > 0 else fwd_col >= c - 1e-9

    def reached(c: int) -> bool:
        return c >= back_col - 1e-9

    front_f = int(fwd_col + 1e-9) if 0 <= r.forward < 1 else None
    front_b = None
    if 0 <= r.backward < 1:
        front_b = min(c for c in range(lay.n_cols) if reached(c))
    nodes = {}
    for n in g.nodes:
        c = lay.col[n.id]
        on, got = lit(c), reached(c) and r.backward >= 0
        value = n.text("value", compact) if on else ""
        if n.param:
            if got:
                grad = n.text("grad", compact)
            elif r.grad == "none":
                grad = "None"
            elif r.grad == "cleared" and zero_grad:
                grad = "None"
            else:
                grad = n.text("grad_before", compact)
            if r.step > 0 and n.value_after:
                value = f"{n.text('value', compact)} → {n.text('value_after', compact)}"
        else:
            grad = n.text("grad", compact) if got else ""
        active = (front_f is not None and c == front_f and r.phase == "forward") or (
            front_b is not None and c == front_b) or (r.phase == "loss" and c == last) or (
            r.phase in ("zero_grad", "step") and bool(n.param))
        nodes[n.id] = NodeShow(lit=on, active=active, value=value, grad=grad,
                               rule=n.rule if r.rules and got else "")
    edges = []
    for (u, v), eg in zip(g.edges, g.edge_grads_short if compact and g.edge_grads_short else g.edge_grads):
        cu, cv = lay.col[u], lay.col[v]
        got = r.backward >= 0 and reached(cu)
        edges.append(EdgeShow(lit=lit(cv), grad=eg if got else "",
                              active=front_b is not None and cu == front_b and bool(eg)))
    text = g.texts.get(r.phase, "")
    if r.phase == "zero_grad" and not zero_grad:
        text = g.texts["zero_grad_skipped"]
    notes = [x for x in (note, g.note) if x]
    return GraphFrame(index, g.step, r.phase, text, " · ".join(notes), nodes, tuple(edges))


class GraphStory:
    """The recorded graphs of a run, prepared for drawing, and the graph view of each frame.
    ``story`` is the run's :class:`~scenes.story.story.Story` (its numbers per step)."""

    def __init__(self, story: StoryLike):
        self.story = story
        self.zero_grad = bool(getattr(story.settings, "zero_grad", True))

    @property
    def available(self) -> bool:
        return bool(self.story.trace.graphs)

    @cached_property
    def graphs(self) -> tuple[DrawnGraph, ...]:
        return tuple(self._prepare(g) for g in sorted(self.story.trace.graphs, key=lambda g: int(g["step"])))

    @cached_property
    def steps(self) -> tuple[int, ...]:
        return tuple(g.step for g in self.graphs)

    def index_at(self, k: int) -> int | None:
        """The graph of step k, or else the most recent one recorded before it (None: none yet)."""
        best = None
        for i, s in enumerate(self.steps):
            if s <= k:
                best = i
        return best

    def frame(self, k: int, beat: int, t: float, compact=False) -> GraphFrame | None:
        """What the graph view shows at frame (step k, beat, t); None when nothing is recorded.
        ``compact``: a bool, or per graph index (a view that compacts only the graphs whose
        boxes lack room)."""
        if not self.graphs:
            return None

        def short(i: int) -> bool:
            return bool(compact[i]) if isinstance(compact, (list, tuple)) else bool(compact)
        if beat == INTRO:
            return apply_graph_reveal(self.graphs[0], graph_reveal(beat, t), 0, self.zero_grad, compact=short(0))
        i = self.index_at(k)
        if i is None:  # before the first recorded step: its graph, not yet lit
            first = self.graphs[0]
            return apply_graph_reveal(first, GraphReveal(phase="intro", grad="none"), 0, self.zero_grad,
                                      f"recorded at step {first.step + 1}", compact=short(0))
        g = self.graphs[i]
        if g.step == k and beat in BEAT_PHASES:
            return apply_graph_reveal(g, graph_reveal(beat, t), i, self.zero_grad, compact=short(i))
        note = "" if g.step == k else f"step {g.step + 1}'s graph, the latest recorded"
        return apply_graph_reveal(g, graph_reveal(HOLD, 1.0), i, self.zero_grad, note, compact=short(i))

    def notes(self, beat: int, k: int) -> list[str]:
        """The speaker notes' lines for a detailed beat of step k whose graph was recorded:
        what each phase does, and in the backward beat every gradient with its rule."""
        i = self.index_at(k)
        if i is None or beat not in BEAT_PHASES or self.graphs[i].step != k:
            return []
        g = self.graphs[i]
        lines = []
        for phase in BEAT_PHASES[beat]:
            key = "zero_grad_skipped" if phase == "zero_grad" and not self.zero_grad else phase
            lines.append("graph: " + g.texts[key])
        if beat == GRADIENT:
            for n in g.nodes:
                if n.grad and n.op != "MseLossBackward0":
                    rule = f" ({n.rule})" if n.rule else ""
                    lines.append(f"    {n.grad_name} = {n.grad}{rule}")
        return lines

    # ------------------------------------------------------------------ preparing a graph
    def _prepare(self, graph: dict) -> DrawnGraph:
        problem = graph_error(graph)
        if problem:
            raise ValueError(f"graph of step {graph.get('step')}: {problem}")
        s, k = self.story, int(graph["step"])
        edges = tuple((int(u), int(v)) for u, v in graph.get("edges", []))
        by_id = {n["id"]: n for n in graph["nodes"]}
        consumers: dict[int, list[dict]] = {i: [] for i in by_id}
        for u, v in edges:
            consumers[u].append(by_id[v])
        after = {"a": s.a_after, "b": s.b_after}
        before = {"a": s.grad_a, "b": s.grad_b}
        nodes = []
        for n in graph["nodes"]:
            rule = node_rule(n, consumers[n["id"]])
            param = str(n.get("param", "") or "")
            label = str(n.get("label", ""))
            short = label.split(" = ")[0] if label else f"#{n['id']}"
            extra = {}
            forms = {"value": graph_value_short(n.get("value")),
                     "grad": "" if n.get("grad") is None else graph_value_short(n["grad"])}
            if param:
                extra["grad_before"] = (graph_value(before[param][k - 1]) if param in before and 0 < k <= s.n
                                        else "None")
                if param in after and k < s.n:
                    extra["value_after"] = graph_value(float(after[param][k]))
            nodes.append(DrawnNode(
                id=n["id"], op=n["op"], op_text=op_text(n), label=label, value=graph_value(n.get("value")),
                grad="" if n.get("grad") is None else graph_value(n["grad"]),
                grad_name=f"{param}.grad" if param else f"∂L/∂{short}",
                rule=RULES[rule][0] if rule else "", rule_typst=RULES[rule][1] if rule else "",
                param=param, short=forms, **extra))
        raw = graph.get("edge_grads", [None] * len(edges))
        grads = tuple("" if gr is None else graph_value(gr) for gr in raw)
        grads_short = tuple("" if gr is None else graph_value_short(gr) for gr in raw)
        loss = next((graph_value(n.get("value")) for n in graph["nodes"] if n["op"] == "MseLossBackward0"), "")
        params = sorted(n.param for n in nodes if n.param)
        names = " and ".join(params) if 0 < len(params) <= 2 else "the parameters"
        texts = {p: phase_text(p, loss=loss, params=names, lr=f"{s.lr:g}")
                 for p in ("intro", "forward", "loss", "zero_grad", "backward", "step", "recorded")}
        texts["zero_grad_skipped"] = phase_text("zero_grad", zero_grad=False, params=names)
        return DrawnGraph(k, bool(graph.get("grouped", False)), layout_graph(graph), tuple(nodes), edges,
                          grads, texts, grads_short)
