/* The loss contours of a recomputed run's parameter view, in the shape export.contour_layers
 * writes: the exact MSE on a 120 × 120 grid, 14 geometric levels (Story.contours), the bands'
 * colours (scenes/story/palette.py, from the theme's colour map the page carries as a
 * 256-entry table), then the filled bands and level lines as polylines in uint16 steps across
 * the view. matplotlib traces them with marching squares; here each grid cell that a level
 * crosses is clipped to each band along its edges (the same crossings), and the cells inside
 * one band are merged into row-long rectangles: the same bands and lines, cut into more pieces. */
(function (SGD) {
  "use strict";
  var L = SGD.live;
  var N = 120, LEVELS = 14, QUANT = 65534, SEP = 65535;

  function linspace(a, b, n) { var v = new Float64Array(n), step = (b - a) / (n - 1); for (var i = 0; i < n; i++) v[i] = i * step + a; v[n - 1] = b; return v; }

  function levelsOf(lmin, lmax) {
    var s = Math.log10(lmin * 1.05 + 1e-9), e = Math.log10(lmax), t = linspace(s, e, LEVELS), out = [];
    for (var i = 0; i < LEVELS; i++) out.push(Math.pow(10, t[i]));
    out[0] = lmin * 1.05 + 1e-9; out[LEVELS - 1] = lmax;
    return out;
  }

  function hexRgb(hex) { var h = String(hex).replace("#", ""); return [0, 2, 4].map(function (i) { return parseInt(h.substr(i, 2), 16) / 255; }); }

  // palette.band_colors: the colour under each level, then above the last.
  function bandColours(levels, top, live, panel) {
    var lut = live.cmap, bg = hexRgb(panel), mix = live.mix, lz = levels.concat([Math.max(top, levels[levels.length - 1])]).map(Math.log10);
    var lo = Math.min.apply(null, lz), span = Math.max(Math.max.apply(null, lz) - lo, 1e-12);
    return lz.map(function (z) {
      var u = (z - lo) / span, x = 0.15 + 0.8 * u, i = Math.min(Math.max(Math.floor(x * lut.length), 0), lut.length - 1);
      var c = lut[i].map(function (m, j) { return Math.min(Math.max(bg[j] + (m - bg[j]) * mix, 0), 1); });
      return "rgb(" + c.map(function (v) { return L.pyRound(v * 255); }).join(",") + ")";
    });
  }

  // Sutherland–Hodgman: the part of polygon pts ([x, y, f] each) where sign·(f − level) >= 0.
  function clip(pts, level, sign) {
    var out = [];
    for (var i = 0; i < pts.length; i++) {
      var p = pts[i], q = pts[(i + 1) % pts.length], dp = sign * (p[2] - level), dq = sign * (q[2] - level);
      if (dp >= 0) out.push(p);
      if ((dp >= 0) !== (dq >= 0)) {
        var t = (level - p[2]) / (q[2] - p[2]);
        out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]), level]);
      }
    }
    return out;
  }

  function contours(R, g, live, panel) {
    var p = g.params, xs = linspace(p[0], p[1], N), ys = linspace(p[2], p[3], N), Lg = new Float64Array(N * N);
    var lmin = Infinity, lmax = -Infinity;
    for (var j = 0; j < N; j++) for (var i = 0; i < N; i++) {
      var v = L.mse(R.m, xs[i], ys[j]); Lg[j * N + i] = v;
      if (v < lmin) lmin = v; if (v > lmax) lmax = v;
    }
    var levels = levelsOf(Math.max(lmin, 1e-12), lmax), colours = bandColours(levels, lmax, live, panel);
    var band = new Uint8Array(N * N);
    for (var q = 0; q < N * N; q++) { var b = 0; while (b < LEVELS && levels[b] <= Lg[q]) b++; band[q] = b; }
    var paths = colours.map(function () { return []; }), lines = [];
    var qx = function (x) { return Math.min(Math.max(Math.round((x - p[0]) / (p[1] - p[0]) * QUANT), 0), QUANT); };
    var qy = function (y) { return Math.min(Math.max(Math.round((y - p[2]) / (p[3] - p[2]) * QUANT), 0), QUANT); };
    function poly(list, pts) { if (pts.length < 3) return; pts.forEach(function (pt) { list.push(qx(pt[0]), qy(pt[1])); }); list.push(SEP); }
    // A cell's part of each band it touches, and its piece of each level line it crosses
    // (bLo, bHi: the bands of its lowest and highest corner), interpolated along its edges as
    // marching squares does (a saddle's two pieces are joined one way).
    function cell(t, bLo, bHi) {
      for (var b = bLo; b <= bHi; b++) {
        var part = b ? clip(t, levels[b - 1], 1) : t;
        if (b < LEVELS) part = clip(part, levels[b], -1);
        poly(paths[b], part);
      }
      for (var li = bLo; li < bHi; li++) {
        var l = levels[li], cut = [];
        for (var e = 0; e < 4; e++) {
          var u = t[e], w = t[e === 3 ? 0 : e + 1];
          if ((u[2] < l) !== (w[2] < l)) {
            var s = (l - u[2]) / (w[2] - u[2]);
            cut.push(qx(u[0] + s * (w[0] - u[0])), qy(u[1] + s * (w[1] - u[1])));
          }
        }
        for (var c = 0; c + 3 < cut.length; c += 4) lines.push(cut[c], cut[c + 1], cut[c + 2], cut[c + 3], SEP);
      }
    }
    function rect(list, i0, i1, jj) {
      list.push(qx(xs[i0]), qy(ys[jj]), qx(xs[i1]), qy(ys[jj]), qx(xs[i1]), qy(ys[jj + 1]), qx(xs[i0]), qy(ys[jj + 1]), SEP);
    }
    for (j = 0; j + 1 < N; j++) {
      var rs = -1, rb = -1;
      for (i = 0; i + 1 < N; i++) {
        var k = j * N + i, c = band[k];
        var uniform = band[k + 1] === c && band[k + N] === c && band[k + N + 1] === c;
        if (uniform && rs >= 0 && c === rb) continue;
        if (rs >= 0) rect(paths[rb], rs, i, j);
        rs = -1;
        if (uniform) { rs = i; rb = c; continue; }
        var c00 = [xs[i], ys[j], Lg[k]], c10 = [xs[i + 1], ys[j], Lg[k + 1]], c01 = [xs[i], ys[j + 1], Lg[k + N]], c11 = [xs[i + 1], ys[j + 1], Lg[k + N + 1]];
        var b00 = band[k], b10 = band[k + 1], b01 = band[k + N], b11 = band[k + N + 1];
        cell([c00, c10, c11, c01], Math.min(b00, b10, b11, b01), Math.max(b00, b10, b11, b01));
      }
      if (rs >= 0) rect(paths[rb], rs, N - 1, j);
    }
    return { limits: p.slice(), quant: QUANT, levels: levels, lines: Uint16Array.from(lines),
             bands: colours.map(function (col, b) { return { color: col, path: Uint16Array.from(paths[b]) }; }) };
  }

  L.contours = contours; L.levelsOf = levelsOf;
})(SGD);
