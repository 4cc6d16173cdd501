/* window.sgdAnim, the live page's scripting contract (docs/live.md), and the messages of a
 * parent page that embeds it in an iframe:
 *   sgdAnim.settings()      the run's settings, keyed as a trace's config (lr, batch_size, ...)
 *   sgdAnim.set(partial)    recompute and redraw; returns the milliseconds it took; throws an
 *                           Error with the message shown beside the field when refused
 *                           ({"data": {"x": [...], "y": [...]}} sets the points)
 *   sgdAnim.data()          the points, {x, y}
 *   sgdAnim.trace()         the current run in trace.json's shape (plain arrays)
 *   sgdAnim.traceText()     the same as trace.json text, as the twin writes it
 *   sgdAnim.timings()       the last recompute's parts in ms: check, record, story, draw
 * After each recompute the window receives the event "sgdanim:change" (detail: settings, ms,
 * n_steps, status); inside an iframe the parent gets a message {type: "sgdanim:change", ...}.
 * A parent's message that is a set payload (an object of setting keys and/or "data") is
 * applied as set() would; any other message is ignored. "#origin=https://a.example" (several:
 * comma-separated) accepts messages from those origins only. */
(function (SGD, TWIN) {
  "use strict";
  var L = SGD.live;

  function allowedOrigins() {
    var h = "";
    try { h = window.location.hash || ""; } catch (e) { return null; }
    var m = /(?:^#|&)origin=([^&]*)/.exec(h);
    if (!m) return null;
    var list;
    try { list = decodeURIComponent(m[1]).split(","); } catch (e) { return []; }
    return list.map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function plainTrace(tr) {
    var steps = {}, st = tr.steps;
    Object.keys(st).forEach(function (k) {
      var c = st[k];
      if (c && c.offsets) { // ragged: a list per step
        var rows = [];
        for (var i = 0; i + 1 < c.offsets.length; i++) rows.push(Array.from(c.values.subarray(c.offsets[i], c.offsets[i + 1])));
        steps[k] = rows;
      } else steps[k] = Array.from(c);
    });
    var cfg = Object.assign({}, tr.config);
    if (typeof cfg.seed === "bigint") cfg.seed = cfg.seed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(cfg.seed) : String(cfg.seed);
    var status = tr.status.state === "completed" ? { state: "completed" } : { state: tr.status.state, step: tr.status.step, reason: tr.status.reason };
    var out = { schema_version: 1, config: cfg, versions: Object.assign({}, TWIN.request.VERSIONS), status: status,
                final: { a: tr.final.a, b: tr.final.b }, n_steps: tr.n_steps, data: { x: tr.x.slice(), y: tr.y.slice() }, steps: steps };
    if (tr.graphs && tr.graphs.length) out.graphs = JSON.parse(JSON.stringify(tr.graphs)); // as trace.json: only when some step has one
    return out;
  }

  function isSetPayload(d) {
    if (d === null || typeof d !== "object" || Array.isArray(d)) return false;
    var keys = Object.keys(d);
    return keys.length > 0 && keys.every(function (k) { return k === "data" || k === "graph_steps" || L.FIELD_KEYS.indexOf(k) >= 0; });
  }

  SGD.liveApi = function (live) {
    function current() { if (!live.trace) live.trace = TWIN.record(live.config, live.data); return live.trace; }
    function recorded() {
      return live.trace || !SGD.reproduce || !live.doc ? null : SGD.reproduce.recordedTrace(live.doc.stories[0]);
    }
    window.sgdAnim = {
      live: true,
      reason: null,
      settings: function () { return live.settings(); },
      data: function () { return live.copyData(); },
      set: function (partial) { return live.apply(partial); },
      // Until a setting changes, the run on screen is the one PyTorch recorded (its document
      // carries it: player/reproduce.js), not the twin's recomputation of it.
      trace: function () { var r = recorded(); return r || plainTrace(current()); },
      traceText: function () { var r = recorded(); return r ? SGD.reproduce.traceText(r) : TWIN.traceText(current(), TWIN.request.VERSIONS); },
      timings: function () { return Object.assign({}, live.timings || {}); } // the last recompute's parts, ms
    };
    live.announce = function (ms) {
      var tr = live.trace, detail = { settings: live.settings(), ms: ms, n_steps: tr.n_steps, status: tr.status.state };
      window.dispatchEvent(new CustomEvent("sgdanim:change", { detail: detail }));
      if (window.parent && window.parent !== window) {
        var origins = allowedOrigins();
        var msg = { type: "sgdanim:change", settings: detail.settings, ms: ms, n_steps: detail.n_steps, status: detail.status };
        try {
          if (origins && origins.length) origins.forEach(function (o) { window.parent.postMessage(msg, o); });
          else window.parent.postMessage(msg, "*"); // settings only: nothing private
        } catch (e) { /* a parent that went away */ }
      }
    };
    window.addEventListener("message", function (e) {
      if (e.source !== window.parent || window.parent === window) return;
      var origins = allowedOrigins();
      if (origins && origins.indexOf(e.origin) < 0) return;
      if (!isSetPayload(e.data)) return;
      try { live.apply(e.data); } catch (err) { /* shown beside the field; the run stays */ }
    });
  };
})(SGD, TWIN);
