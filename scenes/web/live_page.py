"""The live page (issue 25): a line-model run's page carries the twin of the recorder
(``twin/``) and the live controls (``live/``) in its one inline script, and a ``live`` block in
its document: the run's settings, the colour map and plan settings the page's story builder
needs (:mod:`scenes.web.live_block`), or why its run cannot be recomputed. docs/live.md."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from scenes.story.plan import PlanSettings
from scenes.story.theme import Theme
from scenes.web.live_block import live_block, live_reason

__all__ = ["live_parts", "live_doc", "LIVE_CSS"]

LIVE_CSS = "live.css"


def _read(folder: str, name: str) -> str:
    node = resources.files("scenes.web").joinpath(folder)
    for part in name.split("/"):
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def _manifest(folder: str) -> list[str]:
    lines = (line.strip() for line in _read(folder, "MANIFEST").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@lru_cache(maxsize=None)
def live_parts() -> tuple[str, ...]:
    """The twin's files then the live page's, as parts of the player's closure: the twin's
    namespace ``TWIN`` is declared first (its files are ``(function (TWIN) {...})(TWIN)``).
    Every twin file is in: with graph.js the page records a recomputed run's autograd graphs
    (when its page shows the recorded run's)."""
    twin = _manifest("twin")
    return ("var TWIN = {}; // the recorder's twin (scenes/web/twin/)\n",
            *(_read("twin", n) for n in twin), *(_read("live", n) for n in _manifest("live")))



def _json_safe(config: dict) -> dict:
    out = dict(config)
    seed = out.get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool) and abs(seed) > 2 ** 53:
        out["seed"] = str(seed)  # JavaScript's numbers would round it; the page reads a BigInt
    return json.loads(json.dumps(out))


def live_doc(trace, theme: Theme, plan: PlanSettings | None = None) -> dict:
    """The document's ``live`` block for a run's page."""
    reason = live_reason(trace)
    if reason is not None:
        return {"reason": reason}
    return {**live_block(theme, plan), "config": _json_safe(trace.config)}
