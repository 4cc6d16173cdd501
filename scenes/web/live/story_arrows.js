/* The parameter view's arrows of a recomputed run, as scenes/story/story.py derives them: the
 * full-batch step −lr·∇L(all data), what the optimizer carried over (training/optimizers/:
 * each spec's carry rule), the magnification judged over a steady window and capped to stay
 * in the view, and the arrows magnified with the fraction of each inside the view. */
(function (SGD) {
  "use strict";
  var L = SGD.live;
  var MIN_ARROW = 0.14, STEADY_WINDOW = 60;

  function niceScale(x) {
    if (x <= 1) return 1;
    var e = Math.pow(10, Math.floor(Math.log10(x))), ms = [1, 2, 5, 10];
    for (var i = 0; i < ms.length; i++) if (ms[i] * e >= x) return ms[i] * e;
    return 10 * e;
  }
  function niceFloor(x) {
    if (x < 1) return 1;
    var e = Math.pow(10, Math.floor(Math.log10(x))), ms = [5, 2, 1];
    for (var i = 0; i < ms.length; i++) if (ms[i] * e <= x) return ms[i] * e;
    return e;
  }

  function previous(col) { var out = new Float64Array(col.length); for (var i = 1; i < col.length; i++) out[i] = col[i - 1]; return out; }
  // Two columns filled by fn(k, a, b) (it writes a[k] and b[k]: no array per step).
  function map2(n, fn) { var a = new Float64Array(n), b = new Float64Array(n); for (var i = 0; i < n; i++) fn(i, a, b); return [a, b]; }

  // −lr·∇L over all the data at each step's (a, b) (Story.full_step).
  function fullStep(R) {
    var m = L.moments(R.x, R.y), lr = R.cfg.lr, n = R.n, A = R.a, B = R.b, ga = new Float64Array(n), gb = new Float64Array(n);
    var xm = m.xm, ym = m.ym, vxx = m.vxx, cxy = m.cxy;
    for (var k = 0; k < n; k++) {
      var a = A[k], c = a * xm + B[k] - ym;
      ga[k] = -lr * (2 * (a * vxx - cxy) + 2 * xm * c); gb[k] = -lr * (2 * c);
    }
    return [ga, gb];
  }

  // The optimizer's carry rule (training/optimizers/*.py), or null: {label, a, b}.
  function carry(R) {
    var s = R.cfg, lr = s.lr, n = R.n, st = R.steps, opt = s.optimizer, mu = R.momentum;
    var hasVel = !!st.velocity_a;
    function scaling() {
      var c = map2(n, function (k, a, b) { a[k] = st.update_a[k] + lr * st.grad_a[k]; b[k] = st.update_b[k] + lr * st.grad_b[k]; });
      return { label: "adaptive scaling", a: c[0], b: c[1] };
    }
    function carried(label, va, vb) {
      var c = map2(n, function (k, a, b) { a[k] = -lr * mu * va[k]; b[k] = -lr * mu * vb[k]; });
      return { label: label, a: c[0], b: c[1] };
    }
    if (opt === "sgd" || opt === "momentum") {
      if (mu > 0 && hasVel) {
        if (s.nesterov) return carried("Nesterov look-ahead", st.velocity_a, st.velocity_b);
        return carried("momentum carried", previous(st.velocity_a), previous(st.velocity_b));
      }
      if (mu === 0 && s.weight_decay > 0) {
        var w = map2(n, function (k, a, b) { a[k] = -lr * s.weight_decay * st.a[k]; b[k] = -lr * s.weight_decay * st.b[k]; });
        return { label: "weight decay", a: w[0], b: w[1] };
      }
      return null;
    }
    if (opt === "adam") {
      if (!hasVel) return null;
      var pa = previous(st.velocity_a), pb = previous(st.velocity_b), b1 = s.beta1;
      var c = map2(n, function (k, a, b) {
        var ma = st.velocity_a[k], mb = st.velocity_b[k];
        a[k] = st.update_a[k] * (ma !== 0 ? b1 * pa[k] / ma : 0); b[k] = st.update_b[k] * (mb !== 0 ? b1 * pb[k] / mb : 0);
      });
      return { label: "first moment carried", a: c[0], b: c[1] };
    }
    if (opt === "rmsprop" && mu > 0 && hasVel) return carried("momentum carried", previous(st.velocity_a), previous(st.velocity_b));
    return scaling();
  }

  // Story.vector_columns: update, full, then carry (the export's key order).
  function vectorColumns(R) {
    var out = [["update", R.steps.update_a, R.steps.update_b], ["full"].concat(fullStep(R))];
    if (R.carry) out.push(["carry", R.carry.a, R.carry.b]);
    return out;
  }

  // How many times (du, dv) fits from (p, q) before leaving the view (Infinity: any).
  function roomOf(pu, du, lo, hi) {
    var fit = du > 0 ? (hi - pu) / du : du < 0 ? (lo - pu) / du : Infinity;
    return fit > 0 ? fit : fit !== fit ? NaN : Infinity;
  }

  // The minimum of the last w values at each step (numpy: a sliding window's nanmin, or its
  // min when `nan` propagates NaN), in one pass with a deque of candidates.
  function windowMin(v, w, nan) {
    var n = v.length, out = new Float64Array(n), dq = new Int32Array(n), head = 0, tail = 0, lastNaN = -Infinity;
    for (var k = 0; k < n; k++) {
      var x = v[k];
      if (x !== x) { lastNaN = k; if (!nan) { out[k] = head < tail ? v[dq[head]] : Infinity; continue; } }
      else {
        while (tail > head && v[dq[tail - 1]] >= x) tail--;
        dq[tail++] = k;
      }
      while (head < tail && dq[head] <= k - w) head++;
      out[k] = nan && k - lastNaN < w ? NaN : head < tail ? v[dq[head]] : Infinity;
    }
    return out;
  }

  // Story.arrow_scale: per step, the magnification (plain loops: 100,000 steps in a few ms).
  function arrowScale(R, g, vecs) {
    var n = R.n, p = g.params, su = p[1] - p[0], sv = p[3] - p[2], A = R.a, Bc = R.b;
    var longest = new Float64Array(n).fill(-Infinity), room = new Float64Array(n).fill(Infinity);
    for (var c = 0; c < vecs.length; c++) {
      var du = vecs[c][1], dv = vecs[c][2];
      for (var k = 0; k < n; k++) {
        var x = du[k] / su, y = dv[k] / sv, len = Math.sqrt(x * x + y * y); // (Math.hypot is slow in V8)
        if (len > longest[k]) longest[k] = len;
        var r1 = roomOf(A[k], du[k], p[0], p[1]), r2 = roomOf(Bc[k], dv[k], p[2], p[3]);
        var r = r1 !== r1 || r2 !== r2 ? NaN : Math.min(r1, r2);
        if (r < room[k] || r !== r) room[k] = r;
      }
    }
    var w = STEADY_WINDOW, e = Math.max(1, Math.min(w, R.stepsPerEpoch)), out = new Float64Array(n);
    var shortest = windowMin(longest, w, false), tightest = windowMin(room, e, true);
    var memoIn = NaN, memoOut = 1, floorIn = NaN, floorOut = 1;
    for (k = 0; k < n; k++) {
      var short = shortest[k], tight = tightest[k], sc;
      if (short === memoIn) sc = memoOut;
      else { sc = short > 0 ? niceScale(MIN_ARROW / short) : 1; memoIn = short; memoOut = sc; }
      if (sc > tight) {
        if (tight !== floorIn) { floorIn = tight; floorOut = niceFloor(tight * 0.95); }
        sc = Math.min(sc, floorOut);
      }
      out[k] = Math.min(sc, 1e6);
    }
    return out;
  }

  // The fraction of the arrow d from p inside [lo, hi].
  function insideOf(pu, d, lo, hi) { return pu + d > hi ? (hi - pu) / d : pu + d < lo ? (lo - pu) / d : 1; }

  // Story.arrow_table: per key, the magnified arrow and the fraction of it inside the view.
  function arrowTable(R, g, vecs, scale) {
    var n = R.n, p = g.params, out = {}, A = R.a, Bc = R.b;
    for (var c = 0; c < vecs.length; c++) {
      var va = new Float32Array(n), vb = new Float32Array(n), inside = new Float32Array(n), cu = vecs[c][1], cv = vecs[c][2];
      for (var k = 0; k < n; k++) {
        var u0 = A[k], v0 = Bc[k], du = cu[k] * scale[k], dv = cv[k] * scale[k];
        va[k] = du; vb[k] = dv;
        if (!(u0 >= p[0] && u0 <= p[1] && v0 >= p[2] && v0 <= p[3])) { inside[k] = NaN; continue; }
        var f1 = insideOf(u0, du, p[0], p[1]), f2 = insideOf(v0, dv, p[2], p[3]);
        inside[k] = f1 !== f1 || f2 !== f2 || !isFinite(du) || !isFinite(dv) ? NaN : Math.min(1, f1, f2); // as Story.arrow_table: no arrow of a vector that is not finite
      }
      out[vecs[c][0]] = { va: va, vb: vb, inside: inside };
    }
    return out;
  }

  // The export's arrows block: keys, distinct scales with their text, per-step scale index.
  function arrows(R, g) {
    var block = { keys: [], hidden_below: 1e-4 };
    if (!R.n) return block;
    var vecs = vectorColumns(R), scale = arrowScale(R, g, vecs);
    var values = Array.from(new Set(scale)).sort(function (p, q) { return p - q; });
    block.scales = values.map(function (v) { return [v, SGD.live.pyG(v)]; });
    var where = new Map(values.map(function (v, i) { return [v, i]; }));
    var idx = values.length < 256 ? new Uint8Array(R.n) : new Uint16Array(R.n);
    for (var k = 0; k < R.n; k++) idx[k] = where.get(scale[k]);
    block.scale_index = idx;
    var table = arrowTable(R, g, vecs, scale);
    vecs.forEach(function (v) { block.keys.push(v[0]); block[v[0]] = table[v[0]]; });
    return block;
  }

  L.carry = carry; L.arrows = arrows; L.niceScale = niceScale; L.niceFloor = niceFloor;
})(SGD);
