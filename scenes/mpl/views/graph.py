"""The graph view: PyTorch's autograd graph of the batch, drawn from the story
(:attr:`scenes.story.story.Story.graph`), in step with the beats.

Nodes are rounded boxes in the story's layout (leaves left, L right), each with PyTorch's
op name, its label and value, and its gradient once the backward pass has reached it (a
parameter shows its ``.grad``: None, the last batch's, this batch's). Edges are arrows the
forward way; in the backward pass each carries the gradient that flowed back along it, and
each node's local rule stands under it. A line at the bottom says what the phase does.
Every artist is made once and animated; a frame only sets texts, colours and visibility.
"""
from __future__ import annotations

import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from scenes.layout_check import Box
from scenes.mpl.views.graph_bend import bend, label_places
from scenes.mpl.views.style import ViewBase
from scenes.story.frames import FrameState
from scenes.story.graph import NO_GRAPHS, DrawnGraph, GraphFrame
from scenes.story.graph_text import graph_shape
from training.errors import InputError

__all__ = ["GraphView", "wanted_height", "width_font", "box_font"]

BOX_W = 0.74      # a box's share of its column's width (the rest: arrows and their gradients)
BOX_W_COMPACT = 0.8
LINES = 3.0       # op, label = value, gradient (the op line is smaller)
ROW_LINES = (LINES + 0.9) * 1.3 + 0.8  # a row's height in font sizes: the box, the rule under it, a gap
MIN_FS = 5.0      # points: below this a number is not read, whatever the frame
PROBE = 10.0      # points: texts are measured at this size and scaled
# Full numbers that need type below READABLE points (or COMPACT_BELOW of the table's type, in
# a big frame) are shown compact: the line's graph keeps its full lists wherever they read.
READABLE = 6.5
COMPACT_BELOW = 0.55


def width_font(scene, g: DrawnGraph, width: float, compact: bool = False) -> tuple[float, float]:
    """The font size (points) at which graph ``g``'s widest box text fills a box of a panel
    ``width`` pixels wide, and that text's width per point. Each text is measured as drawn:
    the value line bold, the gradients plain, the op line and the rule smaller. ``compact``:
    with the numbers' compact forms."""
    pitch_x = width / g.layout.n_cols
    bw = pitch_x * box_share(compact)
    mains, grads, ops = [], [], []
    for n in g.nodes:
        value = n.text("value", compact)
        after = f"{value} → {n.text('value_after', compact)}" if n.value_after else value
        for v, gr in ((after, n.text("grad", compact)), (value, n.text("grad_before", compact))):
            op, main, grad = box_lines(n, v, gr, compact)
            mains.append(main)
            grads.append(grad)
        ops.append(op)
    widest = max([scene.text_size(t, PROBE, bold=True)[0] for t in mains]
                 + [scene.text_size(t, PROBE)[0] for t in grads if t])
    ops = max(scene.text_size(t, PROBE)[0] * 0.85 for t in ops)
    rules = max((scene.text_size(n.rule, PROBE, italic=True)[0] * 0.95 for n in g.nodes if n.rule), default=0.0)
    # A rule stands under its box and may use the column's whole width.
    fs = PROBE * (bw - 8 * scene.scale) / max(widest, ops, rules * box_share(compact), 1.0)
    return fs, max(widest, ops, rules) / PROBE


def box_font(scene, g: DrawnGraph, width: float) -> tuple[float, float, bool]:
    """:func:`width_font` with the full numbers, or with their compact forms when the full
    ones would shrink the type below READABLE points or COMPACT_BELOW of the table's (a
    bigger graph: more columns, longer tensors): (font size, widest text per point, compact)."""
    fs, widest = width_font(scene, g, width)
    if fs >= max(READABLE, COMPACT_BELOW * scene.theme.size("table", 720 * scene.scale)):
        return fs, widest, False
    return (*width_font(scene, g, width, compact=True), True)


def wanted_height(scene, width: float, title_h: float) -> float:
    """The height (pixels) of a graph panel ``width`` pixels wide whose boxes take the table's
    type, or the smaller type their widest texts allow at that width: what a frame's cells
    give the graph, no more (the other views keep the rest). ``title_h``: the title's band."""
    table = scene.theme.size("table", 720 * scene.scale)
    phase_h = scene.theme.size("text", 720 * scene.scale) * 0.9 * scene.dpi / 72 * 1.6
    need = 0.0
    for g in scene.story.graph.graphs:
        fs = max(MIN_FS, min(table, box_font(scene, g, width)[0]))
        need = max(need, g.layout.n_rows * ROW_LINES * fs * scene.dpi / 72)
    return need + phase_h + title_h


def box_share(compact: bool) -> float:
    """A box's share of its column: compact edges carry only a length, "(8)", so boxes widen."""
    return BOX_W_COMPACT if compact else BOX_W


def box_lines(n, value: str, grad: str, compact: bool) -> tuple[str, str, str]:
    """A box's three lines: the op (small), the label with its value (bold), the gradient.
    Compact (a big graph): the label joins the op line and the value stands alone, the
    gradient is named by what it is (∂L, or .grad on a parameter): the box is narrower."""
    if not compact:
        return (_op_line(n.op_text, n.label), _main_line(n.label, value),
                f"{n.grad_name} = {grad}" if grad else "")
    short = n.label.split(" = ")[0]
    op = f"{n.op_text} · {short}" if short and short != n.op_text else n.op_text
    return op, value or short, (f"{'.grad' if n.param else '∂L'} = {grad}" if grad else "")


def _main_line(label: str, value: str) -> str:
    short = label.split(" = ")[0]
    return f"{short} = {value}" if value else short


def _op_line(op_text: str, label: str) -> str:
    rhs = label.split(" = ", 1)[1] if " = " in label else ""
    return f"{op_text} · {rhs}" if rhs else op_text


class GraphView(ViewBase):
    """The autograd graph of the frame's step (or the latest recorded one)."""

    def __init__(self, scene, ax):
        super().__init__(scene)
        self.gs = self.story.graph
        if not self.gs.available:
            raise InputError(f"--views graph: {NO_GRAPHS}")
        self.ax = ax
        ax.set_axis_off()
        self.W, self.H = W, H = ax.bbox.width, ax.bbox.height
        ax.set_xlim(0, W)
        ax.set_ylim(0, H)
        th = self.theme
        ax.set_title("Autograd graph of the batch", loc="left", color=th.color("text"),
                     fontsize=self.sz("title"), fontweight="bold", pad=self.sz("title") * 0.5)
        fs_text = self.sz("text") * 0.9
        self.phase_fs = fs_text
        self.phase_h = self.px(fs_text) * 1.6
        self.phase = self.anim(ax.text(0, self.phase_h * 0.45, "", fontsize=fs_text, color=th.color("text"),
                                       style="italic", va="center", ha="left"), 9)
        # On the title's row, at the right: which step's graph this is, and whether it is grouped.
        self.note = self.anim(ax.text(W, H + self.sz("title") * 0.5 * scene.dpi / 72, "", fontsize=fs_text,
                                      color=th.color("muted"), va="bottom", ha="right"), 9)
        self.geoms = [self._geometry(g) for g in self.gs.graphs]
        n_nodes = max(len(g.nodes) for g in self.gs.graphs)
        n_edges = max(len(g.edges) for g in self.gs.graphs)
        lw = self.h / 720
        self.boxes, self.texts = [], []
        for _ in range(n_nodes):
            box = FancyBboxPatch((0, 0), 1, 1, boxstyle="round,pad=0,rounding_size=6", lw=1.4 * lw)
            self.boxes.append(self.anim(ax.add_patch(box), 2))
            kw = dict(ha="center", va="center", color=th.color("text"))
            self.texts.append([self.anim(ax.text(0, 0, "", **kw), 3),                              # op
                               self.anim(ax.text(0, 0, "", fontweight="bold", **kw), 3),           # main
                               self.anim(ax.text(0, 0, "", **kw), 3),                              # grad
                               self.anim(ax.text(0, 0, "", style="italic", **kw), 3)])             # rule
        self.arrows, self.edge_texts = [], []
        for _ in range(n_edges):
            arr = FancyArrowPatch((0, 0), (1, 1), arrowstyle="-|>", mutation_scale=10 * lw, lw=1.3 * lw,
                                  shrinkA=0, shrinkB=0)
            self.arrows.append(self.anim(ax.add_patch(arr), 1))
            self.edge_texts.append(self.anim(ax.text(0, 0, "", ha="center", va="center", fontweight="bold",
                                                     bbox=dict(boxstyle="round,pad=0.15", lw=0,
                                                               fc=th.color("panel"))), 4))
        self._shown = None  # the graph index the artists are placed for

    # ------------------------------------------------------------------ layout
    def _geometry(self, g: DrawnGraph) -> dict:
        """Pixel places of one graph's boxes and the font size its widest text allows."""
        lay = g.layout
        top = self.H
        bottom = self.phase_h
        pitch_x, pitch_y = self.W / lay.n_cols, (top - bottom) / lay.n_rows
        fs_h = pitch_y / ROW_LINES * 72 / self.scene.dpi
        fs_w, widest, compact = box_font(self.scene, g, self.W)
        fs = max(MIN_FS, min(self.sz("table"), fs_h, fs_w))
        # As wide as its widest text, no wider: the gaps between columns hold the gradients.
        bw = min(pitch_x * box_share(compact), widest * fs + 16 * self.scene.scale)
        line = self.px(fs) * 1.3
        bh = line * (LINES - 0.2) + 6 * self.scene.scale
        centres = {}
        for n in g.nodes:
            cx = pitch_x * (lay.col[n.id] + 0.5)
            cy = top - pitch_y * (lay.row[n.id] + 0.5) + line * 0.45  # room for the rule under the box
            centres[n.id] = (cx, cy)
        return {"fs": fs, "line": line, "bw": bw, "bh": bh, "centres": centres, "compact": compact}

    def _edge_ends(self, geo: dict, edges: list[tuple[int, int]]) -> list[tuple]:
        """Each edge's ends and bend (arc3's rad): from its source's right side to its target's
        left side (the graph runs left to right), so no arrow runs through the rule under a box.
        A box's inputs arrive at its left side spread from top to bottom in the order their
        sources stand, its outputs leave its right side likewise; an edge that would run
        through another node's box (it skips a column) bends around it (:mod:`graph_bend`).
        An edge between boxes of one column joins their centres, cut at the borders."""
        c, hw, hh = geo["centres"], geo["bw"] / 2 + 2, geo["bh"] / 2
        # What an edge must not cross: each box, with the rule under it (as wide as a line more).
        pad, under = 3.0, geo["line"] * 1.1
        keep_out = {n: Box(x - hw - pad - geo["line"] / 2, y - hh - under, x + hw + pad + geo["line"] / 2, y + hh + pad)
                    for n, (x, y) in c.items()}

        def slot(j: int, ends: list[int], other: int) -> float:
            order = sorted(ends, key=lambda e: -c[edges[e][other]][1])
            k, n = order.index(j), len(order)
            return 0.0 if n == 1 else (0.5 - (k + 0.5) / n) * hh * 1.2
        outs: dict[int, list[int]] = {}
        ins: dict[int, list[int]] = {}
        for j, (u, v) in enumerate(edges):
            outs.setdefault(u, []).append(j)
            ins.setdefault(v, []).append(j)
        out = []
        for j, (u, v) in enumerate(edges):
            (x0, y0), (x1, y1) = c[u], c[v]
            if abs(x1 - x0) > 2 * hw:
                d = 1.0 if x1 > x0 else -1.0
                a, b = (x0 + d * hw, y0 + slot(j, outs[u], 1)), (x1 - d * hw, y1 + slot(j, ins[v], 0))
                out.append((a, b, bend(a, b, [box for n, box in keep_out.items() if n not in (u, v)])))
                continue
            dx, dy = x1 - x0, y1 - y0
            f = min(hw / abs(dx) if dx else np.inf, (hh + 2) / abs(dy) if dy else np.inf)
            out.append(((x0 + dx * f, y0 + dy * f), (x1 - dx * f, y1 - dy * f), 0.0))
        return out

    def _place(self, i: int) -> None:
        """Put the artists where graph i's nodes and edges are."""
        g, geo = self.gs.graphs[i], self.geoms[i]
        fs, line, bw, bh = geo["fs"], geo["line"], geo["bw"], geo["bh"]
        for j, box in enumerate(self.boxes):
            on = j < len(g.nodes)
            box.set_visible(on)
            for t in self.texts[j]:
                t.set_visible(on)
            if not on:
                continue
            cx, cy = geo["centres"][g.nodes[j].id]
            box.set_bounds(cx - bw / 2, cy - bh / 2, bw, bh)
            box.set_boxstyle("round", pad=0, rounding_size=min(8 * self.scene.scale, bh / 4))
            op, main, grad, rule = self.texts[j]
            op.set_position((cx, cy + line * 0.95))
            op.set_fontsize(fs * 0.85)
            main.set_position((cx, cy + line * 0.05))
            main.set_fontsize(fs)
            grad.set_position((cx, cy - line * 0.9))
            grad.set_fontsize(fs)
            rule.set_position((cx, cy - bh / 2 - line * 0.55))
            rule.set_fontsize(fs * 0.95)
        ends = self._edge_ends(geo, list(g.edges))
        labels = label_places(ends, (line * 0.9, line * 0.5))  # (a short label: "(8)", "0.636")
        for j, arr in enumerate(self.arrows):
            on = j < len(g.edges)
            arr.set_visible(on)
            self.edge_texts[j].set_visible(on)
            if on:
                a, b, rad = ends[j]
                arr.set_positions(a, b)
                arr.set_connectionstyle(f"arc3,rad={rad}")
                self.edge_texts[j].set_position(labels[j])
                self.edge_texts[j].set_fontsize(fs * 0.85)
        self._shown = i

    # ------------------------------------------------------------------ frames
    def update(self, st: FrameState) -> None:
        f = self.gs.frame(st.step, st.beat, st.t, [geo["compact"] for geo in self.geoms])
        if f is None:
            return
        if f.graph != self._shown:
            self._place(f.graph)
        self._paint(self.gs.graphs[f.graph], f)

    def _paint(self, g: DrawnGraph, f: GraphFrame) -> None:
        c = self.col
        compact = self.geoms[f.graph]["compact"]
        for j, n in enumerate(g.nodes):
            s = f.nodes[n.id]
            box = self.boxes[j]
            op, main, grad, rule = self.texts[j]
            box.set_facecolor(c("panel"))
            box.set_edgecolor(c("batch") if s.active else c("points") if s.lit else c("grid"))
            box.set_linewidth((2.6 if s.active else 1.4) * self.h / 720)
            texts = box_lines(n, s.value, s.grad, compact)
            op.set_text(texts[0])
            op.set_color(c("muted"))
            main.set_text(texts[1])
            main.set_color(c("update") if "→" in s.value else c("text") if s.lit else c("muted"))
            grad.set_text(texts[2])
            grad.set_color(c("muted") if s.grad == "None" else c("residual"))
            rule.set_text(s.rule)
            rule.set_color(c("residual"))
        for j, e in enumerate(f.edges):
            arr, txt = self.arrows[j], self.edge_texts[j]
            colour = c("residual") if e.grad else c("points") if e.lit else c("grid")
            arr.set_color(colour)
            arr.set_linewidth((2.4 if e.active else 1.3) * self.h / 720)
            # The gap between two columns is narrow: a per-sample list is stacked, and a large
            # tensor's summary keeps only its shape (its range stands in the box it flowed to).
            # A compact list keeps its length: "(8)".
            txt.set_text(graph_shape(e.grad) or e.grad.replace(", ", "\n"))
            txt.set_color(c("residual"))
        self.phase.set_text(f.text)
        self._fit(self.phase, self.phase_fs, self.W)
        self.note.set_text(f.note or f"step {f.step + 1}")  # a note names its step itself

    def _fit(self, art, base: float, room: float) -> None:
        """``base`` points, or smaller until the text is no wider than ``room`` pixels."""
        art.set_fontsize(base)
        if not art.get_text():
            return
        for _ in range(3):
            w = art.get_window_extent(self.scene.renderer).width
            if w <= room:
                return
            art.set_fontsize(art.get_fontsize() * room / w * 0.98)
