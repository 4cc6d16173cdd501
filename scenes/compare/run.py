"""A whole comparison, as ``render.py --compare`` (or several ``--trace``) runs it.

:func:`prepare` checks everything (each run validated and named, traces loaded, the output
names free, the scheduler reachable) before any run starts; :func:`execute` records the
missing runs on the engine, stages each ``runs/<label>/trace.json`` as it arrives (and stores
it in the trace cache, so a rerun resumes), then ``runs.csv``, ``summary.png``/``.svg``, the
race video ``compare.*`` and ``config.toml``, and moves them all into the output folder
together (:mod:`scenes.staging`).
"""
from __future__ import annotations

import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import tomli_w

from scenes.compare.engine import Engine, RecordTask, RenderTask, record_task, render_task
from scenes.compare.spec import COMPARE_KEYS, Axis, Run, check_run_count, folder_names, format_value, plan_runs
from scenes.staging import Staging
from training.atomic import atomic_path
from training.errors import InputError

__all__ = ["Request", "Prepared", "RunsFailed", "prepare", "execute", "labels_of_traces", "compare_toml",
           "run_comparison"]

class RunsFailed(RuntimeError):
    """Some runs failed (each was reported with its label); the others were written."""


@dataclass(frozen=True)
class Request:
    axes: tuple[Axis, ...] = ()
    traces: tuple[Path, ...] = ()
    each: bool = False
    yes: bool = False
    jobs: int | None = None
    scheduler: str | None = None
    record_only: bool = False
    use_cache: bool = True
    stem: str = "compare"


@dataclass
class Prepared:
    job: object                    # scenes.job.Job: the base settings and the render settings
    request: Request
    runs: list[Run]
    varied: list[str]
    traces: dict = field(default_factory=dict)  # label -> Trace, for --trace comparisons


def labels_of_traces(traces: Sequence, paths: Sequence[Path]) -> tuple[list[str], list[str], list[dict]]:
    """Labels of saved runs: the settings in which they differ (``lr=0.3``), else file names."""
    settings = [t.settings for t in traces]
    def value(s, k):  # noqa: E306
        return s.effective_momentum if k == "momentum" else getattr(s, k)
    varied = [k for k in COMPARE_KEYS if len({format_value(k, value(s, k)) for s in settings}) > 1]
    values = [{k: value(s, k) for k in varied} for s in settings]
    labels = [",".join(f"{k}={format_value(k, v[k])}" for k in varied) for v in values]
    if not varied or len(set(labels)) < len(labels):
        stems = [p.stem for p in paths]
        if len(set(stems)) < len(stems):  # runs/<label>/trace.json: the folders tell them apart
            stems = [f"{p.parent.name}/{p.stem}" if p.parent.name else p.stem for p in paths]
        seen: dict[str, int] = {}
        labels = []
        for s in stems:
            seen[s] = seen.get(s, 0) + 1
            labels.append(s if seen[s] == 1 else f"{s}-{seen[s]}")
        varied = []
        values = [{} for _ in paths]
    return labels, varied, values


def prepare(job, request: Request) -> Prepared:
    """Everything that can be refused, refused now: nothing is recorded or written."""
    from scenes.compare.race import RACE_FORMATS  # what the race writes: compare.mp4, ...
    bad = [f for f in job.render.formats if f not in RACE_FORMATS]
    if bad and not request.record_only:
        raise InputError(f"--format {', '.join(bad)} does not apply to a comparison; it writes: {', '.join(RACE_FORMATS)}")
    w, h = job.render.size
    if job.render.backend == "manim" and abs(w / h - 16 / 9) > 0.02 and not request.record_only:
        # render_race refuses it too, but only after every run is recorded: refused here first.
        raise InputError(f"the Manim race is laid out for 16:9 frames (1280x720, 854x480, ...), got {w}x{h}; "
                         "the matplotlib race takes any shape")
    if job.render.explore:
        raise InputError("--explore writes the html explorer of one run; it does not apply to a comparison")
    from scenes.story.drawable import check_race_drawable
    if not request.record_only:
        check_race_drawable(job.train.model, job.render)
    if request.traces:
        from training.trace import Trace
        check_run_count(len(request.traces), request.yes)
        loaded = [Trace.from_file(p) for p in request.traces]
        if not request.record_only:
            for t in loaded:
                check_race_drawable(t.settings.model, job.render)
            kinds = list(dict.fromkeys(t.model.describe() for t in loaded))
            if len(kinds) > 1:  # (the race refuses it too, but after runs.csv and the summary)
                raise InputError(f"a race draws runs of one model on one picture; these traces are {', '.join(kinds)}")
        labels, varied, values = labels_of_traces(loaded, request.traces)
        folders = folder_names(labels)
        runs = [Run(label, folder, v, t.settings) for label, folder, v, t in zip(labels, folders, values, loaded)]
        return Prepared(job, request, runs, varied, dict(zip(labels, loaded)))
    runs = plan_runs(job.train, request.axes, job.base_dir, yes=request.yes)
    return Prepared(job, request, runs, [a.key for a in request.axes])


def output_names(prep: Prepared) -> list[str]:
    """Every file the comparison writes, relative to the output folder."""
    names = [f"runs/{r.folder}/trace.json" for r in prep.runs] + ["runs.csv"]
    if not prep.request.record_only:
        names += ["summary.png", "summary.svg", "config.toml",
                  *(f"{prep.request.stem}.{f}" for f in prep.job.render.formats)]
    return names


def _no_bar(name: str) -> None:
    return None


def execute(prep: Prepared, engine: Engine, out: Path, *, say: Callable[[str], None],
            warn: Callable[[str], None] | None = None,
            bar: Callable[[str], Callable[[int, int], None] | None] = _no_bar) -> list[Path]:
    """Record (or load) every run, write the outputs; return the files written.

    ``say`` gets the progress lines ("runs 3/8: lr=0.3 recorded"), ``warn`` each failure,
    ``bar(name)`` a progress callback ``(done, total)`` for a stage, or None.
    Runs that fail are reported by label; the others are written, then :class:`RunsFailed`.
    Every file is staged and moved into ``out`` together at the end (:mod:`scenes.staging`):
    a comparison stopped by a signal, or failing otherwise, leaves ``out`` as it was."""
    warn = warn or say
    with Staging(out) as stage:
        try:
            staged = _write_all(prep, engine, stage, say, warn, bar)
        except RunsFailed:
            stage.commit()  # the runs that succeeded are whole: kept, as a rerun resumes from them
            raise
    return [stage.target(p) for p in staged]


def _write_all(prep: Prepared, engine: Engine, stage: Staging, say, warn, bar) -> list[Path]:
    out, dest = stage.out, stage.path  # names relative to the output folder; files into the staging one
    traces, written = _record_all(prep, engine, stage, say, warn, bar("runs"))
    rows = _rows(prep, traces)
    from scenes.compare.table import write_runs_csv
    written.append(write_runs_csv(rows, dest / "runs.csv"))
    if prep.request.record_only:
        return written
    from scenes.compare.summary import write_summary
    r = prep.job.render
    written += write_summary(rows, prep.request.axes if not prep.request.traces else _trace_axes(prep), dest,
                             theme=r.theme)
    if r.formats:
        from scenes.compare.race import render_race
        from scenes.story.plan import PlanSettings
        plan = PlanSettings(fps=r.fps, detail_steps=r.detail_steps, target_duration=r.duration)
        written += render_race([(run.label, traces[run.label]) for run in prep.runs], dest, varied=prep.varied,
                               formats=r.formats, stem=prep.request.stem, backend=r.backend, size=r.size, fps=r.fps,
                               theme=r.theme, plan=plan, progress=bar("compare"))
    if prep.request.each:
        written += _render_each(prep, engine, dest, say, warn, bar("each run"))
    (dest / "config.toml").write_text(compare_toml(prep, out), encoding="utf-8")
    written.append(dest / "config.toml")
    return written


def _trace_axes(prep: Prepared) -> list[Axis]:
    """The varied settings of saved runs, as axes when they form a full grid of one or two."""
    def ordered(values: list) -> tuple:  # numbers in order; names as the runs came
        unique = list(dict.fromkeys(values))
        return tuple(sorted(unique)) if all(isinstance(v, (int, float)) for v in unique) else tuple(unique)
    axes = [Axis(k, ordered([r.values[k] for r in prep.runs])) for k in prep.varied]
    size = 1
    for a in axes:
        size *= len(a.values)
    return axes if len(axes) in (1, 2) and size == len(prep.runs) else []


def _rows(prep: Prepared, traces: dict):
    from scenes.compare.table import run_row
    return [run_row(run.label, run.values, traces[run.label]) for run in prep.runs]


def _record_all(prep: Prepared, engine: Engine, stage: Staging, say, warn, progress) -> tuple[dict, list[Path]]:
    from scenes.pipeline import cached_trace
    from training.data import load_data

    runs, total = prep.runs, len(prep.runs)
    traces: dict = {}
    written: list[Path] = []
    done = 0

    def tick(label: str, how: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)
        say(f"runs {done}/{total}: {label} {how}")

    source = dict(zip(prep.traces, prep.request.traces))  # label -> the saved trace's file

    out = stage.out

    def save(run: Run, trace) -> None:
        traces[run.label] = trace
        name = Path("runs") / run.folder / "trace.json"
        if run.label in source and Path(source[run.label]).resolve() == (out / name).resolve():
            return  # re-rendering the comparison's own saved runs: the file is already there
        written.append(trace.to_file(stage.path / name))

    if prep.traces:  # saved runs: nothing to record
        for run in runs:
            save(run, prep.traces[run.label])
            tick(run.label, "loaded")
        return traces, written

    keys: dict[str, str] = {}
    todo: list[tuple[str, RecordTask]] = []
    data_of: dict = {}
    for run in runs:
        if run.config.data not in data_of:
            data_of[run.config.data] = load_data(run.config.data, prep.job.base_dir)
        keys[run.label], cached = cached_trace(run.config, data_of[run.config.data], use_cache=prep.request.use_cache)
        if cached is not None:  # a rerun resumes: what was recorded before is not recorded again
            save(run, cached)
            tick(run.label, "from the cache")
        else:
            todo.append((run.label, RecordTask(run.label, run.config, str(prep.job.base_dir))))
    by_label = {r.label: r for r in runs}
    failed: list[str] = []
    for outcome in engine.run(record_task, todo):
        run = by_label[outcome.key]
        if outcome.error is not None:
            failed.append(run.label)
            done += 1
            warn(f"run {run.label} failed: {_first_line(outcome.error)}")
            continue
        trace = _load_bytes(outcome.value, keys[run.label])
        save(run, trace)
        tick(run.label, "recorded")
    if failed:
        raise RunsFailed(f"{len(failed)} of {total} runs failed ({', '.join(failed)}); the other runs are in "
                         f"{out / 'runs'} and in the cache, so running again records only the failed ones")
    return traces, written


def _load_bytes(data: bytes, key: str):
    """A task's binary trace: stored in the cache (so a rerun resumes) and read back from it."""
    from training import cache
    from training.trace import Trace
    path = cache.cache_path(key)
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
        return Trace.from_file(path)
    except OSError:  # no writable cache: a temporary file instead
        with tempfile.TemporaryDirectory(prefix="sgd-anim-") as tmp:
            p = Path(tmp) / "run.sgdtrace"
            p.write_bytes(data)
            return Trace.from_file(p)


def _render_each(prep: Prepared, engine: Engine, out: Path, say, warn, progress) -> list[Path]:
    """Each run's own video, in ``runs/<label>/``, rendered on the engine."""
    tasks = []
    for i, run in enumerate(prep.runs):
        job = replace(prep.job, train=run.config)
        trace_file = str(Path(prep.request.traces[i]).resolve()) if prep.request.traces else None
        tasks.append((run.label, RenderTask(run.label, job, trace_file)))
    by_label = {r.label: r for r in prep.runs}
    written: list[Path] = []
    failed = []
    for i, outcome in enumerate(engine.run(render_task, tasks), 1):
        if outcome.error is not None:
            failed.append(outcome.key)
            warn(f"render of run {outcome.key} failed: {_first_line(outcome.error)}")
            continue
        folder = out / "runs" / by_label[outcome.key].folder
        for name, data in outcome.value:  # into the staging folder: no rename of its own needed
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written.append(target)
        if progress is not None:
            progress(i, len(tasks))
        say(f"renders {i}/{len(tasks)}: {outcome.key}")
    if failed:
        raise RunsFailed(f"{len(failed)} of {len(tasks)} renders failed ({', '.join(failed)}); "
                         "the runs and the other renders are written")
    return written


def _first_line(err: BaseException) -> str:
    text = str(err).splitlines()[0] if str(err) else ""
    return text or type(err).__name__


def compare_toml(prep: Prepared, out: Path) -> str:
    """config.toml: the base job, and a [compare] table (the varied settings, or the saved
    runs' trace files), so that ``--config config.toml`` repeats the whole comparison."""
    from scenes.job import job_to_toml, toml_path
    base = tomllib.loads(job_to_toml(prep.job, relative_to=out))
    table: dict = {}
    if prep.request.traces:
        base.pop("training", None)
        base.pop("data", None)
        table["traces"] = [f"runs/{r.folder}/trace.json" for r in prep.runs]
    else:
        for axis in prep.request.axes:
            vals = []
            for v in axis.values:
                if axis.key == "data" and v.kind == "csv":
                    vals.append(toml_path(v.path or "", prep.job.base_dir, out))
                else:
                    vals.append(format_value("data", v) if axis.key == "data" else v)
            table[axis.key] = vals
    if prep.request.each:
        table["each"] = True
    from scenes.program import program_name
    header = ("# The effective configuration of this comparison. Repeat it with:\n"
              f"#   {program_name()} --config config.toml\n")
    return header + tomli_w.dumps({**base, "compare": table})


def run_comparison(args: dict, config_layer: dict, flags: list[str], file_compare: dict | None,
                   trace_files: list[str], sweep: dict, *, record_only: bool, use_cache: bool,
                   say: Callable[[str], None] | None, warn: Callable[[str], None],
                   bars: bool = False) -> list[Path]:
    """--compare / several --trace / a [compare] table, from the command line's flags: check
    everything, then record (or load) the runs on the engine and write every output.
    ``say`` gets progress lines (None: quiet), ``warn`` failures; ``bars``: progress bars on a terminal."""
    from scenes.compare.spec import parse_compare_flag
    from scenes.flags import flag_names
    from scenes.job import build_job, layers
    from scenes.pipeline import check_out_dir
    from scenes.progress import ProgressBars
    from training.config import TRAIN_KEYS

    if flags and trace_files:
        raise InputError("--compare records new runs and --trace re-renders saved ones; use one or the other")
    if args.get("explore"):
        raise InputError("--explore writes the html explorer of one run; it does not apply to a comparison")
    file_compare = file_compare or {}
    if flags:
        axes, traces = tuple(parse_compare_flag(f) for f in flags), ()
    elif trace_files:
        axes, traces = (), tuple(Path(t) for t in trace_files)
    else:
        axes = tuple(file_compare.get("axes", ()))
        traces = tuple(Path(t) for t in file_compare.get("traces", ()))
    if traces:
        given = [k for k in (*TRAIN_KEYS, "data") if k in args]
        if given:
            raise InputError(f"{flag_names(given)}: training settings do not apply with --trace, which re-renders "
                             "saved runs")
        config_layer = {k: v for k, v in config_layer.items() if k not in (*TRAIN_KEYS, "data")}
    job = build_job(layers(args, config_layer), Path.cwd())
    request = Request(axes=axes, traces=traces, each=sweep.get("each", file_compare.get("each", False)),
                      yes=sweep.get("yes", False), jobs=sweep.get("jobs"), scheduler=sweep.get("scheduler"),
                      record_only=record_only, use_cache=use_cache)
    prep = prepare(job, request)
    out = check_out_dir(job.out)
    for name in output_names(prep):
        if (out / name).is_dir():
            raise InputError(f"output file {out / name} is an existing folder; remove it or choose another --out")
    if (out / "runs").exists() and not (out / "runs").is_dir():
        raise InputError(f"{out / 'runs'} is an existing file; remove it or choose another --out")
    progress = ProgressBars(enabled=bars)
    lines = (lambda msg: None) if say is None or progress.active else say
    # A bad scheduler is refused here; leaving the block stops the workers (on a signal too).
    with Engine(jobs=request.jobs, scheduler=request.scheduler) as engine:
        if say is not None:
            say(f"{len(prep.runs)} runs on {engine.where}")
        try:
            return execute(prep, engine, out, say=lines, warn=warn, bar=progress.task)
        finally:
            progress.close()
