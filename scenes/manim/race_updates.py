"""The Manim race's updates: what every frame changes, read from the story at that frame.

:class:`RaceUpdates` is a part of :class:`~scenes.manim.race.RaceScene`: :meth:`show` moves
the paths, curves and lines that :class:`~scenes.manim.race_layout.RaceLayout` built, and
typesets the clock and the leaderboard again only when their text changes.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, VGroup

from scenes.manim.panels.draw import curve_pieces, set_children, set_pieces, set_polyline
from scenes.story.geometry import fit_xs
from scenes.manim.race_layout import HALF_H, HALF_W
from scenes.story.race import fmt_epoch, fmt_loss

__all__ = ["RaceUpdates"]


class RaceUpdates:
    """The race scene's per-frame updates (a mixin of :class:`~scenes.manim.race.RaceScene`)."""

    def show(self, i: int) -> None:
        """Frame i: every view at its runs' steps, and the texts as of the frame they follow."""
        idx = self.plan.index[:, i]
        for view in self.path_views:
            self._show_paths(view, idx)
        if self.loss is not None:
            self._show_losses(idx)
        if self.fits:
            self._show_fits(idx)
        self._texts_at(int(self.text_frames[i]))

    def _show_paths(self, view: dict, idx: np.ndarray) -> None:
        """A parameter view: each run's path, head (or cross), and its label placed clear."""
        race = self.race
        P = view["P"]
        for r, path, head, cross in view["runs"]:
            k = int(idx[r])
            a, b, left = race.path(r, k)
            set_polyline(path, P.p(a, b))
            q = P.p(a[-1], b[-1])
            head.move_to(q)
            head.set_opacity(0 if left else 1)
            bad = left or race.status(r, k).startswith("diverged")
            cross.move_to(q)
            cross.set_stroke(opacity=1 if bad else 0)
        if view["labels"]:
            lw, lh = view["label_wh"]
            L = race.params
            places = race.label_positions(idx, lw, lh)
            for r, (lab, leader, (u, v, ha)) in enumerate(zip(view["labels"], view["leaders"], places)):
                anchor = P.p(L.x0 + u * (L.x1 - L.x0), L.y0 + v * (L.y1 - L.y0))
                side = LEFT if ha == "left" else RIGHT
                lab.move_to(anchor + (RIGHT if ha == "left" else LEFT) * 0.1, aligned_edge=side)
                # A label pushed away from its head is tied to it by a thin line.
                ha_, hb_, _ = race.head(r, int(idx[r]))
                moved = (abs((hb_ - L.y0) / (L.y1 - L.y0) - v) > lh * 0.6
                         or abs((ha_ - L.x0) / (L.x1 - L.x0) - u) > 1e-9)
                leader.put_start_and_end_on(P.p(ha_, hb_), anchor + 1e-4 * RIGHT)
                leader.set_stroke(opacity=1 if moved else 0)

    def _show_losses(self, idx: np.ndarray) -> None:
        """Each run's full-data loss curve up to its step, with its head dot or cross."""
        race = self.race
        P = self.loss["P"]
        lo, hi = race.loss_range
        for r, line, cross, head in self.loss["curves"]:
            k = int(idx[r])
            xs, ys = race.loss_curve(r, k)
            pts = P.p(xs, np.clip(ys, lo, hi))
            set_polyline(line, pts)
            if len(pts):
                head.move_to(pts[-1])
            where = race.loss_mark(r, k)  # left through the top, or diverged: a cross there
            if where is not None:
                cross.move_to(P.p(*where))
            cross.set_stroke(opacity=0 if where is None else 1)
            # The head dot shows while the run is on the chart; the cross takes its place.
            head.set_opacity(1 if len(pts) and cross.get_stroke_opacity() == 0 else 0)

    def _show_fits(self, idx: np.ndarray) -> None:
        """Each run's line on the data, cut to its panel (hidden while it is out of view)."""
        race = self.race
        f = race.fit
        if not self.is_line:
            self._show_curves(idx)
            return
        for r, P, line in self.fits:
            a, b = race.line(r, int(idx[r]))
            # Cut to the panel: x where the line crosses its top and bottom.
            xs = np.array([f.x0, f.x1])
            if a != 0 and np.isfinite(a) and np.isfinite(b):
                cuts = np.clip((np.array([f.y0, f.y1]) - b) / a, f.x0, f.x1)
                xs = np.array([max(f.x0, cuts.min()), min(f.x1, cuts.max())])
            ys = a * xs + b
            inside = np.isfinite(ys).all() and ys.max() >= f.y0 - 1e-9 and ys.min() <= f.y1 + 1e-9
            ys = np.clip(ys, f.y0, f.y1) if inside else np.array([f.y0, f.y0])
            line.put_start_and_end_on(P.p(xs[0], ys[0]), P.p(xs[1] + 1e-6, ys[1]))
            line.set_stroke(opacity=1 if inside else 0)

    def _show_curves(self, idx: np.ndarray) -> None:
        """Each run's curve (any model but the line) at the story's samples, cut to its panel."""
        race = self.race
        f = race.fit
        xs = fit_xs(f)
        for r, P, curve in self.fits:
            pieces = curve_pieces(xs, race.curve(r, int(idx[r]), xs), f)
            if set_pieces(curve, [P.p(c[:, 0], c[:, 1]) for c in pieces]):
                curve.set_stroke(opacity=1)
            else:  # off the chart: a stub, unseen
                curve.set_points_as_corners([P.center, P.center + 1e-3 * RIGHT])
                curve.set_stroke(opacity=0)

    def _set(self, slot: int, group: VGroup, text: str, build: Callable[[], list]) -> None:
        """Typeset again only when the text changed (Pango is the slow part of a frame)."""
        if self._texts.get(slot) != text:
            self._texts[slot] = text
            # Manim lists the moving mobjects, flattened, when the play starts: a child removed
            # from its group would still be drawn from that list. Emptied, it draws nothing.
            for old in group.submobjects:
                for m in old.get_family():
                    m.clear_points()
            set_children(group, build())

    def _texts_at(self, i: int) -> None:
        race, plan = self.race, self.plan
        clock = race.clock_text(plan, i)
        self._set(-1, self.clock, clock, lambda: [self.text(clock, "text").move_to(
            [HALF_W - 0.25, HALF_H - 0.32, 0], aligned_edge=RIGHT)])
        rows = race.leaderboard(plan.index[:, i])
        for n, ((g, at), row) in enumerate(zip(self.rows, rows)):
            text = f"{n}|{row.label}|{fmt_loss(row.loss)}|{fmt_epoch(row.epoch)}|{row.status}"

            def build(n=n, row=row, at=at):
                k = self.row_scale
                rank = self.text(f"{n + 1}.", "table", muted=True).scale(k).move_to(at, aligned_edge=LEFT + UP)
                name = self.label(row.run, "table").scale(k).move_to(at + RIGHT * 0.42, aligned_edge=LEFT + UP)
                loss = self.text(fmt_loss(row.loss), "tick")
                info = self.text(f"epoch {fmt_epoch(row.epoch)} · {row.status}", "tick", muted=True)
                width = self.lead_x1 - at[0] - 0.42 - loss.width - 0.2
                if info.width > width:
                    info.scale_to_fit_width(width)
                info.next_to(name, DOWN, buff=0.07, aligned_edge=LEFT)
                loss.move_to([self.lead_x1, info.get_center()[1], 0], aligned_edge=RIGHT)
                return [rank, name, loss, info]
            self._set(n, g, text, build)
        extra = len(rows) - len(self.rows)
        if extra > 0:
            self._set(-2, self.more, str(extra), lambda: [self.text(f"+ {extra} more runs", "tick", muted=True)
                                                          .move_to(self.more_at, aligned_edge=LEFT + UP)])
