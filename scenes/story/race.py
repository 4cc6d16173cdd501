"""The story of a race: several runs of one comparison on one clock. Pure numpy, no drawing.

Every view of a race (matplotlib, Manim, the player) draws from a :class:`RaceStory`:

- the clock is **samples seen** (step x batch size, summed), so runs with different batch
  sizes are compared at equal work, not at equal steps; the views say so on their axes;
- per frame, each run's position on its path (how many steps it has done at that clock);
- shared limits for the parameter view and the fit view, and one shared loss range;
- the exact loss contours over (a, b), shared when every run has the same data (else those of
  the first run's data, and :attr:`RaceStory.contour_note` says so); any model: the exact
  plane of its pair (P = 2), else one plane for every run computed at race time with the real
  loss over it (:mod:`scenes.story.race_plane`, which says how faithful it is);
- where a run left the parameter view (a diverging run ends with a mark there);
- the leaderboard per frame (label, full-data loss now, epoch, status), sorted by loss;
- colours from the Okabe–Ito palette (safe for colour-blind viewers): 8 of them, so more
  than :data:`MAX_OVERLAID` runs are drawn as small multiples;
- direct labels at the path heads, nudged apart vertically so none overlaps another.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from scenes.colour import hex_rgb
from scenes.story.geometry import Geometry, Limits, loss_grid
from scenes.story.numbers import fmt_loss  # the leaderboard's loss; importers take it from here too
from scenes.story.loss_words import full_loss_words
from scenes.story.model_words import words_of
from scenes.story.plan import PlanSettings
from scenes.story.race_labels import spread_labels  # importers take it from here too
from scenes.story.race_plane import pair_loss_grid, path_loss, race_plane
from scenes.story.story import Story, contour_levels
from training.errors import InputError
from training.trace import Trace

__all__ = ["contrast", "OKABE_ITO", "MAX_OVERLAID", "MAX_FIT_OVERLAID", "CLOCK_LABEL", "RaceRun", "RacePlan",
           "Row", "RaceStory", "race_plan", "spread_labels", "fmt_samples", "fmt_epoch", "fmt_loss", "LEADER_HZ"]

LEADER_HZ = 4  # while the race plays, the leaderboard's numbers refresh this often (readable)

# Okabe & Ito (2008). Black is the theme's text colour (so it reads on a dark theme too), and
# yellow comes last: it is the one colour that is faint on white.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "text", "#F0E442")
MAX_OVERLAID = 8      # more runs than palette colours: small multiples
MAX_FIT_OVERLAID = 4  # more lines than this on one fit chart hide the data: small multiples
CLOCK_LABEL = "samples seen"
INTRO, RACE, HOLD = 0, 1, 2
RACE_FACTOR = 2.0     # the race plays for this many times the plan's fast-forward seconds
LABEL_GAP = 0.03      # the room (view fraction) kept between a head and its label's text
POINTS_CAP = 2000     # vertices per drawn path or loss curve: a 100k-step run costs what a 2k one does


def _luminance(hex_colour: str) -> float:
    c = np.array(hex_rgb(hex_colour)) / 255
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(c @ [0.2126, 0.7152, 0.0722])


def contrast(c1: str, c2: str) -> float:
    """WCAG contrast ratio of two hex colours (1 to 21)."""
    l1, l2 = sorted((_luminance(c1), _luminance(c2)), reverse=True)
    return (l1 + 0.05) / (l2 + 0.05)


def fmt_samples(n: float) -> str:
    """12,345 samples as ``12.3k``; small counts as they are."""
    n = float(n)
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= div:
            return f"{n / div:.3g}{unit}"
    return f"{n:.0f}"


def fmt_epoch(e: float) -> str:
    """Epochs done, to a tenth (runs of other batch sizes stand between two epochs on the
    shared clock); a whole number without its ".0" (a finished run: "epoch 100")."""
    text = f"{float(e):.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class RaceRun:
    """One run of the race, with what the race derives for it."""

    label: str
    story: Story
    colour: str                # a hex colour, or a theme key ("text")
    samples: np.ndarray        # samples seen at each path point: 0, then after each step
    path_loss: np.ndarray      # full-data loss (float64) at each path point
    exit_index: int | None     # first path point outside the parameter view (None: never leaves)
    exit_point: tuple[float, float] | None  # where the path crosses the view's edge
    keep: np.ndarray           # the path points drawn (at most POINTS_CAP, evenly spread)

    @property
    def diverged(self) -> bool:
        return self.story.trace.status.diverged

    @property
    def n_points(self) -> int:
        return len(self.samples)


@dataclass(frozen=True)
class RacePlan:
    """Per frame: the phase (intro, race, hold), the clock in samples seen, and per run the
    index of the path point shown (``index[r, i]``)."""

    phase: np.ndarray
    clock: np.ndarray
    index: np.ndarray
    fps: int

    def __len__(self) -> int:
        return len(self.clock)

    @property
    def duration(self) -> float:
        return len(self) / self.fps


@dataclass(frozen=True)
class Row:
    """A leaderboard row."""

    run: int        # index into RaceStory.runs
    label: str
    loss: float     # full-data loss at the point shown (inf when not finite)
    epoch: float    # epochs done
    status: str     # "running", "done", "left the view", "diverged at step N"


def _frames(seconds: float, fps: int) -> int:
    return max(1, int(round(seconds * fps)))


def race_plan(runs: list[RaceRun], settings: PlanSettings | None = None) -> RacePlan:
    """Intro (every run at its start), the race (the clock runs, eased in: early steps, where
    paths move most, get more frames), and a hold on the end. Durations come from the plan
    settings: the race lasts ``RACE_FACTOR`` x ``fast_forward``; ``target_duration`` scales all."""
    s = (settings or PlanSettings()).validate()
    race_s = s.fast_forward * RACE_FACTOR
    scale = 1.0
    if s.target_duration is not None:
        scale = s.target_duration / (s.intro + race_s + s.hold)
    n_in, n_race, n_hold = (_frames(v * scale, s.fps) for v in (s.intro, race_s, s.hold))
    if s.target_duration is not None:  # rounding up each part must not overrun the target
        n_hold = max(1, min(n_hold, int(s.target_duration * s.fps + 1e-9) - n_in - n_race))
    end = max(float(r.samples[-1]) for r in runs)
    u = np.linspace(0.0, 1.0, n_race) if n_race > 1 else np.ones(1)
    clock = np.concatenate([np.zeros(n_in), end * u ** 2, np.full(n_hold, end)])
    phase = np.concatenate([np.full(n_in, INTRO), np.full(n_race, RACE), np.full(n_hold, HOLD)]).astype(np.int8)
    # The point shown: the last one whose samples are <= the clock (the first at clock 0).
    index = np.stack([np.searchsorted(r.samples, clock, side="right") - 1 for r in runs]).astype(np.int64)
    return RacePlan(phase, clock, np.maximum(index, 0), s.fps)


def _exit(path_a: np.ndarray, path_b: np.ndarray, lim: Limits) -> tuple[int | None, tuple[float, float] | None]:
    """The first path point outside ``lim`` (or not finite), and where the segment to it
    crosses the edge."""
    with np.errstate(invalid="ignore"):
        inside = (np.isfinite(path_a) & np.isfinite(path_b) & (path_a >= lim.x0) & (path_a <= lim.x1)
                  & (path_b >= lim.y0) & (path_b <= lim.y1))
    out = np.flatnonzero(~inside)
    if not len(out):
        return None, None
    k = int(out[0])
    if k == 0:
        return 0, (float(np.clip(path_a[0], lim.x0, lim.x1)), float(np.clip(path_b[0], lim.y0, lim.y1)))
    a0, b0, a1, b1 = float(path_a[k - 1]), float(path_b[k - 1]), float(path_a[k]), float(path_b[k])
    if not (math.isfinite(a1) and math.isfinite(b1)):
        return k, (a0, b0)
    f = 1.0
    for p0, p1, lo_, hi_ in ((a0, a1, lim.x0, lim.x1), (b0, b1, lim.y0, lim.y1)):
        if p1 > hi_:
            f = min(f, (hi_ - p0) / (p1 - p0))
        elif p1 < lo_:
            f = min(f, (lo_ - p0) / (p1 - p0))
    return k, (a0 + f * (a1 - a0), b0 + f * (b1 - b0))


def _union(limits: list[Limits]) -> Limits:
    return Limits(min(l.x0 for l in limits), max(l.x1 for l in limits),
                  min(l.y0 for l in limits), max(l.y1 for l in limits))


class RaceStory:
    """The runs of one comparison, on one clock. ``runs`` is ``[(label, trace), ...]``;
    ``varied`` names the settings the comparison varies (for the title)."""

    def __init__(self, runs: list[tuple[str, Trace]], varied: list[str] | tuple[str, ...] = ()):
        if not runs:
            raise InputError("a race needs at least one run")
        labels = [str(label) for label, _ in runs]
        if len(set(labels)) != len(labels):
            raise InputError(f"race labels must be distinct, got {', '.join(labels)}")
        self.varied = tuple(varied)
        self.traces = [t for _, t in runs]
        first = self.traces[0]
        self.model = first.model
        kinds = list(dict.fromkeys(t.model.describe() for t in self.traces))
        if len(kinds) > 1:
            raise InputError(f"a race draws runs of one model on one picture; these are {', '.join(kinds)}")
        self.words = words_of(self.model)
        # What the loss curves and the leaderboard rank: the full-data loss, or the batch loss
        # of loops recorded without x, y (scenes.story.loss_words); "loss" when runs differ.
        kinds = {full_loss_words(t) for t in self.traces}
        self.loss_words = kinds.pop() if len(kinds) == 1 else "loss"
        self.shared_data = all(np.array_equal(t.x, first.x) and np.array_equal(t.y, first.y)
                               for t in self.traces)
        self.shared = race_plane(runs)  # one plane for all runs (P > 2), else None
        planes = self.shared.planes if self.shared is not None else [None] * len(runs)
        geoms = [Geometry.of(t, pl) for t, pl in zip(self.traces, planes)]
        # One parameter view for all: the union of the views of the runs that stay in theirs
        # (a diverged run's view, even clipped, would shrink the others' paths to dots); a run
        # that leaves it is drawn to the edge, with a mark where it left.
        # (The line's clipped views are its diverged runs'; on a shared plane none is clipped:
        # a diverged run is left out by its status.)
        still = [not g.clipped and (self.is_line or not t.status.diverged) for g, t in zip(geoms, self.traces)]
        calm = [g.params for g, ok in zip(geoms, still) if ok] or [g.params for g in geoms]
        self.params = _union(calm)
        self.fit = _union([g.fit for g, ok in zip(geoms, still) if ok] or [g.fit for g in geoms])
        self.optima = [g.optimum for g in geoms]
        out: list[RaceRun] = []
        for r, ((label, trace), geom, pl) in enumerate(zip(runs, geoms, planes)):
            story = Story(trace, geom, plane=pl)
            lengths = np.asarray(trace.steps["indices"].lengths, dtype=np.int64)
            samples = np.concatenate([[0], np.cumsum(lengths)]).astype(np.float64)
            loss = np.asarray(path_loss(trace), dtype=np.float64)
            k, point = _exit(story.path_a, story.path_b, self.params)
            n = len(samples)
            keep = np.arange(n) if n <= POINTS_CAP else np.unique(np.linspace(0, n - 1, POINTS_CAP).round().astype(np.int64))
            out.append(RaceRun(label, story, OKABE_ITO[r % len(OKABE_ITO)], samples, loss, k, point, keep))
        self.runs = out
        self.n = len(out)

    # ------------------------------------------------------------------ run-wide
    @property
    def grid(self) -> bool:
        """More runs than colours: the views become small multiples, one run each."""
        return self.n > MAX_OVERLAID

    @property
    def fit_multiples(self) -> bool:
        """Small multiples of the fit view: more than 4 lines, or runs on different data."""
        return self.n > MAX_FIT_OVERLAID or not self.shared_data

    @property
    def title(self) -> str:
        what = " × ".join(self.varied) if self.varied else "runs"
        return f"Race: {what}, {self.n} runs"

    @property
    def is_line(self) -> bool:
        return self.model.kind == "line"

    @property
    def axis_labels(self) -> tuple[str, str]:
        """The parameter view's axes: "a (slope)" for the line, the plane's labels else."""
        return ("a (slope)", "b (intercept)") if self.is_line else self.runs[0].story.plane.labels

    @property
    def contour_note(self) -> str:
        """Whose loss the contours are (said on the chart when the runs' data differ) and, for a
        plane through parameter space, what plane it is and how faithful."""
        data = "" if self.shared_data else f"contours: loss on the data of {self.runs[0].label}"
        plane = self.shared.note([r.label for r in self.runs]) if self.shared is not None else ""
        return "\n".join(t for t in (plane, data) if t)

    @cached_property
    def end_clock(self) -> float:
        return max(float(r.samples[-1]) for r in self.runs)

    def contours(self, n: int = 120, run: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The exact loss over the shared parameter view (of run ``run``'s data), and its
        geometric contour levels from just above the least-squares loss to the view's top."""
        t = self.traces[run]
        if self.shared is not None:  # the real loss on the race's plane (of the first run's data)
            g = self.shared.grid
            A, B = np.meshgrid(g.alpha, g.beta)
            L = g.loss
        elif self.is_line:
            A, B, L = loss_grid(self.params, t.x, t.y, n=n)
        else:  # the exact loss of the model's pair
            p = self.params
            xs, ys = np.linspace(p.x0, p.x1, n), np.linspace(p.y0, p.y1, n)
            A, B = np.meshgrid(xs, ys)
            L = pair_loss_grid(t, self.runs[run].story.plane.columns, xs, ys, n)
        return (A, B, *contour_levels(L))

    @cached_property
    def loss_range(self) -> tuple[float, float]:
        """The shared log loss axis: the least finite loss to the highest start loss (a
        diverging run's climb leaves through the top: its mark says where)."""
        lo, hi = np.inf, 0.0
        for r in self.runs:
            fin = r.path_loss[np.isfinite(r.path_loss)]
            if len(fin):
                lo = min(lo, float(fin.min()))
                ok = fin[: len(fin) if r.exit_index is None else r.exit_index]  # the climb inside the view counts
                hi = max(hi, float(ok.max()) if len(ok) else float(fin[0]))
        lo = max(lo if math.isfinite(lo) else 1e-6, 1e-12, hi * 1e-12)
        hi = max(hi, lo * 10)
        return lo / 1.6, hi * 1.6

    def loss_exit(self, r: int) -> int | None:
        """The first path point whose loss is above the loss axis (or not finite)."""
        top = self.loss_range[1]
        bad = np.flatnonzero(~(self.runs[r].path_loss <= top))
        return int(bad[0]) if len(bad) else None

    def loss_mark(self, r: int, k: int) -> tuple[float, float] | None:
        """Where run r's cross sits on the loss view at point k, in (samples seen, loss): where
        its curve left through the top of the axis, or on a diverged run's last point; None
        while the run is on the chart (its head dot shows instead)."""
        run, e = self.runs[r], self.loss_exit(r)
        if e is not None and k >= e:
            return float(run.samples[e]), self.loss_range[1]
        if run.diverged and k >= run.n_points - 1:
            return float(run.samples[k]), float(run.path_loss[k])
        return None

    def clock_text(self, plan: "RacePlan", i: int) -> str:
        """The header's clock at frame i: samples seen of the end, and at the start and finish."""
        phase = int(plan.phase[i])
        state = "start" if phase == INTRO else ("finish" if phase == HOLD else "")
        return (f"{CLOCK_LABEL}: {fmt_samples(plan.clock[i])} of {fmt_samples(self.end_clock)}"
                + (f"  ({state})" if state else ""))

    def colours(self, theme) -> list[str]:
        """Each run's colour as hex, in ``theme`` (the black slot is the theme's text colour)."""
        return [r.colour if r.colour.startswith("#") else theme.color(r.colour) for r in self.runs]

    def tags(self, theme) -> list[str | None]:
        """Per run: None when text in its colour reads on the panel (contrast >= 3), else the
        ink for a tag (black or white text on a patch of the run's colour): yellow on white
        and blue on a dark panel are set that way."""
        panel = theme.color("panel")
        return [None if contrast(c, panel) >= 3.0 else ("#000000" if _luminance(c) > 0.3 else "#FFFFFF")
                for c in self.colours(theme)]

    def plan(self, settings: PlanSettings | None = None) -> RacePlan:
        return race_plan(self.runs, settings)

    # ------------------------------------------------------------------ per frame
    def upto(self, r: int, k: int) -> np.ndarray:
        """The path points drawn up to point k: the kept ones (``RaceRun.keep``), then k."""
        keep = self.runs[r].keep
        idx = keep[:np.searchsorted(keep, k, side="right")]
        return idx if len(idx) and idx[-1] == k else np.append(idx, k).astype(np.int64)

    def path(self, r: int, k: int) -> tuple[np.ndarray, np.ndarray, bool]:
        """Run r's path up to point k inside the view (at most POINTS_CAP + 1 vertices), and
        whether it has left (then it ends at the crossing point, where its mark goes)."""
        run = self.runs[r]
        st = run.story
        if run.exit_index is not None and k >= run.exit_index:
            e = run.exit_index
            idx = self.upto(r, e - 1) if e > 0 else np.zeros(0, dtype=np.int64)
            return (np.append(st.path_a[idx], run.exit_point[0]),
                    np.append(st.path_b[idx], run.exit_point[1]), True)
        idx = self.upto(r, k)
        return st.path_a[idx], st.path_b[idx], False

    def loss_curve(self, r: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Run r's full-data loss against samples seen up to point k, bounded like the path,
        and cut where it leaves the loss axis through the top."""
        run = self.runs[r]
        e = self.loss_exit(r)
        stop = k if e is None else min(k, e - 1)
        if stop < 0:
            return np.zeros(0), np.zeros(0)
        idx = self.upto(r, stop)
        return run.samples[idx], run.path_loss[idx]

    def head(self, r: int, k: int) -> tuple[float, float, bool]:
        """Where run r's head is drawn at point k: the point, or where it left the view."""
        a, b, left = self.path(r, k)
        return float(a[-1]), float(b[-1]), left

    def line(self, r: int, k: int) -> tuple[float, float]:
        """Run r's (a, b) at point k (the fit view draws y = a·x + b)."""
        st = self.runs[r].story
        return float(st.path_a[k]), float(st.path_b[k])

    def curve(self, r: int, k: int, xs: np.ndarray) -> np.ndarray:
        """Run r's model at point k evaluated at ``xs`` (the fit view's curve, any model)."""
        t = self.runs[r].story.trace
        p = t.final_params if k >= t.n_steps else t.params[k]
        with np.errstate(all="ignore"):
            return np.asarray(t.model.predict(p, xs), dtype=np.float64)

    def epoch(self, r: int, k: int) -> float:
        """Epochs done at point k (steps over steps per epoch)."""
        return k / self.runs[r].story.steps_per_epoch

    def status(self, r: int, k: int) -> str:
        run = self.runs[r]
        last = run.n_points - 1
        if k >= last and run.diverged:
            return f"diverged at step {run.story.trace.status.step}"
        if run.exit_index is not None and k >= run.exit_index:
            return "left the view"
        return "done" if k >= last else "running"

    def leaderboard(self, index: np.ndarray) -> list[Row]:
        """Rows at one frame (``index[r]`` = run r's point), lowest loss first; runs whose loss
        is not finite come last, in run order."""
        rows = []
        for r, k in enumerate(index):
            k = int(k)
            loss = float(self.runs[r].path_loss[k])
            rows.append(Row(r, self.runs[r].label, loss if math.isfinite(loss) else math.inf,
                            self.epoch(r, k), self.status(r, k)))
        return sorted(rows, key=lambda row: (row.loss, row.run))

    def label_positions(self, index: np.ndarray, width: float, height: float) -> list[tuple[float, float, str]]:
        """Direct labels at the path heads, in fractions of the parameter view: ``(u, v, ha)``,
        the point the label is anchored at and ``ha`` the side of the text there (``left``: the
        text runs right from u). A label goes right of its head if it fits there, else left of
        it; a label too long for either side slides into the view (then u is not the head's,
        and a backend ties it to its head). Backends leave a gap under LABEL_GAP between anchor
        and text. ``width`` and ``height`` are a label's size (view fractions)."""
        p = self.params
        heads = [self.head(r, int(k))[:2] for r, k in enumerate(index)]
        u = np.array([(a - p.x0) / (p.x1 - p.x0) for a, _ in heads])
        v = np.array([(b - p.y0) / (p.y1 - p.y0) for _, b in heads])
        g = LABEL_GAP
        right_fits, left_fits = u + g + width <= 1.0, u - g - width >= 0.0
        text_right = right_fits | ~left_fits
        anchor = np.where(right_fits | left_fits, u, np.clip(u, 0.0, max(1.0 - width - g, 0.0)))
        # The column a label occupies: to the right of its anchor, or to its left.
        col = np.where(text_right, anchor + width / 2 + g, anchor - width / 2 - g)
        vv = spread_labels(col, v, width, height)
        return [(float(a), float(b), "left" if tr else "right") for a, b, tr in zip(anchor, vv, text_right)]

    def optimum(self, run: int = 0) -> tuple[float, float]:
        return self.optima[run]
