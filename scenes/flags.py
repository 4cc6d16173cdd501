"""The command line's flags, built from the tables: the training settings
(:data:`training.config.SETTINGS`), the optimizers, and what sgd-anim can make
(:mod:`scenes.outputs`). ``render.py`` parses with it; nothing else is declared twice."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from scenes.outputs import BACKENDS, FORMATS, QUALITIES, SCENES, VIEWS
from scenes.program import program_name
from training.config import COMPARE_KEYS, SETTINGS

__all__ = ["build_parser", "flag_names", "EXAMPLES", "examples_for"]

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
  python render.py --run article_loop               the article's own loop (bundled), unchanged, recorded and drawn
"""


def examples_for(prog: str) -> str:
    """:data:`EXAMPLES` with ``prog`` for ``python render.py``, the descriptions kept in their column."""
    pattern = re.compile(r"(?m)^  (python render\.py)(.*?)(?:( {2,})(\S.*))?$")
    column = 2 + len("python render.py") + 34  # where the descriptions start (a longer command pushes its own on)

    def one(m: re.Match) -> str:
        command, gap, text = m.group(2), m.group(3), m.group(4)
        if text is None:  # a command with no description
            return f"  {prog}{command}"
        if m.start(4) - m.start(0) == column:
            gap = " " * (column - 2 - len(prog) - len(command))
        return f"  {prog}{command}{gap}{text}"
    return pattern.sub(one, EXAMPLES)


def flag_names(keys) -> str:
    """The flags of training settings, as the user typed them: ``--lr, --keep-last``."""
    by_name = {s.name: s for s in SETTINGS}
    return ", ".join(by_name[k].cli_flag for k in keys)


def _training_flags(p: argparse.ArgumentParser) -> None:
    """One flag per training setting of the table (``data`` has its own group)."""
    g = p.add_argument_group("training")
    for s in SETTINGS:
        if s.name == "data":
            continue
        if s.kind is bool:
            g.add_argument(s.cli_flag, dest=s.name, help=s.help,
                           action="store_false" if s.flag_inverts else "store_true")
        else:
            kind = str.lower if s.kind is str else str if s.kind in (tuple, list) else s.kind  # "1,150,300"
            g.add_argument(s.cli_flag, dest=s.name, help=s.help, type=kind,
                           **({"metavar": "LIST"} if s.kind in (tuple, list) else {}))


class _Version(argparse.Action):
    """``--version``: the installed distribution's version, looked up only when asked (reading
    package metadata would cost every other run its time)."""

    def __init__(self, option_strings, dest, **kwargs):
        kwargs.pop("default", None)  # the parser's argument_default (SUPPRESS) comes in too
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from training.versions import package_version
        print(f"sgd-anim {package_version('sgd-anim')}")  # "unknown" in a clone never installed
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    from scenes.job import example_config_names, preset_names
    from scenes.story.theme import available_themes

    p = argparse.ArgumentParser(
        prog="sgd-anim", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=examples_for(program_name()),
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
    g.add_argument("--run", metavar="SCRIPT", help="run your own training script (python SCRIPT [-- its args]) under "
                   "recording and render it: the first optimizer it creates and the model whose parameters it holds; "
                   "x and y are the rows the model saw (docs/usage.md). A bare name picks a bundled example: "
                   "article_loop (the article's loop)")
    g.add_argument("--run-model", metavar="NAME", dest="run_model",
                   help="--run: record the nn.Module the script binds to NAME when it creates the optimizer")
    g.add_argument("--run-optimizer", metavar="NAME", dest="run_optimizer",
                   help="--run: record the optimizer the script creates as NAME = ... (default: its first)")

    g = p.add_argument_group("data")
    data = next(s for s in SETTINGS if s.name == "data")
    g.add_argument("--data", metavar="SPEC", help=data.help)
    _training_flags(p)

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
                        f"runs/<label>/trace.json); repeat it for a grid. KEY is one of: {', '.join(COMPARE_KEYS)}")
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
    g.add_argument("--views", help=f"matplotlib: comma list of: {', '.join(VIEWS)} (default: fit, loss, params, numbers; graph needs a trace with graphs)")
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
    g.add_argument("--version", action=_Version, help="print the installed sgd-anim's version and exit")
    return p
