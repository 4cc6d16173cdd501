"""The one render pipeline: settings in, files out.

Every way of making outputs goes through here: the command line (``render.py``), the Python
API (:mod:`scenes.api`), each run of a comparison (``--each``, :mod:`scenes.compare`) and
the live server (:mod:`scenes.web.serve`). Its stages, in order:

1. **trace**: loaded from a file, taken from the trace cache, or recorded with PyTorch
   (:func:`obtain_trace`; torch is imported only to record);
2. **backend**: matplotlib or Manim draws the frames, which reach the writers through one
   frame loop (:mod:`scenes.encode`): videos, GIF, poster, frames, deck (:func:`draw`);
3. **story outputs**: the player's page and its presenter mode, drawn by the browser from
   the story (:data:`STORY_OUTPUTS`), the explorer's grid of runs;
4. **budgets**: a GIF over its size budget is redrawn at a lower frame rate;
5. **records**: ``trace.json`` and ``config.toml`` beside the outputs (:func:`render_job`);
6. **commit**: every file of the run was staged in a hidden folder and is moved into place
   together at the end (:mod:`scenes.staging`): a run that fails or is stopped by a signal
   leaves the output folder exactly as it was.

Nothing here parses flags or prints: messages go to ``Report.say`` and progress to
``Report.task``; the command line decides what to show. Nothing below calls back up.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from scenes.backends import backend
from scenes.job import Job, RenderSettings, job_to_toml, split_formats
from scenes.outputs import VIDEO_FORMATS, output_file_name
from scenes.staging import Staging, create_folder
from scenes.story.plan import PlanSettings
from training.errors import InputError

__all__ = ["Report", "obtain_trace", "graph_steps", "cached_trace", "plan_settings", "draw", "load_backend",
           "write_story_outputs", "render_outputs",
           "render_job", "check_out_dir", "make_out_dir", "check_targets", "STORY_OUTPUTS"]


def _silent(message: str) -> None:
    return None


def _no_task(name: str) -> Callable[[int, int], None] | None:
    return None


@dataclass(frozen=True)
class Report:
    """Where the pipeline reports: ``say`` one line for the user (a warning, what was reused),
    ``task(name)`` a progress callback ``(done, total)`` for a stage, or None."""

    say: Callable[[str], None] = _silent
    task: Callable[[str], Callable[[int, int], None] | None] = _no_task


SILENT = Report()


# ------------------------------------------------------------------ 1. the trace
def obtain_trace(train, base_dir: Path | None = None, *, use_cache: bool = True, report: Report = SILENT,
                 plan: PlanSettings | None = None):
    """The run these settings make: from the trace cache when it was recorded before (and
    ``use_cache``), else recorded with PyTorch and cached. The one place that records.

    The steps that carry an autograd graph are ``train.graph_steps`` and, with a ``plan``,
    the detailed steps it shows (:func:`graph_steps`)."""
    from training import cache
    from training.data import load_data

    data = load_data(train.data, base_dir)
    train.validate(len(data))
    chosen = graph_steps(train, len(data), plan)
    key, trace = cached_trace(train, data, use_cache=use_cache, graph_steps=chosen)
    if trace is not None:
        report.say(f"reusing the trace recorded for this configuration ({cache.cache_path(key)})")
        return trace
    from training.recorder import record
    trace = record(train, data, progress=report.task("recording"), graph_steps=chosen)
    cache.store(key, trace)
    return trace


# The detailed steps that get a graph: the first ones, at most this many (with --graph-steps'
# 50, within training.tracegraphs.MAX_GRAPHS).
MAX_DETAIL_GRAPHS = 50


def graph_steps(train, n_points: int, plan: PlanSettings | None) -> tuple[int, ...]:
    """The steps (0-based) whose autograd graph a run records: the detailed steps of ``plan``
    (the first MAX_DETAIL_GRAPHS; none without a plan) and ``train.graph_steps``."""
    detail = 0
    if plan is not None:
        from scenes.story.plan import make_plan
        from training.batches import batches_per_epoch
        per_epoch = batches_per_epoch(n_points, train.batch_size, train.drop_last)
        # The plan's own rule (scenes.story.plan), for the longest run these settings make (cut
        # to MAX_DETAIL_GRAPHS steps: the plan stays small, the count the same); a run that
        # diverges earlier shows fewer, and has no graph past its end.
        steps = min(per_epoch * train.epochs, MAX_DETAIL_GRAPHS)
        detail = make_plan(steps, per_epoch, replace(plan, target_duration=None)).detail_steps
    return tuple(sorted(set(range(min(detail, MAX_DETAIL_GRAPHS))) | set(train.graph_indices)))


def cached_trace(train, data, *, use_cache: bool = True, graph_steps=()):
    """``(cache key, the trace recorded before or None)`` for these settings and points, and
    these steps (0-based) with an autograd graph."""
    from training import cache
    key = cache.cache_key(train, data, graph_steps)
    return key, (cache.load_cached(key) if use_cache else None)


# ------------------------------------------------------------------ 2. the backend
def plan_settings(r: RenderSettings) -> PlanSettings:
    """The timing a job's render settings ask for."""
    return PlanSettings(fps=r.fps, detail_steps=r.detail_steps, target_duration=r.duration)


def load_backend(job: Job) -> None:
    """Import now the backend module that will draw ``job``'s frames, if it draws any
    (render.py loads it while Python's cycle collector waits for the modules: render._settle)."""
    drawn, _ = split_formats(job.render.formats)
    if drawn:
        import importlib
        try:
            importlib.import_module(backend(job.render.backend).module)
        except ImportError:  # (Manim not installed) fails again where it did: at the drawing
            pass


def draw(backend_name: str, trace, out: Path, **options: Any) -> list[Path]:
    """Frames, posters and deck of ``trace`` by a backend (its keyword ``options``)."""
    return backend(backend_name).draw(trace, out, **options)


def _backend_options(r: RenderSettings, plan: PlanSettings, formats, progress) -> dict:
    """A job's render settings as the backend's keyword arguments."""
    if r.backend == "manim":
        return dict(scene=r.scene, quality=r.quality, formats=formats, stem=r.stem, theme=r.theme, plan=plan,
                    progress=progress, captions=r.captions)
    return dict(formats=formats, fps=r.fps, plan=plan, captions=r.captions, stem=r.stem, size=r.size,
                theme=r.theme, views=r.views, progress=progress)


# ------------------------------------------------------------------ 3. story outputs
def _html(trace, out: Path, *, stem: str, theme, plan: PlanSettings | None) -> Path:
    from scenes.web.page import render_html
    return render_html(trace, out, stem=stem, theme=theme, plan=plan)


def _slides(trace, out: Path, *, stem: str, theme, plan: PlanSettings | None) -> Path:
    from scenes.web.page import render_slides  # the player in presenter mode: one beat per key press
    return render_slides(trace, out, stem=stem, theme=theme, plan=plan)


# Formats drawn by the browser from the story: the same page whatever the backend.
STORY_OUTPUTS: dict[str, Callable[..., Path]] = {"html": _html, "slides": _slides}


def write_story_outputs(trace, out: Path, formats, *, stem: str, theme, plan: PlanSettings | None) -> list[Path]:
    return [STORY_OUTPUTS[f](trace, out, stem=stem, theme=theme, plan=plan) for f in formats]


def _explorer(job: Job, out: Path, plan: PlanSettings, report: Report, use_cache: bool) -> Path:
    """STEM.html with --explore: a grid of runs (each recorded through the same cache)."""
    from scenes.web.explore import grid_configs
    from scenes.web.page import explorer_page, write_page
    from training.data import load_data

    r = job.render
    axes, grid = grid_configs(job.train, len(load_data(job.train.data, job.base_dir)))
    t0 = time.perf_counter()
    runs = [(values, obtain_trace(cfg, job.base_dir, use_cache=use_cache)) for values, cfg in grid]
    report.say(f"explorer: {len(runs)} runs ready in {time.perf_counter() - t0:.1f} s")
    start = {"lr": job.train.lr, "batch_size": job.train.batch_size, "momentum": job.train.effective_momentum}
    return write_page(explorer_page(runs, axes, theme=r.theme, plan=plan, initial=start), out / f"{r.stem}.html")


# ------------------------------------------------------------------ 4. budgets
def _fit_gif_budget(trace, out: Path, r: RenderSettings, plan: PlanSettings, options: dict, report: Report) -> None:
    """Keep a GIF under the preset's size budget by lowering its frame rate, never its size:
    the text must stay readable from the back of the room."""
    budget = r.max_gif_mb * 1e6
    gif = out / f"{r.stem}.gif"
    fps = r.fps
    while gif.stat().st_size > budget and fps > 6:
        fps = max(6, int(fps * 0.7))
        # The captions follow the GIF's new timing unless an MP4 or WebM (which carries the
        # same cues at the original rate) is written beside it.
        captions = r.captions and not any(f in r.formats for f in ("mp4", "webm"))
        draw(r.backend, trace, out, **{**options, "formats": ("gif",), "fps": fps, "plan": replace(plan, fps=fps),
                                       "captions": captions, "progress": None})
    size_mb = gif.stat().st_size / 1e6
    note = f" at {fps} fps" if fps != r.fps else ""
    verdict = "within" if size_mb <= r.max_gif_mb else "still over"
    report.say(f"{gif.name}: {size_mb:.1f} MB{note}, {verdict} the {r.max_gif_mb:g} MB budget")


# ------------------------------------------------------------------ stages 2-4 together
def render_outputs(job: Job, trace, out: Path, *, report: Report = SILENT, use_cache: bool = True) -> list[Path]:
    """Every output format of ``job`` for ``trace`` into ``out``; the files written."""
    from scenes.story.story import as_story
    r = job.render
    plan = plan_settings(r)
    drawn, from_story = split_formats(r.formats)
    story = as_story(trace)  # built once, handed to the backend, the deck and the page
    files: list[Path] = []
    if drawn:
        options = _backend_options(r, plan, drawn, report.task("rendering"))
        files += draw(r.backend, story, out, **options)
        if r.max_gif_mb and "gif" in drawn and r.backend == "matplotlib":
            _fit_gif_budget(story, out, r, plan, options, report)
    for fmt in from_story:
        if fmt == "html" and r.explore:
            files.append(_explorer(job, out, plan, report, use_cache))
        else:
            files += write_story_outputs(story, out, (fmt,), stem=r.stem, theme=r.theme, plan=plan)
    return files


# ------------------------------------------------------------------ the output folder
def check_out_dir(out: Path) -> Path:
    """Check early that the output folder can be created and written, without creating it."""
    if out.exists() and not out.is_dir():
        raise InputError(f"output folder {out} is an existing file; give a folder with --out")
    existing = out
    while not existing.exists() and existing != existing.parent:  # the nearest existing ancestor
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"cannot create output folder {out}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"output folder {out} is not writable" if existing == out
                         else f"cannot create output folder {out}: {existing} is not writable")
    return out


def make_out_dir(out: Path) -> None:
    create_folder(out)


def check_targets(out: Path, job: Job, record_only: bool) -> None:
    """A folder where an output file goes (or a file where the frames folder goes) is refused now,
    not after the work, and with the name the user knows rather than a temporary one."""
    r = job.render
    names = ["trace.json"]
    if not record_only:
        names += ["config.toml", *(output_file_name(r.stem, fmt) for fmt in r.formats if fmt != "frames")]
        if r.captions and any(f in VIDEO_FORMATS for f in r.formats):
            names.append(f"{r.stem}.vtt")
    for name in names:
        if (out / name).is_dir():
            raise InputError(f"output file {out / name} is an existing folder; remove it or choose another --out or --name")
    frames = out / f"{r.stem}_frames"
    if not record_only and "frames" in r.formats and frames.exists() and not frames.is_dir():
        raise InputError(f"frames folder {frames} is an existing file; remove it or choose another --out or --name")


# ------------------------------------------------------------------ one whole run
def render_job(job: Job, *, trace_file: str | Path | None = None, record_only: bool = False,
               use_cache: bool = True, report: Report = SILENT) -> list[Path]:
    """One run, whole: every check that can refuse it first, then the trace, the outputs,
    ``trace.json`` and ``config.toml``, committed together; the files written, in that order."""
    if job.render.explore:
        if trace_file:  # explore = true from a config file
            raise InputError("--explore records a grid of new runs; it does not apply with --trace")
        from scenes.web.explore import check_explorable
        check_explorable(job.train)
    out = check_out_dir(job.out)
    check_targets(out, job, record_only)
    from scenes.story.drawable import check_render_drawable
    if trace_file:
        from training.trace import Trace
        trace = Trace.from_file(trace_file)
        if not record_only:
            check_render_drawable(trace.settings.model, job.render)
        config_job = replace(job, train=trace.settings)  # config.toml: the settings that recorded it
    else:
        if not record_only:  # before recording: refused at once, nothing written
            check_render_drawable(job.train.model, job.render)
        trace = obtain_trace(job.train, job.base_dir, use_cache=use_cache, report=report,
                             plan=plan_settings(job.render))
        config_job = job
    if trace.status.diverged:
        report.say(f"warning: training diverged at step {trace.status.step} ({trace.status.reason}); "
                   "the video shows where")
    elif trace.status.stopped:  # a recording of the user's own loop that ended early (training/loop_recorder.py)
        k = trace.status.step
        report.say(f"warning: the recording stopped after {k:,} step{'s' * (k != 1)} ({trace.status.reason})")
    if "pptx" in job.render.formats and not record_only:
        _check_deck(job, trace)
    if not record_only:
        _check_graph_view(job, trace)
    frames = [output_file_name(job.render.stem, "frames")] if "frames" in job.render.formats else []
    # Every output is staged and moved into place together at the end (scenes.staging): a run
    # that fails or is stopped leaves the folder as it was. Made only now: a run refused above
    # leaves nothing behind, not even a folder.
    with Staging(out, whole=frames) as stage:
        staged: list[Path] = []
        if not record_only:
            staged += render_outputs(job, trace, stage.path, report=report, use_cache=use_cache)
        if not trace_file or Path(trace_file).resolve() != (out / "trace.json").resolve():
            staged.append(trace.to_file(stage.path / "trace.json"))
        if not record_only:  # paths in it are relative to the output folder, not the staging one
            staged.append(stage.path / "config.toml")
            staged[-1].write_text(job_to_toml(config_job, relative_to=out), encoding="utf-8")
    return [stage.target(p) for p in staged]


def _check_graph_view(job: Job, trace) -> None:
    """``--views graph`` draws the trace's recorded autograd graphs: refused, before anything
    is written, when it holds none (the message says how to record them)."""
    r = job.render
    drawn, _ = split_formats(r.formats)
    if r.backend == "matplotlib" and drawn and "graph" in r.views and not trace.graphs:
        from scenes.story.graph import NO_GRAPHS
        raise InputError(f"--views graph: {NO_GRAPHS}")


def _check_deck(job: Job, trace) -> None:
    """A deck over its budget of video slides is refused before anything is drawn or written."""
    from scenes.story.story import plan_of
    from scenes.writers.pptx import check_deck_plan
    check_deck_plan(plan_of(trace, plan_settings(job.render)))
