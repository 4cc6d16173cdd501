"""The single-run figure: the header and the chosen views in their cells, each plot's axes
fitted to its cell by measuring; per frame it sets every animated artist and returns them in
draw order."""
from __future__ import annotations

import contextlib

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

from scenes.mpl.text_metrics import MeasuredOnce
from scenes.mpl.views.cells import arrangement, view_cells
from scenes.mpl.views.fit import FitView
from scenes.mpl.views.graph import GraphView, wanted_height
from scenes.mpl.views.header import Header
from scenes.mpl.views.loss import LossView
from scenes.mpl.views.numbers import NumbersView
from scenes.mpl.views.numbers_layout import NumbersLayout
from scenes.mpl.views.params import ParamView
from scenes.mpl.views.registry import DEFAULT_VIEWS, check_views
from scenes.story.geometry import Geometry
from scenes.story.plan import FAST, INTRO, FramePlan
from scenes.story.story import Story
from scenes.story.theme import Theme
from training.trace import Trace

__all__ = ["VIEW_CLASSES", "Scene", "build_scene"]

VIEW_CLASSES = {"fit": FitView, "loss": LossView, "params": ParamView, "numbers": NumbersView, "graph": GraphView}
TEXT_PANELS = ("numbers", "graph")  # no ticks: the cell less its title
TITLE_MIN = 0.8  # the smallest share of its size a view's title shrinks to before it wraps


class Scene:
    """A figure with the chosen views; ``update(k, beat, t)`` returns the artists to draw."""

    def __init__(self, trace: Trace | Story, theme: Theme, size=(1280, 720),
                 views=DEFAULT_VIEWS, fig: Figure | None = None, dpi: float = 100.0):
        """``trace`` is the run, or its Story when the caller built it (the pipeline does, once)."""
        given = trace if isinstance(trace, Story) else None
        trace = given.trace if given is not None else trace
        self.trace = trace
        self.theme = theme
        self.views_names = check_views(views)
        self.width, self.height = int(size[0]), int(size[1])
        self.dpi = dpi
        self.geom = given.geom if given is not None else Geometry.of(trace)
        self.story = given if given is not None else Story(trace, self.geom)
        self._set_figure(fig)
        # The layout's text sizes, remembered from earlier runs (the same floats: the same layout).
        self._metrics = MeasuredOnce(self.renderer)
        try:
            self._lay_out()
        finally:
            self._metrics.close()
            self._metrics = None

    def _lay_out(self) -> None:
        """The header, the cells and each view's axes fitted in its cell."""
        # Sizes are designed at 1280x720, where a panel is about 640 pixels wide. A wide frame
        # scales by its tighter side; a square or tall one stacks panels of the full width, so
        # 1080 pixels of width get the 720p type (not type 1.5 times too large for the height).
        self.arrangement = arrangement(self.width, self.height)
        design_w = 1280 if self.arrangement == "wide" else 1080
        self.scale = min(self.height / 720, self.width / design_w)
        self.views: list = []
        self.header = None
        self.use_plan(self.story.plan())
        self.header = Header(self, [c for c in self._captions.values()])
        self.header_px = self.header.height_px
        self.cells = self._cut_cells(self.height - self.header_px)
        self.margin = 6 * self.scale
        self.axes = {}
        for name in self.views_names:
            self._add_view(name)
        self.views.append(self.header)
        self.text_views = [v for v in self.views if isinstance(v, (Header, NumbersView))]
        arts = [a for v in self.views for a in v.animated]
        self.artists = sorted(arts, key=lambda a: a.get_zorder())  # draw order = full-draw order

    def _set_figure(self, fig: Figure | None) -> None:
        """A figure of this size (``fig``, resized, or a new one on an Agg canvas), its
        renderer and the probe that measures texts."""
        dpi, theme = self.dpi, self.theme
        if fig is None:
            fig = Figure(figsize=(self.width / dpi, self.height / dpi), dpi=dpi)
            FigureCanvasAgg(fig)
        else:
            fig.set_size_inches(self.width / dpi, self.height / dpi)
            fig.set_dpi(dpi)
        self.fig = fig
        self.renderer = fig.canvas.get_renderer()
        self._probe = Text(0, 0, "", figure=fig, family=theme.font_family)
        self._sizes: dict[tuple, tuple[float, float]] = {}  # text_size's answers
        self._metrics = None  # while laying out: the sizes kept across runs
        fig.set_facecolor(theme.color("background"))

    def _cut_cells(self, top: float) -> dict[str, Bbox]:
        """Each view's cell under the header (which ends at ``top`` pixels), and the header's.
        The numbers panel asks for the height its table and lines take at the cell's width, the
        graph for the height its boxes take at the type its width allows."""
        theme, s, dpi = self.theme, self.scale, self.dpi
        want = {}
        title = self.text_size("Numbers of this batch", theme.size("title", 720 * s), bold=True)[1]
        self._numbers_top = title * 1.25 + theme.size("title", 720 * s) * 0.5 * dpi / 72 + 6 * s
        if "numbers" in self.views_names:
            width = view_cells(self.views_names, self.width, top, self.arrangement, {})["numbers"][2]
            table = NumbersLayout(self).plan(width - 3 * 6 * s, None)
            want["numbers"] = table.height + self._numbers_top + 2 * 6 * s
        if "graph" in self.views_names and self.story.graph.available:
            # The graph asks for the height its boxes take at the type its cell's width allows.
            width = view_cells(self.views_names, self.width, top, self.arrangement, {})["graph"][2]
            want["graph"] = wanted_height(self, width - 3 * 6 * s, self._numbers_top + 6 * s)
        cells = view_cells(self.views_names, self.width, top, self.arrangement, want)
        boxes = {v: Bbox.from_bounds(*c) for v, c in cells.items()}
        boxes["header"] = Bbox.from_extents(0, top, self.width, self.height)
        return boxes

    def _add_view(self, name: str) -> None:
        """The view's axes in its cell, the view, and the axes fitted to the cell."""
        c, m, s = self.cells[name], self.margin, self.scale
        if name in TEXT_PANELS:  # no ticks: the cell less its title
            rect = (c.x0 + 2 * m, c.y0 + m, c.width - 3 * m, c.height - m - self._numbers_top)
        else:  # a first guess; fitted to the cell below
            rect = (c.x0 + 70 * s, c.y0 + 56 * s, c.width - 86 * s, c.height - 90 * s)
        rect = (rect[0], rect[1], max(rect[2], 10.0), max(rect[3], 10.0))
        ax = self.fig.add_axes((rect[0] / self.width, rect[1] / self.height,
                                rect[2] / self.width, rect[3] / self.height))
        self.axes[name] = ax
        view = VIEW_CLASSES[name](self, ax)
        self.views.append(view)
        # Fit the axes to its cell, place what depends on the axes' pixels (legends), and
        # once more if a legend moved out of the plot: it takes room in the cell too.
        if name not in TEXT_PANELS:
            self._fit_axes(ax, c, view)
            for _ in range(3):  # a long title (a model's formula) no longer squeezes the plot
                if not self._fit_title(ax, c):
                    break
                # Measured with a title wider than the axes, the fit keeps any width (the title's
                # overhang grows as the axes shrinks): fit with a stand-in of its height.
                title = ax._left_title if ax._left_title.get_text() else ax.title
                text = title.get_text()
                title.set_text("\n".join(line[:1] or "F" for line in text.split("\n")))
                self._fit_axes(ax, c, view)
                title.set_text(text)
        if hasattr(view, "finish_layout") and view.finish_layout():
            self._fit_axes(ax, c, view)
            view.finish_layout()

    # ------------------------------------------------------------------ layout helpers
    def text_size(self, text: str, fontsize: float, bold: bool = False,
                  italic: bool = False) -> tuple[float, float]:
        """Width and height in pixels of ``text`` as this figure draws it.

        Remembered: the layout asks for the same texts again and again (the numbers table is
        planned twice, each time measuring every value and line it may show)."""
        key = (text, fontsize, bold, italic)
        size = self._sizes.get(key)
        if size is None:
            if self._metrics is not None:  # laying out: the answer may be known from an earlier run
                question = ("text_size", *key, self.theme.font_family, self.dpi, self.fig.dpi)
                size = self._metrics.recall(question, lambda: self._measure(text, fontsize, bold, italic), 2)
            else:
                size = tuple(float(v) for v in self._measure(text, fontsize, bold, italic))
            self._sizes[key] = size
        return size

    def _measure(self, text: str, fontsize: float, bold: bool, italic: bool) -> tuple[float, float]:
        t = self._probe
        t.set_text(text)
        t.set_fontsize(fontsize)
        t.set_fontweight("bold" if bold else "normal")
        t.set_fontstyle("italic" if italic else "normal")
        e = t.get_window_extent(self.renderer)
        return e.width, e.height

    def _fit_axes(self, ax, cell: Bbox, view) -> None:
        """Shrink the axes until its title, tick labels, axis labels and the texts around it
        (measured with their widest content) sit inside ``cell``.

        The note above the parameter plot (``scale_text``) counts for its height only: it is
        right-aligned to the axes' right edge and shortened to the room beside the title once
        the axes are in place (``ParamView._fit_note``). Measured across, a note wider than the
        axes would overhang their left edge by more the more they shrink, and the fit would chase
        it out of the cell (a 0-step run's note of its plane is wider than the whole cell)."""
        probe = getattr(view, "scale_text", None)
        if probe is not None:
            probe.set_text(view.widest_scale_text)
            probe.set_in_layout(False)
        m = self.margin
        try:
            for _ in range(3):
                with _ticks_measured_once(ax):
                    tight = ax.get_tightbbox(self.renderer)
                if probe is not None and probe.get_text():
                    e = probe.get_window_extent(self.renderer)
                    tight = Bbox.from_extents(tight.x0, min(tight.y0, e.y0), tight.x1, max(tight.y1, e.y1))
                inner = ax.bbox
                left, bottom = inner.x0 - tight.x0, inner.y0 - tight.y0
                right, top = tight.x1 - inner.x1, tight.y1 - inner.y1
                x0, y0 = cell.x0 + left + m, cell.y0 + bottom + m
                w = max(cell.width - left - right - 2 * m, 10.0)
                h = max(cell.height - bottom - top - 2 * m, 10.0)
                new = (x0 / self.width, y0 / self.height, w / self.width, h / self.height)
                if np.allclose(new, ax.get_position().bounds, atol=0.25 / max(self.width, self.height)):
                    break
                ax.set_position(new)
        finally:
            if probe is not None:
                probe.set_text("")
                probe.set_in_layout(True)
        self._untangle_ticks(ax)

    def _fit_title(self, ax, cell: Bbox) -> bool:
        """A title wider than its cell (it starts at the axes' left edge) shrinks, down to
        TITLE_MIN of its size, then wraps onto two lines at the space that balances them:
        measured with it, the axes would shrink to a sliver. False when it fits as it is."""
        title = ax._left_title if ax._left_title.get_text() else ax.title  # loc="left"
        r = self.renderer
        room = cell.x1 - self.margin - ax.bbox.x0
        width = title.get_window_extent(r).width
        if not title.get_text() or width <= room:
            return False
        base = getattr(title, "_design_size", None) or title.get_fontsize()
        title._design_size = base  # the size it was made with (a second pass shrinks from there)
        title.set_fontsize(max(title.get_fontsize() * room / width * 0.96, base * TITLE_MIN))
        if title.get_window_extent(r).width > room and "\n" not in title.get_text():
            text = title.get_text()
            cuts = [i for i, ch in enumerate(text) if ch == " " and 0 < i < len(text) - 1
                    and text[i - 1] != " " and text[i + 1] != " "]  # not inside "Fit:  ŷ"
            if cuts:
                def longest(i: int) -> float:
                    return max(self.text_size(text[:i], base, bold=True)[0],
                               self.text_size(text[i + 1:], base, bold=True)[0])
                i = min(cuts, key=longest)
                title.set_text(text[:i] + "\n" + text[i + 1:])
                title.set_fontsize(base)
                width = title.get_window_extent(r).width
                if width > room:
                    title.set_fontsize(max(base * room / width * 0.96, base * TITLE_MIN))
        return True

    def _untangle_ticks(self, ax) -> None:
        """Fewer x ticks where their labels would run together (a narrow panel), and drop a
        y tick whose label would run into an x tick label (the corner where the axes meet):
        the limits are fixed, so the ticks can be too."""
        r = self.renderer
        loc = ax.xaxis.get_major_locator()
        for _ in range(4):
            labels = sorted((t.label1.get_window_extent(r) for t in ax.xaxis._update_ticks()
                             if t.label1.get_visible() and t.label1.get_text()), key=lambda e: e.x0)
            gap = min((b.x0 - a.x1 for a, b in zip(labels, labels[1:])), default=np.inf)
            if gap >= self.scale * 4 or not isinstance(loc, MaxNLocator):
                break
            if loc._nbins == "auto":  # matplotlib's own count (the fit view's): one fewer than it gave
                loc.set_params(nbins=max(len(labels) - 2, 3))
                continue
            if loc._nbins <= 3:
                break
            loc.set_params(nbins=loc._nbins - 1)
        x_boxes = [t.label1.get_window_extent(r) for t in ax.xaxis._update_ticks()
                   if t.label1.get_visible() and t.label1.get_text()]
        ticks = ax.yaxis._update_ticks()
        keep = [t.get_loc() for t in ticks
                if not (t.label1.get_visible() and t.label1.get_text()
                        and any(t.label1.get_window_extent(r).overlaps(b) for b in x_boxes))]
        if len(keep) < len(ticks):
            ax.set_yticks(keep)

    # ------------------------------------------------------------------ frames
    def use_plan(self, plan: FramePlan) -> None:
        """Take the captions of this plan's segments (the beat boundaries) from the story."""
        self.plan = plan
        self._captions: dict = {}
        for seg, (_, _, text) in zip(plan.segments(), self.story.captions(plan)):
            self._captions[(seg.beat, -1 if seg.beat == FAST else int(seg.steps[0]))] = text
        if self.header is not None:
            self.header.fit_captions(list(self._captions.values()))
            for v in self.views:  # the arrows this plan shows decide where the legend goes
                if isinstance(v, ParamView) and v.finish_layout():
                    self._fit_axes(v.ax, self.cells["params"], v)
                    v.finish_layout()

    def caption(self, beat: int, step: int) -> str:
        key = (beat, -1 if beat == FAST else (0 if beat == INTRO else step))
        if key not in self._captions:  # a frame outside the plan (a test's own frame)
            return self.story.caption(beat, step, self.story.n - 1 if beat == FAST else step)
        return self._captions[key]

    def view(self, name: str):
        return self.views[self.views_names.index(name)]

    def update(self, k: int, beat: int, t: float, text_step: int | None = None) -> list[Artist]:
        """Set every animated artist for frame (step k, beat, t); return them in draw order.

        ``text_step``: in fast-forward, the step whose numbers the text shows (the renderer
        refreshes the numbers a few times a second: 30 values a second cannot be read).
        """
        st = self.story.state(k, beat, t)
        st_text = st if text_step is None or beat != FAST else self.story.state(text_step, beat, t)
        for v in self.views:
            v.update(st_text if v in self.text_views else st)
        return self.artists

    def groups(self) -> list[tuple[Bbox, list[Artist]]]:
        """Artists (text panels) whose pixels depend only on their own state, with the region
        they cover: nothing else animated is drawn there, so a region can be reused as is."""
        out = []
        for v in self.text_views:
            if isinstance(v, Header):
                box = Bbox.from_extents(0, self.height - self.header_px, self.width, self.height)
            else:
                box = v.ax.bbox.expanded(1.0, 1.0).padded(4)
            out.append((box, list(v.animated)))
        if "params" in self.views_names:  # the note above the parameter panel
            pv = self.view("params")
            ab = pv.ax.bbox
            pv.scale_text.set_text(pv.widest_scale_text)
            e = pv.scale_text.get_window_extent(self.renderer)
            pv.scale_text.set_text("")
            out.append((Bbox.from_extents(min(e.x0, ab.x1 - 4) - 4, ab.y1 + 1, ab.x1 + 4,
                                          max(e.y1, ab.y1 + 4) + 4), [pv.scale_text]))
        return out


@contextlib.contextmanager
def _ticks_measured_once(ax):
    """Within one ``get_tightbbox`` of ``ax``, each axis's ticks are computed and their labels
    measured once: matplotlib does it twice an axis (once more to place the axis label), for
    the same ticks, nothing having moved in between. The same boxes, in half the time."""
    axes = [a for a in (ax.xaxis, ax.yaxis) if hasattr(a, "_update_ticks") and hasattr(a, "_get_ticklabel_bboxes")]
    for axis in axes:
        update, boxes = axis._update_ticks, axis._get_ticklabel_bboxes
        memo: dict = {}

        def update_once(update=update, memo=memo):
            if "ticks" not in memo:
                memo["ticks"] = update()
            return memo["ticks"]

        def boxes_once(ticks, renderer, boxes=boxes, memo=memo):
            key = (tuple(map(id, ticks)), id(renderer))
            if memo.get("key") != key:
                memo["key"], memo["boxes"] = key, boxes(ticks, renderer)
            return memo["boxes"]

        axis._update_ticks, axis._get_ticklabel_bboxes = update_once, boxes_once
    try:
        yield
    finally:
        for axis in axes:  # the class's own methods again
            del axis._update_ticks, axis._get_ticklabel_bboxes


def build_scene(trace: Trace, theme: Theme, size=(1280, 720), views=DEFAULT_VIEWS,
                fig: Figure | None = None) -> Scene:
    return Scene(trace, theme, size, views, fig)
