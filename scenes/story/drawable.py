"""Which models the views can draw yet: the line's. Every other model (training.models) records
(``--record-only`` writes its schema-2 trace.json) and is refused, in one line, by anything that
would draw it: the pipeline and a comparison before they record, and every Story (the backends,
the page, the race, the API) whatever built it.

The drawing round of issue 23 removes this module and its three calls: scenes/pipeline.py
(render_job), scenes/compare/run.py (prepare) and scenes/story/story.py (Story.__init__).
"""
from __future__ import annotations

from training.errors import InputError

__all__ = ["DRAWN_MODELS", "check_drawable"]

DRAWN_MODELS = ("line",)


def check_drawable(model: str) -> None:
    """Refuse, in one line, to draw a run of ``model`` (a TrainConfig's ``model``)."""
    if model not in DRAWN_MODELS:
        raise InputError(f"--model {model} draws in a later version; use --record-only to record it")
