"""sgd-anim: record a real PyTorch SGD run and render it as a teaching animation.

    python render.py                         # the article's run -> out/sgd.mp4, sgd.gif, sgd.png
    python render.py --preset slides         # a looping GIF for slides
    python render.py --trace out/trace.json --theme dark   # re-render, no training

This file stays thin: parse, validate, record (or load a trace), render, report.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Sequence

__all__ = ["main", "build_parser"]

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130

EXAMPLES = """\
examples:
  python render.py                                  the article's run: out/sgd.mp4, sgd.gif, sgd.png
  python render.py --preset slides                  a looping dark GIF for slides (960x540, <= 3 MB)
  python render.py --preset article                 MP4 1920x1080, WebM and a PNG poster
  python render.py --lr 0.5 --optimizer momentum    regenerate with new hyperparameters
  python render.py --config adam                    a bundled example config (assets/configs/adam.toml)
  python render.py --config my_run.toml             your own config file
  python render.py --trace out/trace.json --theme dark --format gif   re-render, no training
  python render.py --backend manim --scene walkthrough --quality low
  python render.py --record-only --out runs/a       only write runs/a/trace.json
  python render.py --format html                    out/sgd.html: the interactive player, one self-contained file
  python render.py --format pptx                    out/sgd.pptx: a slide per beat, each with its clip, numbers in the notes
  python render.py --format html --explore          a grid of runs (learning rate x batch size x momentum) behind sliders
  python render.py --serve --open                   a local web app: move a slider, a fresh PyTorch run is drawn
  python render.py --format slides                  out/sgd.slides.html: presenter mode, one beat per key press
  python render.py --format svg,pdf                 the final-fit poster as vector files (text stays text)
  python render.py --compare lr=0.03,0.1,0.3,1      four runs raced in out/compare.mp4, plus summary.png and runs.csv
  python render.py --compare lr=0.1,0.3 --compare batch_size=1,2,6 --format png   a grid of six runs
  python render.py --trace a/trace.json --trace b/trace.json   compare saved runs, no training
"""


def build_parser() -> argparse.ArgumentParser:
    from scenes.job import BACKENDS, FORMATS, QUALITIES, SCENES, VIEWS, example_config_names, preset_names
    from scenes.story.theme import available_themes
    from training.config import OPTIMIZERS

    p = argparse.ArgumentParser(
        prog="sgd-anim", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES,
        description="Turn a real PyTorch SGD run fitting y' = a*x + b into animations: "
                    "the line fitting the points, the loss dropping, gradient arrows for each batch.",
        argument_default=argparse.SUPPRESS)  # only flags the user gives override a config file

    g = p.add_argument_group("input")
    g.add_argument("--config", metavar="FILE", help="TOML file with [data], [training] and [render] sections; flags override it. "
                   f"A bare name picks a bundled example: {', '.join(example_config_names())}")
    g.add_argument("--preset", metavar="NAME", help=f"one of: {', '.join(preset_names())} (a config file and flags override it)")
    g.add_argument("--trace", metavar="FILE", action="append",
                   help="re-render a saved trace.json without training (torch is not imported); "
                        "repeat it to compare saved runs")

    g = p.add_argument_group("data")
    g.add_argument("--data", metavar="SPEC", help="'article' (default: the article's six points), a CSV file with "
                   "columns x,y, or 'synthetic[:n=1000,slope=0.5,intercept=0.1,noise=0.05,outliers=0,seed=0]'")

    g = p.add_argument_group("training")
    g.add_argument("--lr", type=float, help="learning rate (default: 0.1)")
    g.add_argument("--batch-size", type=int, dest="batch_size", help="samples per batch (default: 2)")
    g.add_argument("--epochs", type=int, help="passes over the data (default: 100)")
    g.add_argument("--optimizer", type=str.lower, help=f"one of: {', '.join(OPTIMIZERS)} (default: sgd)")
    g.add_argument("--momentum", type=float, help="momentum in [0, 1) (default: 0.9 for 'momentum', else 0)")
    g.add_argument("--nesterov", action="store_true", help="Nesterov momentum (SGD with momentum only)")
    g.add_argument("--weight-decay", type=float, dest="weight_decay", help="L2 weight decay (default: 0)")
    g.add_argument("--beta1", type=float, help="Adam's first-moment decay (default: 0.9)")
    g.add_argument("--beta2", type=float, help="Adam's second-moment decay (default: 0.999)")
    g.add_argument("--eps", type=float, help="Adam/RMSprop/Adagrad epsilon (default: 1e-8)")
    g.add_argument("--alpha", type=float, help="RMSprop smoothing constant (default: 0.99)")
    g.add_argument("--shuffle", action="store_true", help="shuffle the samples every epoch (default: off, as in the article)")
    g.add_argument("--seed", type=int, help="seed for shuffling and synthetic data (default: 0)")
    g.add_argument("--init-a", type=float, dest="init_a", help="starting slope a (default: 1.0)")
    g.add_argument("--init-b", type=float, dest="init_b", help="starting intercept b (default: 1.0)")
    g.add_argument("--keep-last", action="store_false", dest="drop_last",
                   help="keep a short last batch (default: drop it, as the article's len(X) // batch_size does)")

    g = p.add_argument_group("output")
    g.add_argument("--out", metavar="DIR", type=Path, help="output folder (default: out)")
    g.add_argument("--name", metavar="STEM", dest="stem", help="file name stem: STEM.mp4, STEM.gif, ... (default: sgd)")
    g.add_argument("--format", dest="formats", metavar="LIST", help=f"comma list of: {', '.join(FORMATS)} (default: mp4,gif,png)")
    g.add_argument("--captions", metavar="on|off", type=str.lower,
                   help="on (default): STEM.vtt beside every video and a subtitle track in MP4 and WebM; off: neither")
    g.add_argument("--record-only", action="store_true", dest="record_only", help="write DIR/trace.json and render nothing")
    g.add_argument("--no-cache", action="store_true", dest="no_cache", help="record again even if this configuration was recorded before")
    g.add_argument("--explore", action="store_true",
                   help="with --format html: record a grid of runs (learning rate x batch size x momentum) and "
                        "write a player whose sliders switch between them")

    g = p.add_argument_group("many runs")
    g.add_argument("--compare", metavar="KEY=V1,V2,...", action="append",
                   help="record one run per value and compare them (OUT/compare.*, summary.png, runs.csv, "
                        "runs/<label>/trace.json); repeat it for a grid. KEY is one of: "
                        "lr, batch_size, epochs, optimizer, momentum, nesterov, shuffle, seed, init_a, init_b, data")
    g.add_argument("--each", action="store_true", help="also render each run's own video into OUT/runs/<label>/")
    g.add_argument("--jobs", type=int, help="runs recorded at once on this machine (default: the cores available)")
    g.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the tasks on this Dask cluster instead (pip install 'sgd-anim[cluster]')")
    g.add_argument("--yes", action="store_true", help="allow more than 256 runs")

    g = p.add_argument_group("serve")
    g.add_argument("--serve", action="store_true",
                   help="start a local web app with the player: each change of a setting records a fresh run "
                        "and redraws it; export buttons render MP4, GIF, PNG or HTML")
    g.add_argument("--port", type=int, help="--serve: the port (default: 8765; 0 picks a free one)")
    g.add_argument("--host", help="--serve: the address to bind (default: 127.0.0.1, this machine only)")
    g.add_argument("--open", action="store_true", dest="open_browser", help="--serve: open the page in a browser")

    g = p.add_argument_group("style")
    g.add_argument("--backend", type=str.lower, help=f"one of: {', '.join(BACKENDS)} (default: matplotlib)")
    g.add_argument("--theme", help=f"one of: {', '.join(available_themes())}, or a theme .toml file (default: light)")
    g.add_argument("--views", help=f"matplotlib: comma list of: {', '.join(VIEWS)} (default: all four)")
    g.add_argument("--scene", type=str.lower, help=f"manim: one of: {', '.join(SCENES)} (default: walkthrough)")
    g.add_argument("--quality", type=str.lower, help=f"manim: one of: {', '.join(QUALITIES)} (default: high)")
    g.add_argument("--fps", type=int, help="frames per second (default: 30)")
    g.add_argument("--size", help="WIDTHxHEIGHT, even numbers (default: 1280x720)")
    g.add_argument("--duration", type=float, help="target length of the video in seconds (default: from the plan, about 23 s)")
    g.add_argument("--detail-steps", type=int, dest="detail_steps",
                   help="how many steps play beat by beat before the fast-forward (default: the first epoch, at most 3)")

    g = p.add_argument_group("behaviour")
    g.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    g.add_argument("--debug", action="store_true", help="show full tracebacks")
    return p


def _say(msg: str) -> None:
    """One line on stderr, always: a newline inside a message (say, in a file name) is escaped."""
    msg = msg.replace("\r", "\\r").replace("\n", "\\n")
    print(f"sgd-anim: {msg}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        parser = build_parser()
        args = _parse(parser, argv)
        return _run(vars(args))
    except KeyboardInterrupt:
        if debug:
            raise
        _say("interrupted; no partial output was left behind")
        return EXIT_INTERRUPTED
    except Exception as e:  # noqa: BLE001 - the one place that turns errors into one line
        from training.errors import InputError
        if debug:
            raise
        if isinstance(e, InputError):
            _say(f"error: {e}")
            return EXIT_BAD_INPUT
        if isinstance(e, OSError) and e.errno is not None:
            # Name the file the user asked for, not our temporary ".sgd.x1y2.part.mp4".
            name = re.sub(r"\.([^/]+)\.[^./]+\.part(\.[^/]*)?$", r"\1\2", str(e.filename or ""))
            _say(f"error: {e.strerror}: {name}".rstrip(": "))
            return EXIT_FAILED
        first = str(e).splitlines()[0] if str(e) else ""
        what = first if isinstance(e, RuntimeError) and first else f"{type(e).__name__}: {first}"
        _say(f"render failed: {what} (run with --debug for details)")
        return EXIT_FAILED


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """argparse exits on bad flags with a usage block; we want one line and exit code 2."""
    from training.errors import InputError

    def fail(message: str) -> None:
        raise InputError(f"{message} (see --help)")

    parser.error = fail  # type: ignore[method-assign]
    if "-h" in argv or "--help" in argv:
        parser.print_help()
        raise SystemExit(0)
    return parser.parse_args(argv)


def _run(args: dict) -> int:
    from scenes.job import build_job, load_config_file, job_to_toml
    from training.errors import InputError

    quiet = args.pop("quiet", False)
    args.pop("debug", None)
    serve_flags = {k: args.pop(k) for k in ("serve", "port", "host", "open_browser") if k in args}
    if serve_flags:
        return _serve(args, serve_flags, quiet)
    record_only = args.pop("record_only", False)
    no_cache = args.pop("no_cache", False)
    trace_files = args.pop("trace", None) or []
    compare_flags = args.pop("compare", None) or []
    sweep = {k: args.pop(k) for k in ("each", "jobs", "scheduler", "yes") if k in args}
    config_file = args.pop("config", None)
    config_layer: dict = load_config_file(config_file) if config_file else {}
    file_compare = config_layer.pop("compare", None)
    if compare_flags or file_compare or len(trace_files) > 1:
        return _compare(args, config_layer, compare_flags, file_compare, trace_files, sweep,
                        record_only=record_only, use_cache=not no_cache, quiet=quiet)
    if sweep:
        raise InputError(f"{', '.join('--' + k for k in sweep)} only {'applies' if len(sweep) == 1 else 'apply'} to a comparison "
                         "(--compare KEY=V1,V2,... or several --trace)")
    trace_file = trace_files[0] if trace_files else None
    if trace_file:
        from scenes.job import TRAIN_KEYS
        given = [k for k in (*TRAIN_KEYS, "data") if k in args]
        if given:
            flags = ", ".join("--keep-last" if k == "drop_last" else "--" + k.replace("_", "-") for k in given)
            raise InputError(f"{flags}: training settings do not apply with --trace, which re-renders a saved run; "
                             "drop --trace to train again")
        if args.get("explore"):
            raise InputError("--explore records a grid of new runs; it does not apply with --trace")
    if record_only and args.get("explore"):
        raise InputError("--explore writes the html explorer; it does not apply with --record-only")

    job = build_job(_layers(args, config_layer), Path.cwd())
    if job.render.explore:
        if trace_file:  # explore = true from a config file
            raise InputError("--explore records a grid of new runs; it does not apply with --trace")
        from scenes.web.explore import check_explorable
        check_explorable(job.train)
    out = _prepare_out_dir(job.out)
    _check_targets(out, job, record_only)

    progress = _Progress(enabled=not quiet)
    try:  # the progress bar is taken down however the run ends (Ctrl-C included)
        # 1. The trace: loaded, cached, or recorded.
        if trace_file:
            from training.trace import Trace
            trace = Trace.from_file(trace_file)
            config_job = _with_training_of(job, trace)
        else:
            trace = _record(job, progress, quiet, use_cache=not no_cache)
            config_job = job
        if trace.status.diverged and not quiet:
            _say(f"warning: training diverged at step {trace.status.step} ({trace.status.reason}); "
                 "the video shows where")

        if "pptx" in job.render.formats and not record_only:
            _check_deck(job, trace)
        _make_out_dir(out)  # only now: a run refused above leaves nothing behind, not even a folder
        # 2. The videos first: if rendering fails, no new file of this run is left behind.
        written: list[Path] = []
        if not record_only:
            written += _render(job, trace, out, progress, quiet, use_cache=not no_cache)
        trace_out = out / "trace.json"
        if not trace_file or Path(trace_file).resolve() != trace_out.resolve():
            written.append(trace.to_file(trace_out))
        if not record_only:
            from training.atomic import atomic_path
            with atomic_path(out / "config.toml") as tmp:
                tmp.write_text(job_to_toml(config_job, relative_to=out), encoding="utf-8")
            written.append(out / "config.toml")
    finally:
        progress.close()
    if not quiet:
        _print_paths(written)
    return 0


def _print_paths(written) -> None:
    """The files written, one a line on stdout."""
    try:
        for path in written:
            print(path)
        sys.stdout.flush()
    except BrokenPipeError:  # `render.py | head -1`: the reader left; the files are written
        sys.stdout = open(os.devnull, "w")


def _layers(args: dict, config_layer: dict) -> list[dict]:
    """Settings, weakest first: a preset (named by a flag, else by the config file), the
    config file, flags."""
    from scenes.job import load_preset
    layers: list[dict] = []
    preset = args.get("preset", config_layer.pop("preset", None))
    if preset is not None:
        layers.append({**load_preset(preset), "preset": preset})
    layers.append(config_layer)
    layers.append(args)
    return layers


def _compare(args: dict, config_layer: dict, flags: list[str], file_compare: dict | None, trace_files: list[str],
             sweep: dict, *, record_only: bool, use_cache: bool, quiet: bool) -> int:
    """--compare / several --trace / a [compare] table: many runs, delegated to scenes.compare."""
    from scenes.compare.engine import Engine
    from scenes.compare.run import Request, execute, output_names, prepare
    from scenes.compare.spec import parse_compare_flag
    from scenes.job import TRAIN_KEYS, build_job
    from training.errors import InputError

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
            names = ", ".join("--keep-last" if k == "drop_last" else "--" + k.replace("_", "-") for k in given)
            raise InputError(f"{names}: training settings do not apply with --trace, which re-renders saved runs")
        config_layer = {k: v for k, v in config_layer.items() if k not in (*TRAIN_KEYS, "data")}
    job = build_job(_layers(args, config_layer), Path.cwd())
    request = Request(axes=axes, traces=traces, each=sweep.get("each", file_compare.get("each", False)),
                      yes=sweep.get("yes", False), jobs=sweep.get("jobs"), scheduler=sweep.get("scheduler"),
                      record_only=record_only, use_cache=use_cache)
    prep = prepare(job, request)
    out = _prepare_out_dir(job.out)
    for name in output_names(prep):
        if (out / name).is_dir():
            raise InputError(f"output file {out / name} is an existing folder; remove it or choose another --out")
    if (out / "runs").exists() and not (out / "runs").is_dir():
        raise InputError(f"{out / 'runs'} is an existing file; remove it or choose another --out")
    progress = _Progress(enabled=not quiet)
    say = (lambda msg: None) if quiet or progress.active else _say
    with Engine(jobs=request.jobs, scheduler=request.scheduler) as engine:  # a bad scheduler is refused here
        _make_out_dir(out)
        if not quiet:
            _say(f"{len(prep.runs)} runs on {engine.where}")
        try:
            written = execute(prep, engine, out, say=say, warn=_say, bar=progress.task)
        finally:
            progress.close()
    if not quiet:
        _print_paths(written)
    return 0


def _serve(args: dict, flags: dict, quiet: bool) -> int:
    """--serve: the live web app (scenes.web.serve) until Ctrl-C. It records through
    training.recorder and renders through _render, the pipeline every other run uses."""
    from scenes.job import build_job
    from training.errors import InputError
    if not flags.get("serve"):
        given = ", ".join("--open" if k == "open_browser" else "--" + k for k in flags)
        raise InputError(f"{given} only apply with --serve")
    others = [k for k in args if k != "theme"]
    if others:
        names = ", ".join("--" + k.replace("_", "-") for k in others)
        raise InputError(f"{names}: --serve takes its settings from the page (only --theme, --port, --host "
                         "and --open apply)")
    port = flags.get("port", 8765)
    if not 0 <= port <= 65535:
        raise InputError(f"port must be between 0 and 65535, got {port}")
    theme = build_job([{"theme": args["theme"]}] if "theme" in args else [{}]).render.theme
    from scenes.web.serve import App, serve, warm
    from training.recorder import record

    def render(job, trace, out: Path) -> list[Path]:
        return _render(job, trace, out, _Progress(enabled=False), quiet=True, use_cache=False)

    app = App(lambda cfg, data: record(cfg, data), render, theme=theme)
    say = (lambda msg: None) if quiet else _say
    say(f"recording the default run (torch starts) ... {warm(app):.1f} s")
    try:
        serve(app, flags.get("host", "127.0.0.1"), port, open_browser=flags.get("open_browser", False), say=say)
    except KeyboardInterrupt:  # the way to stop it: the socket is closed, no file is left behind
        say("stopped")
    except OSError as e:
        if e.errno is not None and e.filename is None:
            raise InputError(f"cannot serve on {flags.get('host', '127.0.0.1')}:{port}: {e.strerror}") from None
        raise
    return 0


def _with_training_of(job, trace):
    """A re-rendered trace: config.toml holds the settings that recorded it, not the defaults."""
    from dataclasses import replace
    return replace(job, train=trace.settings)


def _prepare_out_dir(out: Path) -> Path:
    """Check early that the output folder can be created and written, without creating it."""
    from training.errors import InputError
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


def _check_targets(out: Path, job, record_only: bool) -> None:
    """A folder where an output file goes (or a file where the frames folder goes) is refused now,
    not after the work, and with the name the user knows rather than a temporary one."""
    from scenes.job import output_file_name
    from training.errors import InputError
    r = job.render
    names = ["trace.json"]
    if not record_only:
        names += ["config.toml", *(output_file_name(r.stem, fmt) for fmt in r.formats if fmt != "frames")]
        if r.captions and any(f in ("mp4", "webm", "gif") for f in r.formats):
            names.append(f"{r.stem}.vtt")
    for name in names:
        if (out / name).is_dir():
            raise InputError(f"output file {out / name} is an existing folder; remove it or choose another --out or --name")
    frames = out / f"{r.stem}_frames"
    if not record_only and "frames" in r.formats and frames.exists() and not frames.is_dir():
        raise InputError(f"frames folder {frames} is an existing file; remove it or choose another --out or --name")


def _make_out_dir(out: Path) -> None:
    from training.errors import InputError
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create output folder {out}: {e.strerror}") from None


def _record(job, progress: "_Progress", quiet: bool, use_cache: bool):
    from training import cache
    from training.data import load_data

    data = load_data(job.train.data, job.base_dir)
    job.train.validate(len(data))
    key = cache.cache_key(job.train, data)
    if use_cache:
        trace = cache.load_cached(key)
        if trace is not None:
            if not quiet:
                _say(f"reusing the trace recorded for this configuration ({cache.cache_path(key)})")
            return trace
    from training.recorder import record
    task = progress.task("recording")
    trace = record(job.train, data, progress=task)
    cache.store(key, trace)
    return trace


def _render(job, trace, out: Path, progress: "_Progress", quiet: bool, use_cache: bool = True) -> list[Path]:
    from scenes.job import split_formats
    from scenes.story.plan import PlanSettings
    r = job.render
    plan = PlanSettings(fps=r.fps, detail_steps=r.detail_steps, target_duration=r.duration)
    drawn, from_story = split_formats(r.formats)
    files = _render_backend(job, trace, out, progress, quiet, plan, drawn) if drawn else []
    if "html" in from_story:  # the web player draws the story itself: the same page whatever the backend
        files.append(_render_html(job, trace, out, plan, quiet, use_cache))
    if "slides" in from_story:  # the player in presenter mode: one beat per key press
        from scenes.web.page import render_slides
        files.append(render_slides(trace, out, stem=r.stem, theme=r.theme, plan=plan))
    return files


def _check_deck(job, trace) -> None:
    """A deck over its budget of video slides is refused before anything is drawn or written."""
    from scenes.story.plan import PlanSettings
    from scenes.story.story import plan_of
    from scenes.writers.pptx import check_deck_plan
    r = job.render
    check_deck_plan(plan_of(trace, PlanSettings(fps=r.fps, detail_steps=r.detail_steps, target_duration=r.duration)))


def _render_backend(job, trace, out: Path, progress: "_Progress", quiet: bool, plan, formats) -> list[Path]:
    r = job.render
    task = progress.task("rendering")
    if r.backend == "manim":
        from scenes.manim.render import render_manim
        return render_manim(trace, out, scene=r.scene, quality=r.quality, formats=formats, stem=r.stem,
                            theme=r.theme, plan=plan, progress=task, captions=r.captions)
    from scenes.mpl.render import render_matplotlib
    options = dict(stem=r.stem, size=r.size, theme=r.theme, views=r.views, progress=task)
    files = render_matplotlib(trace, out, formats=formats, fps=r.fps, plan=plan, captions=r.captions, **options)
    if r.max_gif_mb and "gif" in formats:
        _fit_gif_budget(trace, out, r, plan, options, quiet)
    return files


def _render_html(job, trace, out: Path, plan, quiet: bool, use_cache: bool) -> Path:
    """STEM.html: the player of this run or, with --explore, of a grid of runs (each recorded
    with the same cache as the main run)."""
    from scenes.web.page import explorer_page, render_html, write_page
    r = job.render
    if not r.explore:
        return render_html(trace, out, stem=r.stem, theme=r.theme, plan=plan)
    import time
    from dataclasses import replace
    from scenes.web.explore import grid_configs
    from training.data import load_data

    axes, grid = grid_configs(job.train, len(load_data(job.train.data, job.base_dir)))
    t0 = time.perf_counter()
    silent = _Progress(enabled=False)
    runs = [(values, _record(replace(job, train=cfg), silent, True, use_cache)) for values, cfg in grid]
    if not quiet:
        _say(f"explorer: {len(runs)} runs ready in {time.perf_counter() - t0:.1f} s")
    start = {"lr": job.train.lr, "batch_size": job.train.batch_size, "momentum": job.train.effective_momentum}
    return write_page(explorer_page(runs, axes, theme=r.theme, plan=plan, initial=start), out / f"{r.stem}.html")


def _fit_gif_budget(trace, out: Path, r, plan, options: dict, quiet: bool) -> None:
    """Keep a GIF under the preset's size budget by lowering its frame rate, never its size:
    the text must stay readable from the back of the room."""
    from dataclasses import replace
    from scenes.mpl.render import render_matplotlib
    budget = r.max_gif_mb * 1e6
    gif = out / f"{r.stem}.gif"
    fps = r.fps
    while gif.stat().st_size > budget and fps > 6:
        fps = max(6, int(fps * 0.7))
        # The captions follow the GIF's new timing unless an MP4 or WebM (which carries the
        # same cues at the original rate) is written beside it.
        captions = r.captions and not any(f in r.formats for f in ("mp4", "webm"))
        render_matplotlib(trace, out, formats=("gif",), fps=fps, plan=replace(plan, fps=fps), captions=captions,
                          **options)
    if not quiet:
        size_mb = gif.stat().st_size / 1e6
        note = f" at {fps} fps" if fps != r.fps else ""
        verdict = "within" if size_mb <= r.max_gif_mb else "still over"
        _say(f"{gif.name}: {size_mb:.1f} MB{note}, {verdict} the {r.max_gif_mb:g} MB budget")


class _Progress:
    """Rich progress bars on stderr, only when stderr is a terminal and not --quiet."""

    def __init__(self, enabled: bool) -> None:
        self._bar = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
            self._bar = Progress(TextColumn("{task.description:>10}"), BarColumn(), TaskProgressColumn(),
                                 TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self._bar.start()

    @property
    def active(self) -> bool:
        return self._bar is not None

    def task(self, name: str):
        if self._bar is None:
            return None
        bar, tid = self._bar, self._bar.add_task(name, total=None)

        def update(done: int, total: int) -> None:
            bar.update(tid, completed=done, total=total)
        return update

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


if __name__ == "__main__":
    sys.exit(main())
