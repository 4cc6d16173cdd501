"""The player as one self-contained HTML file: the exported story as data, the script that
draws it and the controls, with a Content-Security-Policy that forbids every load.

The page's HTML, CSS and JS are package data of ``scenes.web`` (read with importlib.resources,
so a wheel finds them). The player's script is the files of ``player/``, joined in the order
of ``player/MANIFEST`` into the one inline script (no bundler: the page stays one file with
one hash in its CSP). Text from a config or a trace reaches the page only inside the JSON
data block (with ``<``, ``>`` and ``&`` escaped, so it cannot close the block) or escaped as
HTML (the title); the script sets text with ``textContent``, never as markup.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from functools import lru_cache
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Sequence

from scenes.story.plan import PlanSettings
from scenes.story.story import Story
from scenes.story.theme import Theme, load_theme
from scenes.web.compact import compact_js, compact_lines
from scenes.web.export import MAX_ROWS, document, export_contours, export_story, story_geometry
from scenes.web.page_export import run_document
from training.atomic import atomic_path
from training.trace import Trace

__all__ = ["player_page", "player_document", "explorer_page", "page_from_document", "write_page", "render_html", "render_slides",
           "csp_of", "story_json", "player_modules", "player_script", "page_kind", "PAGE_KINDS", "player_style"]

_SLOT = re.compile(r"\{\{([A-Z]+)\}\}")


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return resources.files("scenes.web").joinpath(name).read_text(encoding="utf-8")


def _player_file(name: str) -> str:
    node = resources.files("scenes.web").joinpath("player")
    for part in name.split("/"):  # (one name at a time: a Traversable's joinpath takes one in 3.11)
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


PAGE_KINDS = ("story", "race", "explore", "presenter")


def _manifest() -> list[tuple[str, str | None]]:
    rows = []
    for line in _player_file("MANIFEST").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, *tag = line.split()
            rows.append((name, tag[0] if tag else None))
    return rows


def player_modules(kind: str | None = None) -> list[str]:
    """The player script's files, under ``scenes/web/player/``, in the order they are joined:
    ``player/MANIFEST``, one path a line (``#`` starts a comment line), a tag after a path
    naming the one kind of page that file serves. ``kind``: the files of that kind's page
    (every untagged file and that kind's own); None: every file."""
    if kind is not None and kind not in PAGE_KINDS:
        raise ValueError(f"unknown page kind {kind!r}")
    return [name for name, tag in _manifest() if kind is None or tag is None or tag == kind]


def page_kind(doc: dict) -> str:
    """Which kind of page a document makes: a race, the explorer, presenter mode, or one run's page."""
    if doc.get("kind") == "race":
        return "race"
    if doc.get("explore"):
        return "explore"
    return "presenter" if doc.get("presenter") else "story"


@lru_cache(maxsize=None)
def player_script(live: bool = False, kind: str = "story") -> str:
    """The player's script as the page inlines it: the files of ``kind``'s page joined in
    MANIFEST order inside one closure, which holds the namespace ``SGD`` they share (so the
    page gains no global but the ``window.sgdPlayer`` hooks the script sets itself), without
    comment lines and indentation (``compact_js``: every page, so each stays small). ``live``:
    with the twin and the live controls (scenes/web/live_page.py) before main.js, which starts them."""
    names = player_modules(kind)
    parts = [_player_file(name) for name in names]
    if live:
        from scenes.web.live_page import live_parts
        at = names.index("main.js")
        parts[at:at] = live_parts()
    body = compact_js("\n".join(parts))
    return '(function () {\n"use strict";\nvar SGD = {};\n' + body + "})();\n"


def player_style() -> str:
    """The player's style as every page inlines it (without comment lines and indentation)."""
    return compact_lines(_asset("player.css"))


def _generator() -> str:
    try:
        return f"sgd-anim {version('sgd-anim')}"
    except PackageNotFoundError:
        return "sgd-anim"


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def csp_of(style: str, script: str, connect: str = "'none'") -> str:
    """Nothing may load: no script, style, image, font, frame or connection but the page's own
    inline script and style, named by their hashes. ``connect``: "'self'" only for the page
    render.py --serve serves (its fetches go back to that server); every file stays 'none'."""
    if connect not in ("'none'", "'self'"):
        raise ValueError(f"connect-src must be 'none' or 'self', got {connect!r}")
    return ("default-src 'none'; "
            f"script-src {_sha256(script)}; style-src {_sha256(style)}; "
            f"img-src 'none'; font-src 'none'; connect-src {connect}; media-src 'none'; object-src 'none'; "
            "frame-src 'none'; worker-src 'none'; manifest-src 'none'; base-uri 'none'; form-action 'none'")


def story_json(doc: dict) -> str:
    """The document as JSON that is safe inside a <script> element: ``<``, ``>`` and ``&``
    (which only occur inside strings) are written as \\u escapes, so no text can end the block."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page_from_document(doc: dict, title: str, *, serve: bool = False) -> str:
    """The page for an exported document (see :mod:`scenes.web.export`). ``serve``: the page of
    ``render.py --serve``: the player plus its settings form (serve.js, serve.css, inline and
    hash-pinned like the player's), allowed to fetch from the server that served it and only
    from it, and its document holds the form serve.js draws (``form``, built from the settings
    table: :mod:`scenes.web.serve_form`); a written page is never a serve page."""
    style = player_style()
    script = player_script(live=bool(doc.get("live", {}).get("config")), kind=page_kind(doc))
    if "live" in doc:
        style += compact_lines(_asset("live.css"))
    if serve:
        style, script = style + compact_lines(_asset("serve.css")), script + "\n" + compact_js(_asset("serve.js"))
    for name, text, tag in (("player.css", style, "</style"), ("the player's script", script, "</script")):
        if tag in text.lower():
            raise ValueError(f"{name} must not contain {tag}")
    doc = {**doc, "max_rows": MAX_ROWS}
    if serve:
        from scenes.web.serve_form import serve_form
        doc["form"] = serve_form()
    csp = csp_of(style, script, connect="'self'" if serve else "'none'")
    slots = {"CSP": html.escape(csp, quote=False), "TITLE": html.escape(title), "STYLE": style,
             "SCRIPT": script, "DATA": story_json(doc), "GENERATOR": html.escape(_generator())}
    # One pass: a value that happens to contain "{{...}}" is never substituted again.
    return _SLOT.sub(lambda m: slots[m.group(1)], _asset("player.html"))


def _theme(theme: str | Theme) -> Theme:
    return theme if isinstance(theme, Theme) else load_theme(theme)


def player_document(trace: Trace | Story, *, theme: str | Theme = "light", plan: PlanSettings | None = None,
                    presenter: bool = False) -> dict:
    """The document of one run's player page (the notebook widget draws the same one)."""
    th = _theme(theme)
    story = trace if isinstance(trace, Story) else Story(trace)
    doc = run_document(story, plan, th, generator=_generator())  # with the trace and the settings table
    if presenter:
        doc["presenter"] = True
    else:  # the live page: its controls recompute the run (or say why they cannot)
        from scenes.web.live_page import live_doc
        doc["live"] = live_doc(story.trace, th, plan)
        if "config" in doc["live"]:  # only the presenter page shows speaker notes: room for the twin
            doc["stories"][0]["plan"].pop("notes", None)
    return doc


def player_page(trace: Trace | Story, *, theme: str | Theme = "light", plan: PlanSettings | None = None,
                presenter: bool = False) -> str:
    """One run's player page. ``presenter``: the same page in presenter mode (one beat per
    key press, full screen, big caption and the beat's speaker notes; ``--format slides``)."""
    doc = player_document(trace, theme=theme, plan=plan, presenter=presenter)
    return page_from_document(doc, doc["stories"][0]["title"])


def explorer_page(runs: Sequence[tuple[dict, Trace]], axes: Sequence[tuple[str, str, Sequence]], *,
                  theme: str | Theme = "light", plan: PlanSettings | None = None,
                  initial: dict | None = None) -> str:
    """A grid of runs behind sliders. ``runs``: (the settings that vary, as {key: value}, and
    the trace) for every point of the grid; ``axes``: (key, label, values) per slider, in
    the order the sliders appear. Every run is drawn in the same fit and parameter views
    (the union of the runs that did not diverge), so paths can be compared."""
    from dataclasses import replace

    from scenes.story.geometry import Geometry, Limits

    th = _theme(theme)
    if not runs:
        raise ValueError("an explorer needs at least one run")
    geoms = [Geometry.of(tr) for _, tr in runs]
    ok = [g for g, (_, tr) in zip(geoms, runs) if not tr.status.diverged] or geoms

    def union(lims: list[Limits]) -> Limits:
        return Limits(min(l.x0 for l in lims), max(l.x1 for l in lims), min(l.y0 for l in lims),
                      max(l.y1 for l in lims))

    params, fit = union([g.params for g in ok]), union([g.fit for g in ok])
    # A model of P > 2 parameters: each run's plane through parameter space is its own (its
    # path's), so each run has its own view and contours; the fit view is shared.
    own = any(tr.model.plane is None for _, tr in runs)
    stories, index = [], {}
    for i, (values, tr) in enumerate(runs):
        geom = replace(Geometry.of(tr), fit=fit) if own else story_geometry(tr, params, fit)
        stories.append(export_story(Story(tr, geom), plan, label=_run_label(values, axes), contours=own,
                                    theme=th, curve_cap=0))
        index[tuple(values[key] for key, _, _ in axes)] = i
    flat = []
    for combo in _product([list(vals) for _, _, vals in axes]):
        if combo not in index:
            raise ValueError(f"the grid lacks a run at {combo}")
        flat.append(index[combo])
    first = initial or {}
    start = [list(vals).index(first[key]) if key in first and first[key] in vals else 0
             for key, _, vals in axes]
    explore = {"axes": [{"key": key, "label": label, "values": list(vals), "text": [f"{v:g}" for v in vals]}
                        for key, label, vals in axes],
               "runs": flat, "initial": start}
    contours = None if own else export_contours(Story(runs[0][1], story_geometry(runs[0][1], params, fit)), th)
    doc = document(stories, th, explore=explore, contours=contours, generator=_generator())
    return page_from_document(doc, "SGD explorer: " + " × ".join(label for _, label, _ in axes))


def _product(lists: list[list]) -> list[tuple]:
    out: list[tuple] = [()]
    for values in lists:
        out = [(*combo, v) for combo in out for v in values]
    return out


def _run_label(values: dict, axes) -> str:
    short = {"lr": "lr", "batch_size": "batch", "momentum": "momentum"}
    return " · ".join(f"{short.get(key, key)} {values[key]:g}" for key, _, _ in axes)


def write_page(text: str, path: str | Path) -> Path:
    """Write a page atomically (a temporary file renamed at the end)."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return Path(path)


def render_html(trace: Trace, out_dir: str | Path, *, stem: str = "sgd", theme: str | Theme = "light",
                plan: PlanSettings | None = None) -> Path:
    """Write ``out_dir/STEM.html``, the player of this trace; return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return write_page(player_page(trace, theme=theme, plan=plan), out / f"{stem}.html")


def render_slides(trace: Trace, out_dir: str | Path, *, stem: str = "sgd", theme: str | Theme = "light",
                  plan: PlanSettings | None = None) -> Path:
    """Write ``out_dir/STEM.slides.html``, the player in presenter mode; return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return write_page(player_page(trace, theme=theme, plan=plan, presenter=True), out / f"{stem}.slides.html")
