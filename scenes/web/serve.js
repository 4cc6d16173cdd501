/* sgd-anim --serve: the settings form of the live page (render.py --serve).
 *
 * On the live page (window.sgdAnim recomputes in the browser) the form is the page's own and
 * this file adds only "Verify with PyTorch" (buildVerify). Until then:
 *
 * Every change, debounced, asks the server for the story of a fresh PyTorch run
 * (POST /api/story) and hands it to the player (window.sgdPlayer.load). It computes nothing
 * itself. Export buttons ask the server to render the file (POST /api/render) and download it.
 * Text from the server reaches the page only through textContent.
 *
 * The training settings' controls are data: the page's document holds ``form`` (built from the
 * settings table and the optimizer registry by scenes/web/serve_form.py), which says which
 * settings are shown, in what order, with which control, range, default and words, and which
 * optimizer reads which setting. This file names no setting but the optimizer's; only the
 * data controls (article, synthetic, pasted points), which are no training settings, are
 * written out here.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 120;
  var OPTIMIZER = "optimizer"; // the setting that picks the optimizer (its facts: FORM.optimizers)
  // The form, as the server exported it into the page's document (scenes/web/serve_form.py):
  // the settings shown, in order, with their controls; the optimizers' facts; the export formats.
  var FORM = null, SHOWN = {}, SPECIFIC = {}, USES = {}, DEFAULTS = {};

  function readForm() {
    var f = JSON.parse(document.getElementById("sgd-story").textContent).form;
    FORM = f;
    f.settings.forEach(function (e) { SHOWN[e.name] = e; });
    f.optimizer_settings.forEach(function (k) { SPECIFIC[k] = true; });
    f.optimizers.forEach(function (o) {
      USES[o.name] = {};
      o.uses.forEach(function (k) { USES[o.name][k] = true; });
      DEFAULTS[o.name] = o.defaults;
    });
  }

  // What a control shows first: the default, or its ``unset`` value while the default is None.
  function initial(e) { return e.default === null && e.unset !== undefined ? e.unset : e.default; }

  function same(v) { return v; }

  // A slider's position is the value, or its log10 (``log``).
  function toSlider(e) { return e.log ? function (v) { return Math.log10(Math.max(v, 1e-9)); } : same; }
  function fromSlider(e) { return e.log ? function (p) { return Math.pow(10, p); } : same; }

  // How a slider's value is written into its number field.
  function rounding(e) {
    if (e.kind === "whole") return Math.round;
    if (e.significant !== undefined) return function (v) { return Number(v.toPrecision(e.significant)); };
    if (e.decimals !== undefined) return function (v) { return Number(v.toFixed(e.decimals)); };
    return same;
  }

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

  // A slider and a number field showing the same value (``slider``); the slider maps a value
  // to its position and back (the learning rate's slider is logarithmic).
  function pair(box, e) {
    var key = e.name, label = e.label;
    var num = el("input", { type: "number", id: "sgd-set-" + key, step: e.kind === "whole" ? 1 : "any", "aria-label": label });
    var range = el("input", { type: "range", id: "sgd-range-" + key, min: String(e.min), max: String(e.max),
                              step: String(e.step), "aria-label": label + " slider" });
    var to = toSlider(e), from = fromSlider(e), round = rounding(e), value = initial(e);
    num.value = String(value);
    range.value = String(to(value));
    range.addEventListener("input", function () { num.value = String(round(from(parseFloat(range.value)))); changed(); });
    num.addEventListener("input", function () {
      var v = parseFloat(num.value);
      if (Number.isFinite(v)) range.value = String(to(v));
      changed();
    });
    field(box, label, range, num);
    return num;
  }

  // One setting's control, as its entry says (Setting.page_entry); the input that holds its value.
  function control(box, e) {
    var input, id = "sgd-set-" + e.name;
    if (e.control === "slider") return pair(box, e);
    if (e.control === "check") {
      input = el("input", { type: "checkbox", id: id });
      input.checked = !!e.default;
      input.addEventListener("change", changed);
    } else if (e.control === "select") {
      input = el("select", { id: id, "aria-label": e.label });
      e.choices.forEach(function (c) { input.appendChild(el("option", { value: c }, c)); });
      input.value = String(e.default);
      input.addEventListener("change", function () {
        if (e.name === OPTIMIZER) optimizerDefaults();
        changed();
      });
    } else { // a number field alone
      var attrs = { type: "number", id: id };
      ["min", "max", "step"].forEach(function (k) { if (e[k] !== undefined) attrs[k] = String(e[k]); });
      attrs.value = String(initial(e));
      attrs["aria-label"] = e.label;
      input = el("input", attrs);
      input.addEventListener("input", changed);
    }
    field(box, e.label, input);
    return input;
  }

  // A newly chosen optimizer shows its own default for a setting still at its unset value
  // (SGD with momentum turns a momentum of 0 into 0.9), as the server would use it.
  function optimizerDefaults() {
    var own = DEFAULTS[form[OPTIMIZER].value] || {};
    Object.keys(own).forEach(function (k) {
      var e = SHOWN[k];
      if (!e || own[k] === initial(e) || parseFloat(form[k].value) !== initial(e)) return;
      form[k].value = String(own[k]);
      if ($r(k)) $r(k).value = String(toSlider(e)(own[k]));
    });
  }

  var form = {}, timer = null, seq = 0, shown = 0, controller = null, status;

  function say(text, warn) {
    status.textContent = text;
    status.classList.toggle("warn", !!warn);
  }

  // The request's settings, in the form's order: the text of each field (the server types it
  // by the settings table), a checkbox as true/false. A setting of some optimizers only is sent
  // only with an optimizer that reads it, and such a switch (nesterov) only when it is on.
  function settings() {
    var s = {}, uses = USES[form[OPTIMIZER].value] || {};
    FORM.settings.forEach(function (e) {
      var k = e.name;
      if (SPECIFIC[k] && !uses[k]) return;
      if (e.control !== "check") s[k] = form[k].value;
      else if (!SPECIFIC[k]) s[k] = form[k].checked;
      else if (form[k].checked) s[k] = true;
    });
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
    var uses = USES[form[OPTIMIZER].value] || {};
    Object.keys(SPECIFIC).forEach(function (k) { // what the optimizer does not read is greyed out
      var on = !!uses[k];
      form[k].disabled = !on;
      if ($r(k)) $r(k).disabled = !on;
      if (!on && SHOWN[k].control === "check") form[k].checked = false;
    });
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
      FORM.settings.forEach(function (e) { // no batch larger than the data
        if (e.up_to_points) $r(e.name).max = String(Math.max(e.min, Math.min(e.max, run.n_points)));
      });
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

  // The live page (window.sgdAnim recomputes every setting in the browser, with the twin of
  // the recorder): its own controls stay, and this file only adds "Verify with PyTorch", which
  // records the page's settings on the server and shows PyTorch's run beside the page's numbers.
  function isLive() { var a = window.sgdAnim; return !!(a && typeof a.set === "function" && a.live !== false); }

  function buildVerify() {
    var bar = document.getElementById("sgd-export");
    if (!bar || !window.sgdExport) return;
    var b = el("button", { type: "button", id: "sgd-verify", title: "Record these settings in PyTorch on the server and show its run" },
               "Verify with PyTorch");
    status = el("span", { id: "sgd-status", "class": "sgd-status", "aria-live": "polite" });
    b.addEventListener("click", function () { verify(b); });
    bar.appendChild(b);
    bar.appendChild(status);
    document.documentElement.setAttribute("data-serve", "live");
  }

  function verify(button) {
    var ex = window.sgdExport, mine = window.sgdAnim.trace();
    if (typeof mine === "string") mine = JSON.parse(mine);
    button.disabled = true;
    say("recording with PyTorch…");
    document.documentElement.setAttribute("data-busy", "1");
    post("/api/story", JSON.stringify(ex.request())).then(function (resp) {
      if (!resp.ok) return errorOf(resp).then(function (msg) { throw new Error(msg); });
      return resp.json();
    }).then(function (doc) {
      var d = ex.difference(mine, ex.traceOf(doc));
      window.sgdPlayer.load(doc); // PyTorch's run, until the next change of a setting
      var what = !d.same ? "PyTorch's run differs: " + d.steps[1] + " steps, " + d.status[1] + " (the page: " + d.steps[0] + ", " + d.status[0] + ")"
        : d.relative === 0 ? "PyTorch agrees bit for bit (" + d.steps[1] + " steps)"
        : "PyTorch agrees to " + d.relative.toExponential(1) + " relative (" + d.steps[1] + " steps)";
      say(what + " · showing PyTorch's run", !d.same);
      document.documentElement.setAttribute("data-verified", d.same ? String(d.relative) : "differs");
    }).catch(function (e) { say(e.message, true); }).then(function () {
      button.disabled = false;
      document.documentElement.removeAttribute("data-busy");
    });
  }

  function build() {
    if (!window.sgdPlayer) return; // the player could not start: its own message is showing
    if (isLive()) { buildVerify(); return; }
    readForm();
    var box = el("div", { id: "sgd-serve", "class": "sgd-serve", role: "group", "aria-label": "Training settings" });
    FORM.settings.forEach(function (e) { form[e.name] = control(box, e); });
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
    FORM.formats.forEach(function (fmt) {
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
