"""The Python side of sgd-anim: ``scenes.render(trace, ...)`` returns the written files as an
object that shows the video (or GIF, or the interactive player) inline in Jupyter;
``scenes.player(trace)`` is the interactive player itself, inline in Jupyter and Colab."""
from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any, Callable

from training.trace import Trace

__all__ = ["Rendered", "render", "player"]

_MIME = {".mp4": "video/mp4", ".webm": "video/webm", ".gif": "image/gif", ".png": "image/png"}
EMBED_LIMIT = 50_000_000  # larger files are linked, not embedded, so the notebook stays small


class Rendered(list):
    """The paths a render wrote. In Jupyter it displays the interactive player (an html render),
    else the first video, GIF or image, inline."""

    def by_suffix(self, suffix: str) -> Path | None:
        return next((p for p in self if p.suffix == suffix), None)

    def _repr_html_(self) -> str:
        for suffix in (".html", ".mp4", ".webm", ".gif", ".png"):
            path = self.by_suffix(suffix)
            if path is None or not path.exists():
                continue
            if path.stat().st_size > EMBED_LIMIT:
                return f'<a href="{html.escape(str(path))}">{html.escape(path.name)}</a>'
            if suffix == ".html":  # the player: the page itself, in a sandboxed iframe
                from scenes.web.inline import iframe
                return iframe(path.read_text(encoding="utf-8"))
            data = base64.b64encode(path.read_bytes()).decode()
            src = f"data:{_MIME[suffix]};base64,{data}"
            if suffix in (".mp4", ".webm"):
                return (f'<video controls loop autoplay muted playsinline style="max-width:100%">'
                        f'<source src="{src}" type="{_MIME[suffix]}"></video>')
            return f'<img src="{src}" style="max-width:100%"/>'
        return "<pre>" + html.escape("\n".join(map(str, self))) + "</pre>"


def render(trace: Trace | dict | str | Path, out_dir: str | Path = "out", *, backend: str = "matplotlib",
           progress: Callable[[int, int], None] | None = None, **options: Any) -> Rendered:
    """Render a trace (or a trace.json path, or its document as a dict: a widget's ``trace``) and return the files written.

    ``options`` are the backend's keyword arguments: for matplotlib ``formats``, ``fps``,
    ``size``, ``theme``, ``views``, ``plan``, ``stem``; for Manim ``scene``, ``quality``,
    ``formats``, ``theme``, ``plan``, ``stem``; both take ``captions`` (default True: a
    ``STEM.vtt`` beside each video, a soft subtitle track in MP4 and WebM). Both backends write
    ``mp4``, ``webm``, ``gif``, ``png``, ``frames`` and ``pptx`` (a slide deck); matplotlib
    also ``svg`` and ``pdf`` (the final-fit poster as vector files); ``formats`` is checked as
    the command line checks it (:func:`scenes.job.check_formats`). ``html`` (the interactive player, ``STEM.html``) is
    drawn from the story by the browser, the same page whatever the backend, and so is
    ``slides`` (``STEM.slides.html``, the player in presenter mode).

    Examples
    --------
    >>> from training import record
    >>> import scenes
    >>> scenes.render(record(lr=0.3), "out", formats=["mp4"], theme="dark")
    """
    from scenes import pipeline
    from scenes.job import check_backend, check_formats, split_formats

    # The same check as the command line's (build_job): one function, before any work.
    backend = check_backend(backend)
    if "formats" in options:  # else the backend's default, which it writes
        options["formats"] = check_formats(backend, options["formats"])
    if isinstance(trace, dict):  # a trace.json's document: a notebook widget's ``trace``
        trace = Trace.from_dict(trace)
    elif not isinstance(trace, Trace):
        trace = Trace.from_file(trace)
    out = Path(out_dir)
    from scenes.story.story import as_story
    story = as_story(trace)  # built once, handed to the backend and the page
    drawn, from_story = split_formats(options["formats"]) if "formats" in options else (None, ())
    pages = pipeline.write_story_outputs(story, out, from_story, stem=options.get("stem", "sgd"),
                                         theme=options.get("theme", "light"), plan=_page_plan(options))
    if drawn == ():
        return Rendered(pages)
    if drawn is not None:
        options["formats"] = drawn
    return Rendered([*pipeline.draw(backend, story, out, progress=progress, **options), *pages])


def _page_plan(options: dict):
    """The page's timing: the plan given, its fps replaced by ``fps`` as the matplotlib backend does."""
    from dataclasses import replace

    from scenes.story.plan import PlanSettings
    plan = options.get("plan")
    if options.get("fps") is not None:
        plan = replace(plan or PlanSettings(), fps=int(options["fps"]))
    return plan


def player(trace: Trace | str | Path, *, theme: str = "light", plan=None, height: int | None = None):
    """The interactive player of a trace (or a trace.json path): shown inline in Jupyter and
    Colab (the page in a sandboxed iframe: no server, no network); ``.save(path)`` writes it.
    With anywidget installed (``pip install 'sgd-anim[widget]'``) it is a widget
    (:mod:`scenes.web.widget`) whose ``settings`` and ``trace`` Python reads and sets:
    ``scenes.render(widget.trace)`` renders what the page shows.

    Examples
    --------
    >>> import scenes, training
    >>> scenes.player(training.record(lr=0.3))          # the last line of a notebook cell
    >>> scenes.player("out/trace.json", theme="dark").save("player.html")
    """
    from scenes.web.inline import DEFAULT_HEIGHT, Player
    from scenes.web.page import player_page
    from scenes.web.widget import available, page_widget

    if available():
        return page_widget(trace, theme=theme, plan=plan, height=height or DEFAULT_HEIGHT)
    if not isinstance(trace, Trace):
        trace = Trace.from_file(trace)
    return Player(player_page(trace, theme=theme, plan=plan), height=height or DEFAULT_HEIGHT)
