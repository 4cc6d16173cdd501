"""How the user ran sgd-anim, for the commands we show them: ``--help``'s examples and the
header of a written ``config.toml``. A module of its own, importing nothing of ours, so that
the parser (scenes.flags) and the writers of config files (scenes.job, scenes.compare.run)
can all ask without importing one another."""
from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["program_name"]


def program_name() -> str:
    """``python render.py`` when run as the clone's script, ``python -m render`` as a module,
    else ``sgd-anim``: the installed command (an editable install has it too), which is what a
    user who installed the package has, with no render.py in their folder (docs/installing.md)."""
    orig = getattr(sys, "orig_argv", [])
    if any(a == "-m" and b == "render" for a, b in zip(orig, orig[1:])):
        return "python -m render"  # argv[0] is then render.py's own path, wherever it is installed
    return "python render.py" if Path(sys.argv[0] if sys.argv else "").name == "render.py" else "sgd-anim"
