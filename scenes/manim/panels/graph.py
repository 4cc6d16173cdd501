"""The Graph panel: PyTorch's autograd graph of a recorded batch, lit beat by beat.

Everything it shows comes from the story's graph layer (:mod:`scenes.story.graph`): where
each node sits (its layout), every text (values, gradients, local rules, each phase's
sentence) and what a frame shows of them (:meth:`GraphStory.frame`). This module only maps
the layout's unit square into its cell and draws: a box per node with PyTorch's class name
above it, its value and gradient under it, each edge as an arrow with the gradient it
carried back, and the local rule in MathTypst where the node has room beside it.

Each beat is one ``scrub`` over the panel's root group that applies the story's frame at the
beat's progress; only what changed is touched (texts are typeset once per string).
"""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Animation, FadeOut, RoundedRectangle, VGroup

from scenes.manim.panels.beats import Beats, scrub
from scenes.manim.panels.draw import set_children
from scenes.manim.panels.graph_place import box_of, place_gradient, place_rule
from scenes.manim.panels.graph_route import edge_arrows
from scenes.layout_check import Box
from scenes.manim.style import Style
from scenes.story.plan import FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE
from scenes.story.story import Story

__all__ = ["GraphPanel"]

PAD = 0.12        # between a node's box and its texts, and above and below the graph
SIDE = 0.3        # the cell's side margins (the frame's edge), 0.15 for the compact graph
COL_GAP = 0.6     # the least room between two columns (an edge's length)
COMPACT_COL_GAP = 0.35
LINE_GAP = 0.06   # between the lines under a node
CLEAR = 0.08      # the least room between a local rule and any other text
HEAD_SIDE = 0.3   # the phase's sentence keeps this much more room at each side than the graph


class _Node:
    """One node's mobjects: its box and label, the op line above, and three text slots
    (value, gradient, rule) whose contents the frames change."""

    def __init__(self, box, label, op, value, grad, rule):
        self.box, self.label, self.op = box, label, op
        self.value, self.grad, self.rule = value, grad, rule
        self.shown: dict[str, str] = {}


class GraphPanel(Beats):
    """The recorded graph in ``cell`` (x0, y0, x1, y1). ``rules``: the local rules beside the
    nodes; ``headline``: each phase's sentence across the top of the cell (two lines when one
    would not fit); ``compact``, for a small cell (the walkthrough's, whose formula panel
    already shows the rules and the numbers): no class names, no gradients on the edges (they
    light as the gradient flows back), short labels, and one line under each node, the one that
    matters in the phase (:meth:`_compact_line`). A graph that would not fit its cell is drawn
    smaller, all of it alike."""

    def __init__(self, style: Style, story: Story, cell, *, rules: bool = True, headline: bool = True,
                 compact: bool = False):
        self.s, self.st, self.gs = story, style, story.graph
        self.x0, self.y0, self.x1, self.y1 = cell
        side = SIDE / 2 if compact else SIDE
        self.x0, self.x1 = self.x0 + side, self.x1 - side  # the side margins
        self.col_gap = COMPACT_COL_GAP if compact else COL_GAP
        self.rules, self.headline_on, self.compact = rules, headline, compact
        self.k = 1.0  # the graph's scale in its cell (below 1 when it would not fit)
        self.root = VGroup()
        self.index: int | None = None
        self.top = VGroup()     # the phase's sentence and the note, in one group
        self._top_shown = ("", "")
        self.nodes: dict[int, _Node] = {}
        self.edges: list = []   # (arrow, grad slot)
        self.gone = False  # cleared from the scene: no more frames to show
        self._head_h: float | None = None

    # ------------------------------------------------------------------ building
    def _text(self, s: str, key: str, color: str):
        m = self.st.text(s, key, color)
        return m.scale(self.k) if self.k != 1 else m

    def _math(self, s: str, color: str):
        m = self.st.math(s, "text", color, scale=1.1)
        return m.scale(self.k) if self.k != 1 else m

    @property
    def _line_h(self) -> float:
        return self._text("Ag∂ŷ", "tick", "text").height

    def _headline_height(self) -> float:
        """Room for the phase's sentence (as many lines as the longest one takes) and the note."""
        if not self.headline_on:
            return 0.0
        if self._head_h is None:
            st = self.st
            texts = {t for g in self.gs.graphs for t in g.texts.values() if t}
            lines = max((len(self._head_lines(t)) for t in texts), default=1)
            line = st.text("Ag", "label", "text").height
            self._head_h = lines * line + lines * LINE_GAP + st.text("Ag", "tick", "muted").height + PAD
        return self._head_h

    @property
    def _head_room(self) -> float:
        return self.x1 - self.x0 - 2 * HEAD_SIDE

    def _head_lines(self, text: str) -> list[str]:
        """The sentence as it is shown: one line when it fits between the margins, else two,
        split at the space that balances them."""
        if self.st.text(text, "label", "text").width <= self._head_room:
            return [text]
        words = text.split(" ")
        cut = min(range(1, len(words)),
                  key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))), default=1)
        return [" ".join(words[:cut]), " ".join(words[cut:])]

    def _label(self, n) -> str:
        """The box's text: the compact graph keeps the name before " = " (ŷ, not ŷ = x·aᵀ + b)."""
        label = n.label or f"#{n.id}"
        return label.split(" = ")[0] if self.compact else label

    @property
    def _n_lines(self) -> int:
        return 1 if self.compact else 2

    def _fit(self, g) -> None:
        """Set the scale ``k`` at which every column's widest stack and every row's tallest fit."""
        lay = g.layout
        self.k = 1.0
        for _ in range(3):  # the measures scale with k; text sizes round, so settle twice
            widths, box_h = self._widths(g)
            op_h = 0.0 if self.compact else self._text("Ag", "tick", "muted").height + LINE_GAP
            stack = op_h + box_h + self._n_lines * (self._line_h + LINE_GAP)
            need_h = lay.n_rows * stack + (lay.n_rows - 1) * 0.12 * self.k
            cols = [max(widths[n] for n in lay.ids if lay.col[n] == c) for c in range(lay.n_cols)]
            need_w = sum(cols) + (lay.n_cols - 1) * self.col_gap * self.k
            room_h = self.y1 - self._headline_height() - self.y0 - 2 * PAD
            room_w = self.x1 - self.x0
            f = min(1.0, room_h / need_h, room_w / need_w)
            if f > 0.995:
                return
            self.k *= f

    def _widths(self, g) -> tuple[dict[int, float], float]:
        """Each node's widest stack (box, class name, the longest line it can show under it)
        and the boxes' height, at the current scale."""
        labels = {n.id: self._text(self._label(n), "text", "text") for n in g.nodes}
        box_h = max(m.height for m in labels.values()) + 2 * PAD * self.k
        out = {}
        for n in g.nodes:
            w = max(labels[n.id].width + 2 * PAD * self.k,
                    max(self._text(t, "tick", "text").width for t in self._under_texts(n) if t))
            out[n.id] = w if self.compact else max(w, self._text(n.op_text, "tick", "muted").width)
        return out, box_h

    def _build(self, i: int) -> None:
        """Mobjects for graph ``i``, laid out in the cell (called when the frames reach it).
        What never changes is placed here: boxes, class names, the edges, their gradients'
        labels and the local rules; the value and gradient lines are typeset as they change."""
        g = self.gs.graphs[i]
        lay = g.layout
        self._fit(g)
        # The widest line each node can show under it (its value after step(), its longest
        # gradient line), so the cell keeps room for it in every frame.
        widths, box_h = self._widths(g)
        labels = {n.id: self._text(self._label(n), "text", "text") for n in g.nodes}
        ops = {n.id: self._text(n.op_text, "tick", "muted") for n in g.nodes}
        first = [n for n in lay.ids if lay.col[n] == 0]
        top = self.y1 - self._headline_height()
        # Columns as wide as their widest stack, the room left shared equally between them.
        cols = [max(widths[n] for n in lay.ids if lay.col[n] == c) for c in range(lay.n_cols)]
        gap = (self.x1 - self.x0 - sum(cols)) / max(lay.n_cols - 1, 1)
        col_x = [self.x0 + sum(cols[:c]) + c * gap + cols[c] / 2 for c in range(lay.n_cols)]
        if lay.n_cols == 1:
            col_x = [(self.x0 + self.x1) / 2]
        op_h = 0.0 if self.compact else ops[first[0]].height + LINE_GAP
        ay1 = top - PAD - op_h - box_h / 2
        ay0 = self.y0 + PAD + box_h / 2 + self._n_lines * (self._line_h + LINE_GAP)
        self.nodes, extents, texts, route_texts = {}, [], [], []
        for n in g.nodes:
            c = np.array([col_x[lay.col[n.id]], ay1 - lay.y(n.id) * (ay1 - ay0), 0.0])
            lab = labels[n.id].move_to(c)
            # The compact graph's box is as wide as the line under it, so an edge that comes in
            # from below (x into ŷ) or leaves downwards (ŷ to L) passes beside that line, not through it.
            w = widths[n.id] if self.compact else lab.width + 2 * PAD * self.k
            box = RoundedRectangle(corner_radius=0.08 * self.k, width=w, height=box_h, stroke_width=2).move_to(c)
            op = VGroup() if self.compact else ops[n.id].next_to(box, UP, buff=LINE_GAP)
            self.nodes[n.id] = _Node(box, lab, op, VGroup(), VGroup(), VGroup())
            bottom = box.get_bottom()[1] - self._n_lines * (self._line_h + LINE_GAP)
            half = max(widths[n.id], op.width if len(op) else 0.0) / 2  # a class name wider than the lines
            extents.append(Box(c[0] - half, bottom, c[0] + half, op.get_top()[1] if len(op) else box.get_top()[1]))
            own = [self._box(box), *([self._box(op)] if len(op) else [])]
            texts += [*own, self._lines_box(n, c[0], bottom, box)]
            route_texts += [*own, *self._line_boxes(n, c[0], box)]
        self.edges = []
        col_lo = [x - w / 2 for x, w in zip(col_x, cols)]
        col_hi = [x + w / 2 for x, w in zip(col_x, cols)]
        # Straight when that crosses no text, else around the texts (graph_route).
        arrows, lines = edge_arrows([(self.nodes[u].box, self.nodes[v].box) for u, v in g.edges], list(g.edges),
                                    lay.col, col_lo, col_hi, route_texts, self._inside())
        for e, (arrow, grad) in enumerate(zip(arrows, g.edge_grads)):
            # Clear of the nodes' texts, of the labels placed before it (a network's graph
            # brings several edges into one node) and of every edge.
            placed = [self._box(lab) for _, _, lab in self.edges if lab is not None]
            label = (self._edge_label(lines[e], grad, extents + placed, texts + placed, lines)
                     if grad and not self.compact else None)
            self.edges.append((arrow, VGroup(), label))
        taken = list(extents) + [self._box(lab) for _, _, lab in self.edges if lab is not None]
        for n, ext in zip(g.nodes, extents):
            nd = self.nodes[n.id]
            if self.rules and n.rule_typst:
                nd.rule_m = self._place_rule(self._math(n.rule_typst, "text"), ext, taken, lines)
                taken.append(self._box(nd.rule_m))
        parts = [m for nd in self.nodes.values() for m in (nd.box, nd.label, nd.op, nd.value, nd.grad, nd.rule)]
        parts += [m for arrow, slot, _ in self.edges for m in (arrow, slot)]
        set_children(self.root, [*parts, self.top])
        self.index = i
        self._top_shown = ("", "")

    def _under_texts(self, n) -> list[str]:
        if self.compact:
            return [n.value, f"{n.value} → {n.value_after}" if n.value_after else "",
                    *(self._compact_line(n, n.value, g)[0] for g in (n.grad, n.grad_before, "None"))]
        return [n.value, f"{n.value} → {n.value_after}" if n.value_after else "",
                self._grad_line(n, n.grad or "None"), self._grad_line(n, n.grad_before or "None")]

    def _compact_line(self, n, value: str, grad: str) -> tuple[str, str]:
        """The one line under a node of the compact graph, and its colour: a parameter shows its
        move in step(), else its .grad line (the article's words: None, cleared, filled); the
        loss its value (its own gradient is 1 by definition); any other node its gradient once
        the backward pass has reached it (in the gradient colour, the number alone), else its
        value."""
        if n.param:
            if "→" in value:
                return value, "line"
            if grad:
                return self._grad_line(n, grad), "update" if grad != "None" else "muted"
            return value, "text"
        if n.id == 0:  # the loss (the contract: the loss node is 0)
            return value, "text"
        if grad and grad != "None":
            return grad, "update"
        return value, "text"

    @staticmethod
    def _grad_line(n, grad: str) -> str:
        return f"{n.grad_name} = {grad}" if grad else ""

    _box = staticmethod(box_of)

    def _inside(self) -> Box:
        return Box(self.x0, self.y0, self.x1, self.y1 - self._headline_height())

    def _lines_box(self, n, x: float, bottom: float, box) -> Box:
        """Where the lines under node ``n`` can reach (its widest, kept inside the cell as
        :meth:`_line` keeps it)."""
        half = max(self._text(t, "tick", "text").width for t in self._under_texts(n) if t) / 2
        x = min(max(x, self.x0 + half), self.x1 - half)
        return Box(x - half, bottom, x + half, box.get_bottom()[1])

    def _line_boxes(self, n, x: float, box) -> list[Box]:
        """Where each line under node ``n`` can reach, line by line: what an edge must not
        cross (a value line narrower than the gradient line under it leaves an edge room)."""
        under = self._under_texts(n)
        rows = [under] if self.compact else [under[:2], under[2:]]
        lh, top, out = self._line_h, box.get_bottom()[1], []
        for i, row in enumerate(rows):
            half = max((self._text(t, "tick", "text").width for t in row if t), default=0.0) / 2
            cx = min(max(x, self.x0 + half), self.x1 - half)
            y1 = top - LINE_GAP - i * (lh + LINE_GAP)
            out.append(Box(cx - half, y1 - lh, cx + half, y1))
        return out

    def _edge_label(self, route: np.ndarray, grad: str, extents: list[Box], texts: list[Box],
                    lines: list[np.ndarray]):
        """The gradient an edge carried back, clear of the nodes' texts, the labels placed
        before it and the edges (graph_place.place_gradient)."""
        return place_gradient(lambda t: self._text(t, "tick", "update"), grad, route, extents, texts, lines,
                              self._inside())

    def _place_rule(self, m, ext: Box, taken: list[Box], lines: list[np.ndarray]):
        """A local rule beside its node, where nothing else is (graph_place.place_rule)."""
        lines_y = ext.y0 + (self._line_h + LINE_GAP)  # the middle of the value and gradient lines
        return place_rule(m, ext, taken, lines, self._inside(), lines_y, PAD, CLEAR)

    # ------------------------------------------------------------------ showing a frame
    def show(self, k: int, beat: int, t: float) -> None:
        f = self.gs.frame(k, beat, t)
        if f is None:
            return
        if f.graph != self.index:
            self._build(f.graph)
        g = self.gs.graphs[f.graph]
        c = self.st.c
        for n in g.nodes:
            nd, sh = self.nodes[n.id], f.nodes[n.id]
            on = sh.lit or bool(sh.grad and n.param)
            nd.box.set_stroke(c("batch") if sh.active else c("text") if on else c("grid"), width=3 if sh.active else 2)
            nd.box.set_fill(c("background"), opacity=1.0)
            nd.label.set_color(c("text") if on else c("muted"))
            value = (sh.value, "line" if (n.param and "→" in sh.value) else "text")
            grad = (self._grad_line(n, sh.grad), "update" if sh.grad not in ("", "None") else "muted")
            if self.compact:
                self._line(nd, 0, *self._compact_line(n, sh.value, sh.grad))
            else:
                self._line(nd, 0, *value)
                self._line(nd, 1, *grad)
            rule = getattr(nd, "rule_m", None)
            self._toggle(nd.rule, rule if (rule is not None and sh.rule) else None)
        for (arrow, slot, label), e in zip(self.edges, f.edges):
            col = c("update") if e.grad else c("text") if e.lit else c("grid")
            arrow.set_stroke(col, width=3.5 if e.active else 2.5)
            arrow.get_tip().set_fill(col, opacity=1).set_stroke(col)
            self._toggle(slot, label if e.grad else None)
        if self.headline_on:
            self._headline(f.text, f.note)

    @staticmethod
    def _toggle(slot, m) -> None:
        if (slot.submobjects[0] if slot.submobjects else None) is not m:
            set_children(slot, [m] if m is not None else [])

    def _line(self, nd: _Node, line: int, text: str, color: str) -> None:
        """Line 0 (the value) or 1 (the gradient) under the node's box: fixed lines, so neither
        moves when the other appears."""
        slot = nd.value if line == 0 else nd.grad
        if nd.shown.get(line) == (text, color):
            return
        nd.shown[line] = (text, color)
        if not text:
            set_children(slot, [])
            return
        m = self._text(text, "tick", color)
        lh = self._line_h
        m.move_to(nd.box.get_bottom() + DOWN * (LINE_GAP + line * (lh + LINE_GAP) + lh / 2))
        if m.get_left()[0] < self.x0:
            m.shift(RIGHT * (self.x0 - m.get_left()[0]))
        if m.get_right()[0] > self.x1:
            m.shift(LEFT * (m.get_right()[0] - self.x1))
        set_children(slot, [m])

    def _headline(self, text: str, note: str) -> None:
        if self._top_shown == (text, note):
            return
        self._top_shown = (text, note)
        parts = []
        y = self.y1
        for line in (self._head_lines(text) if text else []):
            head = self._text(line, "label", "text")
            if head.width > self._head_room:  # a line still too long: shrink it to the margins
                head.scale_to_fit_width(self._head_room)
            line_h = self._text("Ag", "label", "text").height
            parts.append(head.move_to([(self.x0 + self.x1) / 2, y - line_h / 2, 0]))
            y -= line_h + LINE_GAP
        if note:
            nm = self._text(note, "tick", "muted")
            parts.append(nm.move_to([(self.x0 + self.x1) / 2, y - nm.height / 2, 0]))
        set_children(self.top, parts)

    # ------------------------------------------------------------------ beats
    def dynamics(self):
        return [self.root]

    def layout_mobjects(self):
        return [self.root]

    def _beat(self, k: int, beat: int) -> list[Animation]:
        return [scrub(self.root, lambda t: self.show(k, beat, t))]

    def intro(self):
        self.show(0, INTRO, 1.0)
        return []

    def forward(self, k):
        return self._beat(k, FORWARD)

    def residuals(self, k):
        return self._beat(k, RESIDUALS)

    def gradient(self, k):
        return self._beat(k, GRADIENT)

    def update(self, k):
        return self._beat(k, UPDATE)

    def fast_begin(self, steps, index):
        self.root.add_updater(lambda m: self.gone or self.show(int(steps[index()]), FAST, 1.0))
        return []

    def fast_end(self):
        self.root.clear_updaters()

    def hold(self):
        if not self.gone:
            self.show(max(self.s.n - 1, 0), HOLD, 1.0)
        return []

    def clear(self) -> list[Animation]:
        """Leave the scene (the walkthrough's fast-forward gives the cell to the loss curve)."""
        self.gone = True
        self.root.clear_updaters()
        return [FadeOut(self.root)]
