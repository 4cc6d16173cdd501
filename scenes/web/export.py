"""The story as data for the web player: a versioned JSON document, drawn by the browser.

Everything a view shows comes from :class:`scenes.story.Story`, computed here in Python; the
player's script only interpolates and draws (it does no optimizer maths, no full-batch
gradient, no captions and no plan timing). Numbers a frame shows are exported exactly: a
column that float32 holds without loss (every value PyTorch computed) goes as float32, any
other as float64, both little-endian and base64-encoded. Drawing-only arrays (the magnified
arrows, contour polylines) are rounded to save space.

The document's ``version`` says how to read it; the player refuses any other with a visible
message, as manim-slides' HTML player checks its manifest.
"""
from __future__ import annotations

import math
from dataclasses import asdict, fields
from typing import Any, Sequence

import numpy as np

from scenes.story.captions import OPTIMIZER_NAMES, fit_title, gradient_sum_label
from scenes.story.frames import Reveal, reveal
from scenes.story.geometry import Geometry, Limits, free_corner
from scenes.story.plan import BEATS, FAST, FramePlan, PlanSettings
from scenes.story.story import HIDDEN_ARROW, Story  # Story.arrows leaves shorter arrows out
from scenes.story.theme import COLOR_KEYS, SIZE_KEYS, Theme
from scenes.web.export_model import CURVE_ROWS, export_model, next_text
from scenes.web.columns import decode, decode_paths, encode, encode_paths  # (importers take them from here too)
from scenes.web.graph_export import export_graph

__all__ = ["FORMAT", "VERSION", "ARROW_KEYS", "HIDDEN_ARROW", "MAX_ROWS", "encode", "decode", "encode_paths", "decode_paths",
           "export_story", "export_contours", "contour_layers", "export_theme", "document", "loss_axis", "arrow_table"]

FORMAT = "sgd-anim-player"
VERSION = 1
ARROW_KEYS = ("full", "update", "carry")  # drawn in this order (the carried part thinner, on top)
MAX_ROWS = 4         # batch rows the numbers table lists (as the matplotlib view: "+N more")
# Contour vertices as whole steps across the view: 4094 steps put a vertex within 1/8188 of
# the view of matplotlib's (0.1 px on an 800-px view; every page's views are narrower than
# 4094 px), and let most steps from one vertex to the next fit in one byte (encode_paths).
_QUANT = 4094

def _num(v: float) -> float | None:
    """A JSON number (None for inf/nan: JSON has no such numbers)."""
    v = float(v)
    return v if math.isfinite(v) else None


# ------------------------------------------------------------------ view layout shared with matplotlib
def loss_axis(story: Story) -> dict:
    """The loss view's axes, as scenes.mpl.views.LossView sets them: log scale when the story
    says so, limits padded the same way, and the legend in the corner the curves leave free."""
    geom = story.geom
    x0, x1, y0, y1 = geom.loss_limits(story.n)
    corner = "upper right"
    if story.n:
        steps = np.arange(story.n, dtype=np.float64)
        u = np.concatenate([steps, steps])
        curves = [story.loss, story.full_loss]
        land = story.plane.land
        if land is not None:  # P > 2: the plane's loss under the path is a third curve
            u = np.concatenate([u, steps])
            curves.append(land.surface_loss[:-1])
        v = np.clip(np.concatenate(curves), y0, y1)
        if geom.log_loss:
            v = (np.log10(v) - math.log10(y0)) / (math.log10(y1) - math.log10(y0))
        else:
            v = (v - y0) / (y1 - y0)
        corner = free_corner((u - x0) / (x1 - x0), v,
                             prefer=("upper right", "lower left", "lower right", "upper left"))
    return {"log": bool(geom.log_loss), "x": [x0, x1], "y": [y0, y1], "legend": corner}


def params_legend_corner(story: Story) -> str:
    """Where the parameter view's legend goes (as scenes.mpl.views.ParamView puts it)."""
    g, opt = story.geom.params, story.geom.optimum
    pa = np.append(story.path_a, [] if opt is None else [opt[0]])
    pb = np.append(story.path_b, [] if opt is None else [opt[1]])
    u, v = (pa - g.x0) / (g.x1 - g.x0), (pb - g.y0) / (g.y1 - g.y0)
    if story.plane.land is not None:  # the note of how far the path leaves the plane sits lower left
        return free_corner(u, v, prefer=("upper right", "upper left", "lower right"))
    return free_corner(u, v)


# ------------------------------------------------------------------ arrows
def arrow_table(story: Story) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per step and arrow key, ``(va, vb, inside)``: the arrow magnified by ``arrow_scale`` as
    a vector from (a_k, b_k), and the fraction of it inside the parameter view (1 when it
    stays inside; NaN when the point itself has left the view, so there is no arrow).

    :meth:`Story.arrows` at step k, grown to g, is then: from (a_k, b_k) to
    (a_k, b_k) + min(g, inside)·v, cut short (clipped) when g > inside, and left out when
    g·|v| is under HIDDEN_ARROW of the view. tests/test_web_export.py holds the two to that.
    """
    return story.arrow_table


# ------------------------------------------------------------------ contours
def export_contours(story: Story, theme: Theme) -> dict:
    """The exact loss contours of the parameter view, as matplotlib draws them (filled bands
    in the story's band colours, scenes.story.palette, then the level lines), as polylines in
    view steps (uint16)."""
    A, B, L, levels = story.contours()
    return contour_layers(A, B, L, levels, story.geom.params, theme)


def contour_layers(A: np.ndarray, B: np.ndarray, L: np.ndarray, levels: np.ndarray, g: Limits,
                   theme: Theme) -> dict:
    """Filled bands and level lines of the loss grid ``L`` over (A, B) in the view ``g``, as
    :func:`export_contours` exports them (a race exports its shared contours with it)."""
    from matplotlib.figure import Figure

    from scenes.story.palette import band_colors

    fig = Figure()
    ax = fig.add_axes((0, 0, 1, 1))
    colours, over = band_colors(theme, levels, float(L.max()))  # the same bands as the videos'
    filled = ax.contourf(A, B, L, levels=np.concatenate([[min(0.0, float(L.min()))], levels]), colors=colours,
                         extend="max")
    lines = ax.contour(A, B, L, levels=levels)

    def pack(paths) -> dict:
        parts = []
        for path in paths:
            v = path.vertices
            if not len(v):
                continue
            codes = path.codes
            starts = np.flatnonzero(codes == 1) if codes is not None else np.array([0])
            for s0, s1 in zip(starts, [*starts[1:], len(v)]):
                seg = v[s0:s1]
                if codes is not None:
                    seg = seg[codes[s0:s1] != 79]  # CLOSEPOLY repeats a vertex
                u = np.clip(np.round((seg[:, 0] - g.x0) / (g.x1 - g.x0) * _QUANT), 0, _QUANT)
                w = np.clip(np.round((seg[:, 1] - g.y0) / (g.y1 - g.y0) * _QUANT), 0, _QUANT)
                parts.append(np.column_stack([u, w]))
        return encode_paths(parts)

    bands = []
    for path, rgb in zip(filled.get_paths(), [*colours, over]):  # under each level, then above the last
        r, gr, b = (round(float(c) * 255) for c in rgb)
        bands.append({"color": f"rgb({r},{gr},{b})", "path": pack([path])})
    return {"limits": [g.x0, g.x1, g.y0, g.y1], "quant": _QUANT, "bands": bands,
            "lines": pack(lines.get_paths()), "levels": [float(v) for v in levels]}


# ------------------------------------------------------------------ theme
def export_theme(theme: Theme) -> dict:
    return {"name": theme.name, "font_family": theme.font_family,
            "colors": {k: theme.color(k) for k in COLOR_KEYS if k != "contour_map"},
            "sizes": {k: float(theme.sizes[k]) for k in SIZE_KEYS}}


# ------------------------------------------------------------------ plan and reveals
_REVEAL_FIELDS = [f.name for f in fields(Reveal)]


def _reveal_table(beat: int, ts: np.ndarray) -> dict:
    """The rule of ``beat`` at each of its frames (progress ``ts``), column-wise; a column
    that does not change is one value."""
    rows = [asdict(reveal(beat, float(t))) for t in ts]
    table: dict[str, Any] = {"beat": beat, "t": [float(t) for t in ts]}
    for name in _REVEAL_FIELDS:
        col = [r[name] for r in rows]
        table[name] = col[0] if all(c == col[0] for c in col) else col
    return table


def _export_plan(story: Story, plan: FramePlan) -> dict:
    segments, tables, captions = [], [], []
    index: dict[tuple, int] = {}
    for seg, (_, _, text) in zip(plan.segments(), story.captions(plan)):
        ts = plan.t[seg.start:seg.stop]
        key = (seg.beat, ts.tobytes())
        if key not in index:
            index[key] = len(tables)
            tables.append(_reveal_table(seg.beat, ts))
        entry = {"beat": seg.beat, "start": seg.start, "n": seg.n_frames, "step": int(seg.steps[0]),
                 "reveal": index[key], "caption": len(captions)}
        if seg.beat == FAST:
            entry["steps"] = encode(seg.steps, "index")
        captions.append(text)
        segments.append(entry)
    return {"fps": plan.fps, "frames": len(plan), "detail_steps": plan.detail_steps,
            # The beats' names in the order of their codes: the player takes its codes from them.
            "beats": list(BEATS), "segments": segments, "reveals": tables, "captions": captions,
            "notes": story.notes(plan)}  # speaker notes per segment, for the presenter page


# ------------------------------------------------------------------ the story
def _limits(lim: Limits) -> list[float]:
    return [lim.x0, lim.x1, lim.y0, lim.y1]


def export_story(story: Story, plan: FramePlan | PlanSettings | None = None, *, label: str = "",
                 contours: bool = True, theme: Theme | None = None, curve_cap: int = CURVE_ROWS) -> dict:
    """One run's story, as the player reads it (see the module's docstring).

    ``contours``: include the parameter view's contours (they need ``theme`` for the colour
    map); an explorer shares one set between runs drawn in the same view. ``curve_cap``: a
    model's curve is exported at every step of a run up to that long, else at the steps the
    plan draws (scenes.web.export_model; an explorer of many runs passes 0)."""
    s, tr = story, story.trace
    if not isinstance(plan, FramePlan):
        plan = s.plan(plan)
    name = OPTIMIZER_NAMES[s.optimizer]
    lr = f"{s.lr:g}"
    steps = {"epoch": encode(s.epoch, "index"), "batch": encode(s.batch_idx, "index")}
    for col in ("a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b"):
        steps[col] = encode(getattr(s, col), "exact")

    idx = tr.steps["indices"]
    offsets = np.asarray(idx.offsets if s.n else [0], dtype=np.int64)
    flat_idx = np.asarray(idx.values if s.n else [], dtype=np.int64)
    if s.n:
        xb = tr.x[flat_idx]
        res = np.asarray(tr.steps["residual"].values, dtype=np.float64)
        lengths = np.diff(offsets)
        if tr.schema_version == 1:
            per = np.repeat(2.0 / lengths, lengths)  # sample_shares: 2/n·r·x and 2/n·r
            share_a, share_b = per * res * xb, per * res
        elif s.words.shares:  # two parameters: Story.shares, step by step
            share_a, share_b = (np.concatenate(c) for c in zip(*(s.shares(k) for k in range(s.n))))
        else:  # P > 2: no table of shares (the numbers list norms instead)
            share_a = share_b = np.zeros(0)
        pred = np.asarray(tr.steps["pred"].values, dtype=np.float64)
    else:
        share_a = share_b = pred = res = np.zeros(0)
    batches = {"offsets": encode(offsets, "index"), "index": encode(flat_idx, "index"),
               "pred": encode(pred, "exact"), "residual": encode(res, "exact"),
               "share_a": encode(share_a, "exact"), "share_b": encode(share_b, "exact")}

    arrows: dict[str, Any] = {"keys": [], "hidden_below": HIDDEN_ARROW}
    if s.n:
        scale = np.asarray(s.arrow_scale, dtype=np.float64)
        values = sorted(set(scale.tolist()))
        arrows["scales"] = [[v, f"{v:g}"] for v in values]
        arrows["scale_index"] = encode(np.searchsorted(values, scale), "u8" if len(values) < 256 else "u16")
        for key, (va, vb, inside) in arrow_table(s).items():
            arrows["keys"].append(key)
            # inside: the fraction of each arrow in the view, 1 for most (then one byte each, not four)
            whole = bool(np.all(inside == np.round(inside)))
            arrows[key] = {"va": encode(va, "f32"), "vb": encode(vb, "f32"),
                           "inside": encode(inside, "index" if whole else "f32")}

    geom = s.geom
    status = tr.status
    line = tr.schema_version == 1  # the line's document stays as it was; any other model's has "model"
    out = {
        "label": label,
        "title": f"{fit_title(s.optimizer)} {'ŷ = a·x + b' if line else s.words.formula}",
        "run": {
            "n_steps": s.n, "steps_per_epoch": s.steps_per_epoch, "epochs": s.epochs,
            "n_points": len(tr.x), "optimizer": s.optimizer, "optimizer_name": name,
            "lr": s.lr, "lr_text": lr, "batch_size": s.settings.batch_size,
            "first_batch": s.batch_size_at(0) if s.n else 0,
            "max_batch": int(np.max(np.diff(offsets))) if s.n else 0,
            "momentum": s.settings.effective_momentum if s.settings.has_momentum else None,
            "plain_sgd": s.plain_sgd,
            "sum_label": gradient_sum_label(s.settings),  # the numbers table's sum row: .grad
            "next_text": next_text(s),
            "diverged": status.diverged, "diverged_step": status.step, "state": status.state,
        },
        "final": {"a": s.final_uv[0], "b": s.final_uv[1], "full_loss": _num(tr.final_full_loss)},
        "optimum": None if geom.optimum is None else [float(geom.optimum[0]), float(geom.optimum[1])],
        "limits": {"fit": _limits(geom.fit), "params": _limits(geom.params), "clipped": geom.clipped},
        "loss_axis": loss_axis(s),
        "params_legend": params_legend_corner(s),
        "carry": s.carry.label if s.carry is not None else None,
        "data": {"x": encode(tr.x, "exact"), "y": encode(tr.y, "exact")},
        "steps": steps,
        "batches": batches,
        "arrows": arrows,
        "plan": _export_plan(s, plan),
    }
    if tr.full_loss_is_batch:  # (only then: every other document stays as it was)
        out["run"]["full_loss_words"] = s.full_loss_words
    if not line:
        out["model"] = export_model(s, plan, curve_cap)
    graph = export_graph(s, plan)  # the graph view: only a run that recorded graphs has one
    if graph is not None:
        out["graph"] = graph
    if contours:
        if theme is None:
            raise ValueError("contours need the theme's colour map")
        out["contours"] = export_contours(s, theme)
    return out


def document(stories: Sequence[dict], theme: Theme, *, explore: dict | None = None,
             contours: dict | None = None, generator: str = "sgd-anim") -> dict:
    """The whole document: the format, its version, the theme, one story or an explorer's
    runs (``explore``: the grid's axes and which story sits at each point)."""
    doc = {"format": FORMAT, "version": VERSION, "generator": generator, "theme": export_theme(theme),
           "stories": list(stories)}
    if contours is not None:
        doc["contours"] = contours
    if explore is not None:
        doc["explore"] = explore
    return doc


def story_geometry(trace, shared_params: Limits | None = None, shared_fit: Limits | None = None) -> Geometry:
    """A trace's geometry, with the fit and parameter views replaced by shared ones (an
    explorer draws every run in the same views, so paths can be compared)."""
    own = Geometry.of(trace)
    if shared_params is None:
        return own
    if trace.schema_version == 1:
        a = np.append(trace.steps["a"], trace.final_a)
        b = np.append(trace.steps["b"], trace.final_b)
    else:  # any model's plane: its pair (a plane through parameter space is not shared)
        from scenes.story.plane import plane_of
        plane = plane_of(trace)
        a, b = plane.path_u, plane.path_v
    p = shared_params
    clipped = bool(np.any((a < p.x0) | (a > p.x1) | (b < p.y0) | (b > p.y1)))
    return Geometry(fit=shared_fit or own.fit, params=p, loss_range=own.loss_range, log_loss=own.log_loss,
                    optimum=own.optimum, clipped=clipped)
