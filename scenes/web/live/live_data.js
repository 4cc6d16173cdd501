/* The live page's data and start point: a CSV of x,y pasted, dropped or typed; points dragged,
 * added (click an empty place) and removed (double-click, or right-click) in the fit view;
 * the start (init_a, init_b) dragged in the parameter view. A drag maps the pointer with the
 * view's axes as they were when it began, so the point stays under the pointer while the
 * recomputed views rescale. */
(function (SGD) {
  "use strict";
  var L = SGD.live;
  var MAX_CSV_CHARS = 5000000;

  // "x,y" lines (comma, semicolon, tab or spaces; a first line of names is skipped) ->
  // {x, y}; a bad line throws an Error naming it. Range and count are the twin's checks.
  function parseCSV(text) {
    text = String(text);
    if (text.length > MAX_CSV_CHARS) throw new Error("the CSV has " + text.length.toLocaleString("en-US") + " characters; the page reads at most " + MAX_CSV_CHARS.toLocaleString("en-US"));
    var lines = text.split(/\r\n|\n|\r/), x = [], y = [];
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].trim();
      if (!line || line.charAt(0) === "#") continue;
      var cells = line.split(/\s*[,;\t]\s*|\s+/);
      if (cells.length !== 2) throw new Error("line " + (i + 1) + ": expected two values x,y, got " + cells.length + " (" + clip(line) + ")");
      var a = numberOf(cells[0]), b = numberOf(cells[1]);
      if (a === null || b === null) {
        if (!x.length && i === firstLine(lines)) continue; // a header: x,y
        throw new Error("line " + (i + 1) + ": " + clip(a === null ? cells[0] : cells[1]) + " is not a number");
      }
      if (!isFinite(a) || !isFinite(b)) throw new Error("line " + (i + 1) + ": values must be finite numbers (not " + clip(!isFinite(a) ? cells[0] : cells[1]) + ")");
      x.push(a); y.push(b);
    }
    return { x: x, y: y };
  }
  function firstLine(lines) { for (var i = 0; i < lines.length; i++) if (lines[i].trim() && lines[i].trim().charAt(0) !== "#") return i; return -1; }
  function numberOf(t) { return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || /^[+-]?(inf|infinity|nan)$/i.test(t) ? Number(t.replace(/inf(inity)?/i, "Infinity").replace(/^([+-]?)nan$/i, "NaN")) : null; }
  function clip(t) { t = String(t); return t.length > 24 ? t.slice(0, 21) + "..." : t; }

  function csvOf(data) {
    var out = ["x,y"];
    for (var i = 0; i < data.x.length; i++) out.push(data.x[i] + "," + data.y[i]);
    return out.join("\n");
  }

  // The pointer's place in a panel's data units, with the axes fixed at `m` (a snapshot).
  function snapshot(pn) { return { x0: pn.x0, x1: pn.x1, y0: pn.y0, y1: pn.y1, xl: pn.xLim.slice(), yl: pn.yLim.slice() }; }
  function toData(m, canvas, e) {
    var r = canvas.getBoundingClientRect(), px = e.clientX - r.left, py = e.clientY - r.top;
    return [m.xl[0] + (px - m.x0) / (m.x1 - m.x0) * (m.xl[1] - m.xl[0]), m.yl[0] + (m.y1 - py) / (m.y1 - m.y0) * (m.yl[1] - m.yl[0])];
  }
  function round4(v) { return Number(v.toPrecision(4)); }

  // Pointer editing on the fit view (points) and the parameter view (the start).
  function bindPointers(live) {
    var P = live.player, fit = P.panels.fit, params = P.panels.params;
    fit.canvas.classList.add("editable"); params.canvas.classList.add("editable");
    fit.canvas.title = "Drag a point; click an empty place to add one; double-click a point to remove it";
    params.canvas.title = "Drag to move the start (a, b)";
    var drag = null;

    function nearest(e) {
      var r = fit.canvas.getBoundingClientRect(), px = e.clientX - r.left, py = e.clientY - r.top, best = -1, bd = 12 * 12;
      var d = live.data;
      for (var i = 0; i < d.x.length && i < 20000; i++) {
        var dx = fit.px(d.x[i]) - px, dy = fit.py(d.y[i]) - py, dd = dx * dx + dy * dy;
        if (dd < bd) { bd = dd; best = i; }
      }
      return best;
    }
    fit.canvas.addEventListener("pointerdown", function (e) {
      if (e.button !== 0 || !fit.xLim) return;
      var i = nearest(e), m = snapshot(fit);
      if (i < 0) { // add a point here
        var p = toData(m, fit.canvas, e), d = live.copyData();
        d.x.push(round4(p[0])); d.y.push(round4(p[1]));
        live.request({ data: d }, "data");
        i = d.x.length - 1;
      }
      drag = { kind: "point", i: i, m: m };
      fit.canvas.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    fit.canvas.addEventListener("pointermove", function (e) {
      if (!drag || drag.kind !== "point") return;
      var p = toData(drag.m, fit.canvas, e), d = live.copyData();
      if (drag.i >= d.x.length) return;
      d.x[drag.i] = round4(p[0]); d.y[drag.i] = round4(p[1]);
      live.request({ data: d }, "data");
    });
    function remove(e) {
      var i = nearest(e);
      if (i < 0) return;
      e.preventDefault();
      var d = live.copyData();
      d.x.splice(i, 1); d.y.splice(i, 1);
      live.request({ data: d }, "data");
    }
    fit.canvas.addEventListener("dblclick", remove);
    fit.canvas.addEventListener("contextmenu", remove);
    params.canvas.addEventListener("pointerdown", function (e) {
      if (e.button !== 0 || !params.xLim) return;
      drag = { kind: "start", m: snapshot(params) };
      params.canvas.setPointerCapture(e.pointerId);
      move(e);
      e.preventDefault();
    });
    function move(e) {
      if (!drag || drag.kind !== "start") return;
      var p = toData(drag.m, params.canvas, e);
      live.request({ init_a: round4(p[0]), init_b: round4(p[1]) }, "init_a");
    }
    params.canvas.addEventListener("pointermove", move);
    function end() { if (drag) { drag = null; live.flush(); } }
    ["pointerup", "pointercancel", "lostpointercapture"].forEach(function (t) {
      fit.canvas.addEventListener(t, end); params.canvas.addEventListener(t, end);
    });
  }

  // The data box: a textarea of x,y lines, "use these points", the article's points, and a
  // file dropped anywhere on the page (or pasted in the box).
  function bindDataBox(live, box) {
    var el = L.el, details = el("details", { id: "sgd-live-data-box" }), area = el("textarea", { id: "sgd-live-csv", rows: "4", spellcheck: "false",
      "aria-label": "data points, one x,y a line" });
    var use = el("button", { type: "button", id: "sgd-live-csv-use", text: "use these points" });
    var reset = el("button", { type: "button", id: "sgd-live-csv-reset", text: "the article's points" });
    var msg = el("span", { class: "msg", id: "sgd-live-data-msg", role: "alert" });
    details.appendChild(el("summary", { text: "data: paste or drop a CSV of x,y; drag points in the fit view" }));
    details.appendChild(area); details.appendChild(el("div", {}, [use, reset, msg]));
    box.appendChild(details);
    live.form.msgs.data = msg; live.form.inputs.data = area;
    details.addEventListener("toggle", function () { if (details.open && !area.value) area.value = csvOf(live.data); });
    function take(text) {
      var d;
      try { d = parseCSV(text); } catch (e) { live.form.message("data", e.message); return; }
      live.request({ data: d }, "data", true);
    }
    use.addEventListener("click", function () { take(area.value); });
    reset.addEventListener("click", function () { live.request({ data: { x: [0.2, 0.4, 0.6, 0.8, 1.0, 1.2], y: [0.18, 0.32, 0.42, 0.48, 0.58, 0.72] } }, "data", true); });
    area.addEventListener("paste", function () { setTimeout(function () { take(area.value); }, 0); });
    document.addEventListener("dragover", function (e) { e.preventDefault(); box.classList.add("dropping"); });
    document.addEventListener("dragleave", function () { box.classList.remove("dropping"); });
    document.addEventListener("drop", function (e) {
      e.preventDefault(); box.classList.remove("dropping");
      var dt = e.dataTransfer, file = dt && dt.files && dt.files[0];
      details.open = true;
      if (file) {
        if (file.size > MAX_CSV_CHARS) { live.form.message("data", "the file has " + file.size.toLocaleString("en-US") + " bytes; the page reads at most " + MAX_CSV_CHARS.toLocaleString("en-US")); return; }
        var reader = new FileReader();
        reader.onload = function () { area.value = String(reader.result); take(area.value); };
        reader.onerror = function () { live.form.message("data", "the file could not be read"); };
        reader.readAsText(file);
      } else if (dt) { var t = dt.getData("text/plain"); if (t) { area.value = t; take(t); } }
    });
  }

  L.parseCSV = parseCSV; L.csvOf = csvOf; L.bindPointers = bindPointers; L.bindDataBox = bindDataBox;
})(SGD);
