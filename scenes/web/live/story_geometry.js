/* The views' limits of a recomputed run, as scenes/story/geometry.py derives them (the line
 * model): the least-squares point, the parameter and fit views (clipped for a diverging
 * run), the loss range and scale, and where a legend covers nothing. float64 throughout. */
(function (SGD) {
  "use strict";
  var L = SGD.live = SGD.live || {};

  function mean(v) { var s = 0; for (var i = 0; i < v.length; i++) s += v[i]; return s / v.length; }

  // training/linear_model.py: the centred moments, the MSE, its gradient, least squares.
  function moments(x, y) {
    var xm = mean(x), ym = mean(y), vxx = 0, vyy = 0, cxy = 0, n = x.length;
    for (var i = 0; i < n; i++) { var dx = x[i] - xm, dy = y[i] - ym; vxx += dx * dx; vyy += dy * dy; cxy += dx * dy; }
    return { xm: xm, ym: ym, vxx: vxx / n, vyy: vyy / n, cxy: cxy / n };
  }
  function mse(m, a, b) {
    var c = a * m.xm + b - m.ym;
    return Math.max(a * a * m.vxx - 2 * a * m.cxy + m.vyy + c * c, 0);
  }
  function leastSquares(x, y) {
    var xm = mean(x), ym = mean(y), sxx = 0, sxy = 0;
    for (var i = 0; i < x.length; i++) { sxx += (x[i] - xm) * (x[i] - xm); sxy += (x[i] - xm) * (y[i] - ym); }
    var a = sxx > 0 ? sxy / sxx : 0;
    return [a, ym - a * xm];
  }

  function pad(lo, hi, frac, minSpan) {
    var span = Math.max(hi - lo, minSpan), mid = (lo + hi) / 2;
    return [mid - span * (0.5 + frac), mid + span * (0.5 + frac)];
  }
  function minOf(v) { var m = Infinity; for (var i = 0; i < v.length; i++) if (v[i] < m) m = v[i]; return m; }
  function maxOf(v) { var m = -Infinity; for (var i = 0; i < v.length; i++) if (v[i] > m) m = v[i]; return m; }

  // numpy's percentile (linear interpolation) of a column.
  function percentile(v, q) {
    var s = Float64Array.from(v).sort(), h = (s.length - 1) * q / 100, lo = Math.floor(h);
    return lo + 1 < s.length ? s[lo] + (s[lo + 1] - s[lo]) * (h - lo) : s[lo];
  }

  // The loss view's range and scale (geometry._loss_range).
  function lossRange(R) {
    var lo = Infinity, hi = -Infinity, any = false;
    [R.loss, R.full_loss, [R.finalFull]].forEach(function (col) {
      for (var i = 0; i < col.length; i++) if (isFinite(col[i])) { any = true; if (col[i] < lo) lo = col[i]; if (col[i] > hi) hi = col[i]; }
    });
    lo = any ? Math.max(lo, 1e-12) : 1e-6;
    if (R.n > 50) {
      var floor = percentile(R.loss, 2), fullMin = Math.min(minOf(R.full_loss), R.finalFull);
      lo = Math.max(lo, Math.min(floor, fullMin / 3), 1e-12);
    }
    hi = any ? hi : 1;
    return { lo: lo, hi: hi, log: hi / Math.max(lo, 1e-12) > 30 };
  }

  // Geometry.of(trace) for the line: R is the run (L.runOf in story.js).
  function geometry(R) {
    var x = R.x, y = R.y, opt = leastSquares(x, y), aO = opt[0], bO = opt[1];
    var pa = R.pathA, pb = R.pathB;
    var dist0 = Math.max(Math.abs(pa[0] - aO), Math.abs(pb[0] - bO), 0.25), cap = 4 * dist0;
    var aLo = Math.min(minOf(pa), aO), aHi = Math.max(maxOf(pa), aO), bLo = Math.min(minOf(pb), bO), bHi = Math.max(maxOf(pb), bO);
    var clipped = aLo < aO - cap || aHi > aO + cap || bLo < bO - cap || bHi > bO + cap;
    var pA = pad(Math.max(aLo, aO - cap), Math.min(aHi, aO + cap), 0.12, 0.5);
    var pB = pad(Math.max(bLo, bO - cap), Math.min(bHi, bO + cap), 0.12, 0.5);
    var xLo = Math.min(minOf(x), 0), xHi = maxOf(x), yMin = minOf(y), yMax = maxOf(y);
    var lineLo = Infinity, lineHi = -Infinity, early = Math.min(pa.length, 50);
    for (var i = 0; i < early; i++) {
      var y0 = pa[i] * xLo + pb[i], y1 = pa[i] * xHi + pb[i];
      lineLo = Math.min(lineLo, y0, y1); lineHi = Math.max(lineHi, y0, y1);
    }
    var ySpan = Math.max(yMax - yMin, 1e-3);
    var yLo = Math.max(Math.min(yMin, lineLo), yMin - 2.5 * ySpan), yHi = Math.min(Math.max(yMax, lineHi), yMax + 2.5 * ySpan);
    var fX = pad(xLo, xHi, 0.06, 1e-3), fY = pad(yLo, yHi, 0.08, 1e-3);
    return { fit: [fX[0], fX[1], fY[0], fY[1]], params: [pA[0], pA[1], pB[0], pB[1]], clipped: clipped,
             optimum: opt, loss: lossRange(R) };
  }

  // Geometry.loss_limits
  function lossLimits(g, n) {
    var lo = g.loss.lo, hi = g.loss.hi, y0, y1;
    if (g.loss.log) { y0 = lo / 1.6; y1 = hi * 1.6; }
    else {
      var p = 0.08 * Math.max(hi - lo, Math.abs(hi) * 0.5, 1e-9);
      y0 = lo >= 0 ? Math.max(0, lo - p) : lo - p; y1 = hi + p;
    }
    n = Math.max(n, 1);
    return [-0.02 * n, n * 1.02, y0, y1];
  }

  // geometry.CORNERS: upper right [0.5, 1] × [0.62, 1], lower right [0.5, 1] × [0, 0.38], the left ones [0, 0.5].
  // geometry.free_corner: the corner holding the fewest points (u, v: fractions of the view).
  function freeCorner(u, v, prefer) {
    prefer = prefer || ["upper right", "lower right", "upper left", "lower left"];
    var ur = 0, lr = 0, ul = 0, ll = 0;
    for (var i = 0; i < u.length; i++) { // a point on a shared edge counts in both corners, as in numpy
      var x = u[i], y = v[i];
      if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) continue;
      var top = y >= 0.62, bottom = y <= 0.38, left = x <= 0.5, right = x >= 0.5;
      if (top && right) ur++;
      if (bottom && right) lr++;
      if (top && left) ul++;
      if (bottom && left) ll++;
    }
    var counts = { "upper right": ur, "lower right": lr, "upper left": ul, "lower left": ll }, best = null, bestCount = Infinity;
    prefer.forEach(function (name) { if (counts[name] < bestCount) { best = name; bestCount = counts[name]; } });
    return best;
  }

  // export.loss_axis (the batch and full-data losses, each step once: two plain loops)
  function lossAxis(R, g) {
    var lim = lossLimits(g, R.n), x0 = lim[0], x1 = lim[1], y0 = lim[2], y1 = lim[3], corner = "upper right";
    if (R.n) {
      var n = R.n, u = new Float64Array(2 * n), v = new Float64Array(2 * n), log = g.loss.log;
      var l0 = Math.log10(y0), span = log ? Math.log10(y1) - l0 : y1 - y0, du = x1 - x0;
      [R.loss, R.full_loss].forEach(function (col, c) {
        for (var k = 0, i = c * n; k < n; k++, i++) {
          var w = col[k];
          w = w < y0 ? y0 : w > y1 ? y1 : w; // (np.clip keeps NaN)
          u[i] = (k - x0) / du;
          v[i] = log ? (Math.log10(w) - l0) / span : (w - y0) / span;
        }
      });
      corner = freeCorner(u, v, ["upper right", "lower left", "lower right", "upper left"]);
    }
    return { log: g.loss.log, x: [x0, x1], y: [y0, y1], legend: corner };
  }

  // export.params_legend_corner
  function paramsLegend(R, g) {
    var p = g.params, m = R.pathA.length, u = new Float64Array(m + 1), v = new Float64Array(m + 1);
    for (var i = 0; i <= m; i++) {
      var a = i < m ? R.pathA[i] : g.optimum[0], b = i < m ? R.pathB[i] : g.optimum[1];
      u[i] = (a - p[0]) / (p[1] - p[0]); v[i] = (b - p[2]) / (p[3] - p[2]);
    }
    return freeCorner(u, v);
  }

  L.moments = moments; L.mse = mse; L.leastSquares = leastSquares; L.geometry = geometry; L.lossAxis = lossAxis;
  L.paramsLegend = paramsLegend; L.minOf = minOf; L.maxOf = maxOf;
})(SGD);
