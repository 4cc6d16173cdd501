"""The matplotlib backend: a real FuncAnimation, and a fast saver that gives the same pixels.

``FuncAnimation.save`` redraws the whole figure for every frame. The fast path draws the
static parts once (axes, ticks, contours, data points), keeps that background, and per frame
restores it and draws only the animated artists (blitting), then hands the RGB buffer to
every requested writer: the frames are rendered once, whatever the number of formats.
Long videos are rendered in chunks by worker processes (one per core); the parent streams
the chunks to the encoders in order, with a bounded number in flight.
"""
from __future__ import annotations

import collections
import mmap
import dataclasses
import multiprocessing as mp
import os
import re
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from scenes.encode import Encoders
from scenes.job import check_size
from scenes.outputs import POSTER_FORMATS, output_file_name
from scenes.mpl import glyph_cache
from scenes.mpl.blit_areas import BlitAreas
from scenes.mpl.text_tiles import TextTiles
from scenes.mpl.views import DEFAULT_VIEWS, Scene, check_views
from scenes.story.plan import FAST, HOLD, FramePlan, PlanSettings, check_fps
from scenes.story.deck import deck_outline
from scenes.story.story import Story, as_story, plan_of
from scenes.story.theme import Theme, load_theme
from scenes.writers import write_png
from scenes.writers.vtt import VIDEO_FORMATS
from training.trace import Trace

__all__ = ["FrameRenderer", "render_matplotlib", "make_animation", "build_plan", "check_size",
           "write_vector_poster"]

CHUNK = 6          # frames per task sent to a worker
PARALLEL_MIN = 90  # below this many frames, starting workers costs more than it saves


TEXT_HZ = 4  # how often the numbers refresh during fast-forward


def text_steps(plan: FramePlan, hz: float = TEXT_HZ) -> np.ndarray:
    """Per frame, the step whose numbers the text shows: in fast-forward the numbers refresh
    ``hz`` times a second (at 30 steps a second no one can read them); elsewhere every frame.
    The fast-forward's last frame shows its own step: the plots have reached the last step
    there, and the numbers must not still say a step some epochs back."""
    out = plan.step.copy()
    every = max(1, int(round(plan.fps / hz)))
    fast = np.flatnonzero(plan.beat == FAST)
    if len(fast) and every > 1:
        pos = np.arange(len(fast))
        out[fast] = plan.step[fast[pos - pos % every]]
        ends = fast[np.append(np.diff(fast) > 1, True)]  # the last frame of each fast stretch
        out[ends] = plan.step[ends]
    return out


def build_plan(trace: Trace, settings: PlanSettings | None = None, fps: int | None = None) -> FramePlan:
    s = settings or PlanSettings()
    if fps is not None and fps != s.fps:
        s = dataclasses.replace(s, fps=int(fps))
    return plan_of(trace, s)


class FrameRenderer:
    """Draws frames of a :class:`Scene` by blitting the animated artists on a cached background."""

    def __init__(self, scene: Scene, plan: FramePlan):
        self.scene = scene
        self.plan = plan
        self.fig = scene.fig
        self.canvas = self.fig.canvas
        self._bg = None
        self._groups = None
        self._free: list = []
        self._areas: BlitAreas | None = None
        self._bg_pixels: np.ndarray | None = None
        self._known = False  # the canvas holds the last frame drawn (else: restore it whole)
        self.text_steps = text_steps(plan)
        scene.use_plan(plan)

    def _background(self):
        if self._bg is None:
            for a in self.scene.artists:
                a.set_animated(True)
            self.canvas.draw()  # animated artists are left out of a full draw
            glyph_cache.install(self.canvas.get_renderer())  # the frames' texts: glyphs rendered once
            self._bg = self.canvas.copy_from_bbox(self.fig.bbox)
            self._bg_pixels = np.asarray(self.canvas.buffer_rgba()).copy()
            self._known = False
        return self._bg

    def draw_state(self, k: int, beat: int, t: float, text_step: int | None = None) -> np.ndarray:
        """The frame for (step, beat, t) as an (H, W, 4) uint8 RGBA array: a view of the canvas
        buffer, valid until the next frame is drawn (copy it to keep it)."""
        bg = self._background()
        if self._groups is None:
            groups = self.scene.groups()
            self._groups = [[box, arts, None, None, TextTiles(self.fig, box, arts)] for box, arts in groups]
            grouped = {id(a) for _, arts in groups for a in arts}
            self._free = [a for a in self.scene.artists if id(a) not in grouped]
            self._areas = BlitAreas(self.fig, self._free, [g[4] for g in self._groups])
        self.scene.update(k, beat, t, text_step)
        while not self._draw_frame(bg):  # (once more at most: the panel that asked has tiles off)
            pass
        return np.asarray(self.canvas.buffer_rgba())

    def _draw_frame(self, bg) -> bool:
        canvas, groups, areas = self.canvas, self._groups, self._areas
        keys = [tuple((a.get_text(), a.get_visible(), a.get_color(), a.get_alpha()) for a in g[1]) for g in groups]
        # The background goes back where this frame can differ from the last one only
        # (scenes.mpl.blit_areas): the axes' boxes and the panels whose text changed.
        full = not self._known
        if full:
            canvas.restore_region(bg)
        else:
            areas.restore(np.asarray(canvas.buffer_rgba()), self._bg_pixels,
                          [g[4] for g, k in zip(groups, keys) if k != g[2] or g[3] is None])
        self._known = False  # until this frame is whole
        draw = self.fig.draw_artist
        for a in self._free:
            if a.get_visible():
                draw(a)
        unclipped = areas.drew_unclipped()
        # Text panels: drawn again only when their text changed, else their last pixels reused
        # (text is most of the cost of a frame; the pixels are the same either way). A panel
        # that changed reuses the pixels of each text it showed before (scenes.mpl.text_tiles).
        for g, new_key, touching in zip(groups, keys, areas.touching):
            box, arts, key, region, tiles = g
            # (a panel whose text reached past its region is drawn again: the region would
            # not hold all of it; its tiles are then off, and each frame restores everything)
            if new_key == key and region is not None and not tiles.spills:
                if full or unclipped or touching:
                    canvas.restore_region(region)
            else:
                if not tiles.draw():
                    return False
                g[2], g[3] = new_key, canvas.copy_from_bbox(box)
        self._known = not unclipped and all(g[4].usable for g in groups)
        return True

    def frame(self, i: int) -> np.ndarray:
        return self.draw_state(*self.plan.frame(i), int(self.text_steps[i]))

    def frame_full(self, i: int) -> np.ndarray:
        """The same frame by a full redraw, as FuncAnimation.save makes it (for tests)."""
        arts = self.scene.update(*self.plan.frame(i), int(self.text_steps[i]))
        try:
            return full_redraw(self.canvas, arts)
        finally:
            self._bg = None
            self._groups = None

    def final_frame(self) -> np.ndarray:
        k = max(self.scene.story.n - 1, 0)
        return self.draw_state(k, HOLD, 1.0).copy()

    def poster(self) -> np.ndarray:
        """The final frame by one full draw, for a render with no video: a background to blit
        on would be drawn for this one frame only. The same pixels as :meth:`final_frame`
        (the artists' draw order is the full draw's), in one draw instead of two."""
        if self._bg is not None:  # frames were drawn already: the blit is the cheaper way
            return self.final_frame()
        k = max(self.scene.story.n - 1, 0)
        return full_redraw(self.canvas, self.scene.update(k, HOLD, 1.0))

    # ------------------------------------------------------------ streaming
    def frames(self, workers: int = 1, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        """Every frame in order. With workers > 1, chunks are drawn in forked processes."""
        stop = len(self.plan) if stop is None else stop
        if workers <= 1 or stop - start < PARALLEL_MIN or "fork" not in mp.get_all_start_methods():
            for i in range(start, stop):
                yield self.frame(i)
            return
        yield from self._parallel(workers, start, stop)

    def _parallel(self, workers: int, start: int, stop: int) -> Iterator[np.ndarray]:
        global _RENDERER, _SHARED
        self._background()
        h, w = self.scene.height, self.scene.width
        frame_bytes = h * w * 4
        chunks = [(i, min(i + CHUNK, stop)) for i in range(start, stop, CHUNK)]
        depth = 2 * workers  # chunks in flight: bounded memory, whatever the video's length
        n_slots = depth + 1  # + the one being streamed to the encoders
        # Frames travel through shared memory, not pipes: a worker draws into a slot, the
        # parent hands views of it to the writers. Both globals are inherited by fork.
        shared = mmap.mmap(-1, n_slots * CHUNK * frame_bytes)
        slots = np.frombuffer(shared, dtype=np.uint8).reshape(n_slots, CHUNK, h, w, 4)
        _RENDERER, _SHARED = self, shared
        try:
            # Fork before any encoder starts, so no worker holds an encoder's pipe open.
            with mp.get_context("fork").Pool(workers) as pool:
                free = list(range(n_slots))
                pending: collections.deque = collections.deque()
                it = iter(chunks)

                def submit() -> None:
                    c = next(it, None)
                    if c is not None:
                        slot = free.pop()
                        pending.append((slot, pool.apply_async(_render_chunk, (*c, slot))))

                for _ in range(depth):
                    submit()
                while pending:
                    slot, res = pending.popleft()
                    count = res.get()
                    submit()
                    for j in range(count):
                        yield slots[slot, j]
                    free.append(slot)
        finally:
            # The memory is freed when the last frame view handed out is dropped.
            _RENDERER, _SHARED = None, None


_RENDERER: FrameRenderer | None = None
_SHARED: mmap.mmap | None = None


def full_redraw(canvas, artists) -> np.ndarray:
    """The figure drawn whole, its animated ``artists`` included, as FuncAnimation.save draws
    a frame without blitting (the tests' reference for a blitted frame); they stay animated."""
    for a in artists:
        a.set_animated(False)
    try:
        canvas.draw()
        return np.asarray(canvas.buffer_rgba()).copy()
    finally:
        for a in artists:
            a.set_animated(True)


def _render_chunk(i0: int, i1: int, slot: int) -> int:
    r = _RENDERER
    h, w = r.scene.height, r.scene.width
    out = np.frombuffer(_SHARED, dtype=np.uint8).reshape(-1, CHUNK, h, w, 4)[slot]
    for j, i in enumerate(range(i0, i1)):
        out[j] = r.frame(i)
    return i1 - i0


def _palette_sample(plan: FramePlan, n: int = 10) -> list[int]:
    """Frames spread over the video (every beat type included) to fit the GIF palette to."""
    idx = set(np.linspace(0, len(plan) - 1, n).astype(int).tolist()) if len(plan) else set()
    for beat in np.unique(plan.beat):
        where = np.flatnonzero(plan.beat == beat)
        idx.add(int(where[len(where) // 2]))
    return sorted(idx)


def _auto_workers(n_frames: int, formats: Sequence[str]) -> int:
    """Drawing processes: one, unless there are four or more cores to spare for MP4/WebM.

    On two cores the encoder needs one of them: a second drawing process then only competes
    with it (measured: same wall time, 15% more CPU). A GIF is always drawn in one process:
    each extra one costs about 150 MB, and the GIF must stay under 500 MB in all."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if n_frames < PARALLEL_MIN or "gif" in formats or "frames" in formats or cpus < 4:
        return 1
    return 2


def _setup(trace, size, theme, views, fig=None) -> Scene:
    size = check_size(size)
    th = theme if isinstance(theme, Theme) else load_theme(theme)
    return Scene(trace, th, size, check_views(views), fig=fig)


def render_matplotlib(trace: Trace | Story, out_dir: Path, *, formats: Sequence[str] = ("mp4", "gif", "png"),
                      stem: str = "sgd", fps: int = 30, size: tuple[int, int] = (1280, 720),
                      theme: str | Theme = "light", views: Sequence[str] = DEFAULT_VIEWS,
                      plan: PlanSettings | None = None, workers: int | None = None,
                      progress: Callable[[int, int], None] | None = None,
                      writer_options: dict[str, dict] | None = None, captions: bool = True) -> list[Path]:
    """Render the trace (or its Story) once and write every requested format; return the paths written.

    Parameters
    ----------
    formats : any of ``mp4``, ``webm``, ``gif``, ``png`` (poster of the final fit) and
        ``frames`` (every frame as PNG in ``{stem}_frames/``), ``pptx`` (a deck cut at the beats,
        :mod:`scenes.writers.pptx`); validated by
        :func:`scenes.job.check_formats` (the CLI and :func:`scenes.api.render` call it).
    fps : frames per second; it overrides ``plan.fps`` (plan durations are in seconds).
    workers : processes drawing frames; None picks one per core (at most 2) for long videos.
    progress : called as ``progress(frames_done, total)``.
    writer_options : per-format keyword arguments for the writers, e.g. ``{"mp4": {"crf": 18}}``.
    captions : with a video (mp4, webm, gif), also write ``{stem}.vtt`` (the beats' captions at
        the plan's beat boundaries) and carry it in MP4 and WebM as a soft subtitle track.
    """
    import matplotlib

    # Unhinted glyphs: a quarter less drawing time per frame, and at video sizes they look
    # the same (hinting snaps glyphs to a pixel grid for small print on screens). Scoped to
    # this render, so a user's own figures are not affected.
    with matplotlib.rc_context({"text.hinting": "none"}):
        return _render(trace, Path(out_dir), formats=formats, stem=stem, fps=fps, size=size, theme=theme,
                       views=views, plan=plan, workers=workers, progress=progress,
                       writer_options=writer_options, captions=captions)


def _render(run: Trace | Story, out_dir: Path, *, formats, stem, fps, size, theme, views, plan, workers,
            progress, writer_options, captions) -> list[Path]:
    formats = tuple(dict.fromkeys(formats))
    check_fps(fps)
    story = as_story(run)
    trace = story.trace
    scene = _setup(story, size, theme, views)
    frame_plan = build_plan(trace, plan, fps)
    renderer = FrameRenderer(scene, frame_plan)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    opts = writer_options or {}
    written: list[Path] = []
    captions_file: Path | None = None
    size = (scene.width, scene.height)

    videos = [f for f in formats if f not in POSTER_FORMATS]  # every format but the posters is a writer
    if videos:
        n = len(frame_plan)
        if workers is None:
            workers = _auto_workers(n, videos)
        writer_opts = {f: dict(opts.get(f, {})) for f in videos}
        if "pptx" in videos:  # the deck cuts these frames at the beats of the plan they follow
            writer_opts["pptx"] = {"outline": deck_outline(story, frame_plan), "frame_plan": frame_plan,
                                   "theme": scene.theme,
                                   **writer_opts["pptx"]}
        if "gif" in videos and "palette_frames" not in writer_opts["gif"]:
            writer_opts["gif"]["palette_frames"] = [renderer.frame(i).copy()
                                                    for i in _palette_sample(frame_plan)]
        targets = {f: out_dir / output_file_name(stem, f) for f in videos}
        if captions and any(f in VIDEO_FORMATS for f in videos):
            captions_file = out_dir / f"{stem}.vtt"
        cues = (captions_file, scene.story.captions(frame_plan)) if captions_file else None
        # Pull the first frame before any encoder starts: the workers fork then, and so never
        # inherit (and hold open) an encoder's stdin pipe.
        stream = renderer.frames(workers)
        first = next(stream, None)
        with Encoders(targets, size, fps, options=writer_opts, captions=cues, total=n, progress=progress) as enc:
            enc.feed(stream if first is None else _chain(first, stream))
        written += enc.paths
    if "png" in formats:
        written.append(write_png(out_dir / f"{stem}.png", renderer.poster()))
    for fmt in ("svg", "pdf"):
        if fmt in formats:
            vector = _setup(story, size, theme, views)
            written.append(write_vector_poster(vector, frame_plan, out_dir / f"{stem}.{fmt}", fmt))
    return written + ([captions_file] if captions_file else [])


def write_vector_poster(scene: Scene, plan: FramePlan, path: Path, fmt: str) -> Path:
    """The final-fit poster (the last frame's state, as the PNG poster shows it) as a vector
    file, atomically, from a scene not used for blitting: every artist is made static, as
    :meth:`FrameRenderer.frame_full` does (a full draw leaves animated artists out). Text is kept as text: ``<text>`` elements in the SVG, embedded
    TrueType fonts (Type 42) in the PDF, so it can be searched, copied and edited."""
    import matplotlib

    from training.atomic import atomic_path

    scene.use_plan(plan)
    k = max(scene.story.n - 1, 0)
    scene.update(k, HOLD, 1.0, k)
    for a in scene.artists:
        a.set_animated(False)
    rc = {"svg.fonttype": "none", "pdf.fonttype": 42, "svg.hashsalt": "sgd-anim"}  # hashsalt: same file twice
    with matplotlib.rc_context(rc), atomic_path(path) as tmp:
        scene.fig.savefig(tmp, format=fmt, facecolor=scene.fig.get_facecolor(),
                          metadata={"Date": None} if fmt == "svg" else {"CreationDate": None})
        if fmt == "svg":
            tmp.write_text(_keep_spaces(tmp.read_text(encoding="utf-8")), encoding="utf-8")
    return Path(path)


_SPACED_TEXT = re.compile(r'<text style="([^"]*)"([^>]*)>([^<]*  [^<]*)</text>')


def _keep_spaces(svg: str) -> str:
    """SVG collapses runs of spaces in text, which the numbers' lines use to space their
    values ("final:  a = 0.5047     b = 0.0963"): those text elements get ``white-space: pre``,
    the others (tick labels split into tspans over indented lines) are left alone."""
    return _SPACED_TEXT.sub(lambda m: f'<text style="white-space: pre; {m.group(1)}"{m.group(2)}>{m.group(3)}</text>', svg)


def _chain(first, rest):
    yield first
    yield from rest


def make_animation(trace: Trace, *, fps: int = 30, size: tuple[int, int] = (1280, 720),
                   theme: str | Theme = "light", views: Sequence[str] = DEFAULT_VIEWS,
                   plan: PlanSettings | None = None, fig=None, blit: bool = True):
    """A real :class:`matplotlib.animation.FuncAnimation` of the trace (a window, Jupyter).

    It uses the same scene and update function as the fast saver. Without ``fig`` a pyplot
    figure is made, so ``plt.show()`` or Jupyter's ``HTML(anim.to_jshtml())`` display it.
    """
    from matplotlib.animation import FuncAnimation

    if fig is None:
        import matplotlib.pyplot as plt

        w, h = check_size(size)
        fig = plt.figure(figsize=(w / 100, h / 100), dpi=100)
    scene = _setup(trace, size, theme, views, fig=fig)
    frame_plan = build_plan(trace, plan, fps)
    scene.use_plan(frame_plan)
    steps = text_steps(frame_plan)

    def update(i: int):
        return scene.update(*frame_plan.frame(i), int(steps[i]))

    anim = FuncAnimation(fig, update, frames=len(frame_plan), init_func=lambda: scene.artists,
                         interval=1000.0 / frame_plan.fps, blit=blit, repeat=True)
    anim._sgd_scene = scene  # keep the scene (and its artists' owner) alive with the animation
    anim._sgd_plan = frame_plan
    return anim
