"""The Python side of sgd-anim: ``scenes.render(trace, ...)`` returns the written files as an
object that shows the video (or GIF) inline in Jupyter."""
from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any, Callable, Sequence

from training.trace import Trace

__all__ = ["Rendered", "render"]

_MIME = {".mp4": "video/mp4", ".webm": "video/webm", ".gif": "image/gif", ".png": "image/png"}
EMBED_LIMIT = 50_000_000  # larger files are linked, not embedded, so the notebook stays small


class Rendered(list):
    """The paths a render wrote. In Jupyter it displays the first video, GIF or image inline."""

    def by_suffix(self, suffix: str) -> Path | None:
        return next((p for p in self if p.suffix == suffix), None)

    def _repr_html_(self) -> str:
        for suffix in (".mp4", ".webm", ".gif", ".png"):
            path = self.by_suffix(suffix)
            if path is None or not path.exists():
                continue
            if path.stat().st_size > EMBED_LIMIT:
                return f'<a href="{html.escape(str(path))}">{html.escape(path.name)}</a>'
            data = base64.b64encode(path.read_bytes()).decode()
            src = f"data:{_MIME[suffix]};base64,{data}"
            if suffix in (".mp4", ".webm"):
                return (f'<video controls loop autoplay muted playsinline style="max-width:100%">'
                        f'<source src="{src}" type="{_MIME[suffix]}"></video>')
            return f'<img src="{src}" style="max-width:100%"/>'
        return "<pre>" + html.escape("\n".join(map(str, self))) + "</pre>"


def render(trace: Trace | str | Path, out_dir: str | Path = "out", *, backend: str = "matplotlib",
           progress: Callable[[int, int], None] | None = None, **options: Any) -> Rendered:
    """Render a trace (or a trace.json path) and return the files written.

    ``options`` are the backend's keyword arguments: for matplotlib ``formats``, ``fps``,
    ``size``, ``theme``, ``views``, ``plan``, ``stem``; for Manim ``scene``, ``quality``,
    ``formats``, ``theme``, ``plan``, ``stem``.

    Examples
    --------
    >>> from training import record
    >>> import scenes
    >>> scenes.render(record(lr=0.3), "out", formats=["mp4"], theme="dark")
    """
    if not isinstance(trace, Trace):
        trace = Trace.from_file(trace)
    out = Path(out_dir)
    if backend == "manim":
        from scenes.manim.render import render_manim
        return Rendered(render_manim(trace, out, progress=progress, **options))
    if backend != "matplotlib":
        from training.errors import InputError
        raise InputError(f"unknown backend {backend!r}; accepted: matplotlib, manim")
    from scenes.mpl.render import render_matplotlib
    return Rendered(render_matplotlib(trace, out, progress=progress, **options))
