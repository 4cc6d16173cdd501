"""``render.py --run SCRIPT``: run a user's own training script under :mod:`training.loop_recorder`.

The script runs as ``python SCRIPT ARGS`` would (``__main__``, its ``sys.argv``, its folder
first on ``sys.path``), unchanged and never importing sgd-anim. While it runs, the base class
``torch.optim.Optimizer.__init__`` is wrapped: the first optimizer created (or the one created
as ``NAME = ...`` with ``--run-optimizer NAME``) is recorded with the model whose parameters
it holds (the outermost module holding only them, or the module bound to ``--run-model NAME``
where the optimizer is created). x and y are the rows the model saw, each once, in the order
first seen. Everything is restored afterwards, however the script ends.
"""
from __future__ import annotations

import gc
import linecache
import re
import runpy
import sys
from pathlib import Path

import torch
from torch import nn

from training.errors import InputError, ScriptExit, first_line
from training.loop_recorder import Recording, RecordingWarning, recording
from training.script_process import kept_process
from training.trace import Trace

__all__ = ["record_script", "ScriptExit"]


def record_script(path: str | Path, args: list[str], *, model_name: str | None = None,
                  optimizer_name: str | None = None, graph_steps=()) -> Trace:
    """Run the script at ``path`` with ``args`` and return its recorded trace (one-line errors)."""
    path = Path(path)
    shown = path.name
    if not path.is_file():
        raise InputError(f"--run {shown}: no such script")
    found: dict = {}
    original = torch.optim.Optimizer.__init__

    def init(self, *a, **k):
        original(self, *a, **k)
        if "rec" not in found and _wanted(optimizer_name, path):
            found["rec"] = _start(self, model_name, shown, graph_steps)

    torch.optim.Optimizer.__init__ = init
    failure: BaseException | None = None
    try:
        # Why the recording stopped is the trace's status (render.py says it in one line), or
        # the one error line: not two more lines of a Python warning on stderr.
        with kept_process(path, args, quiet=RecordingWarning):
            runpy.run_path(str(path), run_name="__main__")
    except SystemExit as e:
        if e.code not in (None, 0):
            failure = e
    except InputError:
        raise
    except BaseException as e:  # noqa: BLE001 - the script's own error, reported in one line
        failure = e
    finally:
        torch.optim.Optimizer.__init__ = original
        rec = found.get("rec")
        if isinstance(rec, Recording):
            rec.__exit__(type(failure) if failure else None, failure, None)
    if isinstance(failure, KeyboardInterrupt):
        raise failure
    if isinstance(failure, SystemExit):
        code = int(failure.code) if isinstance(failure.code, int) else 1  # (sys.exit(True): 1, as Python exits)
        raise ScriptExit(code, f"--run {shown}: the script exited with code {code}; nothing was rendered")
    if failure is not None:
        text = first_line(failure)
        raise InputError(f"--run {shown}: the script failed: {type(failure).__name__}{': ' + text if text else ''}")
    if "rec" not in found:
        which = f"optimizer assigned to {optimizer_name}" if optimizer_name else "torch.optim optimizer"
        raise InputError(f"--run {shown}: the script created no {which}; nothing to record")
    if isinstance(found["rec"], InputError):
        raise found["rec"]
    try:
        return found["rec"].trace
    except InputError as e:
        raise InputError(f"--run {shown}: {str(e).removeprefix('recording: ')}") from None


def _wanted(name: str | None, script: Path) -> bool:
    """The optimizer being created is the one to record: any (no name), or ``NAME = ...``."""
    if name is None:
        return True
    frame = sys._getframe(2)
    while frame is not None and "torch" in Path(frame.f_code.co_filename).parts:
        frame = frame.f_back
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno) if frame else ""
    return re.match(rf"\s*{re.escape(name)}\s*(:[^=]*)?=(?!=)", line) is not None


def _start(opt, model_name: str | None, shown: str, graph_steps=()):
    """Start recording ``opt`` with its model; a problem is kept and raised after the script."""
    try:
        model = _named_module(model_name, shown) if model_name else _model_of(opt, shown)
        rec = recording(model, opt, graph_steps=graph_steps)
        rec.__enter__()
        return rec
    except InputError as e:
        return e


def _named_module(name: str, shown: str) -> nn.Module:
    frame = sys._getframe(3)
    while frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            if isinstance(scope.get(name), nn.Module):
                return scope[name]
        frame = frame.f_back
    raise InputError(f"--run {shown}: no nn.Module named {name} exists where the optimizer is created")


def _model_of(opt, shown: str) -> nn.Module:
    held = {id(p) for g in opt.param_groups for p in g["params"]}
    candidates = [m for m in gc.get_objects() if issubclass(type(m), nn.Module)
                  and (ps := [id(p) for p in m.parameters()]) and set(ps) <= held]
    if not candidates:
        raise InputError(f"--run {shown}: the first optimizer holds parameters of no nn.Module; "
                         "name the model with --run-model NAME")
    # The outermost: the most parameters, then the most submodules (a wrapper around its layer).
    return max(candidates, key=lambda m: (sum(p.numel() for p in m.parameters()), len(list(m.modules()))))
