/* The frame plan of a recomputed run and what each beat reveals, as scenes/story/plan.py
 * (make_plan, FramePlan.segments) and scenes/story/frames.py (reveal) derive them; the
 * export's plan block is built in story.js from these. */
(function (SGD) {
  "use strict";
  var L = SGD.live;
  var BEATS = ["intro", "forward", "residuals", "gradient", "update", "fast", "hold"];
  var INTRO = 0, FORWARD = 1, RESIDUALS = 2, GRADIENT = 3, UPDATE = 4, FAST = 5, HOLD = 6;
  var DEFAULT_PLAN = { fps: 30, detail_steps: null, intro: 1.5, beat_seconds: [0.8, 1.0, 1.5, 1.0], fast_forward: 6.0,
                       hold: 2.5, target_duration: null };

  // Python's round(): halves to even.
  function pyRound(v) {
    var r = Math.round(v);
    return (Math.abs(v % 1) === 0.5 && r % 2 !== 0) ? r - 1 : r;
  }
  function frames(seconds, fps) { return Math.max(1, pyRound(seconds * fps)); }
  function linspace(n) { var t = new Float64Array(n); if (n === 1) t[0] = 1; else for (var i = 0; i < n; i++) t[i] = i * (1 / (n - 1)); if (n > 1) t[n - 1] = 1; return t; }

  // make_plan: {step: Int32Array, beat: Int8Array, t: Float64Array, fps, detail}
  function makePlan(nSteps, perEpoch, settings) {
    var s = Object.assign({}, DEFAULT_PLAN, settings || {}), parts = [];
    function add(step, beat, n) { parts.push({ step: step, beat: beat, n: n, t: linspace(n) }); }
    var detail = s.detail_steps !== null && s.detail_steps !== undefined ? s.detail_steps : Math.min(Math.max(perEpoch, 1), 3);
    detail = Math.min(detail, nSteps);
    var beatSecs = s.beat_seconds, sumBeats = beatSecs[0] + beatSecs[1] + beatSecs[2] + beatSecs[3], scale = 1;
    if (s.target_duration !== null && s.target_duration !== undefined) {
      var planned = s.intro + detail * sumBeats + s.hold + (nSteps > detail ? s.fast_forward : 0);
      scale = s.target_duration / planned;
    }
    add(0, INTRO, frames(s.intro * scale, s.fps));
    for (var k = 0; k < detail; k++) for (var b = 0; b < 4; b++) add(k, FORWARD + b, frames(beatSecs[b] * scale, s.fps));
    var remaining = nSteps - detail;
    if (remaining > 0) {
      var n = frames(s.fast_forward * scale, s.fps), u = linspace(n), steps = new Int32Array(n);
      for (var i = 0; i < n; i++) steps[i] = detail + Math.floor(u[i] * u[i] * (remaining - 1) + 0.5);
      add(steps, FAST, n);
    }
    var hold = frames(s.hold * scale, s.fps);
    if (s.target_duration !== null && s.target_duration !== undefined) {
      var used = 0; parts.forEach(function (p) { used += p.n; });
      hold = Math.max(1, Math.min(hold, Math.floor(s.target_duration * s.fps + 1e-9) - used));
    }
    add(Math.max(nSteps - 1, 0), HOLD, hold);
    var total = 0; parts.forEach(function (p) { total += p.n; });
    var plan = { step: new Int32Array(total), beat: new Int8Array(total), t: new Float64Array(total), fps: s.fps, detail: detail, n: nSteps };
    var at = 0;
    parts.forEach(function (p) {
      for (var i = 0; i < p.n; i++) { plan.step[at + i] = typeof p.step === "number" ? p.step : p.step[i]; plan.beat[at + i] = p.beat; plan.t[at + i] = p.t[i]; }
      at += p.n;
    });
    return plan;
  }

  // FramePlan.segments: where the beat or (outside the fast-forward) the step changes.
  function segments(plan) {
    var out = [], n = plan.step.length, start = 0;
    function key(i) { return plan.beat[i] * (plan.n + 2) + (plan.beat[i] === FAST ? -1 : plan.step[i]); }
    for (var i = 1; i <= n; i++) {
      if (i === n || key(i) !== key(i - 1)) {
        out.push({ beat: plan.beat[start], start: start, stop: i, steps: plan.step.subarray(start, i), t: plan.t.subarray(start, i) });
        start = i;
      }
    }
    return out;
  }

  function ease(t) { t = Math.min(Math.max(t, 0), 1); return t * t * (3 - 2 * t); }

  var REVEAL_DEFAULT = { line: "before", u: 0.0, ghost: "", tip: false, path: 1, loss: 0, start: false, batch: false,
                         pred_alpha: 0.0, residual_frac: 0.0, arrow_frac: 0.0, show_loss: false, show_grad: false,
                         show_update: false };
  var REVEAL_FIELDS = Object.keys(REVEAL_DEFAULT);

  // frames.reveal: what a beat shows at progress t.
  function reveal(beat, t) {
    var r = Object.assign({}, REVEAL_DEFAULT);
    if (beat === INTRO) return Object.assign(r, { start: true, path: 1, loss: 0 });
    if (beat === HOLD) return Object.assign(r, { line: "final", tip: true, path: null, loss: null, show_loss: true, show_grad: true, show_update: true });
    Object.assign(r, { batch: true, path: 1 });
    if (beat === FORWARD) return Object.assign(r, { ghost: "previous", loss: 0, pred_alpha: Math.min(1, Math.max(0, (t - 0.25) / 0.5)) });
    if (beat === RESIDUALS) return Object.assign(r, { ghost: "previous", loss: t >= 0.5 ? 1 : 0, pred_alpha: 1.0, residual_frac: ease(Math.min(1, t / 0.7)), show_loss: t >= 0.5 });
    if (beat === GRADIENT) return Object.assign(r, { ghost: "previous", loss: 1, pred_alpha: 1.0, residual_frac: 1.0, arrow_frac: ease(Math.min(1, t / 0.7)), show_loss: true, show_grad: true });
    Object.assign(r, { ghost: "before", tip: true, loss: 1, arrow_frac: 1.0, show_loss: true, show_grad: true, show_update: true });
    if (beat === UPDATE) return Object.assign(r, { line: "before", u: ease(t) });
    return Object.assign(r, { line: "after" });
  }

  // export._reveal_table: the rule at each frame of a segment, a constant column as one value.
  function revealTable(beat, ts) {
    var rows = Array.from(ts, function (t) { return reveal(beat, t); });
    var table = { beat: beat, t: Array.from(ts) };
    REVEAL_FIELDS.forEach(function (name) {
      var col = rows.map(function (r) { return r[name]; });
      table[name] = col.every(function (c) { return c === col[0]; }) ? col[0] : col;
    });
    return table;
  }

  L.BEATS = BEATS; L.BEAT = { INTRO: INTRO, FORWARD: FORWARD, RESIDUALS: RESIDUALS, GRADIENT: GRADIENT, UPDATE: UPDATE, FAST: FAST, HOLD: HOLD };
  L.ease = ease; L.makePlan = makePlan; L.segments = segments; L.revealTable = revealTable; L.pyRound = pyRound; L.DEFAULT_PLAN = DEFAULT_PLAN;
})(SGD);
