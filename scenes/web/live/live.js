/* The live page: the run's settings and points, recomputed by the twin (TWIN.record) and
 * turned into a story (story.js) that the player draws in place of the recorded one, with the
 * previous run's path kept faint (what the explorer's pre-recorded grid was for). Changes are
 * coalesced (at most one recompute a frame while a slider or a point is dragged; a slow run
 * one every 150 ms); a bad value leaves the run on screen and says why beside its field. The address's hash holds every setting (and the points when they fit in a link). */
(function (SGD, TWIN) {
  "use strict";
  var L = SGD.live, $ = SGD.$;
  // The page's own budget (a run past it is left to render.py): steps, and point-steps (the
  // full-data loss of every step reads every point).
  var PAGE_MAX_STEPS = 300000, PAGE_MAX_WORK = 30000000, PAGE_MAX_SAMPLES = 3000000, HASH_DATA_CHARS = 1500;
  var ARTICLE = { x: [0.2, 0.4, 0.6, 0.8, 1.0, 1.2], y: [0.18, 0.32, 0.42, 0.48, 0.58, 0.72] };
  var TAKES_MOMENTUM = { sgd: 0, momentum: 0.9, rmsprop: 0 };

  function fmtCount(n) { return Math.round(n).toLocaleString("en-US"); }

  function Live(player, doc) {
    this.player = player; this.doc = doc; this.block = doc.live;
    var cfg = {}, given = this.block.config || {};
    L.FIELD_KEYS.concat(["data", "graph_steps"]).forEach(function (k) { if (Object.prototype.hasOwnProperty.call(given, k)) cfg[k] = given[k]; });
    if (typeof cfg.seed === "string") cfg.seed = BigInt(cfg.seed);
    this.config = cfg;
    var S = player.S;
    this.data = { x: Array.from(S.x), y: Array.from(S.y) };
    this.trace = null; this.lastMs = 0; this.pending = null; this.timer = 0;
    this.dataInLink = true;
    // A page that shows the recorded run's autograd graphs (its detailed steps' and its
    // graph_steps') shows a recomputed run's too: the twin records the same steps' graphs.
    this.graphs = !!S.graph;
  }

  Live.prototype.announce = function () {}; // live_api.js: the event and the parent's message

  Live.prototype.copyData = function () { return { x: this.data.x.slice(), y: this.data.y.slice() }; };

  Live.prototype.settings = function () {
    var out = {}, c = this.config;
    Object.keys(c).forEach(function (k) { if (k !== "data") out[k] = typeof c[k] === "bigint" ? (c[k] <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(c[k]) : String(c[k])) : c[k]; });
    return out;
  };

  // The settings and points after `partial`, or an Error naming the key at fault.
  Live.prototype.merged = function (partial) {
    if (partial === null || typeof partial !== "object" || Array.isArray(partial)) throw fault(null, "settings must be an object such as {\"lr\": 0.05}");
    var cfg = Object.assign({}, this.config), data = this.data, keys = Object.keys(partial);
    for (var i = 0; i < keys.length; i++) {
      var k = keys[i], v = partial[k];
      if (k === "data") {
        if (!v || typeof v !== "object" || !Array.isArray(v.x) || !Array.isArray(v.y)) throw fault("data", 'data must be {"x": [...], "y": [...]}');
        data = { x: v.x.slice(), y: v.y.slice() };
      } else if (L.FIELD_KEYS.indexOf(k) >= 0 || k === "graph_steps") {
        if (k === "seed" && typeof v === "string" && /^\d+$/.test(v)) v = BigInt(v);
        cfg[k] = v;
      } else {
        throw fault(null, "unknown setting " + JSON.stringify(String(k).slice(0, 40)) + "; the page takes " + L.FIELD_KEYS.join(", ") + " and data");
      }
    }
    // A new optimizer takes its own momentum (none for Adam and Adagrad) unless one is given.
    if (keys.indexOf("optimizer") >= 0 && keys.indexOf("momentum") < 0 && typeof cfg.optimizer === "string") {
      var opt = cfg.optimizer;
      cfg.momentum = Object.prototype.hasOwnProperty.call(TAKES_MOMENTUM, opt) ? TAKES_MOMENTUM[opt] : null;
      if (opt !== "sgd" && opt !== "momentum") cfg.nesterov = false;
      if (opt === "sgd" && keys.indexOf("nesterov") < 0) cfg.nesterov = false;
    }
    if (cfg.momentum === null) delete cfg.momentum;
    if (partial.data) cfg.data = sameAsArticle(data) ? { kind: "article" } : { kind: "csv", path: "points.csv" };
    if (keys.indexOf("graph_steps") < 0) keepGraphSteps(cfg, data.x.length);
    if (cfg.graph_steps === null || (Array.isArray(cfg.graph_steps) && !cfg.graph_steps.length)) delete cfg.graph_steps;
    return { config: cfg, data: data };
  };

  // The graph steps kept from the run before are those within the new run (a shorter run
  // drops the ones past its end rather than being refused); set ones are checked as given.
  function keepGraphSteps(cfg, n) {
    if (!Array.isArray(cfg.graph_steps)) return;
    var per = TWIN.settings.batchesPerEpoch(n, cfg.batch_size, cfg.drop_last), last = per * cfg.epochs;
    if (isFinite(last) && last >= 0) cfg.graph_steps = cfg.graph_steps.filter(function (k) { return k <= last; });
  }

  function sameAsArticle(d) {
    return d.x.length === 6 && d.x.every(function (v, i) { return v === ARTICLE.x[i] && d.y[i] === ARTICLE.y[i]; });
  }
  function fault(key, message) { var e = new Error(message); e.key = key; return e; }

  // Check a candidate as the recorder would, then against the page's budget (no run starts
  // that would hold the tab for seconds).
  function check(next) {
    var s = TWIN.settings.settingsOf(next.config);
    TWIN.checkData(next.data);
    var n = next.data.x.length;
    TWIN.settings.checkSize(s, n);
    var per = TWIN.settings.batchesPerEpoch(n, s.batch_size, s.drop_last), steps = per * s.epochs;
    if (steps > PAGE_MAX_STEPS) {
      throw new TWIN.settings.SettingsError(fmtCount(s.epochs) + " epochs of " + fmtCount(per) + " batches is " + fmtCount(steps) +
        " steps; the page recomputes at most " + fmtCount(PAGE_MAX_STEPS) + " (render.py records up to 10,000,000)");
    }
    var samples = (s.drop_last ? per * s.batch_size : n) * s.epochs; // a prediction and a residual each, kept
    if (samples > PAGE_MAX_SAMPLES) {
      throw new TWIN.settings.SettingsError(fmtCount(samples) + " samples over the run (epochs × points) is more than the page keeps (" +
        fmtCount(PAGE_MAX_SAMPLES) + "): use fewer epochs or points, or render.py");
    }
    if (steps * (n + s.batch_size) > PAGE_MAX_WORK) {
      throw new TWIN.settings.SettingsError(fmtCount(steps) + " steps over " + fmtCount(n) + " points is too long to recompute in the page " +
        "(each step reads every point for the full-data loss): use fewer epochs or points, or render.py");
    }
  }

  // Recompute and redraw now; returns the milliseconds it took. Throws (after showing the
  // message beside `key`'s field) when the settings are refused; the run on screen stays.
  Live.prototype.apply = function (partial, key) {
    var t0 = performance.now(), t1 = t0, next, trace;
    try {
      next = this.merged(partial);
      check(next);
      t1 = performance.now();
      var steps = this.graphs || next.config.graph_steps ? L.graphSteps(TWIN.settings.settingsOf(next.config), next.data.x.length, this.block.plan, this.graphs) : [];
      trace = TWIN.record(next.config, next.data, { graphSteps: steps });
    } catch (e) {
      var where = e.key !== undefined ? e.key : key !== undefined ? key : Object.keys(partial || {})[0];
      if (where === "init_b") where = "init_a";
      this.form.message(null, "");
      if (where && this.form.msgs[where]) this.form.message(where, e.message);
      else this.status(e.message, true);
      throw e;
    }
    var t2 = performance.now();
    var keep = next.data === this.data && this.player.S.raw.contours && this.player.S.raw.contours.limits ? this.player.S.raw.contours : null;
    var story = L.buildStory(trace, { live: this.block, panel: this.player.theme.colors.panel, label: labelOf(trace.config),
                                      notes: false, keep: keep });
    var t3 = performance.now(), ms = t3 - t0;
    if (!this.player.S.label) this.player.S.label = labelOf(this.config); // the run it replaces, named for the legend
    this.config = next.config; this.data = next.data; this.trace = trace; this.lastMs = ms; this.changed = true;
    this.form.message(null, "");
    this.hashParts(); // whether the points fit in a link, for the status line
    this.redraw(story);
    this.timings = { check: t1 - t0, record: t2 - t1, story: t3 - t2, draw: performance.now() - t3 }; // sgdAnim.timings()
    this.form.show(this.config);
    var R = story.run;
    this.status(R.diverged ? "diverged at step " + R.diverged_step + " · recomputed in " + ms.toFixed(1) + " ms"
                           : fmtCount(R.n_steps) + " steps · recomputed in " + ms.toFixed(1) + " ms", R.diverged);
    this.announce(ms);
    return ms;
  };

  function labelOf(c) { return L.TITLES[c.optimizer] + " · lr " + L.pyG(c.lr) + " · batch " + c.batch_size; }

  // The new run in place of the one on screen (as Player.load does, but drawn once, with the
  // run it replaces kept as the faint previous path), at the same frame or the nearest.
  Live.prototype.redraw = function (story) {
    var P = this.player, old = P.S, frame = SGD.frameOf(old, P.pos);
    P.doc = Object.assign({}, P.doc, { stories: [story] });
    P.runs = [null]; P.run = 0;
    P.S = P.story(0);
    P.ghost = old; P.ghostRun = 0;
    P.buildNumbers();
    $("sgd-scrub").max = String(P.S.frames - 1);
    P.pos = SGD.posOfFrame(P.S, Math.min(frame, P.S.frames - 1));
    P.textStep = null;
    if (P.playing) P.clock = { t0: performance.now(), f0: SGD.frameOf(P.S, P.pos) };
    $("sgd-title").textContent = story.title;
    P.drawStatic(); P.render(true);
    if (!P.playing) P.writeHash();
  };

  // A change from a field or a drag: coalesced, at most one recompute a frame while a slider
  // or a point is dragged (a run that took over 40 ms: one every 150 ms, so that the events in
  // between are handled and the tab stays responsive). `now`: at once (a pasted CSV).
  Live.prototype.request = function (partial, key, now) {
    var p = this.pending || { partial: {}, key: key };
    Object.keys(partial).forEach(function (k) { p.partial[k] = partial[k]; });
    p.key = key;
    this.pending = p;
    if (now) { this.flush(); return; }
    if (this.timer) return; // one is due: it takes the latest values
    var self = this;
    this.timer = setTimeout(function () { self.flush(); }, this.lastMs > 40 ? 150 : 16);
  };

  Live.prototype.flush = function () {
    clearTimeout(this.timer);
    this.timer = 0;
    var p = this.pending;
    this.pending = null;
    if (!p) return;
    try { this.apply(p.partial, p.key); } catch (e) { /* shown beside the field; the run stays */ }
  };

  Live.prototype.status = function (text, warn) {
    var el = $("sgd-live-status");
    el.textContent = text + (this.dataInLink ? "" : " · the link holds the settings only (the data is too big for a link)");
    el.classList.toggle("warn", !!warn);
  };

  // ------------------------------------------------------------------ the address
  function encodeValue(v) { return typeof v === "boolean" ? (v ? "1" : "0") : String(v); }

  function stepsText(s) { return Array.isArray(s) ? s.join(",") : ""; } // none: ""

  // Every setting (and the points, when they fit in a link) once the run differs from the
  // recorded one; until then the page's own run needs none (its links stay #step=...).
  // graph_steps when they differ from the recorded run's ("graph_steps=" for none).
  Live.prototype.hashParts = function () {
    var c = this.config, parts = [];
    if (!this.changed) return parts;
    L.FIELD_KEYS.forEach(function (k) { if (c[k] !== undefined && c[k] !== null) parts.push(k + "=" + encodeURIComponent(encodeValue(c[k]))); });
    var steps = stepsText(c.graph_steps);
    if (steps !== stepsText((this.block.config || {}).graph_steps)) parts.push("graph_steps=" + steps);
    var xs = this.data.x.join(","), ys = this.data.y.join(",");
    this.dataInLink = xs.length + ys.length <= HASH_DATA_CHARS;
    if (this.dataInLink && !sameAsArticle(this.data)) parts.push("x=" + xs, "y=" + ys);
    return parts;
  };

  var BOOL_KEYS = { nesterov: 1, shuffle: 1, drop_last: 1, zero_grad: 1 };
  // The settings a hash names (strings to values), or null when it names none.
  function settingsOfHash(hash) {
    var q = {}, any = false;
    hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i < 0) return;
      var k, v;
      try { k = decodeURIComponent(kv.slice(0, i)); v = decodeURIComponent(kv.slice(i + 1)); } catch (e) { return; }
      if (L.FIELD_KEYS.indexOf(k) >= 0) {
        any = true;
        if (BOOL_KEYS[k]) q[k] = v === "1" || v === "true";
        else if (k === "optimizer") q[k] = v;
        else if (k === "seed" && /^\d{16,}$/.test(v)) q[k] = BigInt(v);
        else q[k] = v === "" || isNaN(Number(v)) ? v : Number(v);
      } else if (k === "graph_steps") {
        any = true;
        q[k] = v === "" ? [] : v.split(",").map(Number);
      } else if (k === "x" || k === "y") {
        any = true;
        q.data = q.data || { x: [], y: [] };
        q.data[k] = v.split(",").map(Number);
      }
    });
    return any ? q : null;
  }

  Live.prototype.fromHash = function () {
    var h = "";
    try { h = window.location.hash || ""; } catch (e) { return; }
    var q = settingsOfHash(h);
    if (!q) return;
    var changed = {}, self = this;
    Object.keys(q).forEach(function (k) {
      var was = k === "graph_steps" ? stepsText(self.config[k]) : String(self.config[k]);
      if (k === "data" || String(q[k]) !== was) changed[k] = q[k];
    });
    if (Object.keys(changed).length) { try { this.apply(changed); } catch (e) { /* shown */ } }
  };

  // ------------------------------------------------------------------ start
  // (a page whose run cannot be recomputed carries no twin: player/main.js says why)
  function startLive(player, doc) {
    var views = $("sgd-views"), box = L.el("div", { id: "sgd-live", class: "sgd-live", role: "group", "aria-label": "Training settings" });
    views.parentNode.insertBefore(box, views);
    var live = new Live(player, doc);
    live.form = new L.Form(box, function (partial, key) { live.request(partial, key, key !== "lr"); });
    L.bindDataBox(live, box);
    box.appendChild(L.el("span", { id: "sgd-live-status", class: "status" }));
    live.form.show(live.config);
    live.status("live: every change is recomputed in the page", false);
    player.hashExtra = function () { return live.hashParts(); };
    L.bindPointers(live);
    SGD.liveApi(live, null);
    live.fromHash();
    window.addEventListener("hashchange", function () { live.fromHash(); });
    return live;
  }

  L.Live = Live; L.settingsOfHash = settingsOfHash; SGD.startLive = startLive;
})(SGD, TWIN);
