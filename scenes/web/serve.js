/* sgd-anim --serve: the settings form of the live page (render.py --serve).
 *
 * Every change, debounced, asks the server for the story of a fresh PyTorch run
 * (POST /api/story) and hands it to the player (window.sgdPlayer.load). It computes nothing
 * itself. Export buttons ask the server to render the file (POST /api/render) and download it.
 * Text from the server reaches the page only through textContent.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 120;
  var OPTIMIZERS = ["sgd", "momentum", "adam", "rmsprop", "adagrad"];
  var HAS_MOMENTUM = { sgd: true, momentum: true, rmsprop: true };
  var FORMATS = ["mp4", "gif", "png", "html"];

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function field(box, label, input, extra) {
    var row = el("label", { "class": "sgd-field" });
    row.appendChild(el("span", { "class": "name" }, label));
    row.appendChild(input);
    if (extra) row.appendChild(extra);
    box.appendChild(row);
    return row;
  }

  // A slider and a number field showing the same value; ``toSlider``/``fromSlider`` map a
  // value to the slider's position and back (the learning rate's slider is logarithmic).
  function pair(box, key, label, o) {
    var num = el("input", { type: "number", id: "sgd-set-" + key, step: o.step || "any", "aria-label": label });
    var range = el("input", { type: "range", id: "sgd-range-" + key, min: String(o.min), max: String(o.max),
                              step: String(o.rstep), "aria-label": label + " slider" });
    var to = o.toSlider || function (v) { return v; }, from = o.fromSlider || function (v) { return v; };
    num.value = String(o.value);
    range.value = String(to(o.value));
    range.addEventListener("input", function () { num.value = String(o.round(from(parseFloat(range.value)))); changed(); });
    num.addEventListener("input", function () {
      var v = parseFloat(num.value);
      if (Number.isFinite(v)) range.value = String(to(v));
      changed();
    });
    field(box, label, range, num);
    return num;
  }

  var form = {}, timer = null, seq = 0, shown = 0, controller = null, status;

  function say(text, warn) {
    status.textContent = text;
    status.classList.toggle("warn", !!warn);
  }

  function settings() {
    var s = {}, opt = form.optimizer.value;
    s.lr = form.lr.value; s.batch_size = form.batch_size.value; s.epochs = form.epochs.value;
    s.optimizer = opt;
    if (HAS_MOMENTUM[opt]) s.momentum = form.momentum.value;
    if (form.nesterov.checked) s.nesterov = true;
    s.shuffle = form.shuffle.checked;
    s.seed = form.seed.value;
    s.init_a = form.init_a.value; s.init_b = form.init_b.value;
    var data = form.data.value;
    if (data === "synthetic") s.data = "synthetic:n=" + form.n.value + ",noise=" + form.noise.value;
    else s.data = data;
    return s;
  }

  function body(extra) {
    var b = { settings: settings() };
    if (form.data.value === "pasted") b.points = form.points.value;
    Object.keys(extra || {}).forEach(function (k) { b[k] = extra[k]; });
    return JSON.stringify(b);
  }

  function post(path, text, signal) {
    return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: text,
                         signal: signal, cache: "no-store", credentials: "same-origin" });
  }

  function errorOf(resp) {
    return resp.json().then(function (j) { return (j && j.error) || ("error " + resp.status); },
                            function () { return "error " + resp.status; });
  }

  function syncEnabled() {
    var opt = form.optimizer.value, m = !!HAS_MOMENTUM[opt];
    form.momentum.disabled = !m; $r("momentum").disabled = !m;
    var nest = (opt === "sgd" || opt === "momentum");
    form.nesterov.disabled = !nest;
    if (!nest) form.nesterov.checked = false;
    form.synthetic.hidden = form.data.value !== "synthetic";
    form.pasted.hidden = form.data.value !== "pasted";
  }

  function $r(key) { return document.getElementById("sgd-range-" + key); }

  function changed() {
    syncEnabled();
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  }

  function refresh() {
    var mine = ++seq, t0 = performance.now();
    if (controller) controller.abort(); // a newer setting wins: the older request is dropped
    controller = window.AbortController ? new AbortController() : null;
    say("recording…");
    document.documentElement.setAttribute("data-busy", "1");
    post("/api/story", body(), controller ? controller.signal : undefined).then(function (resp) {
      if (!resp.ok) return errorOf(resp).then(function (msg) { throw new Error(msg); });
      return resp.json();
    }).then(function (doc) {
      if (mine !== seq) return;
      window.sgdPlayer.load(doc);
      shown = mine;
      var run = doc.stories[0].run;
      $r("batch_size").max = String(Math.max(1, Math.min(64, run.n_points))); // no batch larger than the data
      say((run.diverged ? "diverged at step " + run.diverged_step : run.n_steps + " steps") +
          " · recorded in " + Math.round(performance.now() - t0) + " ms", run.diverged);
      document.documentElement.setAttribute("data-loaded", String(shown));
    }).catch(function (e) {
      if (mine !== seq || (e && e.name === "AbortError")) return;
      say(e.message, true);
    }).then(function () { if (mine === seq) document.documentElement.removeAttribute("data-busy"); });
  }

  function exportAs(fmt, button) {
    var buttons = document.querySelectorAll(".sgd-export button");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    say("rendering " + fmt.toUpperCase() + "… (this takes a while)");
    post("/api/render", body({ format: fmt })).then(function (resp) {
      if (!resp.ok) return errorOf(resp).then(function (msg) { throw new Error(msg); });
      return resp.blob();
    }).then(function (blob) {
      var url = URL.createObjectURL(blob), a = el("a", { href: url, download: "sgd." + fmt });
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      say(fmt.toUpperCase() + " ready (" + (blob.size / 1e6).toFixed(1) + " MB)");
    }).catch(function (e) { say(e.message, true); }).then(function () {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
    });
  }

  function build() {
    if (!window.sgdPlayer) return; // the player could not start: its own message is showing
    var box = el("div", { id: "sgd-serve", "class": "sgd-serve", role: "group", "aria-label": "Training settings" });
    form.lr = pair(box, "lr", "learning rate", { min: -3, max: 0.5, rstep: 0.01, value: 0.1,
      toSlider: function (v) { return Math.log10(Math.max(v, 1e-9)); }, fromSlider: function (p) { return Math.pow(10, p); },
      round: function (v) { return Number(v.toPrecision(3)); } });
    form.batch_size = pair(box, "batch_size", "batch size", { min: 1, max: 64, rstep: 1, step: 1, value: 2, round: Math.round });
    form.epochs = pair(box, "epochs", "epochs", { min: 1, max: 300, rstep: 1, step: 1, value: 100, round: Math.round });
    form.optimizer = el("select", { id: "sgd-set-optimizer", "aria-label": "optimizer" });
    OPTIMIZERS.forEach(function (o) { form.optimizer.appendChild(el("option", { value: o }, o)); });
    form.optimizer.addEventListener("change", function () {
      if (form.optimizer.value === "momentum" && parseFloat(form.momentum.value) === 0) {
        form.momentum.value = "0.9"; $r("momentum").value = "0.9";
      }
      changed();
    });
    field(box, "optimizer", form.optimizer);
    form.momentum = pair(box, "momentum", "momentum", { min: 0, max: 0.99, rstep: 0.01, value: 0,
      round: function (v) { return Number(v.toFixed(2)); } });
    form.nesterov = el("input", { type: "checkbox", id: "sgd-set-nesterov" });
    form.nesterov.addEventListener("change", changed);
    field(box, "Nesterov", form.nesterov);
    form.shuffle = el("input", { type: "checkbox", id: "sgd-set-shuffle" });
    form.shuffle.addEventListener("change", changed);
    field(box, "shuffle", form.shuffle);
    form.seed = el("input", { type: "number", id: "sgd-set-seed", min: "0", step: "1", value: "0", "aria-label": "seed" });
    form.seed.addEventListener("input", changed);
    field(box, "seed", form.seed);
    form.init_a = pair(box, "init_a", "initial a", { min: -3, max: 3, rstep: 0.05, value: 1,
      round: function (v) { return Number(v.toFixed(2)); } });
    form.init_b = pair(box, "init_b", "initial b", { min: -3, max: 3, rstep: 0.05, value: 1,
      round: function (v) { return Number(v.toFixed(2)); } });
    form.data = el("select", { id: "sgd-set-data", "aria-label": "data" });
    [["article", "the article's 6 points"], ["synthetic", "synthetic"], ["pasted", "pasted points"]].forEach(function (o) {
      form.data.appendChild(el("option", { value: o[0] }, o[1]));
    });
    form.data.addEventListener("change", changed);
    field(box, "data", form.data);
    form.synthetic = el("span", { "class": "sgd-sub" });
    form.n = el("input", { type: "number", id: "sgd-set-n", min: "2", max: "10000", step: "1", value: "100", "aria-label": "points" });
    form.noise = el("input", { type: "number", id: "sgd-set-noise", min: "0", step: "any", value: "0.05", "aria-label": "noise" });
    form.n.addEventListener("input", changed); form.noise.addEventListener("input", changed);
    form.synthetic.appendChild(el("span", { "class": "name" }, "n")); form.synthetic.appendChild(form.n);
    form.synthetic.appendChild(el("span", { "class": "name" }, "noise")); form.synthetic.appendChild(form.noise);
    box.appendChild(form.synthetic);
    form.pasted = el("span", { "class": "sgd-sub" });
    form.points = el("textarea", { id: "sgd-set-points", rows: "3", cols: "24", spellcheck: "false",
                                   placeholder: "x,y per line (at most 10,000 points)", "aria-label": "pasted points" });
    form.points.addEventListener("input", changed);
    form.pasted.appendChild(form.points);
    box.appendChild(form.pasted);
    var ex = el("span", { "class": "sgd-export", role: "group", "aria-label": "Export" });
    FORMATS.forEach(function (fmt) {
      var b = el("button", { type: "button", id: "sgd-export-" + fmt }, fmt.toUpperCase());
      b.addEventListener("click", function () { exportAs(fmt, b); });
      ex.appendChild(b);
    });
    box.appendChild(ex);
    status = el("span", { id: "sgd-status", "class": "sgd-status", "aria-live": "polite" });
    box.appendChild(status);
    var views = document.getElementById("sgd-views");
    views.parentNode.insertBefore(box, views);
    syncEnabled();
    say("move a setting: each change records a fresh PyTorch run");
    document.documentElement.setAttribute("data-serve", "1");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", build);
  else build();
})();
