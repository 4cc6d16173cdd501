"""A race as data for the web player: everything :class:`~scenes.story.race.RaceStory` derives,
per frame, in a document of kind ``"race"`` (the player's ``kind`` field says how to read it).

The player derives nothing. Per frame and run it reads, as a lookup:

- the path, exactly :meth:`RaceStory.path`: while the run is in the view, its first
  ``path_n`` kept vertices, then the point shown (``line_a``, ``line_b``, which is also its
  fit line); once it has ``left``, the run's ``exit``: ``n`` kept vertices, its ``mid``
  vertex (if any) and the ``point`` where it crossed the edge;
- the loss curve the same way (:meth:`RaceStory.loss_curve`): ``loss_n`` kept vertices, then
  the head; the cross at the run's ``loss_mark`` on the frames whose ``loss_mark`` is set;
- where the direct labels go (:meth:`RaceStory.label_positions`, for a label box given in
  view fractions; the player sizes its type to fit that box);
- the leaderboard's rows in order (:meth:`RaceStory.leaderboard`).

Numbers shown are exported exactly (float32 only when it holds them without loss, as
:func:`scenes.web.export.encode` does).

Frame arrays are frame-major: the value of run ``r`` at frame ``i`` is at ``i * n + r``.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from scenes.story.plan import PlanSettings
from scenes.story.race import CLOCK_LABEL, HOLD, INTRO, LABEL_GAP, LEADER_HZ, RACE, RaceStory, fmt_samples
from scenes.story.theme import Theme
from scenes.web.export import FORMAT, VERSION, contour_layers, encode, export_theme
from scenes.web.export_model import CURVE_QUANT, CURVE_SAMPLES

__all__ = ["KIND", "LABEL_EM", "LABEL_PAD", "LEADER_HZ", "PHASES", "export_race", "race_document", "race_page",
           "label_box", "KEY_LINES"]

KIND = "race"
# The plan's phases by name, indexed by code (scenes.story.race): the player takes its codes
# from these names, as it takes a story's beats' codes from theirs.
_PHASE_NAMES = {INTRO: "intro", RACE: "race", HOLD: "hold"}
PHASES = tuple(_PHASE_NAMES[code] for code in range(len(_PHASE_NAMES)))
# The parameter view's plot is this many label font sizes wide and high at the size the
# labels are laid out for; the player draws labels at most that large (smaller plots: smaller
# type), so a label always fits the box the story placed it in.
LABEL_EM = (30.0, 20.0)
LABEL_PAD = 0.15       # a label's patch around its text, in font sizes (as the matplotlib race's)
LABEL_OFFSET = 0.018   # text starts this far (view fraction) from its anchor (as matplotlib's)
KEY_LINES = ("★  least-squares optimum", "✕  left the view / diverged",
             f"clock: {CLOCK_LABEL} = steps × batch size, fair across batch sizes")


@lru_cache(maxsize=256)
def _text_width(text: str, family: str) -> float:
    """Width of bold ``text`` in font sizes (matplotlib's metrics of the theme's font)."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    w, _, _ = RendererAgg(10, 10, 72).get_text_width_height_descent(
        text, FontProperties(family=[family, "DejaVu Sans"], weight="bold", size=100), ismath=False)
    return w / 100.0


def label_box(race: RaceStory, theme: Theme) -> tuple[float, float]:
    """A direct label's size in view fractions at the layout size (:data:`LABEL_EM`): the
    widest label (with 8% to spare for the browser's font) plus its patch, and a little air,
    as the matplotlib race measures its own."""
    widest = max(_text_width(r.label, theme.font_family) for r in race.runs) * 1.08
    return ((widest + 2 * LABEL_PAD) / LABEL_EM[0] + 0.01, (1.2 + 2 * LABEL_PAD) / LABEL_EM[1] + 0.006)


def _split(race: RaceStory, r: int, idx: np.ndarray) -> tuple[int, int | None]:
    """A vertex list from :meth:`RaceStory.upto`, as (how many kept vertices lead it, the index
    of the one vertex after them that is not a kept one, or None)."""
    keep = race.runs[r].keep
    c = int(np.searchsorted(keep, idx[-1], side="right")) if len(idx) else 0
    if len(idx) and c and keep[c - 1] == idx[-1]:
        return c, None
    return c, int(idx[-1]) if len(idx) else None


def _loss_ticks(race: RaceStory) -> list[list]:
    from matplotlib.ticker import MaxNLocator

    hi = race.end_clock * 1.02
    vals = MaxNLocator(nbins=6).tick_values(0, hi)
    return [[float(v), fmt_samples(v)] for v in vals if 0 <= v <= hi + 1e-9]


def export_race(race: RaceStory, theme: Theme, settings: PlanSettings | None = None) -> dict:
    """The race, as the player reads it (see the module's docstring)."""
    plan = race.plan(settings)
    n, F = race.n, len(plan)
    colours, tags = race.colours(theme), race.tags(theme)
    shape = (F, n)
    path_n = np.zeros(shape, np.int64)
    head_a, head_b = np.full(shape, np.nan), np.full(shape, np.nan)  # (for the labels' leader lines)
    left, mark, lmark = (np.zeros(shape, np.uint8) for _ in range(3))
    loss_n = np.zeros(shape, np.int64)
    lhead_x, lhead_y = np.full(shape, np.nan), np.full(shape, np.nan)
    exits: list[dict | None] = [None] * n   # per run: where it left the view, as a lookup
    loss_marks: list[list[float] | None] = [None] * n
    line_a, line_b = np.zeros(shape), np.zeros(shape)
    off = np.zeros(shape, np.uint8)
    rank_run, rank_status = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
    rank_loss, rank_epoch = np.zeros(shape), np.zeros(shape)
    statuses: list[str] = []
    lw, lh = label_box(race, theme)
    lab_u, lab_v = np.zeros(shape), np.zeros(shape)
    lab_right, lab_leader = np.zeros(shape, np.uint8), np.zeros(shape, np.uint8)
    p, f = race.params, race.fit
    curves = None if race.is_line else _Curves(race)
    curve_row = np.zeros(shape, np.int64)
    for i in range(F):
        idx = plan.index[:, i]
        for r in range(n):
            k = int(idx[r])
            run, st = race.runs[r], race.runs[r].story
            # The path: RaceStory.path, as kept vertices, then (a vertex,) the head.
            if run.exit_index is not None and k >= run.exit_index:
                e = run.exit_index
                c, extra = _split(race, r, race.upto(r, e - 1)) if e > 0 else (0, None)
                exits[r] = {"n": c, "point": [float(v) for v in run.exit_point],
                            "mid": None if extra is None else [float(st.path_a[extra]), float(st.path_b[extra])]}
                head_a[i, r], head_b[i, r] = run.exit_point
                left[i, r] = 1
            else:
                c, extra = _split(race, r, race.upto(r, k))
                path_n[i, r] = c
                head_a[i, r], head_b[i, r] = st.path_a[k], st.path_b[k]
                if extra is None:  # the head is the last kept vertex: lead with the ones before it
                    path_n[i, r] = c - 1
            mark[i, r] = bool(left[i, r]) or race.status(r, k).startswith("diverged")
            # The loss curve: RaceStory.loss_curve, the same way.
            e = race.loss_exit(r)
            stop = k if e is None else min(k, e - 1)
            if stop >= 0:
                c, extra = _split(race, r, race.upto(r, stop))
                loss_n[i, r] = c if extra is not None else c - 1
                lhead_x[i, r], lhead_y[i, r] = run.samples[stop], run.path_loss[stop]
            m = race.loss_mark(r, k)
            if m is not None:  # one place per run (where it left the axis, or its last point)
                assert loss_marks[r] in (None, list(m))
                loss_marks[r], lmark[i, r] = list(m), 1
            a, b = race.line(r, k)
            line_a[i, r], line_b[i, r] = a, b
            if curves is not None:  # any other model: its curve, looked up by (run, point)
                curve_row[i, r], ys = curves.row(r, k)
                ys = ys[np.isfinite(ys)]
                off[i, r] = not (len(ys) and ys.min() <= f.y1 and ys.max() >= f.y0)
                continue
            ys = (a * f.x0 + b, a * f.x1 + b)
            off[i, r] = not (math.isfinite(a + b) and min(ys) <= f.y1 and max(ys) >= f.y0)
        for j, row in enumerate(race.leaderboard(idx)):
            if row.status not in statuses:
                statuses.append(row.status)
            rank_run[i, j], rank_loss[i, j], rank_epoch[i, j] = row.run, row.loss, row.epoch
            rank_status[i, j] = statuses.index(row.status)
        if not race.grid:
            for r, (u, v, ha) in enumerate(race.label_positions(idx, lw, lh)):
                lab_u[i, r], lab_v[i, r], lab_right[i, r] = u, v, ha == "left"
                hu = (head_a[i, r] - p.x0) / (p.x1 - p.x0)
                hv = (head_b[i, r] - p.y0) / (p.y1 - p.y0)
                lab_leader[i, r] = abs(hv - v) > lh * 0.6 or abs(hu - u) > 1e-9  # tied to its head by a line
    frames = {"path_n": encode(path_n, "i32"), "left": encode(left, "u8"), "mark": encode(mark, "u8"),
              "loss_n": encode(loss_n, "i32"), "loss_head_x": encode(lhead_x, "exact"),
              "loss_head_y": encode(lhead_y, "exact"), "loss_mark": encode(lmark, "u8"),
              "line_a": encode(line_a, "exact"), "line_b": encode(line_b, "exact"), "off": encode(off, "u8"),
              "rank_run": encode(rank_run, "i32"), "rank_loss": encode(rank_loss, "exact"),
              "rank_epoch": encode(rank_epoch, "exact"), "rank_status": encode(rank_status, "i32")}
    if curves is not None:
        frames["curve_row"] = encode(curve_row, "i32")
    if not race.grid:
        frames.update({"label_u": encode(lab_u, "f32"), "label_v": encode(lab_v, "f32"),
                       "label_right": encode(lab_right, "u8"), "label_leader": encode(lab_leader, "u8")})
    runs = []
    for r, run in enumerate(race.runs):
        st, keep = run.story, run.keep
        opt = race.optimum(r)
        runs.append({"label": run.label, "colour": colours[r], "tag": tags[r], "diverged": run.diverged,
                     "optimum": None if opt is None else [float(v) for v in opt], "n_points": run.n_points,
                     "keep_a": encode(st.path_a[keep], "exact"), "keep_b": encode(st.path_b[keep], "exact"),
                     "keep_samples": encode(run.samples[keep], "exact"),
                     "keep_loss": encode(run.path_loss[keep], "exact"), "exit": exits[r],
                     "loss_mark": loss_marks[r]})
    own = range(n) if not race.shared_data else range(1)
    contours = []
    for r in own:
        A, B, L, levels = race.contours(run=r)
        contours.append(contour_layers(A, B, L, levels, p, theme))
    lo, hi = race.loss_range
    key = list(KEY_LINES) if race.optimum(0) is not None else list(KEY_LINES[1:])
    out = {
        "title": race.title, "varied": list(race.varied), "n": n, "grid": race.grid,
        "fit_multiples": race.fit_multiples, "shared_data": race.shared_data,
        "contour_note": race.contour_note, "loss_words": race.loss_words, "clock_label": CLOCK_LABEL, "end_clock": race.end_clock,
        "plan": {"fps": plan.fps, "frames": F, "phase": encode(plan.phase, "u8"), "phases": list(PHASES),
                 "clock": encode(plan.clock, "exact"),
                 "clock_text": [race.clock_text(plan, i) for i in range(F)], "text_hz": LEADER_HZ},
        "limits": {"params": [p.x0, p.x1, p.y0, p.y1], "fit": [f.x0, f.x1, f.y0, f.y1]},
        "loss_axis": {"x": [0.0, race.end_clock * 1.02], "y": [lo, hi], "ticks": _loss_ticks(race)},
        "labels": {"width": lw, "height": lh, "em": list(LABEL_EM), "pad": LABEL_PAD, "offset": LABEL_OFFSET,
                   "gap": LABEL_GAP},
        "contours": contours,
        "data": [{"x": encode(race.traces[r].x, "exact"), "y": encode(race.traces[r].y, "exact")} for r in own],
        "statuses": statuses, "key": key + ([] if race.shared_data else
                                            ["each run has its own data: each fit panel shows it"]),
        "runs": runs, "frames": frames,
    }
    if curves is not None:  # the line's race stays as it was; any other model's says its words
        out["model"] = {"kind": race.model.kind, "formula": race.words.formula, "loss_name": race.words.loss_name,
                        "axis_labels": list(race.axis_labels),
                        "params_title": ("Paths on one loss landscape" if race.shared is not None
                                         else "Paths on the exact loss contours"),
                        "grid_title": ("Each run on one loss landscape" if race.shared is not None
                                       else "Each run on the same exact loss contours"),
                        "curve": curves.export()}
    return out


class _Curves:
    """Each run's curve at the points the race's frames show, once each (rows of samples of
    ``Model.predict`` across the fit view, quantised as the player's curves are)."""

    def __init__(self, race: RaceStory):
        self.race, self.rows, self.index = race, [], {}
        f = race.fit
        self.xs = np.linspace(f.x0, f.x1, CURVE_SAMPLES)
        span = f.y1 - f.y0
        self.lo, self.hi = f.y0 - 2.0 * span, f.y1 + 2.0 * span

    def row(self, r: int, k: int) -> tuple[int, np.ndarray]:
        key = (r, k)
        if key not in self.index:
            self.index[key] = len(self.rows)
            self.rows.append(self.race.curve(r, k, self.xs))
        return self.index[key], self.rows[self.index[key]]

    def export(self) -> dict:
        ys = np.array(self.rows)
        q = np.where(np.isfinite(ys), np.round((np.clip(ys, self.lo, self.hi) - self.lo) / (self.hi - self.lo)
                                               * CURVE_QUANT), 65535)
        return {"x": [float(self.xs[0]), float(self.xs[-1])], "samples": CURVE_SAMPLES, "range": [self.lo, self.hi],
                "quant": CURVE_QUANT, "y": encode(q.ravel(), "u16")}


def race_document(race: RaceStory, theme: Theme, settings: PlanSettings | None = None,
                  generator: str = "sgd-anim") -> dict:
    """The whole document of a race: the format, its version, ``kind: "race"``, the theme."""
    return {"format": FORMAT, "version": VERSION, "kind": KIND, "generator": generator,
            "theme": export_theme(theme), "race": export_race(race, theme, settings)}


def race_page(race: RaceStory, theme: Theme, settings: PlanSettings | None = None) -> str:
    """The race's player page: one self-contained HTML file (see :mod:`scenes.web.page`)."""
    from scenes.web.page import _generator, page_from_document

    return page_from_document(race_document(race, theme, settings, generator=_generator()), race.title)
