"""The Loss panel: the batch loss and the loss on all data against the step, drawn up to the
step shown (the walkthrough brings it in at the fast-forward). For a plane through parameter
space (P > 2) a third curve, as in matplotlib: the plane's loss under the projected path,
where it parts from the loss on all data the path is off the plane."""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, ORIGIN, RIGHT, UL, UP, UR, Dot, Line, VGroup, VMobject

from scenes.manim.panels.base import DL, Panel, legend_strip, place_legend
from scenes.manim.panels.beats import Beats, scrub
from scenes.manim.panels.draw import bounded_indices, set_polyline
from scenes.manim.style import LEGEND, LINE, MARKER, Style, tag
from scenes.story.geometry import Limits
from scenes.story.loss_words import FULL
from scenes.story.story import Story

__all__ = ["LossPanel", "legend_items"]


class LossPanel(Beats):
    CAP = 700

    def __init__(self, style: Style, story: Story, center, width, height, *, left: float | None = None,
                 top: float | None = None):
        self.s, self.st = story, style
        lim, log = self._limits()
        self.idx = bounded_indices(story.n, self.CAP)
        land = story.plane.land
        self.surface = land.surface_loss[:-1] if land is not None and story.n else None
        self.legend = self._legend()
        P = self.panel = self._panel_and_legend(center, width, height, lim, log, left, top)
        self.static = VGroup(P.frame("\"step\"", "L"))
        self.batch_curve = tag(VMobject(stroke_color=style.c("loss_batch"), stroke_width=2, stroke_opacity=0.8), LINE)
        self.full_curve = tag(VMobject(stroke_color=style.c("loss_full"), stroke_width=4), LINE)
        self.surface_curve = tag(VMobject(stroke_color=style.c("path"), stroke_width=2.5), LINE)
        self.dot = tag(Dot(P.p(0, np.clip(story.start_full_loss, lim.y0, lim.y1)), radius=0.06,
                           color=style.c("loss_full")), MARKER)

    def _limits(self) -> tuple[Limits, bool]:
        """Steps 0..n across; the loss up from 0, or whole decades on a log axis."""
        story = self.s
        lo, hi = story.geom.loss_range
        log = story.geom.log_loss
        if log:
            lim = Limits(0, max(story.n, 1), 10 ** np.floor(np.log10(lo)), 10 ** np.ceil(np.log10(hi)))
        else:
            lim = Limits(0, max(story.n, 1), 0.0, hi * 1.08)
        return lim, log

    def _legend(self) -> VGroup:  # (legend_items: the words)
        style = self.st
        items = legend_items(self.s, self.surface is not None)
        return tag(VGroup(*(
            VGroup(Line(ORIGIN, RIGHT * 0.35, stroke_color=style.c(key), stroke_width=4),
                   style.text(label, "tick", "muted")).arrange(RIGHT, buff=0.12) for key, label in items
        )).arrange(DOWN, aligned_edge=LEFT, buff=0.08), LEGEND)

    def _panel_and_legend(self, center, width, height, lim: Limits, log: bool, left, top) -> Panel:
        """The data rectangle (its curves computed for it), with ``self.legend`` placed in it
        or above it."""
        style = self.st
        # Where the whole run's curves do not pass (a rising loss fills the top right); if they
        # pass everywhere (batches of a few noisy points), in a row above the plot.
        P = Panel(style, center, width, height, lim, log_y=log, left=left)
        self._curves(P)
        places = [((lim.x1, lim.y1), DL), ((lim.x1, lim.y0), UL), ((lim.x0, lim.y0), UR),
                  (((lim.x0 + lim.x1) / 2, lim.y1), DOWN), (((lim.x0 + lim.x1) / 2, lim.y0), UP)]
        marks = [self.batch_pts[:, :2], self.full_pts[:, :2]]
        if self.surface is not None:
            marks.append(self.surface_pts[:, :2])
        if place_legend(self.legend, P, marks, places):
            strip = legend_strip(self.legend, (top - (P.y0 + P.h)) if top is not None else 0.0)
            P = Panel(style, (center[0], center[1] - strip / 2), width, height - strip, lim,
                      log_y=log, left=left)
            self._curves(P)
            self.legend.next_to(P.p(lim.x1, lim.y1), UL, buff=0.1)
        return P

    def _curves(self, P: Panel) -> None:
        lim, s = P.lim, self.s
        steps = self.idx + 1
        self.batch_pts = P.p(steps, np.clip(s.loss[self.idx], lim.y0, lim.y1))
        self.full_pts = P.p(steps, np.clip(s.full_loss_after[self.idx], lim.y0, lim.y1))
        if self.surface is not None:  # before each step: at step k the point is the path's k-th
            self.surface_pts = P.p(self.idx, np.clip(self.surface[self.idx], lim.y0, lim.y1))

    def statics(self):
        return [self.static, self.legend]

    def dynamics(self):
        surface = [self.surface_curve] if self.surface is not None else []
        return [self.batch_curve, *surface, self.full_curve, self.dot]

    def show_upto(self, k: int) -> None:
        """Curves through step k (inclusive)."""
        j = int(np.searchsorted(self.idx, k, side="right"))
        set_polyline(self.batch_curve, self.batch_pts[:j])
        start = self.panel.p(0, np.clip(self.s.start_full_loss, self.panel.lim.y0, self.panel.lim.y1))
        full = np.vstack([start[None], self.full_pts[:j]])
        set_polyline(self.full_curve, full)
        if self.surface is not None:
            set_polyline(self.surface_curve, self.surface_pts[:j])
        self.dot.move_to(full[-1])

    def update(self, k):
        return [scrub(self.dot, lambda t: self.show_upto(k) if t > 0.5 else None)]

    def fast_begin(self, steps, index):
        self.dot.add_updater(lambda m: self.show_upto(int(steps[index()])))
        return []

    def fast_end(self):
        self.dot.clear_updaters()

    def hold(self):
        self.show_upto(self.s.n - 1)
        return []


def legend_items(story, surface: bool = False) -> list:
    """The legend's (colour key, words): the thick curve is the loss on all data after each
    step, or, for a module recorded from a loop given no x, y, the batch loss the loop saw at
    the parameters after each step (the next step's: ``Story.path_loss_words``)."""
    after = FULL if story.path_loss_words == FULL else "batch loss after the step"
    items = [("loss_batch", "batch loss"), ("loss_full", after)]
    if surface:
        items.append(("path", "plane's loss under the path"))
    return items
