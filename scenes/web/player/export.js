/* Export from the page: a WebM of the current run, a PNG of the current frame, the run's
 * trace.json, the render.py command and the config.toml that record it again in PyTorch.
 * The video is webm.js's. Everything is made here and downloaded through a Blob URL (no network: the page's CSP
 * forbids it). The run is window.sgdAnim.trace() (the live page's current run); a page that
 * is not live gets a minimal window.sgdAnim here, whose run is the recorded one. */
(function (SGD) {
  "use strict";
  var $ = SGD.$, R = SGD.reproduce;

  var MAX_WIDTH = 1920; // pixels of an exported image or video
  var PAD = 12;         // CSS pixels of margin around the views in an export

  // ------------------------------------------------------------------ the frame, as one image
  // The header and the views as the page shows them: each view's canvas where it sits, and
  // every visible text (titles, caption, values, the numbers table) in its own font and colour.
  function region() {
    var views = $("sgd-views"), head = document.querySelector("#sgd-player > header"), graph = $("sgd-graph-view");
    var r = views.getBoundingClientRect(), top = head ? head.getBoundingClientRect().top : r.top, bottom = r.bottom;
    if (graph && !graph.hidden) bottom = Math.max(bottom, graph.getBoundingClientRect().bottom);
    return { left: r.left - PAD, top: top - PAD, width: r.width + 2 * PAD, height: bottom - top + 2 * PAD,
             parts: [head, views, graph] };
  }

  function drawTexts(ctx, root, box) {
    if (!root || root.hidden) return;
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), node, range = document.createRange();
    while ((node = walker.nextNode())) {
      var text = node.nodeValue, el = node.parentElement;
      if (!text.trim() || !el) continue;
      var cs = getComputedStyle(el);
      if (cs.visibility === "hidden" || cs.display === "none") continue;
      ctx.font = cs.fontStyle + " " + cs.fontWeight + " " + cs.fontSize + " " + cs.fontFamily;
      ctx.fillStyle = cs.color;
      range.selectNodeContents(node);
      var rects = range.getClientRects();
      if (rects.length === 1) { ctx.fillText(text.trim(), rects[0].left - box.left, rects[0].top + rects[0].height / 2 - box.top); continue; }
      var re = /\S+/g, m; // wrapped over lines: a word at a time, each where it sits
      while ((m = re.exec(text))) {
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        var wr = range.getBoundingClientRect();
        if (wr.width) ctx.fillText(m[0], wr.left - box.left, wr.top + wr.height / 2 - box.top);
      }
    }
  }

  function compose(out) {
    var box = region(), scale = Math.min(window.devicePixelRatio || 1, 2, MAX_WIDTH / Math.max(1, box.width));
    var w = 2 * Math.round(box.width * scale / 2), h = 2 * Math.round(box.height * scale / 2); // even: video codecs
    if (out.width !== w || out.height !== h) { out.width = w; out.height = h; }
    var ctx = out.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = getComputedStyle(document.body).backgroundColor || "#fff";
    if (ctx.fillStyle === "rgba(0, 0, 0, 0)") ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, h);
    ctx.setTransform(w / box.width, 0, 0, h / box.height, 0, 0);
    box.parts.forEach(function (part) {
      if (!part || part.hidden) return;
      Array.prototype.forEach.call(part.querySelectorAll("canvas"), function (c) {
        var r = c.getBoundingClientRect();
        if (r.width && r.height && c.width && c.height) ctx.drawImage(c, r.left - box.left, r.top - box.top, r.width, r.height);
      });
    });
    ctx.textBaseline = "middle";
    box.parts.forEach(function (part) { drawTexts(ctx, part, box); });
    return out;
  }

  // ------------------------------------------------------------------ downloads
  function download(blob, name) {
    var url = URL.createObjectURL(blob), a = document.createElement("a");
    a.href = url; a.download = name; a.hidden = true;
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  // ------------------------------------------------------------------ the run and its texts
  function currentTrace(player) {
    var api = window.sgdAnim, t = api && typeof api.trace === "function" ? api.trace() : null;
    if (typeof t === "string") t = JSON.parse(t);
    return t || R.recordedTrace(player.doc.stories[player.run]);
  }

  function recorded(player) { return R.recordedTrace(player.doc.stories[player.run]); }

  function copy(text, show) {
    show(text);
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () { return false; });
    }
    return Promise.resolve(false);
  }

  // The run as render.py --serve takes it (POST /api/story, /api/trace): its config's
  // settings, the data by name, or the points themselves as CSV text ("pasted").
  function serveRequest(table, trace, rec) {
    var settings = {}, data = R.dataOf(table, trace, rec), out = { settings: settings };
    Object.keys(trace.config).forEach(function (k) {
      var v = trace.config[k];
      if (k !== "data") settings[k] = typeof v === "bigint" ? v.toString() : v;
    });
    settings.data = data.csv ? "pasted" : data.flag;
    if (data.csv) out.points = data.csv;
    return out;
  }

  // How far two runs are apart: the same status and steps, and the largest difference of the
  // parameters (a and b, or a model's rows) and the losses relative to the value (1e-6 absolute
  // near zero).
  function flatten(col) {
    var out = [];
    (col || []).forEach(function (v) { if (Array.isArray(v)) v.forEach(function (x) { out.push(x); }); else out.push(v); });
    return out;
  }

  function difference(mine, theirs) {
    var worst = 0;
    ["a", "b", "params", "loss", "full_loss"].forEach(function (c) {
      var p = flatten(mine.steps[c]), q = flatten(theirs.steps[c]);
      for (var i = 0; i < Math.min(p.length, q.length); i++) {
        var d = Math.abs(p[i] - q[i]) / Math.max(Math.abs(q[i]), 1e-6);
        worst = d !== d ? Infinity : Math.max(worst, d);
      }
    });
    return { steps: [mine.n_steps, theirs.n_steps], status: [mine.status.state, theirs.status.state],
             same: mine.n_steps === theirs.n_steps && mine.status.state === theirs.status.state, relative: worst };
  }

  // ------------------------------------------------------------------ the buttons
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function bindExport(player, doc) {
    if (doc.explore || player.presenter) return; // one run's page (an explorer's runs carry no trace)
    if (!window.sgdAnim) { // the recorded run; the live page's fuller object replaces this one
      window.sgdAnim = { live: false,
        settings: function () { var t = recorded(player); return t ? t.config : null; },
        trace: function () { return recorded(player); } };
    }
    var bar = el("div", { id: "sgd-export", "class": "sgd-export-bar", role: "group", "aria-label": "Export this run" });
    var status = el("span", { id: "sgd-export-status", "class": "sgd-export-status", "aria-live": "polite" });
    var text = el("textarea", { id: "sgd-export-text", "class": "sgd-export-text", rows: "4", readonly: "", spellcheck: "false",
                                "aria-label": "The copied text" });
    text.hidden = true;
    function say(t, warn) { status.textContent = t; status.classList.toggle("warn", !!warn); }
    function show(t) { text.value = t; text.hidden = false; text.rows = Math.min(12, t.split("\n").length + (window.innerWidth < 720 ? 2 : 0)); }
    function button(id, label, title, act) {
      var b = el("button", { type: "button", id: "sgd-page-" + id, title: title }, label); // (serve's own: sgd-export-FMT)
      b.addEventListener("click", function () {
        try { act(b); } catch (e) { say(e.message, true); }
      });
      bar.appendChild(b);
      return b;
    }
    function rep() { return player.doc.reproduce || doc.reproduce; } // (serve loads new documents)
    var recording = null;
    button("webm", "WebM", "Record a video of this run (plays it once)", function (b) {
      if (recording) { recording.stop(); return; }
      b.textContent = "Stop";
      recording = SGD.recordWebm(player, compose, { progress: function (f) { say("recording the video… " + Math.round(f * 100) + "%"); } });
      recording.then(function (blob) { download(blob, "sgd.webm"); say("sgd.webm (" + (blob.size / 1e6).toFixed(1) + " MB)"); },
                     function (e) { say(e.message, true); })
        .then(function () { recording = null; b.textContent = "WebM"; });
    });
    button("png", "PNG", "This frame as an image", function () {
      compose(document.createElement("canvas")).toBlob(function (blob) { download(blob, "sgd.png"); say("sgd.png"); }, "image/png");
    });
    button("trace", "trace.json", "The run's numbers (--trace trace.json renders them)", function () {
      download(new Blob([R.traceText(currentTrace(player))], { type: "application/json" }), "trace.json");
      say("trace.json: render it with  " + rep().command + " --trace trace.json");
    });
    button("command", "Copy command", "The command that records this run again in PyTorch", function () {
      copy(R.commandOf(rep(), currentTrace(player), recorded(player)), show)
        .then(function (ok) { say(ok ? "command copied" : "the command is below: select it and copy"); });
    });
    button("toml", "Copy config.toml", "This run as a config file for --config", function () {
      copy(R.tomlOf(rep(), currentTrace(player), recorded(player)), show)
        .then(function (ok) { say(ok ? "config.toml copied" : "config.toml is below: select it and copy"); });
    });
    bar.appendChild(status);
    var controls = document.querySelector("#sgd-player > .sgd-controls");
    controls.parentNode.insertBefore(bar, controls.nextSibling);
    bar.parentNode.insertBefore(text, bar.nextSibling);
    SGD.exporter = window.sgdExport = { // the tests' hooks, and a script's
      compose: function () { return compose(document.createElement("canvas")); },
      webm: function (opts) { return SGD.recordWebm(player, compose, opts); },
      traceText: function () { return R.traceText(currentTrace(player)); },
      command: function () { return R.commandOf(rep(), currentTrace(player), recorded(player)); },
      toml: function () { return R.tomlOf(rep(), currentTrace(player), recorded(player)); },
      request: function () { return serveRequest(rep(), currentTrace(player), recorded(player)); },
      traceOf: function (d) { return R.recordedTrace(d.stories[0]); },
      difference: difference
    };
  }

  SGD.bindExport = bindExport;
})(SGD);
