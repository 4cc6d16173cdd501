"""The parameter view: the loss contours over the parameter plane (the model's pair, e.g.
(a, b); for P > 2 a plane through parameter space), the path, the optimum (the line's), the
update, the full-batch step and what the optimizer carries, with a note of the arrows' scale
and, on a projected plane, how far the path leaves it."""
from __future__ import annotations

import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.transforms import ScaledTranslation

from scenes.layout_check import Box
from scenes.mpl.views.style import ViewBase
from scenes.story.frames import FrameState
from scenes.story.geometry import free_corner
from scenes.story.palette import band_colors
from scenes.story.plan import FAST, GRADIENT, HOLD, UPDATE
from scenes.story.story import UPDATE_LABEL

__all__ = ["ParamView"]


class ParamView(ViewBase):
    """Loss contours over the plane, the path, the update arrow, the full-batch step, momentum."""

    def __init__(self, scene, ax):
        super().__init__(scene)
        self.ax = ax
        g = scene.geom.params
        self.lim = g
        ax.set_xlim(g.x0, g.x1)
        ax.set_ylim(g.y0, g.y1)
        self.span = (g.x1 - g.x0, g.y1 - g.y0)
        plane = self.story.plane
        self.title = plane.title
        self.style_axes(ax, self.title, *plane.labels)
        ax.grid(False)
        self._draw_landscape()
        lw = self.sz("line_width")
        self._add_marks(lw)
        self._add_legend(lw)
        self._add_notes()

    def _draw_landscape(self) -> None:
        """The static background: the loss in bands and contour lines, and the optimum."""
        ax = self.ax
        A, B, L, levels = self.story.contours()
        bands, over = band_colors(self.theme, levels, float(L.max()))  # the same bands as Manim's
        edges = np.concatenate([[min(0.0, float(L.min()))], levels])
        ax.contourf(A, B, L, levels=edges, cmap=ListedColormap(bands).with_extremes(over=over),
                    norm=BoundaryNorm(edges, len(bands)), zorder=0, extend="max")
        ax.contour(A, B, L, levels=levels, colors=self.col("muted"), linewidths=0.6 * self.h / 720,
                   alpha=0.6, zorder=1)
        if self.scene.geom.optimum is None:
            return
        u_opt, v_opt = self.scene.geom.optimum
        ax.plot([u_opt], [v_opt], marker="*", ms=self.sz("line_width") * 6, color=self.col("text"),
                markeredgecolor=self.col("panel"), zorder=2, ls="none", label="optimum")

    def _add_marks(self, lw: float) -> None:
        """The animated path, the current point and the three arrows."""
        ax = self.ax
        self.path, = ax.plot([], [], color=self.col("path"), lw=lw * 0.5, alpha=0.75,
                             marker="o", ms=lw * 0.9)
        self.anim(self.path, 0)
        self.point, = ax.plot([], [], "o", color=self.col("line"), ms=lw * 3.4,
                              markeredgecolor=self.col("panel"), markeredgewidth=lw * 0.4)
        self.anim(self.point, 5)
        ms = lw * 5.5
        self.arrows = {}
        # The carried part often lies along the update (Adam, momentum): drawn thinner, on top.
        for key, color, z, width in (("full", "full_gradient", 2, 0.9), ("update", "update", 3, 0.9),
                                     ("carry", "velocity", 4, 0.6)):
            arr = FancyArrowPatch((0, 0), (1, 1), arrowstyle="-|>", mutation_scale=ms * width / 0.9,
                                  shrinkA=0, shrinkB=0, color=self.col(color), lw=lw * width)
            ax.add_patch(arr)
            self.arrows[key] = self.anim(arr, z)

    def _add_legend(self, lw: float) -> None:
        """Legend with proxy artists (static, drawn once in the background), in the corner the
        run stays away from (``finish_layout`` moves it once the axes are in place)."""
        handles = [Line2D([], [], color=self.col("update"), lw=lw, label=UPDATE_LABEL),
                   # an unknown full-batch step (a module's own loop) is not drawn: the legend says so
                   Line2D([], [], color=self.col("full_gradient"), lw=lw, label=self.story.full_step_label,
                          ls="-" if self.story.full_step_known else ":")]
        if self.story.carry is not None:
            handles.append(Line2D([], [], color=self.col("velocity"), lw=lw, label=self.story.carry.label))
        if self.scene.geom.optimum is not None:
            handles.append(Line2D([], [], marker="*", color=self.col("text"), ls="none", ms=lw * 4,
                                  label="optimum"))
        self.legend = self.ax.legend(handles=handles, loc=self._free_corner(), fontsize=self.sz("tick") * 0.95,
                                     frameon=True, framealpha=0.85, facecolor=self.col("panel"),
                                     edgecolor=self.col("grid"), labelcolor=self.col("text"), handlelength=1.4,
                                     borderpad=0.4, labelspacing=0.3)
        self.legend.set_zorder(5)  # static: drawn under the animated path and arrows
        self.below = False  # the legend sits under the plot (finish_layout)

    def _add_notes(self) -> None:
        """The note of the arrows' scale above the plot, and the static warning when the path
        leaves the view."""
        ax = self.ax
        # Above the plot, right-aligned, a little above the title's baseline.
        lift = ScaledTranslation(0, 0.4 * self.sz("title") / 72, self.scene.fig.dpi_scale_trans)
        self.scale_text = ax.text(1.0, 1.0, "", transform=ax.transAxes + lift,
                                  fontsize=self.sz("tick"), color=self.col("muted"), ha="right", va="bottom")
        self.anim(self.scale_text, 6)
        self.widest_scale_text = self._scale_label(self._top_scale())
        self.leaves = None
        if self.scene.geom.clipped:
            self.leaves = ax.text(0.02, 0.97, "the path leaves this view", transform=ax.transAxes,
                                  fontsize=self.sz("tick"), color=self.col("diverged"), ha="left",
                                  va="top", zorder=5)
        self.off = None
        land = self.story.plane.land
        if land is not None and land.off_plane:  # a projection: say how far the run is from the picture
            self.off = ax.text(0.02, 0.03, land.off_plane, transform=ax.transAxes,
                               fontsize=self.sz("tick") * 0.9, color=self.col("text"), ha="left", va="bottom",
                               zorder=5, bbox=dict(boxstyle="round,pad=0.25", fc=self.col("panel"),
                                                   ec="none", alpha=0.8))

    def _top_scale(self) -> float:
        return float(np.max(self.story.arrow_scale)) if self.story.n else 1.0

    def _fit_note(self) -> None:
        """The note above the plot says what the contours are and how much the arrows are
        magnified; where that would meet the title, only the magnification (in smaller type
        if even that does not fit)."""
        scene, tick = self.scene, self.sz("tick")
        title_w = scene.text_size(self.title, self.sz("title"), bold=True)[0]
        self.note_room = self.ax.bbox.width - title_w - 2 * self.px(tick)
        self._fits = {}
        self.scale_text.set_fontsize(tick)
        note_w = scene.text_size(f"arrows ×{self._top_scale():g}", tick)[0]
        if note_w > self.note_room > 0:
            self.scale_text.set_fontsize(tick * self.note_room / note_w * 0.95)
        # The widest note any step shows (its region is kept between frames): not always the
        # top scale's, which may fall back to the short form where a smaller one fits the long.
        # Scales are nice numbers (1, 2, 5, 10, ...): a handful of labels.
        scales = np.unique(self.story.arrow_scale) if self.story.n else ()
        labels = {self._scale_label(1.0), *(self._scale_label(float(v)) for v in scales)}
        self.widest_scale_text = max(sorted(labels), key=lambda t: scene.text_size(t, tick)[0])

    def _scale_label(self, scale: float) -> str:
        what = self.story.plane.contour_label
        long = f"{what} · arrows ×{scale:g}" if scale > 1 else what
        room = getattr(self, "note_room", None)
        if room is None:  # before the axes are in place: the widest form, to make room for
            return long
        if long not in self._fits:
            self._fits[long] = self.scene.text_size(long, self.sz("tick"))[0] <= room
        if self._fits[long]:
            return long
        return f"arrows ×{scale:g}" if scale > 1 else ""

    def _free_corner(self) -> str:
        """The corner the path and the optimum stay away from: the legend goes there."""
        g = self.scene.geom.params
        s = self.story
        opt = self.scene.geom.optimum
        pu = np.append(s.path_u, [] if opt is None else [opt[0]])
        pv = np.append(s.path_v, [] if opt is None else [opt[1]])
        return free_corner((pu - g.x0) / (g.x1 - g.x0), (pv - g.y0) / (g.y1 - g.y0))

    def finish_layout(self) -> bool:
        """With the axes in place: the legend goes where nothing the run will draw passes
        (the whole path, the optimum, every arrow the plan shows), and clear of the note.
        True if it had to leave the plot (the axes must then make room)."""
        s, ax = self.story, self.ax
        self._fit_note()
        to_px = ax.transData.transform
        marks = [to_px(np.column_stack([s.path_u, s.path_v]))]
        if self.scene.geom.optimum is not None:
            marks.append(to_px(np.array([self.scene.geom.optimum])))
        plan = self.scene.plan
        shown = np.isin(plan.beat, (GRADIENT, UPDATE, FAST))
        for k in np.unique(plan.step[shown]) if s.n else []:
            for arrow in s.arrows(int(k)).values():
                marks.append(to_px(np.array([arrow.start, arrow.end])))
        obstacles = []
        for note in (self.leaves, self.off):
            if note is not None:
                e = note.get_window_extent(self.scene.renderer)
                obstacles.append(Box(e.x0, e.y0, e.x1, e.y1))
        if self.below or self.place_legend(self.legend, marks, obstacles, (self._free_corner(),)):
            return False
        self._legend_below()
        return True

    def _legend_below(self) -> None:
        """The path fills the view (batches of one point wander): the legend goes under the
        plot, below the axis label, in one row if it fits, else two; the axes make room."""
        ax, renderer = self.ax, self.scene.renderer
        drop = ax.bbox.y0 - min(ax.xaxis.label.get_window_extent(renderer).y0,
                                ax.bbox.y0 - 1) + 2
        handles, labels = self.legend.legend_handles, [t.get_text() for t in self.legend.get_texts()]
        kw = dict(frameon=False, labelcolor=self.col("text"), fontsize=self.sz("tick") * 0.95,
                  handlelength=1.4, columnspacing=1.0, borderaxespad=0.0, loc="upper center",
                  bbox_to_anchor=(0.5, 0.0),
                  bbox_transform=ax.transAxes + ScaledTranslation(0, -drop / self.scene.dpi,
                                                                  self.scene.fig.dpi_scale_trans))
        self.legend.remove()
        self.legend = ax.legend(handles, labels, ncols=len(labels), **kw)
        room, ncols = self.scene.cells["params"].width, len(labels)
        if self.legend.get_window_extent(renderer).width > room:
            ncols = 2
            self.legend.remove()
            self.legend = ax.legend(handles, labels, ncols=2, **kw)
        # A narrow cell (beside two other views, over the graph band): two columns in smaller
        # type, then one column; a legend wider than its cell would squeeze the plot to nothing.
        fs = kw["fontsize"]
        while self.legend.get_window_extent(renderer).width > room:
            if fs > kw["fontsize"] * 0.8:
                fs = max(fs * room / self.legend.get_window_extent(renderer).width * 0.98, kw["fontsize"] * 0.8)
            elif ncols > 1:
                ncols, fs = 1, kw["fontsize"]
            else:
                break
            self.legend.remove()
            self.legend = ax.legend(handles, labels, ncols=ncols, **{**kw, "fontsize": fs})
        self.legend.set_zorder(5)
        self.below = True

    def update(self, st: FrameState) -> None:
        s = self.story
        if s.n:
            pa, pb = s.path_u[:st.path_n], s.path_v[:st.path_n]
            if st.path_tip is not None:
                pa, pb = np.append(pa, st.path_tip[0]), np.append(pb, st.path_tip[1])
            if len(pa) > 4000:  # bounded cost per frame
                keep = np.unique(np.r_[np.linspace(0, len(pa) - 1, 4000).astype(int), len(pa) - 1])
                pa, pb = pa[keep], pb[keep]
            self.path.set_data(pa, pb)
            self.path.set_marker("o" if len(pa) <= 60 else "")
        else:
            self.path.set_data([], [])
        # A point that has left the view (a diverging run) waits at its edge, as in Manim;
        # the panel says that the path leaves the view.
        g = self.lim
        self.point.set_data([min(max(st.u, g.x0), g.x1)], [min(max(st.v, g.y0), g.y1)])
        show = st.arrow_frac > 0 and s.n > 0 and st.beat != HOLD
        for arr in self.arrows.values():
            arr.set_visible(False)
        self.scale_text.set_text(self._scale_label(1.0))
        if not show:
            return
        k = st.step
        scale = float(s.arrow_scale[k])
        for key, arrow in s.arrows(k, grow=st.arrow_frac).items():
            arr = self.arrows[key]
            arr.set_positions(arrow.start, arrow.end)
            arr.set_linestyle("--" if arrow.clipped else "-")  # cut at the edge: not its true length
            arr.set_visible(True)
        self.scale_text.set_text(self._scale_label(scale))
