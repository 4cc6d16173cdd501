"""What a live page carries beside its story so that the page can build the story of a run it
recomputes (scenes/web/live/): the theme's colour map as a 256-entry table (matplotlib's own
lookup table, which scenes/story/palette.py samples), how much of it shows through, the frame
plan's settings, and the run's settings and points to start from, or why the page cannot
recompute its run. The colour map travels as float32 (r, g, b) rows in base64 (3 KB of bytes,
not 7 KB of JSON, and nearer matplotlib's numbers than six printed digits)."""
from __future__ import annotations

from dataclasses import asdict

from scenes.story.plan import PlanSettings
from scenes.story.theme import Theme

__all__ = ["live_block", "live_reason"]


def live_block(theme: Theme, plan: PlanSettings | None = None) -> dict:
    import numpy as np
    from matplotlib import colormaps

    from scenes.story.palette import mix_of
    from scenes.web.columns import encode

    cmap = colormaps[theme.color("contour_map")]
    settings = asdict(plan or PlanSettings())
    settings.pop("one_frame_per_step", None)
    settings["beat_seconds"] = list(settings["beat_seconds"])
    table = np.asarray([cmap(i)[:3] for i in range(256)], dtype=np.float64).ravel()
    return {"cmap": encode(table, "f32"), "mix": mix_of(theme),
            "plan": settings}


def live_reason(trace) -> str | None:
    """Why the page's twin cannot recompute this run (None: it can)."""
    model = trace.model
    if trace.schema_version != 1 or getattr(model, "kind", "line") != "line":
        return (f"this run trains another model ({getattr(model, 'title', None) or getattr(model, 'kind', 'a module')}); "
                "the page recomputes the line model y' = a·x + b only")
    cfg = trace.config or {}
    if "recorded" in cfg or "lr" in trace.steps or "lr" not in cfg or "optimizer" not in cfg:
        return ("this run was recorded from a training loop of its own (training.recording); the page "
                "recomputes runs of render.py's settings")
    return None
