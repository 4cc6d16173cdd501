"""sgd-anim: record a real PyTorch SGD run and render it as a teaching animation.

    python render.py                         # the article's run -> out/sgd.mp4, sgd.gif, sgd.png
    python render.py --preset slides         # a looping GIF for slides
    python render.py --trace out/trace.json --theme dark   # re-render, no training

This file stays thin: it parses the flags (built from the tables by :mod:`scenes.flags`),
refuses flags that do not go together, hands the job to the pipeline (:mod:`scenes.pipeline`),
a comparison (:mod:`scenes.compare.run`) or the server (:mod:`scenes.web.serve`), prints
the files written and turns every error into one line and an exit code.
"""
from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
from pathlib import Path
from typing import Sequence

__all__ = ["main", "build_parser"]

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130  # Ctrl-C; SIGTERM gives 143, SIGHUP 129 (128 + the signal's number)
_paused = False  # main turned the cycle collector off until _settle


def build_parser() -> argparse.ArgumentParser:
    from scenes.flags import build_parser as build
    return build()


def _say(msg: str) -> None:
    """One line on stderr, always: a newline inside a message (say, in a file name) is escaped."""
    msg = msg.replace("\r", "\\r").replace("\n", "\\n")
    print(f"sgd-anim: {msg}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    global _paused
    if argv is None and gc.isenabled():  # the program: its start is ours (see _settle)
        gc.disable()
        _paused = True
    if argv is None:  # the program: freed frames are reused, not faulted in afresh (scenes.freed_memory)
        from scenes.freed_memory import keep_freed_memory
        keep_freed_memory()
    try:
        from scenes.stopping import stop_on_signals  # first: a small module, so handled from the start
        debug = "--debug" in (sys.argv[1:] if argv is None else argv)
        # SIGTERM and SIGHUP stop a run as Ctrl-C does: cleaned up, then exit 128 + the signal.
        # Called as the program (no argv: the console script, python render.py), the process
        # ends with main: a signal after the work is done is ignored.
        with stop_on_signals(ignore_after=argv is None):
            return _main(list(sys.argv[1:] if argv is None else argv), debug)
    finally:
        _settle()


def _settle() -> None:
    """The modules are loaded: Python's cycle collector back on, with what exists so far out
    of its reach. Loading numpy and matplotlib makes hundreds of thousands of objects and
    next to no garbage, and the collector, run every 700 new objects, walks the growing heap
    again and again: 90 ms of a one-second PNG render. The program starts with it off
    (:func:`main`) and calls this before the work itself (a render, a recording, the server,
    a comparison); frozen, those objects are never walked again (``gc.freeze``: they are the
    modules and the settings, alive to the end). Called from Python (tests, ``main(argv)``),
    the collector was never turned off and is left as it is."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def _main(argv: list[str], debug: bool) -> int:
    try:
        parser = build_parser()
        argv, script_args = _split_script_args(argv)
        args = _parse(parser, argv)
        return _run(vars(args), script_args)
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM / SIGHUP (scenes.stopping.Stopped)
        if debug:
            raise
        signum = getattr(e, "signum", signal.SIGINT)
        by = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
        _say(f"interrupted{by}; no partial output was left behind")
        return 128 + signum
    except Exception as e:  # noqa: BLE001 - the one place that turns errors into one line
        from training.errors import InputError
        if debug:
            raise
        if isinstance(e, InputError):
            _say(f"error: {e}")
            return EXIT_BAD_INPUT
        from training.errors import ScriptExit
        if isinstance(e, ScriptExit):  # --run: the user's script chose its exit code
            _say(f"error: {e}")
            return e.code
        if isinstance(e, OSError) and e.errno is not None:
            # Name the file the user asked for, not our temporary ".sgd.x1y2.part.mp4".
            from scenes.staging import shown_name
            _say(f"error: {e.strerror}: {shown_name(str(e.filename or ''))}".rstrip(": "))
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


def _split_script_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """``--run SCRIPT -- ARGS``: everything after the first ``--`` goes to the script."""
    if "--" in argv and any(a == "--run" or a.startswith("--run=") for a in argv[:argv.index("--")]):
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def _run(args: dict, script_args: list[str] | None = None) -> int:
    """Route the flags: the server, a comparison, or one run through the pipeline."""
    from scenes.job import build_job, layers, load_config_file
    from scenes.progress import ProgressBars
    from training.errors import InputError

    quiet = args.pop("quiet", False)
    args.pop("debug", None)
    serve_flags = {k: args.pop(k) for k in ("serve", "port", "host", "open_browser") if k in args}
    if serve_flags:
        _settle()
        return _serve(args, serve_flags, quiet)
    record_only = args.pop("record_only", False)
    no_cache = args.pop("no_cache", False)
    trace_files = args.pop("trace", None) or []
    run_flags = {k: args.pop(k) for k in ("run", "run_model", "run_optimizer") if k in args}
    if run_flags:
        from scenes.run_script import run_flags_trace
        _settle()
        trace_files, cleanup = run_flags_trace(run_flags, script_args or [], args, trace_files)
        try:
            # The flags this call took out of args go back in: the recorded run renders (or,
            # with --record-only, only writes its trace) as any other trace does.
            return _run(args | ({"trace": trace_files} if trace_files else {})
                        | {"record_only": record_only, "quiet": quiet, "no_cache": no_cache})
        finally:
            cleanup()
    compare_flags = args.pop("compare", None) or []
    sweep = {k: args.pop(k) for k in ("each", "jobs", "scheduler", "yes") if k in args}
    config_file = args.pop("config", None)
    config_layer: dict = load_config_file(config_file) if config_file else {}
    file_compare = config_layer.pop("compare", None)
    if compare_flags or file_compare or len(trace_files) > 1:
        from scenes.compare.run import run_comparison
        _settle()
        written = run_comparison(args, config_layer, compare_flags, file_compare, trace_files, sweep,
                                 record_only=record_only, use_cache=not no_cache, say=None if quiet else _say,
                                 warn=_say, bars=not quiet)
        return _done(written, quiet)
    if sweep:
        raise InputError(f"{', '.join('--' + k for k in sweep)} only {'applies' if len(sweep) == 1 else 'apply'} to a comparison "
                         "(--compare KEY=V1,V2,... or several --trace)")
    trace_file = trace_files[0] if trace_files else None
    if trace_file:
        _refuse_training_flags(args)
        if args.get("explore"):
            raise InputError("--explore records a grid of new runs; it does not apply with --trace")
    if record_only and args.get("explore"):
        raise InputError("--explore writes the html explorer; it does not apply with --record-only")

    from scenes.pipeline import Report, load_backend, render_job
    job = build_job(layers(args, config_layer), Path.cwd())
    bars = ProgressBars(enabled=not quiet)
    if _paused and not record_only:
        load_backend(job)  # its modules loaded before the collector is back (_settle)
    _settle()
    try:  # the progress bar is taken down however the run ends (Ctrl-C included)
        written = render_job(job, trace_file=trace_file, record_only=record_only, use_cache=not no_cache,
                             report=Report(say=(lambda m: None) if quiet else _say, task=bars.task))
    finally:
        bars.close()
    return _done(written, quiet)


def _refuse_training_flags(args: dict) -> None:
    """--trace re-renders a saved run: a training flag beside it would be silently ignored."""
    from scenes.flags import flag_names
    from training.config import TRAIN_KEYS
    from training.errors import InputError
    given = [k for k in (*TRAIN_KEYS, "data") if k in args]
    if given:
        raise InputError(f"{flag_names(given)}: training settings do not apply with --trace, which re-renders a "
                         "saved run; drop --trace to train again")


def _done(written, quiet: bool) -> int:
    """The files written, one a line on stdout."""
    if quiet:
        return 0
    try:
        for path in written:
            print(path)
        sys.stdout.flush()
    except BrokenPipeError:  # `render.py | head -1`: the reader left; the files are written
        sys.stdout = open(os.devnull, "w")
    return 0


def _serve(args: dict, flags: dict, quiet: bool) -> int:
    """--serve: the live web app (scenes.web.serve) until Ctrl-C; its settings come from the page."""
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
    from scenes.web.serve import run_server
    run_server(theme=theme, host=flags.get("host", "127.0.0.1"), port=port,
               open_browser=flags.get("open_browser", False), say=(lambda msg: None) if quiet else _say)
    return 0


if __name__ == "__main__":
    sys.exit(main())
