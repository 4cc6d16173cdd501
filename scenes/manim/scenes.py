"""Manim scenes: the article's Walkthrough, and the Fit, Loss and Params scenes.

``construct()`` only composes: the frame plan's segments give every ``play`` its frame
count, and each panel answers each beat with a few animations. The fast-forward is one
``ValueTracker`` swept over the FAST segment's step array, with updaters on the line, the
path, the loss curve and the counters, so a 10,000-step run costs what a 300-step run does.
"""
from __future__ import annotations

from typing import Callable

from manim import FadeIn, ValueTracker, linear

from scenes.manim.live import LiveScene
from scenes.manim.panels.fit import FitPanel
from scenes.manim.panels.graph import GraphPanel
from scenes.manim.panels.header import Header
from scenes.manim.panels.loss import LossPanel
from scenes.manim.panels.math import MathPanel
from scenes.manim.panels.model_math import ModelMathPanel
from scenes.manim.panels.params import ParamsPanel
from scenes.manim.panels.table import TablePanel
from scenes.manim.style import Style, register_font
from scenes.story.captions import fit_title
from scenes.story.plan import (FAST, FORWARD, GRADIENT, HOLD, INTRO, RESIDUALS, UPDATE, FramePlan,
                         Segment)
from scenes.story.story import Story, as_story, plan_of
from scenes.story.theme import Theme
from training.trace import Trace

__all__ = ["SCENES", "TraceScene", "Walkthrough", "FitScene", "LossScene", "ParamsScene",
           "BackpropScene", "plan_for"]

# Frame of Manim's default camera: 14.22 x 8 units, for any 16:9 pixel size.
HALF_W, HALF_H = 8.0 * 16 / 9 / 2, 4.0
FULL = dict(center=(0.0, -0.35), width=11.6, height=6.0)
HEADER_BOTTOM = 2.8  # the header (title, counters, caption) owns the band above this


def place(panel, name: str, cell: tuple[float, float, float, float]):
    """Give ``panel`` its name and cell for the layout check; its plot area, if it has one,
    is its data rectangle. Returns the panel."""
    panel.layout_name, panel.layout_cell = name, cell
    P = getattr(panel, "panel", None)
    if P is not None:
        panel.layout_area = (P.x0, P.y0, P.x0 + P.w, P.y0 + P.h)
    return panel


def plan_for(trace: Trace, settings) -> FramePlan:
    return plan_of(trace, settings)


class TraceScene(LiveScene):
    """Shared driver: builds panels, then plays the plan segment by segment (each frame shows
    what the scene holds then: :class:`~scenes.manim.live.LiveScene`)."""

    @property
    def title(self) -> str:
        """The walkthrough's words before the formula, as matplotlib's: "Adam fits". The
        single-view scenes name their view instead (a class attribute overrides this)."""
        return fit_title(self.story.optimizer)

    def __init__(self, trace: Trace | Story, theme: Theme, plan: FramePlan,
                 on_segment: Callable[["TraceScene", Segment], None] | None = None, **kwargs):
        """``on_segment(scene, segment)``, when given, is called after each segment has played
        (the layout check looks at every beat boundary through it)."""
        self.story = as_story(trace)  # the pipeline's Story when it passes one
        self.trace, self.theme, self.plan = self.story.trace, theme, plan
        self.style = Style(theme)
        self.fps = plan.fps
        self.on_segment = on_segment
        super().__init__(**kwargs)

    # -- to override
    def build(self) -> list:
        raise NotImplementedError

    def on_beat(self, seg: Segment) -> None:
        """Called before each segment (a beat, the fast-forward, the hold) plays. Nothing
        here; a manim-slides ``Slide`` (:mod:`scenes.manim.slides`) starts a slide."""

    def on_fast_start(self) -> tuple[list, list]:
        """Animations that open the fast-forward (played over its first half second)."""
        return [], []

    # -- driver
    def construct(self) -> None:
        from manim import Mobject

        register_font()
        self.camera.background_color = self.style.c("background")
        self.header = place(Header(self.style, self.story, self.title), "header",
                            (-HALF_W, HEADER_BOTTOM, HALF_W, HALF_H))
        self.panels = [*self.build(), self.header]
        self.static_list = [m for p in self.panels for m in p.statics()]
        # Cairo redraws, each frame, everything after the first mobject with an updater;
        # the sentinel marks that boundary: statics before it go into the cached background.
        self.sentinel = Mobject()
        self.sentinel.add_updater(lambda m, dt: None)
        self.add(*self.static_list, self.sentinel, *[m for p in self.panels for m in p.dynamics()])
        for seg in self.plan.segments():
            self.on_beat(seg)
            self.play_segment(seg)
            if self.on_segment is not None:
                self.on_segment(self, seg)

    def restack(self) -> None:
        """Statics back in front of the sentinel, fresh mobjects after it; drop empty groups."""
        statics = [m for m in self.static_list if m in self.mobjects]
        keep = set(map(id, statics))
        known = {id(m) for p in self.panels for m in p.dynamics()}
        rest = [m for m in self.mobjects if id(m) not in keep and m is not self.sentinel
                and not isinstance(m, ValueTracker)
                and (id(m) in known or m.submobjects or m.has_points())]
        self.mobjects = [*statics, self.sentinel, *rest]

    def frames(self, n: int, anims: list) -> None:
        """Play exactly ``n`` frames (Manim renders ceil(run_time * fps) of them)."""
        if n <= 0:
            return
        if anims:
            self.play(*anims, run_time=(n - 0.5) / self.fps)
        else:
            self.wait((n + 0.5) / self.fps, frozen_frame=True)
        self.restack()

    def caption(self, seg: Segment) -> list:
        s = self.story
        text = s.caption(seg.beat, int(seg.steps[0]), int(seg.steps[-1]))
        color = "diverged" if seg.beat == HOLD and s.trace.status.diverged else "muted"
        return self.header.set_caption(text, color)

    def play_segment(self, seg: Segment) -> None:
        n, k, beat = seg.n_frames, int(seg.steps[0]), seg.beat
        anims = self.caption(seg)
        if beat == FAST:
            self.fast(seg, anims)
            return
        method = {INTRO: "intro", FORWARD: "forward", RESIDUALS: "residuals",
                  GRADIENT: "gradient", UPDATE: "update", HOLD: "hold"}[beat]
        for p in self.panels:
            fn = getattr(p, method)
            anims += fn() if beat in (INTRO, HOLD) else fn(k)
        self.frames(n, anims)

    def fast(self, seg: Segment, anims: list) -> None:
        n = seg.n_frames
        tracker = ValueTracker(0.0)

        def index() -> int:
            return min(max(int(round(tracker.get_value())), 0), n - 1)

        for p in self.panels:
            anims += p.fast_begin(seg.steps, index)
        opening, to_back = self.on_fast_start()
        if opening and hasattr(self, "loss") and self.loss not in self.panels:
            self.panels.insert(-1, self.loss)
            anims += self.loss.fast_begin(seg.steps, index)
        first = min(n, max(1, int(round(0.5 * self.fps)))) if opening else n
        # Two plays at most: the opening cross-fade, then the long sweep with only the
        # moving parts redrawn per frame.
        self.play_tracker(tracker, 0, first, [*anims, *opening])
        if n > first:
            self.play_tracker(tracker, first, n - first, [])
        for p in self.panels:
            p.fast_end()

    def play_tracker(self, tracker: ValueTracker, start: int, count: int, anims: list) -> None:
        tracker.set_value(start)
        # Linear from start to start + count - 0.5 over (count - 0.5) frame times: the value
        # at frame j is exactly start + j.
        self.frames(count, [tracker.animate(rate_func=linear).set_value(start + count - 0.5), *anims])


def _walk_layout():
    return dict(fit=((-3.55, 1.05), 6.0, 3.2), params=((3.85, 1.05), 5.5, 3.2),
                math=((-6.95, -1.25), 7.1, 2.7), table=((0.55, -1.25), 6.4, 2.7),
                loss=((0.35, -2.35), 12.6, 1.7))


# The walkthrough's cells (x0, y0, x1, y1): fit and parameters side by side under the header,
# the formulas and the table below them, and the loss curve in their place at the fast-forward.
WALK_CELLS = dict(fit=(-HALF_W, -1.15, 0.0, HEADER_BOTTOM), params=(0.0, -1.15, HALF_W, HEADER_BOTTOM),
                  math=(-HALF_W, -HALF_H, 0.3, -1.15), table=(0.3, -HALF_H, HALF_W, -1.15),
                  loss=(-HALF_W, -HALF_H, HALF_W, -1.15))
FULL_CELL = (-HALF_W, -HALF_H, HALF_W, HEADER_BOTTOM)


class Walkthrough(TraceScene):
    """The article told visually: detail beats for the first epoch, then fast-forward."""

    def build(self):
        L = _walk_layout()
        st, s = self.style, self.story
        C = WALK_CELLS
        shown = range(self.plan.detail_steps)  # the steps whose arrows the walkthrough shows
        self.fit = place(FitPanel(st, s, *L["fit"], left=C["fit"][0]), "fit", C["fit"])
        self.params = place(ParamsPanel(st, s, *L["params"], cell=C["params"],
                                        arrow_steps=shown), "params", C["params"])
        maths = MathPanel if s.trace.schema_version == 1 else ModelMathPanel  # the article's a and b, or the model's words
        self.math = place(maths(st, s, *L["math"]), "math", C["math"])
        if s.graph.available:
            # A run that recorded its autograd graphs shows autograd's own walk where the
            # table was: the same beats, read off PyTorch's graph (the formulas stay beside it).
            self.table = place(GraphPanel(st, s, C["table"], rules=False, headline=False, compact=True), "graph", C["table"])
        else:
            self.table = place(TablePanel(st, s, *L["table"]), "table", C["table"])
        self.loss = place(LossPanel(st, s, *L["loss"], left=C["loss"][0], top=C["loss"][3]), "loss", C["loss"])
        panels = [self.fit, self.params, self.math, self.table]
        return panels  # the loss panel enters at the fast-forward (on_fast_start)

    def on_fast_start(self):
        self.loss.show_upto(int(self.plan.detail_steps) - 1)
        statics = self.loss.statics()
        self.static_list.extend(statics)
        leaving = [*self.math.clear(), *self.table.clear()]
        return [*leaving, *(FadeIn(m) for m in [*statics, *self.loss.dynamics()])], statics


class FitScene(TraceScene):
    title = "The fit:"

    def build(self):
        self.fit = place(FitPanel(self.style, self.story, **FULL, left=FULL_CELL[0]), "fit", FULL_CELL)
        return [self.fit]


class LossScene(TraceScene):
    title = "The loss of"

    def build(self):
        self.loss = place(LossPanel(self.style, self.story, **FULL, left=FULL_CELL[0], top=FULL_CELL[3]),
                          "loss", FULL_CELL)
        return [self.loss]


class ParamsScene(TraceScene):
    @property
    def title(self) -> str:  # "Parameter space of" the line; "Loss landscape of" a model of P > 2
        return f"{self.story.plane.title} of"

    def build(self):
        c, w, h = FULL["center"], FULL["width"], FULL["height"]
        self.params = place(ParamsPanel(self.style, self.story, c, w, h, cell=FULL_CELL,
                                        arrow_steps=range(self.plan.detail_steps)), "params", FULL_CELL)
        return [self.params]


class BackpropScene(TraceScene):
    """``loss.backward()`` on PyTorch's own graph: the forward pass lights it left to right,
    the backward pass walks it right to left, ``.grad`` fills, ``zero_grad()`` clears it and
    ``step()`` moves a and b; the fast-forward and the end show the latest recorded graph."""

    title = "Autograd's graph of"

    def build(self):
        from training.errors import InputError
        from scenes.story.graph import NO_GRAPHS

        if not self.story.graph.available:
            raise InputError(NO_GRAPHS)
        self.graph = place(GraphPanel(self.style, self.story, FULL_CELL), "graph", FULL_CELL)
        return [self.graph]


SCENES: dict[str, type[TraceScene]] = {
    "walkthrough": Walkthrough, "fit": FitScene, "loss": LossScene, "params": ParamsScene,
    "backprop": BackpropScene,
}


def fit_panel(trace: Trace, theme: Theme, scene: str = "fit"):
    """The Fit panel's data-to-scene mapping as ``scene`` lays it out (no mobjects built):
    tests map data to pixels with ``panel.p``."""
    from scenes.story.geometry import Geometry
    from scenes.manim.panels.base import Panel

    st, lim = Style(theme), Geometry.of(trace).fit
    if scene == "fit":
        return Panel(st, FULL["center"], FULL["width"], FULL["height"], lim, left=FULL_CELL[0])
    center, w, h = _walk_layout()["fit"]
    return Panel(st, center, w, h, lim, left=WALK_CELLS["fit"][0])
