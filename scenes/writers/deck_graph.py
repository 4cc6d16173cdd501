"""A deck slide of the recorded autograd graph, drawn with PowerPoint's own shapes.

The graph is drawn as editable shapes, not as a picture: a rounded box per node with
PyTorch's class name above it and its value and gradient under it, a connector with an
arrowhead per edge with the gradient it carried back, and each node's local rule beside it.
Where things go is the story's (:mod:`scenes.story.graph`: the layout in the unit square, the
texts, what the phase shows); this module only maps it onto the slide.
"""
from __future__ import annotations

import numpy as np

from scenes.colour import hex_rgb
from scenes.story.theme import Theme

__all__ = ["draw_graph_slide", "GRAPH_AREA"]

EMU = 914_400  # per inch
# Where the graph goes on a 13.333 in wide slide (inches: left, top, right, bottom; the bottom
# follows the slide's height), under the title and the phase's sentence.
GRAPH_AREA = (0.45, 1.75, 12.9, 7.2)
NODE_H = 0.42
LINE = 0.24      # a line of text under a node
SMALL, BODY = 11, 13  # points


def _rgb(hex_colour: str):
    from pptx.dml.color import RGBColor
    return RGBColor(*hex_rgb(hex_colour))


def _width(text: str, pt: float) -> float:
    """A text's width in inches, estimated (DejaVu Sans averages about 0.6 em a character)."""
    return len(text) * pt * 0.6 / 72 + 0.1


def _text(slide, text: str, cx: float, cy: float, pt: float, colour: str, name: str, bold: bool = False):
    """A one-line text box centred on (cx, cy) inches, no margins, no wrapping."""
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Emu, Pt

    w, h = _width(text, pt), pt * 1.5 / 72
    box = slide.shapes.add_textbox(Emu(int((cx - w / 2) * EMU)), Emu(int((cy - h / 2) * EMU)),
                                   Emu(int(w * EMU)), Emu(int(h * EMU)))
    box.name = name
    tf = box.text_frame
    tf.word_wrap = False
    tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = 0
    p = tf.paragraphs[0]
    p.alignment = PP_ALIGN.CENTER
    p.text = text
    p.font.size, p.font.bold, p.font.color.rgb = Pt(pt), bold, _rgb(colour)
    return box


def _arrow(slide, x0: float, y0: float, x1: float, y1: float, colour: str, width_pt: float, name: str):
    """A straight connector from (x0, y0) to (x1, y1) inches with a triangle at its end."""
    from pptx.enum.shapes import MSO_CONNECTOR
    from pptx.oxml.ns import qn
    from pptx.util import Emu, Pt

    c = slide.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, Emu(int(x0 * EMU)), Emu(int(y0 * EMU)),
                                   Emu(int(x1 * EMU)), Emu(int(y1 * EMU)))
    c.name = name
    c.line.color.rgb = _rgb(colour)
    c.line.width = Pt(width_pt)
    ln = c.line._get_or_add_ln()
    tail = ln.makeelement(qn("a:tailEnd"), {"type": "triangle", "w": "med", "len": "med"})
    ln.append(tail)
    return c


def draw_graph_slide(slide, item, theme: Theme, height_in: float = 7.5) -> None:
    """Draw ``item`` (a :class:`scenes.story.deck.GraphSlide`) on ``slide`` (13.333 in wide,
    ``height_in`` tall): its title and sentence, then the graph in the state its frame describes."""
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Emu, Pt

    col = theme.color
    g, f = item.graph, item.frame
    lay = g.layout
    box = slide.shapes.add_textbox(Emu(int(0.5 * EMU)), Emu(int(0.3 * EMU)), Emu(int(12.3 * EMU)), Emu(int(1.3 * EMU)))
    box.name = "Title"
    tf = box.text_frame
    tf.word_wrap = True
    tf.paragraphs[0].text = item.title
    tf.paragraphs[0].font.size, tf.paragraphs[0].font.bold = Pt(28), True
    tf.paragraphs[0].font.color.rgb = _rgb(col("text"))
    for line in (item.text, f.note):
        if line:
            q = tf.add_paragraph()
            q.text = line
            q.font.size, q.font.color.rgb = Pt(15), _rgb(col("muted"))

    x0, y0, x1, _ = GRAPH_AREA
    y1 = height_in - 0.3
    label_w = {n.id: _width(n.label or f"#{n.id}", BODY + 3) + 0.2 for n in g.nodes}
    under = {n.id: max(_width(t, SMALL) for t in _under(n)) for n in g.nodes}
    half = {n.id: max(label_w[n.id], under[n.id], _width(n.op_text, SMALL)) / 2 for n in g.nodes}
    first = max(half[i] for i in lay.ids if lay.col[i] == 0)
    last = max(half[i] for i in lay.ids if lay.col[i] == lay.n_cols - 1)
    ax0, ax1 = x0 + first, x1 - last
    ay0, ay1 = y0 + LINE + NODE_H / 2, y1 - NODE_H / 2 - 2 * LINE
    centre = {n.id: (ax0 + lay.x(n.id) * (ax1 - ax0), ay0 + lay.y(n.id) * (ay1 - ay0)) for n in g.nodes}

    taken = [(cx - half[i], cy - NODE_H / 2 - LINE, cx + half[i], cy + NODE_H / 2 + 2 * LINE)
             for i, (cx, cy) in centre.items()]
    lines = []
    for (u, v), e in zip(g.edges, f.edges):
        (ux, uy), (vx, vy) = centre[u], centre[v]
        sx, ex = ux + label_w[u] / 2, vx - label_w[v] / 2
        colour = col("update") if e.grad else col("text") if e.lit else col("grid")
        _arrow(slide, sx, uy, ex, vy, colour, 2.0, f"Edge {u}→{v}")
        lines.append(np.array([[sx, uy], [ex, vy]]))
        if e.grad:
            # Above the middle of the edge, clear of the line whatever its slope (the layout
            # keeps edges apart at their middles).
            w, dx, dy = _width(e.grad, SMALL), ex - sx, vy - uy
            nx, ny = (dy, -dx) if dx > 0 else (-dy, dx)  # the normal pointing up the slide
            norm = float(np.hypot(nx, ny)) or 1.0
            nx, ny = nx / norm, ny / norm
            off = 0.05 + abs(nx) * w / 2 + abs(ny) * LINE / 2
            mx, my = (sx + ex) / 2 + nx * off, (uy + vy) / 2 + ny * off
            _text(slide, e.grad, mx, my, SMALL, col("update"), f"Gradient {u}→{v}")
            taken.append((mx - w / 2, my - LINE / 2, mx + w / 2, my + LINE / 2))
    for n in g.nodes:
        cx, cy = centre[n.id]
        sh = f.nodes[n.id]
        on = sh.lit or bool(sh.grad and n.param)
        shape = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, Emu(int((cx - label_w[n.id] / 2) * EMU)),
                                       Emu(int((cy - NODE_H / 2) * EMU)), Emu(int(label_w[n.id] * EMU)),
                                       Emu(int(NODE_H * EMU)))
        shape.name = f"Node {n.id}: {n.label}"
        shape.fill.solid()
        shape.fill.fore_color.rgb = _rgb(col("background"))
        shape.line.color.rgb = _rgb(col("batch") if sh.active else col("text") if on else col("grid"))
        shape.line.width = Pt(2.5 if sh.active else 1.5)
        shape.shadow.inherit = False
        tf = shape.text_frame
        tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = 0
        tf.paragraphs[0].text = n.label or f"#{n.id}"
        tf.paragraphs[0].font.size = Pt(BODY + 3)
        tf.paragraphs[0].font.color.rgb = _rgb(col("text") if on else col("muted"))
        _text(slide, n.op_text, cx, cy - NODE_H / 2 - LINE / 2, SMALL, col("muted"), f"Class {n.id}")
        if sh.value:
            _text(slide, sh.value, cx, cy + NODE_H / 2 + LINE / 2, SMALL,
                  col("line") if "→" in sh.value else col("text"), f"Value {n.id}")
        if sh.grad:
            line = f"{n.grad_name} = {sh.grad}"
            _text(slide, line, cx, cy + NODE_H / 2 + 1.5 * LINE, SMALL,
                  col("update") if sh.grad != "None" else col("muted"), f"Gradient {n.id}")
        if sh.rule:
            rx, ry = _rule_place(sh.rule, cx, cy, half[n.id], taken, lines, y1)
            _text(slide, sh.rule, rx, ry, BODY, col("text"), f"Rule {n.id}")
            w = _width(sh.rule, BODY)
            taken.append((rx - w / 2, ry - LINE / 2, rx + w / 2, ry + LINE / 2))


def _under(n) -> list[str]:
    after = f"{n.value} → {n.value_after}" if n.value_after else ""
    return [t for t in (n.value, after, f"{n.grad_name} = {n.grad or 'None'}",
                        f"{n.grad_name} = {n.grad_before or 'None'}") if t]


def _rule_place(rule: str, cx: float, cy: float, half: float, taken, lines, bottom: float) -> tuple[float, float]:
    """Right of the node's lines, else under them, else left of them: the first place clear
    of the other texts and the edges."""
    from scenes.layout_check import Box, polyline_hits

    w = _width(rule, BODY)
    lines_y = cy + NODE_H / 2 + LINE
    places = [(cx + half + 0.15 + w / 2, lines_y), (cx, cy + NODE_H / 2 + 2 * LINE + LINE / 2 + 0.05),
              (cx - half - 0.15 - w / 2, lines_y)]
    x0, _, x1, _ = GRAPH_AREA
    for px, py in places:
        b = (px - w / 2, py - LINE / 2, px + w / 2, py + LINE / 2)
        if b[0] < x0 - 0.3 or b[2] > x1 + 0.3 or b[3] > bottom + 0.25:
            continue
        if any(min(b[2], t[2]) > max(b[0], t[0]) and min(b[3], t[3]) > max(b[1], t[1]) for t in taken):
            continue
        if not any(polyline_hits(p, Box(*b)) for p in lines):
            return px, py
    return places[0]
