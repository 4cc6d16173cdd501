"""``render.py --run SCRIPT [-- ARGS]``: record the user's script, then render it as usual.

The script is recorded first (:mod:`training.run_script`); the trace goes to a private
temporary folder and the run continues as ``--trace`` of it, so every output flag works and a
script that fails leaves nothing behind. The temporary folder is removed afterwards.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Callable

from training.errors import InputError

__all__ = ["run_flags_trace", "example_script_names"]


def run_flags_trace(flags: dict, script_args: list[str], args: dict,
                    trace_files: list) -> tuple[list, Callable[[], None]]:
    """The trace file to render in place of ``--run``, and the clean-up to call afterwards."""
    script = flags.get("run")
    if script is None:
        raise InputError("--run-model and --run-optimizer only apply with --run SCRIPT")
    if trace_files:
        raise InputError("--run records your script; it does not go with --trace")
    if args.get("compare") or args.get("explore"):
        raise InputError("--run records one run; --compare and --explore do not apply")
    from training.config import TRAIN_KEYS, TrainConfig
    # --graph-steps is no setting of the run but which steps keep their autograd graph: it applies.
    graph_steps = TrainConfig(graph_steps=args.pop("graph_steps")).validate().graph_steps if "graph_steps" in args else ()
    given = [k for k in (*TRAIN_KEYS, "data") if k in args]
    if given:
        from scenes.flags import flag_names
        raise InputError(f"{flag_names(given)}: training settings do not apply with --run; your script sets them")
    from scenes.stopping import raise_if_stopped
    from training.run_script import record_script
    script_path = _script_path(script)  # the file, or the bundled example named without a path
    try:
        trace = record_script(script_path, script_args, model_name=flags.get("run_model"),
                              optimizer_name=flags.get("run_optimizer"), graph_steps=graph_steps)
    finally:  # a script that catches KeyboardInterrupt caught our SIGTERM too: the run stops all the same
        raise_if_stopped()
    # A model of more than one number in or out renders too: its fit view's title says there
    # is no curve (training.loop_views); every other view is the same as for any module.
    folder = Path(tempfile.mkdtemp(prefix="sgd-anim-run-"))
    path = folder / "trace.json"
    trace.to_file(path)
    return [str(path)], lambda: shutil.rmtree(folder, ignore_errors=True)


def example_script_names() -> list[str]:
    """The example scripts that ship with sgd-anim (``assets/examples``): ``--run article_loop``."""
    from scenes import resources
    return resources.asset_names("examples", ".py")


def _script_path(script: str) -> str | Path:
    """``script`` itself, or the bundled example it names without a path (``article_loop`` or
    ``article_loop.py``) when no such file exists: an installed sgd-anim has no assets/ folder
    in the user's working directory, as ``--config adam`` names a bundled config."""
    if Path(script).exists():
        return script
    name = script[:-3] if script.endswith(".py") else script
    if name in example_script_names():
        from scenes import resources
        return resources.asset_path("examples", f"{name}.py")
    from training.files import display_name  # one line, whatever the argument holds
    raise InputError(f"--run {display_name(script)}: no such script (bundled examples, named without a path: "
                     f"{', '.join(example_script_names())})")
