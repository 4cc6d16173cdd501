"""The Manim race: the same content as the matplotlib race, from the same RaceStory.

Every run's path on the shared exact loss contours with a direct label at its head (a cross
where a run left the view), the full-data loss of every run on one log axis against samples
seen, each run's line on the data (small multiples past four runs), and the leaderboard.
More than eight runs: the parameter view becomes a grid of small multiples.

``construct()`` only composes: the statics once (they go into Manim's cached background),
then one ValueTracker swept over the race plan's frames; updaters read the story at the
tracker's frame. Texts (the leaderboard, the clock) are typeset again only when they change.
"""
from __future__ import annotations

import dataclasses
from contextlib import ExitStack
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Dot, Line, ManimColor, Mobject, Rectangle, RoundedRectangle,
                   Scene, Star, ValueTracker, VGroup, VMobject, linear)

from scenes.manim.parts import Panel, Style, register_font, set_children, set_polyline
from scenes.story.geometry import Limits
from scenes.story.palette import band_colors
from scenes.story.race import CLOCK_LABEL, LEADER_HZ, RacePlan, RaceStory, fmt_epoch, fmt_loss
from scenes.story.theme import Theme

__all__ = ["RaceScene", "render_manim_race"]

HALF_W, HALF_H = 8.0 * 16 / 9 / 2, 4.0




class RaceScene(Scene):
    """The race, played frame by frame from a :class:`RacePlan`."""

    def __init__(self, race: RaceStory, theme: Theme, plan: RacePlan, **kwargs):
        self.race, self.theme, self.plan = race, theme, plan
        self.st = Style(theme)
        self.colours = race.colours(theme)
        self.tags = race.tags(theme)
        self.fps = plan.fps
        every = max(1, int(round(plan.fps / LEADER_HZ)))
        pos = np.arange(len(plan))
        self.text_frames = np.where(plan.phase == 1, pos - pos % every, pos)
        self._texts: dict[int, str] = {}
        super().__init__(**kwargs)

    # ------------------------------------------------------------------ helpers
    def text(self, s: str, key: str = "tick", color: str | None = None, muted: bool = False):
        m = self.st.text(s, key, "muted" if muted else "text")
        if color is not None:
            m.set_color(ManimColor(color))
        return m

    def label(self, r: int, key: str = "tick", backed: bool = False):
        """Run r's name in its colour, or as a tag on its colour when that reads poorly;
        ``backed``: on a patch of the panel's colour (a direct label over paths and contours)."""
        name = self.race.runs[r].label
        if self.tags[r] is None and not backed:
            return self.text(name, key, self.colours[r])
        tag = self.tags[r] is not None
        t = self.text(name, key, self.tags[r] if tag else self.colours[r])
        box = RoundedRectangle(corner_radius=0.05, width=t.width + 0.12, height=t.height + 0.1, stroke_width=0)
        box.set_fill(ManimColor(self.colours[r]) if tag else self.st.c("panel"), opacity=1 if tag else 0.8)
        return VGroup(box.move_to(t), t)

    def contours(self, P: Panel, run: int) -> VGroup:
        """Filled bands and lines of the exact loss over the shared view (see ParamsPanel)."""
        import contourpy

        A, B, Z, levels = self.race.contours(n=90, run=run)
        bands, over = band_colors(self.theme, levels, float(Z.max()))
        g = VGroup(Rectangle(width=P.w, height=P.h, stroke_width=0)
                   .set_fill(ManimColor(np.array(over)), opacity=1).move_to(P.center))
        gen = contourpy.contour_generator(A, B, Z, fill_type="OuterOffset")
        lo = float(Z.min()) - 1.0
        for i in range(len(levels) - 1, -1, -1):
            for poly in gen.filled(lo, float(levels[i]))[0]:
                if len(poly) >= 3:
                    m = VMobject(stroke_width=0).set_fill(ManimColor(np.array(bands[i])), opacity=1)
                    m.set_points_as_corners(P.p(poly[:, 0], poly[:, 1]))
                    g.add(m)
        line_gen = contourpy.contour_generator(A, B, Z)
        for lev in levels:
            for seg in line_gen.lines(lev):
                if len(seg) >= 3:
                    m = VMobject(stroke_color=self.st.c("muted"), stroke_width=1.0, stroke_opacity=0.45)
                    m.set_points_as_corners(P.p(seg[:, 0], seg[:, 1]))
                    g.add(m)
        return g

    def title(self, s: str, at: np.ndarray, key: str = "label", width: float | None = None):
        """A panel's title, its lower left corner at ``at``, no wider than ``width``."""
        t = self.st.text(s, key, weight="BOLD")
        if width is not None and t.width > width:
            t.scale_to_fit_width(width)
        return t.move_to(at, aligned_edge=LEFT + DOWN)

    # ------------------------------------------------------------------ layout
    def construct(self) -> None:
        register_font()
        st, race = self.st, self.race
        self.camera.background_color = st.c("background")
        statics: list[Mobject] = []
        self.dynamic: list[Mobject] = []
        top = HALF_H - 0.62
        statics.append(self.st.text(race.title, "title", weight="BOLD").move_to([-HALF_W + 0.25, HALF_H - 0.32, 0],
                                                                             aligned_edge=LEFT))
        self.clock = VGroup()
        lead_x = HALF_W - 3.75
        if race.grid:
            self.path_views = self._path_grid(statics, Limits(-HALF_W + 0.3, lead_x - 0.4, -HALF_H + 0.35, top))
            self.loss = self.fits = None
        else:
            self.path_views = [self._path_view(statics, Limits(-HALF_W + 0.95, -1.75, -HALF_H + 0.75, top - 0.45), None)]
            self.loss = self._loss_view(statics, Limits(-0.35, lead_x - 0.4, 0.85, top - 0.45))
            self.fits = self._fit_views(statics, Limits(-0.35, lead_x - 0.4, -HALF_H + 0.75, -0.55))
        self._leaderboard(statics, lead_x, top)
        # Statics first, then a sentinel with an updater: Cairo caches everything before it.
        sentinel = Mobject()
        sentinel.add_updater(lambda m, dt: None)
        self.add(*statics, sentinel, *self.dynamic, self.clock)
        self.tracker = ValueTracker(0.0)
        self.show(0)
        driver = Mobject()
        driver.add_updater(lambda m: self.show(self.index()))
        self.add(driver)
        n = len(self.plan)
        # Linear from 0 to n − 0.5 over (n − 0.5) frame times: the value at frame j is j.
        self.play(self.tracker.animate(rate_func=linear).set_value(n - 0.5), run_time=(n - 0.5) / self.fps)

    def index(self) -> int:
        return min(max(int(round(self.tracker.get_value())), 0), len(self.plan) - 1)

    def _path_view(self, statics, box: Limits, only: int | None):
        race = self.race
        small = only is not None
        P = Panel(self.st, ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2), box.x1 - box.x0, box.y1 - box.y0,
                  race.params, left=None if small else box.x0 - 0.85)
        statics.append(self.contours(P, only or 0))
        if small:
            statics.append(Rectangle(width=P.w, height=P.h, stroke_color=self.st.c("muted"), stroke_width=1)
                           .move_to(P.center))
            lab = self.label(only)
            if lab.width > P.w:
                lab.scale_to_fit_width(P.w)
            statics.append(lab.next_to(P.p(race.params.x0, race.params.y1), UP, buff=0.06, aligned_edge=LEFT))
        else:
            statics.append(P.frame("a", "b"))
            statics.append(self.title("Paths on the exact loss contours", P.p(race.params.x0, race.params.y1) + UP * 0.12,
                                      width=box.x1 + 0.6 - P.x0))
            if race.contour_note:
                note = self.text(race.contour_note, "tick")
                if note.width > P.w - 0.16:
                    note.scale_to_fit_width(P.w - 0.16)
                statics.append(note.move_to(P.p(race.params.x0, race.params.y0) + RIGHT * 0.08 + UP * 0.08,
                                            aligned_edge=LEFT + DOWN))
        oa, ob = race.optimum(only or 0)
        if race.params.contains(oa, ob):
            # A star, as in matplotlib: the cross means a run that left the view.
            statics.append(Star(5, outer_radius=0.09 if small else 0.12, stroke_width=0)
                           .set_fill(self.st.c("text"), opacity=1).move_to(P.p(oa, ob)))
        view = {"P": P, "runs": [], "labels": []}
        for r in ([only] if small else range(race.n)):
            c = ManimColor(self.colours[r])
            path = VMobject(stroke_color=c, stroke_width=2.5 if small else 3.5)
            head = Dot(radius=0.05 if small else 0.07, color=c).set_stroke(self.st.c("panel"), width=2)
            cross = VGroup(Line(0.1 * (UP + LEFT), 0.1 * (DOWN + RIGHT)), Line(0.1 * (UP + RIGHT), 0.1 * (DOWN + LEFT))
                           ).set_stroke(c, width=5)
            view["runs"].append((r, path, head, cross))
            self.dynamic += [path, head, cross]
            if not small:
                view["labels"].append(self.label(r, backed=True))
                view.setdefault("leaders", []).append(Line(stroke_color=c, stroke_width=1.5))
        self.dynamic += view.get("leaders", []) + view["labels"]  # above every path, as in matplotlib
        if not small:
            view["label_wh"] = (max(m.width for m in view["labels"]) / P.w + 0.02,
                                max(m.height for m in view["labels"]) / P.h + 0.012)
        return view

    def _path_grid(self, statics, box: Limits):
        from scenes.mpl.race import _grid_shape

        n = self.race.n
        w, h = box.x1 - box.x0, box.y1 - box.y0
        rows, cols = _grid_shape(n, w / h)
        cw, ch = w / cols, h / rows
        side = min(cw - 0.2, ch - 0.4)
        views = []
        for r in range(n):
            i, j = divmod(r, cols)
            x0 = box.x0 + j * cw
            y1 = box.y1 - i * ch - 0.35
            views.append(self._path_view(statics, Limits(x0, x0 + side, y1 - side, y1), r))
        return views

    def _loss_view(self, statics, box: Limits):
        race = self.race
        lo, hi = race.loss_range
        P = Panel(self.st, ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2), box.x1 - box.x0, box.y1 - box.y0,
                  Limits(0.0, race.end_clock * 1.02, lo, hi), log_y=True, left=box.x0 - 0.5)
        ticks = [t for t in _nice(0, race.end_clock) if t <= race.end_clock * 1.02]
        frame = P.frame('"samples seen"', '"MSE"', xticks=ticks)
        # Tick labels as sample counts (12k, not 12000): replace the frame's x tick labels.
        statics.append(frame)
        statics.append(self.title("Full-data loss (log)", P.p(0, hi) + UP * 0.12))
        curves = []
        for r, run in enumerate(race.runs):
            c = ManimColor(self.colours[r])
            line = VMobject(stroke_color=c, stroke_width=3)
            cross = VGroup(Line(0.09 * (UP + LEFT), 0.09 * (DOWN + RIGHT)), Line(0.09 * (UP + RIGHT), 0.09 * (DOWN + LEFT))
                           ).set_stroke(c, width=5)
            head = Dot(radius=0.05, color=c).set_stroke(self.st.c("panel"), width=1.5)
            curves.append((r, line, cross, head))
            self.dynamic += [line, head, cross]
        return {"P": P, "curves": curves}

    def _fit_views(self, statics, box: Limits):
        race = self.race
        f = race.fit
        views = []
        if not race.fit_multiples:
            P = Panel(self.st, ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2), box.x1 - box.x0, box.y1 - box.y0,
                      f, left=box.x0 - 0.5)
            statics.append(P.frame("x", "y"))
            statics.append(self.title("Fit: each run's line", P.p(f.x0, f.y1) + UP * 0.12))
            t = race.traces[0]
            statics.append(VGroup(*[Dot(P.p(x, y), radius=0.05, color=self.st.c("muted")) for x, y in zip(t.x[:300], t.y[:300])]))
            for r in range(race.n):
                line = Line(stroke_color=ManimColor(self.colours[r]), stroke_width=3)
                views.append((r, P, line))
                self.dynamic.append(line)
            return views
        statics.append(self.title("Fit: each run's line", np.array([box.x0, box.y1, 0])))
        from scenes.mpl.race import _grid_shape

        w, h = box.x1 - box.x0, box.y1 - box.y0 - 0.1
        rows, cols = _grid_shape(race.n, w / h * 1.3)
        cw, ch = w / cols, h / rows
        for r in range(race.n):
            i, j = divmod(r, cols)
            x0, y1 = box.x0 + j * cw, box.y1 - 0.1 - i * ch - 0.3
            P = Panel(self.st, (x0 + (cw - 0.1) / 2, y1 - (ch - 0.35) / 2), cw - 0.1, ch - 0.35, f)
            statics.append(Rectangle(width=P.w, height=P.h, stroke_color=self.st.c("grid"), stroke_width=1)
                           .move_to(P.center))
            lab = self.label(r, "tick")
            if lab.width > P.w:
                lab.scale_to_fit_width(P.w)
            statics.append(lab.next_to(P.p(f.x0, f.y1), UP, buff=0.05, aligned_edge=LEFT))
            t = race.traces[r]
            statics.append(VGroup(*[Dot(P.p(x, y), radius=0.025, color=self.st.c("muted"))
                                    for x, y in zip(t.x[:200], t.y[:200])]))
            line = Line(stroke_color=ManimColor(self.colours[r]), stroke_width=2.5)
            views.append((r, P, line))
            self.dynamic.append(line)
        return views

    def _leaderboard(self, statics, x0: float, top: float) -> None:
        head = self.title("Leaderboard", np.array([x0, top - 0.35, 0]), "title")
        statics.append(head)
        room = HALF_W - x0 - 0.15
        sub = self.text("full-data loss now, lowest first", "tick", muted=True)
        if sub.width > room:
            sub.scale_to_fit_width(room)
        statics.append(sub.next_to(head, DOWN, buff=0.1, aligned_edge=LEFT))
        # A name has the row's first line to itself (a grid's labels are long); the loss sits
        # right-aligned on the second, after the epoch and status. Type no larger than fits.
        widest = max(self.label(r, "table").width for r in range(self.race.n))
        self.row_scale = min(1.0, (room - 0.42 - 0.05) / widest)
        key = VGroup(*[self.text(s, "tick", muted=True) for s in
                       ("★  least-squares optimum", "✕  left the view / diverged", f"clock: {CLOCK_LABEL}", "  = steps × batch size,",
                        "  fair across batch sizes")]).arrange(DOWN, aligned_edge=LEFT, buff=0.08)
        if key.width > HALF_W - x0 - 0.15:
            key.scale_to_fit_width(HALF_W - x0 - 0.15)
        statics.append(key.move_to([x0, -HALF_H + 0.25, 0], aligned_edge=LEFT + DOWN))
        row_h = 0.68
        y = top - 1.35
        room = int((y - key.get_top()[1] - 0.1) // row_h)
        shown = min(self.race.n, max(1, room if room >= self.race.n else room - 1))
        self.rows = []
        for i in range(shown):
            g = VGroup()
            self.rows.append((g, np.array([x0, y - i * row_h, 0])))
            self.dynamic.append(g)
        self.more = VGroup()
        self.more_at = np.array([x0, y - shown * row_h, 0])
        self.dynamic.append(self.more)
        self.lead_x1 = HALF_W - 0.2

    # ------------------------------------------------------------------ per frame
    def show(self, i: int) -> None:
        race, plan = self.race, self.plan
        idx = plan.index[:, i]
        for view in self.path_views:
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
        if self.loss is not None:
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
        if self.fits:
            f = race.fit
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
        self._texts_at(int(self.text_frames[i]))

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


def _nice(lo: float, hi: float) -> list[float]:
    from scenes.manim.parts import nice_ticks

    return [float(t) for t in nice_ticks(lo, hi)]


def render_manim_race(race: RaceStory, out_dir: Path, *, formats: Sequence[str], stem: str,
                      size: tuple[int, int], fps: int, theme: Theme, plan,
                      progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Play the race scene through Manim's Cairo renderer into our writers (no Manim files);
    ``png`` is the last frame. Returns the paths written, in ``formats`` order."""
    from manim import tempconfig
    from manim.renderer.cairo_renderer import CairoRenderer

    from scenes.manim.file_writer import FrameRouter, file_writer_for
    from scenes.manim.render import _manim_config
    from scenes.writers import get_writer, write_png

    width, height = size
    settings = dataclasses.replace(plan, fps=fps)
    frame_plan = race.plan(settings)
    targets = {f: Path(out_dir) / f"{stem}.{f}" for f in formats}
    videos = [f for f in formats if f != "png"]
    opts = {f: {} for f in videos}
    if "gif" in opts:  # Manim draws in order: the palette gets the runs' and theme's colours
        opts["gif"]["palette_colors"] = [*race.colours(theme),
                                         *(c for k, c in theme.colors.items() if k != "contour_map")]
    with ExitStack() as stack:
        writers = [stack.enter_context(get_writer(f, **opts[f]).saving(targets[f], (width, height), fps))
                   for f in videos]
        router = FrameRouter(writers, len(frame_plan), progress=progress)
        with tempconfig(_manim_config(width, height, fps)):
            renderer = CairoRenderer(file_writer_class=file_writer_for(router))
            sc = RaceScene(race, theme, frame_plan, renderer=renderer)
            sc.render()
    if "png" in formats:
        write_png(targets["png"], router.last)
    return [targets[f] for f in formats]
