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
from scenes.story.gradients import carry_vectors, full_gradient
from scenes.story.loss_words import full_loss_words, path_loss_words
from scenes.story.model_words import ModelWords, words_of
from scenes.story.plane import PlaneStory, plane_of
from training.optimizers import Carry, carry_of, spec_of
from scenes.story.frames import FrameState, frame_state
from scenes.story.geometry import Geometry, fit_xs, loss_grid, sample_shares
from scenes.story.landscape import HUGE
from scenes.story.graph import GraphStory
from scenes.story.notes import BeatNumbers, beat_numbers, segment_notes
from scenes.story.plan import FramePlan, PlanSettings, make_plan
from training.batches import batches_per_epoch
from training.linear_model import full_gradient_at
from training.trace import Trace

__all__ = ["Arrow", "Story", "as_story", "nice_scale", "nice_floor", "plan_of", "steps_per_epoch",
           "FULL_STEP_LABEL", "FULL_STEP_UNKNOWN", "UPDATE_LABEL", "CONTOUR_LEVELS", "contour_levels"]

MIN_ARROW = 0.14     # arrows shorter than this fraction of the parameter view are magnified
MAX_MAGNIFY = 1e6    # ... at most this many times
STEADY_WINDOW = 60   # steps the magnification is judged over: it changes now and then, not every frame
CONTOUR_LEVELS = 14


def contour_levels(L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The loss grid as every backend fills it, and its geometric contour levels from just
    above its lowest loss to its highest. Where the loss is not known (NaN: a recorded
    module's pair grid that ends inside the view) it is drawn as the highest; a grid of one
    value (a module whose loss is known nowhere off its path) is one band."""
    known = np.isfinite(L)
    if not known.all():
        L = np.where(known, L, float(L[known].max()) if known.any() else 1.0)
    L = np.minimum(L, HUGE)  # (a trace's grid may hold up to 1.8e308: past 1e30, the highest band)
    lmin = max(float(L.min()), 1e-12)
    lo, hi = lmin * 1.05 + 1e-9, float(L.max())
    return L, np.geomspace(lo, hi if hi > lo else lo * 10, CONTOUR_LEVELS)
HIDDEN_ARROW = 1e-4  # arrows shorter than this fraction of the view are not drawn
# The legends' words for the full-batch arrow, and for a run whose full-data gradient is not
# known (a module recorded from its own loop): then no such arrow is drawn, and they say so.
FULL_STEP_LABEL = "full-batch step −lr·∇L"
UPDATE_LABEL = "update applied"  # the arrow of the step the optimizer really took
FULL_STEP_UNKNOWN = "full-batch step: not known"


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
    """An arrow in the parameter plane, in the plane's coordinates, as drawn (magnified)."""

    start: tuple[float, float]
    end: tuple[float, float]
    clipped: bool = False  # cut short where it left the parameter view (a diverging run)


class Story:
    """A trace's numbers, indexed the way frames need them, plus what is derived from them.

    Any model (training.models): the parameters are a vector of P (``params``, ``grads``,
    ``updates``, each (steps, P)); the parameter view is a plane (:attr:`plane`): the model's
    own pair for P = 2, a plane through parameter space for more. Its coordinates are ``u``
    and ``v`` (before each step), ``u_after``, ``v_after``, the update ``du``, ``dv`` and the
    gradient ``gu``, ``gv`` as arrows in it. The line's names (``a``, ``b``, ``grad_a``, ...)
    are the same arrays, kept for the views of the line (the article's names)."""

    def __init__(self, trace: Trace, geometry: Geometry | None = None, plane: PlaneStory | None = None):
        self.trace = trace
        self.settings = trace.settings
        self.model = trace.model
        self.param_names = tuple(trace.param_names)
        self.words: ModelWords = words_of(self.model)
        # ``plane``: a plane given by the caller (a race's one plane for all its runs).
        self.plane: PlaneStory = plane if plane is not None else plane_of(trace)
        self.geom = geometry or Geometry.of(trace, self.plane)
        s = trace.steps
        self.n = trace.n_steps
        self.params, self.grads, self.updates = trace.params, trace.grads, trace.updates
        # The path in the plane: before each step, then the final point.
        self.path_u, self.path_v = self.plane.path_u, self.plane.path_v
        self.u, self.v = self.path_u[:-1], self.path_v[:-1]
        self.u_after, self.v_after = self.path_u[1:], self.path_v[1:]
        self.du, self.dv = self.plane.coords(self.updates) if self.n else (np.zeros(0), np.zeros(0))
        self.gu, self.gv = self.plane.coords(self.grads) if self.n else (np.zeros(0), np.zeros(0))
        self.loss, self.full_loss = s["loss"], s["full_loss"]
        self.epoch, self.batch_idx = s["epoch"], s["batch"]
        self.lr = self.settings.lr
        self.optimizer = self.settings.optimizer
        self.epochs = self.settings.epochs
        self.carry: Carry | None = self._carry()

    def _carry(self) -> Carry | None:
        if self.trace.schema_version == 1:
            return carry_of(self.trace)
        got = carry_vectors(self.trace) if self.n else None
        return None if got is None else Carry(got[0], *self.plane.coords(got[1]))

    # The line's names for the plane's coordinates (its plane is (a, b)): the backends that
    # draw only the line read these.
    a = property(lambda self: self.u)
    b = property(lambda self: self.v)
    a_after = property(lambda self: self.u_after)
    b_after = property(lambda self: self.v_after)
    update_a = property(lambda self: self.du)
    update_b = property(lambda self: self.dv)
    grad_a = property(lambda self: self.gu)
    grad_b = property(lambda self: self.gv)
    path_a = property(lambda self: self.path_u)
    path_b = property(lambda self: self.path_v)

    # ------------------------------------------------------------------ run-wide
    @property
    def exact_plane(self) -> bool:
        """The plane is the model's own pair of parameters (P = 2), not a projection."""
        return self.plane.exact

    @property
    def final_uv(self) -> tuple[float, float]:
        return float(self.path_u[-1]), float(self.path_v[-1])

    @property
    def plain_sgd(self) -> bool:
        """The update is exactly −lr·g: the article's rule."""
        return spec_of(self.settings).plain(self.settings)

    @cached_property
    def steps_per_epoch(self) -> int:
        return steps_per_epoch(self.trace)

    def full_loss_of(self, params: np.ndarray) -> float:
        """The full-data loss at a parameter vector, float64."""
        return float(self.trace.loss_at(np.asarray(params, dtype=np.float64)))

    @cached_property
    def full_loss_after(self) -> np.ndarray:
        """The full-data loss after each step."""
        if not self.n:
            return np.zeros(0)
        if self.trace.schema_version == 1:
            return self.trace.full_loss_at(self.a_after, self.b_after)
        return self.trace.loss_at(self.trace.params_after)

    @property
    def start_full_loss(self) -> float:
        if self.trace.schema_version == 1:
            a, b = self.uv_before(0)
            return float(self.trace.full_loss_at(a, b))
        return self.full_loss_of(self.params_before(0))

    @cached_property
    def full_step(self) -> tuple[np.ndarray, np.ndarray]:
        """Per step, the full-batch gradient step −lr·∇L(all data) at the step's parameters,
        as an arrow in the plane."""
        if not self.n:
            return np.zeros(0), np.zeros(0)
        if self.trace.schema_version == 1:
            ga, gb = full_gradient_at(self.a, self.b, self.trace.x, self.trace.y)
            return -self.lr * np.asarray(ga), -self.lr * np.asarray(gb)
        g = full_gradient(self.model, self.params, self.trace.x, self.trace.y)
        gu, gv = self.plane.coords(g)
        return -self.lr * gu, -self.lr * gv

    @property
    def full_loss_words(self) -> str:
        """What ``full_loss`` is, in every backend's labels (:mod:`scenes.story.loss_words`):
        the batch loss for a loop recorded without x, y."""
        return full_loss_words(self.trace)

    @property
    def path_loss_words(self) -> str:
        """What ``start_full_loss`` and ``full_loss_after`` are (:mod:`scenes.story.loss_words`)."""
        return path_loss_words(self.trace)

    @cached_property
    def full_step_known(self) -> bool:
        """Whether any step's full-batch step is known (a recorded module's never is: its
        gradient off the recorded batches is NaN). When not, there is no ``full`` arrow."""
        fu, fv = self.full_step
        return not self.n or bool(np.any(np.isfinite(fu) & np.isfinite(fv)))

    @property
    def full_step_label(self) -> str:
        """The legend's words for the full-batch arrow (every backend's)."""
        return FULL_STEP_LABEL if self.full_step_known else FULL_STEP_UNKNOWN

    @cached_property
    def grad_norm(self) -> np.ndarray:
        """|∇L| of each step's batch gradient (every parameter, not the plane's share)."""
        return np.linalg.norm(self.grads, axis=1) if self.n else np.zeros(0)

    @cached_property
    def update_norm(self) -> np.ndarray:
        return np.linalg.norm(self.updates, axis=1) if self.n else np.zeros(0)

    def top_updates(self, k: int, m: int = 3) -> list[tuple[str, float]]:
        """Step k's ``m`` largest parameter updates by size: (name, update)."""
        row = self.updates[k]
        order = np.argsort(-np.abs(row), kind="stable")[:m]
        return [(self.param_names[i], float(row[i])) for i in order]

    @cached_property
    def fit_xs(self) -> np.ndarray:
        """Where a fit view samples the model's curve: FIT_SAMPLES x values across the view
        (the line's two ends, for the line)."""
        g = self.geom.fit
        return np.array([g.x0, g.x1]) if self.trace.schema_version == 1 else fit_xs(g)

    def curve(self, params: np.ndarray) -> np.ndarray:
        """The model's prediction (logistic: the probability) at :attr:`fit_xs` for a
        parameter vector (P,), or for each row of (K, P); NaN or inf where it overflows."""
        with np.errstate(all="ignore"):
            return self.model.predict(np.asarray(params, dtype=np.float64), self.fit_xs)

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
        """The loss over the parameter view and its contour levels (geometric, from just above
        the lowest loss to the view's highest). The line: the exact MSE on an n×n grid; another
        pair: the model's exact loss likewise; a plane through parameter space: the
        landscape's grid (the real full-data loss at each node)."""
        p = self.plane
        if self.trace.schema_version == 1:
            A, B, L = loss_grid(self.geom.params, self.trace.x, self.trace.y, n=n)
        elif p.exact:
            g = self.geom.params
            A, B = np.meshgrid(np.linspace(g.x0, g.x1, n), np.linspace(g.y0, g.y1, n))
            vec = np.zeros(A.shape + (len(self.param_names),))
            vec[..., p.columns[0]], vec[..., p.columns[1]] = A, B
            with np.errstate(all="ignore"):
                L = self.trace.loss_at(vec)
        else:
            A, B = np.meshgrid(p.land.grid_alpha, p.land.grid_beta)
            L = p.land.grid_loss
        return (A, B, *contour_levels(L))

    # ------------------------------------------------------------------ per step
    def uv_before(self, k: int) -> tuple[float, float]:
        """The plane's point before step k (the final point when nothing was recorded)."""
        if self.n == 0:
            return self.final_uv
        return float(self.u[k]), float(self.v[k])

    def uv_after(self, k: int) -> tuple[float, float]:
        return float(self.u_after[k]), float(self.v_after[k])

    ab_before = uv_before  # the line's names
    ab_after = uv_after

    def params_before(self, k: int) -> np.ndarray:
        """The parameter vector before step k (the final one when nothing was recorded)."""
        return self.trace.final_params if self.n == 0 else self.params[k]

    def params_after_step(self, k: int) -> np.ndarray:
        return self.params[k + 1] if k + 1 < self.n else self.trace.final_params

    def batch(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x, y, ŷ and ŷ − y of step k's batch (ŷ as autograd computed it, in float32;
        logistic: the probability p and p − y)."""
        st = self.trace.steps
        idx = np.asarray(st["indices"][k], dtype=np.int64)
        return (self.trace.x[idx], self.trace.y[idx], np.asarray(st["pred"][k], dtype=np.float64),
                np.asarray(st["residual"][k], dtype=np.float64))

    def batch_size_at(self, k: int) -> int:
        return len(self.trace.steps["indices"][k])

    def shares(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Each sample's share of the two partial derivatives in step k's batch (they sum to
        the gradient): P = 2 only (``words.shares``)."""
        xb, _, _, res = self.batch(k)
        if self.trace.schema_version == 1:
            return sample_shares(xb, res)
        if not self.words.shares:
            raise ValueError(f"a model of {len(self.param_names)} parameters has no table of shares")
        # logistic: the residual p − y is each sample's dL/dz; z = w·x + b
        return res * xb / len(xb), res / len(xb)

    @cached_property
    def vector_columns(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per arrow key, the per-step steps drawn, unmagnified: ``update`` applied, ``full``
        (−lr·∇L on all data) when known (:attr:`full_step_known`), and ``carry`` (what the
        optimizer carried over) when it has it. A step's vector may be NaN or inf (a diverged
        run): :attr:`arrow_table` leaves its arrow out."""
        out = {"update": (self.du, self.dv)}
        if self.full_step_known:  # an unknown one is not drawn (nor handed to a backend)
            out["full"] = self.full_step
        if self.carry is not None:
            out["carry"] = (self.carry.a, self.carry.b)
        return out

    def vectors(self, k: int) -> dict[str, tuple[float, float]]:
        """:attr:`vector_columns` at step k."""
        return {key: (float(da[k]), float(db[k])) for key, (da, db) in self.vector_columns.items()}

    def arrows(self, k: int, grow: float = 1.0) -> dict[str, Arrow]:
        """The arrows of step k as drawn: from the step's point, magnified by ``arrow_scale[k]``,
        grown to the fraction ``grow``, cut at the view's edge (``clipped``). Arrows too
        short to see are left out, and all of them when the point has left the view."""
        u0, v0 = self.uv_before(k)
        su, sv = self._span
        out = {}
        for key, (vu, vv, inside) in self.arrow_table.items():
            fin, du, dv = float(inside[k]), float(vu[k]), float(vv[k])
            if not (math.isfinite(fin) and math.isfinite(du) and math.isfinite(dv)) or math.hypot(du / su, dv / sv) * grow < HIDDEN_ARROW:
                continue
            f = min(grow, fin)
            out[key] = Arrow((u0, v0), (u0 + f * du, v0 + f * dv), clipped=grow > fin)
        return out

    @cached_property
    def arrow_table(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per arrow key, per step: ``(vu, vv, inside)``, the arrow magnified by
        ``arrow_scale`` as a vector from the step's point, and the fraction of it inside the
        parameter view (1 when it stays inside; NaN when the point has left the view).
        :meth:`arrows` reads it; so does the web player, which draws without deriving."""
        if not self.n:
            return {}
        g = self.geom.params
        f = np.asarray(self.arrow_scale, dtype=np.float64)
        in_view = (self.u >= g.x0) & (self.u <= g.x1) & (self.v >= g.y0) & (self.v <= g.y1)
        out = {}
        for key, (du, dv) in self.vector_columns.items():
            vu, vv = du * f, dv * f
            inside = np.ones(self.n)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                for p, d, lo, hi in ((self.u, vu, g.x0, g.x1), (self.v, vv, g.y0, g.y1)):
                    over = np.where(p + d > hi, (hi - p) / d, np.where(p + d < lo, (lo - p) / d, 1.0))
                    inside = np.minimum(inside, over)
            finite = np.isfinite(vu) & np.isfinite(vv)  # no arrow of a vector that is not finite
            out[key] = (vu, vv, np.where(in_view & finite, inside, np.nan))
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
        su, sv = self._span
        # the longest finite arrow of each step (NaN when none is: a step that shows no arrow)
        with np.errstate(invalid="ignore", over="ignore"):
            lengths = [np.hypot(du / su, dv / sv) for du, dv in vecs]
        longest = np.fmax.reduce([np.where(np.isfinite(n), n, np.nan) for n in lengths], axis=0)
        g = self.geom.params
        room = np.full(self.n, np.inf)  # how many times the arrows fit before leaving the view
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for du, dv in vecs:
                for p, d, lo, hi in ((self.u, du, g.x0, g.x1), (self.v, dv, g.y0, g.y1)):
                    fit = np.where(d > 0, (hi - p) / d, np.where(d < 0, (lo - p) / d, np.inf))
                    room = np.minimum(room, np.where(fit > 0, fit, np.inf))
        w = STEADY_WINDOW
        windows = np.lib.stride_tricks.sliding_window_view
        # The shortest of the recent longest arrows sets the magnification (every batch's arrows
        # stay visible); the tightest recent room caps it (they stay in the view).
        # (inf stands for "no arrow": the padding and steps whose arrows are all unknown)
        padded = np.concatenate([np.full(w - 1, np.inf), np.where(np.isnan(longest), np.inf, longest)])
        short = np.min(windows(padded, w), axis=1)
        e = max(1, min(w, self.steps_per_epoch))  # room: over one epoch's cycle of batches only
        tight = np.min(windows(np.concatenate([np.full(e - 1, np.inf), room]), e), axis=1)
        # (an arrow of 5e-324 would magnify to infinity: past MAX_MAGNIFY the cap applies anyway)
        scales = [nice_scale(MIN_ARROW / max(m, MIN_ARROW / (10 * MAX_MAGNIFY))) if 0 < m < np.inf else 1.0
                  for m in short]
        out = np.array([min(sc, nice_floor(r * 0.95)) if sc > r else sc for sc, r in zip(scales, tight)])
        return np.minimum(out, MAX_MAGNIFY)

    # ------------------------------------------------------------------ per frame
    def state(self, k: int, beat: int, t: float) -> FrameState:
        return frame_state(self, k, beat, t)


def as_story(run: Trace | Story) -> Story:
    """The story of a run: a Story is handed down as it is (built once per run, by the
    pipeline); a bare Trace gets its own."""
    return run if isinstance(run, Story) else Story(run)
