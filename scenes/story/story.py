"""The story of a trace: every quantity a view shows, derived once, in float64.

matplotlib, Manim and the web player draw from a :class:`Story`; none of them derives a
quantity of its own. So a momentum arrow, a caption or a beat boundary cannot differ
between an MP4, a Manim video and the player for the same trace. No drawing, no torch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from scenes.story.captions import caption, segment_captions
from scenes.story.drawable import check_drawable
from training.optimizers import Carry, carry_of, spec_of
from scenes.story.frames import FrameState, frame_state
from scenes.story.geometry import Geometry, loss_grid, sample_shares
from scenes.story.graph import GraphStory
from scenes.story.notes import BeatNumbers, beat_numbers, segment_notes
from scenes.story.plan import FramePlan, PlanSettings, make_plan
from training.batches import batches_per_epoch
from training.linear_model import full_gradient_at
from training.trace import Trace

__all__ = ["Arrow", "Story", "as_story", "nice_scale", "nice_floor", "plan_of", "steps_per_epoch"]

MIN_ARROW = 0.14     # arrows shorter than this fraction of the parameter view are magnified
STEADY_WINDOW = 60   # steps the magnification is judged over: it changes now and then, not every frame
CONTOUR_LEVELS = 14
HIDDEN_ARROW = 1e-4  # arrows shorter than this fraction of the view are not drawn


def nice_floor(x: float) -> float:
    """The largest of 1, 2, 5, 10, 20, ... that is <= x (1 when x < 1)."""
    if x < 1:
        return 1.0
    e = 10 ** math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * e <= x:
            return float(m * e)
    return float(e)


def nice_scale(x: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, ... that is >= x."""
    if x <= 1:
        return 1.0
    e = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if m * e >= x:
            return float(m * e)
    return float(10 * e)


def steps_per_epoch(trace: Trace) -> int:
    """Batches per epoch, from the data size and the settings (never fewer than recorded)."""
    per = batches_per_epoch(len(trace.x), trace.settings.batch_size, trace.settings.drop_last)
    recorded = int(trace.steps["batch"].max()) + 1 if trace.n_steps else 1
    return max(per, recorded, 1)


def plan_of(trace: Trace, settings: PlanSettings | None = None) -> FramePlan:
    """The frame plan of a trace: the one every backend plays."""
    return make_plan(trace.n_steps, steps_per_epoch(trace), settings)


@dataclass(frozen=True)
class Arrow:
    """An arrow in parameter space, in data coordinates (a, b), as drawn (magnified)."""

    start: tuple[float, float]
    end: tuple[float, float]
    clipped: bool = False  # cut short where it left the parameter view (a diverging run)


class Story:
    """A trace's numbers, indexed the way frames need them, plus what is derived from them."""

    def __init__(self, trace: Trace, geometry: Geometry | None = None):
        check_drawable(trace.settings.model)  # the line's views only, for now
        self.trace = trace
        self.settings = trace.settings
        self.geom = geometry or Geometry.of(trace)
        s = trace.steps
        self.n = trace.n_steps
        self.a, self.b = s["a"], s["b"]
        self.a_after, self.b_after = trace.a_after, trace.b_after
        self.loss, self.full_loss = s["loss"], s["full_loss"]
        self.grad_a, self.grad_b = s["grad_a"], s["grad_b"]
        self.update_a, self.update_b = s["update_a"], s["update_b"]
        self.epoch, self.batch_idx = s["epoch"], s["batch"]
        self.lr = self.settings.lr
        self.optimizer = self.settings.optimizer
        self.epochs = self.settings.epochs
        # The path of the parameters: before each step, then the final point.
        self.path_a = np.append(self.a, trace.final_a)
        self.path_b = np.append(self.b, trace.final_b)
        self.carry: Carry | None = carry_of(trace)

    # ------------------------------------------------------------------ run-wide
    @property
    def plain_sgd(self) -> bool:
        """The update is exactly −lr·g: the article's rule."""
        return spec_of(self.settings).plain(self.settings)

    @cached_property
    def steps_per_epoch(self) -> int:
        return steps_per_epoch(self.trace)

    @cached_property
    def full_loss_after(self) -> np.ndarray:
        """The full-data loss after each step."""
        return self.trace.full_loss_at(self.a_after, self.b_after) if self.n else np.zeros(0)

    @property
    def start_full_loss(self) -> float:
        a, b = self.ab_before(0)
        return float(self.trace.full_loss_at(a, b))

    @cached_property
    def full_step(self) -> tuple[np.ndarray, np.ndarray]:
        """Per step, the full-batch gradient step −lr·∇L(all data) at the step's parameters."""
        if not self.n:
            return np.zeros(0), np.zeros(0)
        ga, gb = full_gradient_at(self.a, self.b, self.trace.x, self.trace.y)
        return -self.lr * np.asarray(ga), -self.lr * np.asarray(gb)

    def plan(self, settings: PlanSettings | None = None) -> FramePlan:
        return plan_of(self.trace, settings)

    @cached_property
    def graph(self) -> GraphStory:
        """The recorded autograd graphs, laid out, and what each frame shows of them: every
        backend's graph view draws from this, none reads ``trace.graphs`` itself."""
        return GraphStory(self)

    def caption(self, beat: int, first: int, last: int | None = None) -> str:
        return caption(self, beat, first, last)

    def captions(self, plan: FramePlan) -> list[tuple[int, int, str]]:
        return segment_captions(self, plan)

    def beat_numbers(self, k: int) -> "BeatNumbers":
        """Step k's batch: x, y, ŷ, residuals, gradient shares, L and the update."""
        return beat_numbers(self, k)

    def notes(self, plan: FramePlan) -> list[list[str]]:
        """Speaker notes per plan segment (the lines of scenes.story.notes.notes), as the
        captions are per segment: the deck, manim-slides and the presenter page read them."""
        return segment_notes(self, plan)

    def contours(self, n: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The exact loss over the parameter view on an n×n grid, and its contour levels
        (geometric, from just above the least-squares loss to the view's highest loss)."""
        A, B, L = loss_grid(self.geom.params, self.trace.x, self.trace.y, n=n)
        lmin = max(float(L.min()), 1e-12)
        levels = np.geomspace(lmin * 1.05 + 1e-9, float(L.max()), CONTOUR_LEVELS)
        return A, B, L, levels

    # ------------------------------------------------------------------ per step
    def ab_before(self, k: int) -> tuple[float, float]:
        if self.n == 0:
            return float(self.trace.final_a), float(self.trace.final_b)
        return float(self.a[k]), float(self.b[k])

    def ab_after(self, k: int) -> tuple[float, float]:
        return float(self.a_after[k]), float(self.b_after[k])

    def batch(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x, y, ŷ and ŷ − y of step k's batch (ŷ as autograd computed it, in float32)."""
        st = self.trace.steps
        idx = np.asarray(st["indices"][k], dtype=np.int64)
        return (self.trace.x[idx], self.trace.y[idx], np.asarray(st["pred"][k], dtype=np.float64),
                np.asarray(st["residual"][k], dtype=np.float64))

    def batch_size_at(self, k: int) -> int:
        return len(self.trace.steps["indices"][k])

    def shares(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Each sample's share of ∂L/∂a and ∂L/∂b in step k's batch (they sum to the gradient)."""
        xb, _, _, res = self.batch(k)
        return sample_shares(xb, res)

    @cached_property
    def vector_columns(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per arrow key, the per-step steps drawn, unmagnified: ``update`` applied, ``full``
        (−lr·∇L on all data), and ``carry`` (what the optimizer carried over) when it has it."""
        out = {"update": (self.update_a, self.update_b), "full": self.full_step}
        if self.carry is not None:
            out["carry"] = (self.carry.a, self.carry.b)
        return out

    def vectors(self, k: int) -> dict[str, tuple[float, float]]:
        """:attr:`vector_columns` at step k."""
        return {key: (float(da[k]), float(db[k])) for key, (da, db) in self.vector_columns.items()}

    def arrows(self, k: int, grow: float = 1.0) -> dict[str, Arrow]:
        """The arrows of step k as drawn: from (a_k, b_k), magnified by ``arrow_scale[k]``,
        grown to the fraction ``grow``, cut at the view's edge (``clipped``). Arrows too
        short to see are left out, and all of them when the point has left the view."""
        a0, b0 = self.ab_before(k)
        sa, sb = self._span
        out = {}
        for key, (va, vb, inside) in self.arrow_table.items():
            fin, da, db = float(inside[k]), float(va[k]), float(vb[k])
            if math.isnan(fin) or math.hypot(da / sa, db / sb) * grow < HIDDEN_ARROW:
                continue
            f = min(grow, fin)
            out[key] = Arrow((a0, b0), (a0 + f * da, b0 + f * db), clipped=grow > fin)
        return out

    @cached_property
    def arrow_table(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per arrow key, per step: ``(va, vb, inside)``, the arrow magnified by
        ``arrow_scale`` as a vector from (a_k, b_k), and the fraction of it inside the
        parameter view (1 when it stays inside; NaN when the point has left the view).
        :meth:`arrows` reads it; so does the web player, which draws without deriving."""
        if not self.n:
            return {}
        g = self.geom.params
        f = np.asarray(self.arrow_scale, dtype=np.float64)
        in_view = (self.a >= g.x0) & (self.a <= g.x1) & (self.b >= g.y0) & (self.b <= g.y1)
        out = {}
        for key, (da, db) in self.vector_columns.items():
            va, vb = da * f, db * f
            inside = np.ones(self.n)
            with np.errstate(divide="ignore", invalid="ignore"):
                for p, d, lo, hi in ((self.a, va, g.x0, g.x1), (self.b, vb, g.y0, g.y1)):
                    over = np.where(p + d > hi, (hi - p) / d, np.where(p + d < lo, (lo - p) / d, 1.0))
                    inside = np.minimum(inside, over)
            out[key] = (va, vb, np.where(in_view, inside, np.nan))
        return out

    @property
    def _span(self) -> tuple[float, float]:
        p = self.geom.params
        return p.x1 - p.x0, p.y1 - p.y0

    @cached_property
    def arrow_scale(self) -> np.ndarray:
        """Per step, the magnification that makes the arrows visible, judged over the last
        STEADY_WINDOW steps (a flickering ×50, ×100, ×50 would make lengths meaningless),
        and capped so the magnified arrows stay inside the parameter view."""
        if not self.n:
            return np.ones(0)
        vecs = list(self.vector_columns.values())
        sa, sb = self._span
        longest = np.max([np.hypot(da / sa, db / sb) for da, db in vecs], axis=0)
        g = self.geom.params
        room = np.full(self.n, np.inf)  # how many times the arrows fit before leaving the view
        with np.errstate(divide="ignore", invalid="ignore"):
            for da, db in vecs:
                for p, d, lo, hi in ((self.a, da, g.x0, g.x1), (self.b, db, g.y0, g.y1)):
                    fit = np.where(d > 0, (hi - p) / d, np.where(d < 0, (lo - p) / d, np.inf))
                    room = np.minimum(room, np.where(fit > 0, fit, np.inf))
        w = STEADY_WINDOW
        windows = np.lib.stride_tricks.sliding_window_view
        # The shortest of the recent longest arrows sets the magnification (every batch's arrows
        # stay visible); the tightest recent room caps it (they stay in the view).
        short = np.nanmin(windows(np.concatenate([np.full(w - 1, np.nan), longest]), w), axis=1)
        e = max(1, min(w, self.steps_per_epoch))  # room: over one epoch's cycle of batches only
        tight = np.min(windows(np.concatenate([np.full(e - 1, np.inf), room]), e), axis=1)
        scales = [nice_scale(MIN_ARROW / m) if m > 0 else 1.0 for m in short]
        out = np.array([min(sc, nice_floor(r * 0.95)) if sc > r else sc for sc, r in zip(scales, tight)])
        return np.minimum(out, 1e6)

    # ------------------------------------------------------------------ per frame
    def state(self, k: int, beat: int, t: float) -> FrameState:
        return frame_state(self, k, beat, t)


def as_story(run: Trace | Story) -> Story:
    """The story of a run: a Story is handed down as it is (built once per run, by the
    pipeline); a bare Trace gets its own."""
    return run if isinstance(run, Story) else Story(run)
