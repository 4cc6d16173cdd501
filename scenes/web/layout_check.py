"""The layout check for the web player: what a browser drew, as boxes, against the rules of
:mod:`scenes.layout_check` (the ones the matplotlib and Manim frames answer to).

Two kinds of text make up the page:

- DOM text (the title, the caption, the values, the panel titles, the table, a race's
  leaderboard, the controls):
  each text node's rendered box (``Range.getBoundingClientRect``: the glyphs' line box, not
  the element's full-width block), checked inside its section and the page;
- canvas text (tick and axis labels, legends, a race's direct labels, notes on the plots) on
  every canvas the page shows: the player draws it with
  ``fillText``, which leaves no box behind. :data:`PROBE_JS`, run before the page's script,
  wraps the 2D context: every ``fillText`` records the text's box (``measureText``'s actual bounding box,
  through the context's transform), a ``drawImage`` of a layer canvas carries the layer's
  boxes onto the visible canvas, a full ``clearRect`` forgets them. Nothing in the player is
  changed for the check: the probe wraps the browser's API from outside.

The page is a document, not a fixed frame: a tall window may scroll, so the "frame" is the
viewport's width by the document's height; text wider than the window is a defect.
Works with any WebDriver-like object that has ``execute_script`` (Selenium's).
"""
from __future__ import annotations

from scenes.layout_check import TEXT, Box, Item, Problem, check_items

__all__ = ["PROBE_JS", "COLLECT_JS", "install_probe", "page_items", "check_page", "show_frame"]

# Boxes are kept per canvas in canvas-bitmap pixels, already through the transform in effect.
PROBE_JS = r"""
if (!window.__sgdProbe) {
  var P = CanvasRenderingContext2D.prototype, boxes = new WeakMap();
  window.__sgdProbe = { boxes: boxes };
  // Setting a canvas's width or height clears it: its boxes go with the old size.
  var list = function (c) {
    var e = boxes.get(c);
    if (!e || e.w !== c.width || e.h !== c.height) { e = { w: c.width, h: c.height, l: [] }; boxes.set(c, e); }
    return e.l;
  };
  var reset = function (c) { boxes.set(c, { w: c.width, h: c.height, l: [] }); };
  var through = function (m, x, y) { return [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]; };
  var corners = function (m, x0, y0, x1, y1) {
    var p = [through(m, x0, y0), through(m, x1, y0), through(m, x0, y1), through(m, x1, y1)];
    var xs = p.map(function (q) { return q[0]; }), ys = p.map(function (q) { return q[1]; });
    return [Math.min.apply(null, xs), Math.min.apply(null, ys), Math.max.apply(null, xs), Math.max.apply(null, ys)];
  };
  var fillText = P.fillText;
  P.fillText = function (text, x, y) {
    var t = String(text);
    if (t.trim()) {
      var mt = this.measureText(t);
      var b = corners(this.getTransform(), x - mt.actualBoundingBoxLeft, y - mt.actualBoundingBoxAscent,
                      x + mt.actualBoundingBoxRight, y + mt.actualBoundingBoxDescent);
      list(this.canvas).push({ text: t, box: b });
    }
    return fillText.apply(this, arguments);
  };
  var drawImage = P.drawImage;
  P.drawImage = function (src) {
    if (src instanceof HTMLCanvasElement && boxes.get(src) && arguments.length === 3) {
      var m = this.getTransform(), dx = arguments[1], dy = arguments[2];
      if (dx === 0 && dy === 0 && m.a === 1 && m.d === 1 && m.e === 0 && m.f === 0
          && src.width === this.canvas.width && src.height === this.canvas.height) reset(this.canvas);
      var dst = list(this.canvas);
      list(src).forEach(function (e) {
        dst.push({ text: e.text, box: corners(m, e.box[0] + dx, e.box[1] + dy, e.box[2] + dx, e.box[3] + dy) });
      });
    }
    return drawImage.apply(this, arguments);
  };
  var clearRect = P.clearRect;
  P.clearRect = function (x, y, w, h) {
    var m = this.getTransform(), b = corners(m, x, y, x + w, y + h);
    if (b[0] <= 0 && b[1] <= 0 && b[2] >= this.canvas.width && b[3] >= this.canvas.height) reset(this.canvas);
    return clearRect.apply(this, arguments);
  };
}
"""

# Every text box of the page, in CSS pixels of the document (y downwards), with the box of the
# part of the page it belongs to.
COLLECT_JS = r"""
var out = { texts: [], cells: {}, frame: [0, 0, document.documentElement.clientWidth,
            Math.max(document.documentElement.scrollHeight, window.innerHeight)] };
var sx = window.scrollX, sy = window.scrollY;
var rectOf = function (r) { return [r.left + sx, r.top + sy, r.right + sx, r.bottom + sy]; };
var cellOf = function (el) {
  var c = el.closest('.sgd-view, .sgd-head, .sgd-values, .sgd-controls, .sgd-keys, .sgd-explore');
  if (!c) return null;
  // A view's section (its title above the canvas) is a part of its own: the canvas's box is
  // the part its drawn text must stay in.
  var canvas = c.querySelector('canvas'), cls = c.className.split(' ');
  var name = c.id || (canvas ? canvas.id + ' section' : cls[cls.length - 1]);
  out.cells[name] = rectOf(c.getBoundingClientRect());
  return name;
};
var root = document.getElementById('sgd-player');
var walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
for (var n = walk.nextNode(); n; n = walk.nextNode()) {
  if (!n.nodeValue.trim()) continue;
  var el = n.parentElement;
  if (el.closest('[hidden]') || el.closest('select, option')) continue;
  var st = getComputedStyle(el);
  if (st.visibility === 'hidden' || st.display === 'none') continue;
  var range = document.createRange(); range.selectNodeContents(n);
  var r = range.getBoundingClientRect();
  if (r.width < 0.5 || r.height < 0.5) continue;
  var cell = cellOf(el);
  if (cell) out.texts.push({ name: n.nodeValue.trim(), panel: cell, box: rectOf(r) });
}
// Every canvas the page shows (the run's views, or a race's).
Array.prototype.forEach.call(root.querySelectorAll('canvas[id]'), function (c) {
  var id = c.id;
  if (c.closest('[hidden]')) return;
  var r = c.getBoundingClientRect();
  if (r.width < 1 || r.height < 1 || !c.width || !c.height) return;
  var kx = r.width / c.width, ky = r.height / c.height;
  out.cells[id] = rectOf(r);
  var e = window.__sgdProbe && window.__sgdProbe.boxes.get(c);
  ((e && e.w === c.width && e.h === c.height) ? e.l : []).forEach(function (e) {
    out.texts.push({ name: e.text, panel: id, box: [r.left + sx + e.box[0] * kx, r.top + sy + e.box[1] * ky,
                                                    r.left + sx + e.box[2] * kx, r.top + sy + e.box[3] * ky] });
  });
});
return out;
"""

# Move the player to a frame and draw it now (the address's #frame= is the player's own link
# format; the hashchange handler draws synchronously).
SHOW_JS = r"""
var f = arguments[0];
window.location.hash = 'frame=' + f;
window.dispatchEvent(new HashChangeEvent('hashchange'));
return document.getElementById('sgd-player').getAttribute('data-step');
"""


def install_probe(driver) -> None:
    """Wrap the 2D context in every page this browser opens from now on, before the page's own
    script runs (so the layers drawn once at start are seen too). Chromium's DevTools protocol."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE_JS})


def show_frame(driver, frame: int) -> None:
    driver.execute_script(SHOW_JS, int(frame))


def page_items(driver) -> tuple[list[Item], Box, dict[str, Box]]:
    """(every text of the page as an Item, the page's frame, the box of each part)."""
    got = driver.execute_script(COLLECT_JS)
    items = [Item(TEXT, t["name"], t["panel"], Box(*t["box"])) for t in got["texts"]]
    return items, Box(*got["frame"]), {k: Box(*v) for k, v in got["cells"].items()}


def check_page(driver, where: str = "") -> list[Problem]:
    """The layout problems of what the page shows now."""
    items, frame, cells = page_items(driver)
    return check_items(items, frame, cells, where=where)
