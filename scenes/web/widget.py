"""The player page as a notebook widget (anywidget: Jupyter, JupyterLab, Colab, VS Code, marimo).

One ES module (:func:`widget_esm`) holds the live page's parts, the very ones
:func:`scenes.web.page.page_from_document` joins for a line run (its template, style, the
player's script with the twin and the live controls, and their Content-Security-Policy); its
``render({model, el})`` builds the page from the synced document (that of ``render.py --format
html``) and puts it in an iframe inside the widget's element (the page's ids, styles and CSP
stay its own, and it can reach no network), as tall as the page. The widget's state:

- ``settings``: the run's settings (a trace's ``config``); set from Python, the live page
  recomputes them in the browser; a page that is not live (or before it has loaded) is
  recorded again here, in PyTorch;
- ``trace``: the current run in trace.json's shape, kept up to date by the page (a live page:
  whatever the student dragged; a page loaded again is given this run back); set from
  Python, the widget shows that run.
  ``scenes.render(widget.trace)`` turns it into a video.

anywidget is an optional dependency (``pip install 'sgd-anim[widget]'``):
:func:`scenes.api.player` falls back to the iframe player of :mod:`scenes.web.inline` without it.
"""
from __future__ import annotations

import html
import json
from functools import lru_cache
from typing import Any

from scenes.web.inline import DEFAULT_HEIGHT, iframe

__all__ = ["widget_esm", "page_widget", "widget_class", "available"]

_ESM_BODY = r"""
function storyJson(doc) { // as scenes.web.page.story_json: no text can end the data block
  return JSON.stringify(doc).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
}
function escapeHtml(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }
function pageOf(doc, title) {
  const slots = { CSP: escapeHtml(PARTS.csp), TITLE: escapeHtml(title), STYLE: PARTS.style, SCRIPT: PARTS.script,
                  DATA: storyJson({ ...doc, max_rows: PARTS.max_rows }), GENERATOR: escapeHtml(PARTS.generator) };
  return PARTS.template.replace(/\{\{([A-Z]+)\}\}/g, (m, k) => slots[k]); // one pass, as page.py
}
function plain(value) { // the page's run as JSON data (a seed beyond 2^53 as the nearest number)
  return JSON.parse(JSON.stringify(value, (k, v) => (typeof v === "bigint" ? Number(v) : ArrayBuffer.isView(v) ? Array.from(v) : v)));
}
function stable(v) { // JSON with sorted keys: settings from Python and from the page, compared
  return JSON.stringify(v, (k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((n) => [n, x[n]])) : x));
}
function withoutData(s) { const out = { ...(s || {}) }; delete out.data; return out; }
function isPoints(d) { return !!d && Array.isArray(d.x) && Array.isArray(d.y); }
function render({ model, el }) {
  const frame = document.createElement("iframe");
  frame.title = "sgd-anim player";
  // Its own document, scripts on; same origin, so this module can call the page's window.sgdAnim.
  frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-downloads");
  frame.style.cssText = "width:100%;border:0;display:block;height:" + model.get("height") + "px";
  el.appendChild(frame);
  let pushing = false;
  const api = () => (frame.contentWindow && frame.contentWindow.sgdAnim) || null;
  function push() { // the page's run into the model: Python reads it
    const a = api();
    if (!a) return;
    let settings = null, trace = null;
    try { settings = a.settings(); trace = a.trace(); } catch (e) { /* a page that says why it is not live */ }
    pushing = true;
    if (settings && trace) { model.set("settings", plain(settings)); model.set("trace", plain(trace)); }
    model.set("_live", !!(a.set && a.live !== false));
    model.save_changes();
    pushing = false;
  }
  const live = (a) => !!(a && a.set && a.live !== false);
  function restore(a) {
    // The iframe loads again whenever the notebook re-attaches the output (JupyterLab does when
    // a cell is moved): its document holds the first run, the model the one the student made.
    const t = model.get("trace"), s = model.get("settings") || {};
    if (!live(a) || !t || !isPoints(t.data)) return;
    const want = { data: { x: t.data.x, y: t.data.y } }, mine = withoutData(a.settings());
    Object.keys(mine).forEach((k) => { if (k in s) want[k] = s[k]; }); // the page's own keys only
    if (stable({ ...mine, data: a.data() }) === stable({ ...mine, ...want })) return;
    try { a.set(want); } catch (e) { console.warn("sgd-anim: the run could not be restored: " + e.message); }
  }
  function fit() { // the frame as tall as its page (it depends on the width): no scrollbar inside the notebook's
    const d = frame.contentDocument, h = d && d.documentElement ? Math.ceil(d.documentElement.getBoundingClientRect().height) : 0;
    frame.style.height = Math.max(model.get("height"), h) + "px";
  }
  function load() { frame.srcdoc = pageOf(model.get("_doc"), model.get("_title")); }
  frame.addEventListener("load", () => {
    const w = frame.contentWindow;
    if (!w) return;
    new w.ResizeObserver(fit).observe(w.document.documentElement); // (it goes with the page)
    w.addEventListener("sgdanim:change", push);
    restore(api());
    push();
  });
  const onSettings = () => {
    const a = api();
    if (pushing || !live(a)) return;
    const s = { ...model.get("settings") }, t = model.get("trace") || {};
    // A trace's config names its data ({"kind": "article"}): the page has those points already.
    if ("data" in s && !isPoints(s.data) && stable(s.data) === stable((t.config || {}).data)) delete s.data;
    try {
      a.set(s); // the live page recomputes (and its change event sends the run to Python)
    } catch (e) { // refused (the page says why beside the field): Python gets the page's settings back
      console.warn("sgd-anim: the page refused these settings: " + e.message);
      push();
    }
  };
  const onHeight = fit;
  model.on("change:_doc", load);
  model.on("change:settings", onSettings);
  model.on("change:height", onHeight);
  load();
  return () => { model.off("change:_doc", load); model.off("change:settings", onSettings); model.off("change:height", onHeight); };
}
export default { render };
"""


@lru_cache(maxsize=None)
def widget_esm() -> str:
    """The widget's ES module: the page's template, style and script (those of the written
    page, byte for byte) and a ``render`` that builds the page from the synced document."""
    from scenes.web.compact import compact_lines
    from scenes.web.export import MAX_ROWS
    from scenes.web.live_page import LIVE_CSS
    from scenes.web.page import _asset, _generator, csp_of, player_script, player_style
    # The live page's parts: a line run's page recomputes in the browser; any other run's page
    # plays as recorded and says why (main.js), as the written page does with the plain script.
    style, script = player_style() + compact_lines(_asset(LIVE_CSS)), player_script(live=True)
    parts = {"template": _asset("player.html"), "style": style, "script": script, "csp": csp_of(style, script),
             "generator": _generator(), "max_rows": MAX_ROWS}
    return "const PARTS = " + json.dumps(parts, ensure_ascii=False) + ";\n" + _ESM_BODY


def available() -> bool:
    """Whether anywidget is installed."""
    try:
        import anywidget  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=None)
def widget_class():
    """The widget's class (made on first use: anywidget is optional)."""
    import anywidget
    import traitlets

    class SgdAnimWidget(anywidget.AnyWidget):
        """The player page of a run, live in a notebook; ``settings`` and ``trace`` are synced."""

        _esm = traitlets.Unicode(widget_esm()).tag(sync=True)
        _doc = traitlets.Dict().tag(sync=True)
        _title = traitlets.Unicode("sgd-anim").tag(sync=True)
        _live = traitlets.Bool(False).tag(sync=True)
        settings = traitlets.Dict().tag(sync=True)
        trace = traitlets.Dict().tag(sync=True)
        height = traitlets.Int(DEFAULT_HEIGHT).tag(sync=True)

        def __init__(self, trace, *, theme: str = "light", plan=None, height: int = DEFAULT_HEIGHT, **kw: Any):
            super().__init__(height=height, **kw)
            self._theme, self._plan = theme, plan
            self._show(trace)
            self.observe(self._trace_set, names="trace")
            self.observe(self._settings_set, names="settings")

        # -- what Python sets (a change the page sent is in _property_lock while it is applied)
        def _from_page(self, name: str) -> bool:
            return name in getattr(self, "_property_lock", {})

        def _show(self, trace) -> None:
            from scenes.story.story import Story
            from scenes.story.theme import load_theme
            from scenes.web.page import player_document
            from training.trace import Trace
            if not isinstance(trace, Trace):
                trace = Trace.from_dict(trace) if isinstance(trace, dict) else Trace.from_file(trace)
            doc = player_document(Story(trace), theme=load_theme(self._theme), plan=self._plan)  # the live page's
            with self.hold_trait_notifications():
                self._doc = doc
                self._title = doc["stories"][0]["title"]
                self.trace = json.loads(trace.to_json())
                self.settings = dict(self.trace["config"])

        def _trace_set(self, change) -> None:
            if not self._from_page("trace") and not getattr(self, "_showing", False):
                self._showing = True
                try:
                    self._show(change["new"])
                finally:
                    self._showing = False

        def _settings_set(self, change) -> None:
            if self._from_page("settings") or getattr(self, "_showing", False) or self._live:
                return  # the live page recomputes what Python set (onSettings in the module)
            from training.config import TrainConfig
            from training.recorder import record
            base = dict(self.trace["config"])
            if "optimizer" in change["new"]:  # another optimizer: its own momentum, unless given
                base.pop("momentum", None)
            config = TrainConfig.from_dict({**base, **change["new"]})
            self._showing = True
            try:
                self._show(record(config))  # a page that is not live: PyTorch records it here
            finally:
                self._showing = False

        # -- the page itself, as the iframe player has it
        @property
        def html(self) -> str:
            from scenes.web.page import page_from_document
            return page_from_document(self._doc, self._title)

        def save(self, path):
            """Write the page of the current document to ``path`` (atomically); return the path."""
            from scenes.web.page import write_page
            return write_page(self.html, path)

        def _repr_html_(self) -> str:  # where no widget manager runs (nbconvert, a static viewer)
            return iframe(self.html, self.height)

        def _repr_mimebundle_(self, **kwargs):
            bundle = super()._repr_mimebundle_(**kwargs) or {}
            data, meta = bundle if isinstance(bundle, tuple) else (bundle, None)  # (anywidget: data, metadata)
            data = {**data, "text/html": self._repr_html_()}
            return (data, meta) if isinstance(bundle, tuple) else data

        def __repr__(self) -> str:
            return f"<sgd-anim widget: {html.escape(self._title)}, {len(self.trace.get('steps', {}).get('a', []))} steps>"

    return SgdAnimWidget


def page_widget(trace, *, theme: str = "light", plan=None, height: int = DEFAULT_HEIGHT):
    """The widget of a trace (a Trace, its trace.json dict, or a path)."""
    return widget_class()(trace, theme=theme, plan=plan, height=height)
