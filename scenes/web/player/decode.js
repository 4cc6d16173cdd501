/* Reading the document: its format and version, typed columns from base64, and one run's
 * story prepared for drawing, its beats' codes taken from their names. */
(function (SGD) {
  "use strict";

  var FORMAT = "sgd-anim-player";
  var VERSION = 1;

  var TYPES = { f64: Float64Array, f32: Float32Array, i32: Int32Array, u16: Uint16Array, u8: Uint8Array };

  function decode(enc) {
    if (ArrayBuffer.isView(enc)) return enc; // a story built in the page (scenes/web/live/) holds its arrays
    var T = TYPES[enc && enc.dtype];
    if (!T || typeof enc.b64 !== "string") throw new Error("a column has an unknown encoding");
    var bin = atob(enc.b64), n = bin.length, bytes = new Uint8Array(n);
    for (var i = 0; i < n; i++) bytes[i] = bin.charCodeAt(i);
    if (n % T.BYTES_PER_ELEMENT) throw new Error("a column has a broken length");
    return new T(bytes.buffer, 0, n / T.BYTES_PER_ELEMENT);
  }

  // Contour paths (scenes/web/columns.py, encode_paths): per path its vertex count, then each
  // coordinate's step from the previous vertex, zigzag varints; held as (u, v) pairs, each path
  // followed by 65535, the form a story built in the page holds them in already.
  function decodePaths(enc) {
    if (ArrayBuffer.isView(enc)) return enc;
    if (!enc || enc.dtype !== "paths") return decode(enc);
    var bin = atob(enc.b64), at = 0, out = [];
    function get() {
      var z = 0, mul = 1, byte;
      do { byte = bin.charCodeAt(at++); z += (byte & 127) * mul; mul *= 128; } while (byte >= 128 && at < bin.length);
      return z % 2 ? -(z + 1) / 2 : z / 2;
    }
    while (at < bin.length) {
      var n = get(), u = 0, v = 0;
      for (var i = 0; i < n; i++) { u += get(); v += get(); out.push(u, v); }
      out.push(65535);
    }
    return Uint16Array.from(out);
  }

  // The beats' codes, from their names: a story lists its beats' names in the order of their
  // codes (scenes.story.plan.Beat), so the player copies no code. These are the beats it
  // draws; a story that lacks one is refused.
  var BEATS_DRAWN = ["intro", "forward", "residuals", "gradient", "update", "fast", "hold"];

  function beatCodes(names) {
    if (!Array.isArray(names)) throw new Error("the story does not name its beats");
    var codes = {};
    BEATS_DRAWN.forEach(function (name) {
      var code = names.indexOf(name);
      if (code < 0) throw new Error("the story has no beat named " + name);
      codes[name.toUpperCase()] = code;
    });
    return codes;
  }

  function prepare(raw) {
    var S = { raw: raw, run: raw.run, n: raw.run.n_steps, final: raw.final, optimum: raw.optimum,
              lim: raw.limits, lossAxis: raw.loss_axis, carry: raw.carry, title: raw.title, label: raw.label };
    S.x = decode(raw.data.x);
    S.y = decode(raw.data.y);
    var cols = ["epoch", "batch", "a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b"];
    cols.forEach(function (c) { S[c] = decode(raw.steps[c]); });
    var bt = raw.batches;
    S.off = decode(bt.offsets); S.idx = decode(bt.index); S.pred = decode(bt.pred);
    S.res = decode(bt.residual); S.shareA = decode(bt.share_a); S.shareB = decode(bt.share_b);
    var ar = raw.arrows;
    S.arrowKeys = ar.keys;
    S.hiddenBelow = ar.hidden_below;
    S.arrows = {};
    ar.keys.forEach(function (key) {
      S.arrows[key] = { va: decode(ar[key].va), vb: decode(ar[key].vb), inside: decode(ar[key].inside) };
    });
    if (S.n) { S.scaleIndex = decode(ar.scale_index); S.scales = ar.scales; }
    var plan = raw.plan;
    S.beats = plan.beats; // a beat's name by its code
    S.B = beatCodes(plan.beats); // a beat's code by its name: S.B.FAST
    S.fps = plan.fps;
    S.frames = plan.frames;
    S.detail = plan.detail_steps;
    S.captions = plan.captions;
    S.notes = plan.notes || [];
    S.reveals = plan.reveals;
    S.segs = plan.segments.map(function (g) {
      var seg = { beat: g.beat, start: g.start, n: g.n, step: g.step, reveal: g.reveal, caption: g.caption };
      if (g.steps) seg.steps = decode(g.steps);
      return seg;
    });
    S.segOfFrame = new Int32Array(S.frames);
    S.segs.forEach(function (g, s) { S.segOfFrame.fill(s, g.start, g.start + g.n); });
    S.fastSeg = -1; S.holdSeg = -1; S.introSeg = -1;
    S.segs.forEach(function (g, s) {
      if (g.beat === S.B.FAST) S.fastSeg = s;
      if (g.beat === S.B.HOLD) S.holdSeg = s;
      if (g.beat === S.B.INTRO) S.introSeg = s;
    });
    S.graph = raw.graph || null; // the graph view's data (scenes/web/graph_export.py), when graphs were recorded
    S.pathLen = S.n + 1; // the parameters before each step, then the final ones
    S.M = raw.model ? prepareModel(raw.model) : null; // any model but the line (export_model.py)
    return S;
  }

  // A model's words, curve samples and, for P > 2, its norms and largest updates, decoded.
  function prepareModel(m) {
    var M = { kind: m.kind, names: m.param_names, formula: m.formula, pred: m.pred, lossName: m.loss_name,
              heads: m.heads, shares: m.shares, header: m.header, plane: m.plane, lines: m.lines,
              holdLoss: m.hold_loss };
    var c = m.curve;
    M.curve = { x: c.x, m: c.samples, lo: c.range[0], hi: c.range[1], q: c.quant, y: decode(c.y),
                rows: c.rows ? decode(c.rows) : null };
    if (m.vector) {
      var v = m.vector;
      M.vector = { gradNorm: decode(v.grad_norm), updateNorm: decode(v.update_norm), thetaNorm: decode(v.theta_norm),
                   topIndex: decode(v.top_index), topValue: decode(v.top_value), top: v.top_count, rule: v.rule };
    }
    M.surface = m.surface ? decode(m.surface) : null;
    return M;
  }

  // The model's curve at path point i (before step i; i = n: the final parameters): the
  // exported samples, or those of the nearest earlier point that has them (a long run).
  function curveAt(S, i) {
    var C = S.M.curve, r = i;
    if (C.rows) {
      var lo = 0, hi = C.rows.length - 1;
      while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (C.rows[mid] <= i) lo = mid; else hi = mid - 1; }
      r = lo;
    }
    var out = new Float64Array(C.m), base = r * C.m, span = C.hi - C.lo;
    for (var j = 0; j < C.m; j++) {
      var q = C.y[base + j];
      out[j] = q === 65535 ? NaN : C.lo + q / C.q * span;
    }
    return out;
  }

  // The path: the parameters before each step, then the final ones; "after step k" is its k+1st point.
  function pathA(S, i) { return i < S.n ? S.a[i] : S.final.a; }
  function pathB(S, i) { return i < S.n ? S.b[i] : S.final.b; }

  SGD.FORMAT = FORMAT; SGD.VERSION = VERSION; SGD.decode = decode; SGD.decodePaths = decodePaths; SGD.prepare = prepare; SGD.pathA = pathA;
  SGD.pathB = pathB; SGD.curveAt = curveAt;
})(SGD);
