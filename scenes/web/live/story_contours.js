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

  // The colour map: 256 (r, g, b) rows of float32 in base64 (scenes/web/live_block.py), read once.
  var lutCache = { b64: null, rgb: null };
  function lutOf(enc) {
    if (lutCache.b64 !== enc.b64) {
      var bin = atob(enc.b64), bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      lutCache = { b64: enc.b64, rgb: new Float32Array(bytes.buffer) };
    }
    return lutCache.rgb;
  }

  // palette.band_colors: the colour under each level, then above the last.
  function bandColours(levels, top, live, panel) {
    var lut = lutOf(live.cmap), rows = lut.length / 3, bg = hexRgb(panel), mix = live.mix;
    var lz = levels.concat([Math.max(top, levels[levels.length - 1])]).map(Math.log10);
    var lo = Math.min.apply(null, lz), span = Math.max(Math.max.apply(null, lz) - lo, 1e-12);
    return lz.map(function (z) {
      var u = (z - lo) / span, x = 0.15 + 0.8 * u, i = Math.min(Math.max(Math.floor(x * rows), 0), rows - 1);
      var c = [0, 1, 2].map(function (j) { var m = lut[3 * i + j]; return Math.min(Math.max(bg[j] + (m - bg[j]) * mix, 0), 1); });
      return "rgb(" + c.map(function (v) { return L.pyRound(v * 255); }).join(",") + ")";
    });
  }

  // A growable uint16 buffer (no array of boxed numbers, no garbage per cell).
  function Buf() { this.a = new Uint16Array(4096); this.n = 0; }
  Buf.prototype.put = function (v) {
    if (this.n === this.a.length) { var b = new Uint16Array(this.a.length * 2); b.set(this.a); this.a = b; }
    this.a[this.n++] = v;
  };
  Buf.prototype.done = function () { return this.a.slice(0, this.n); };

  // Sutherland–Hodgman on flat polygons (x, y, f per vertex): the part of src (n vertices)
  // where sign·(f − level) >= 0, into dst; returns its vertex count.
  function clip(src, n, level, sign, dst) {
    var m = 0;
    for (var i = 0; i < n; i++) {
      var j = i + 1 === n ? 0 : i + 1, pf = src[3 * i + 2], qf = src[3 * j + 2];
      var inP = sign * (pf - level) >= 0, inQ = sign * (qf - level) >= 0;
      if (inP) { dst[3 * m] = src[3 * i]; dst[3 * m + 1] = src[3 * i + 1]; dst[3 * m + 2] = pf; m++; }
      if (inP !== inQ) {
        var t = (level - pf) / (qf - pf);
        dst[3 * m] = src[3 * i] + t * (src[3 * j] - src[3 * i]);
        dst[3 * m + 1] = src[3 * i + 1] + t * (src[3 * j + 1] - src[3 * i + 1]);
        dst[3 * m + 2] = level; m++;
      }
    }
    return m;
  }

  function contours(R, g, live, panel) {
    var p = g.params, xs = linspace(p[0], p[1], N), ys = linspace(p[2], p[3], N), Lg = new Float64Array(N * N);
    var lmin = Infinity, lmax = -Infinity, m = R.m;
    for (var j = 0; j < N; j++) for (var i = 0; i < N; i++) {
      var v = L.mse(m, xs[i], ys[j]); Lg[j * N + i] = v;
      if (v < lmin) lmin = v; if (v > lmax) lmax = v;
    }
    var levels = levelsOf(Math.max(lmin, 1e-12), lmax), colours = bandColours(levels, lmax, live, panel);
    var band = new Uint8Array(N * N);
    for (var q = 0; q < N * N; q++) { var b = 0; while (b < LEVELS && levels[b] <= Lg[q]) b++; band[q] = b; }
    var paths = colours.map(function () { return new Buf(); }), lines = new Buf();
    var sx = QUANT / (p[1] - p[0]), sy = QUANT / (p[3] - p[2]);
    function qx(x) { var v = Math.round((x - p[0]) * sx); return v < 0 ? 0 : v > QUANT ? QUANT : v; }
    function qy(y) { var v = Math.round((y - p[2]) * sy); return v < 0 ? 0 : v > QUANT ? QUANT : v; }
    var CELL = new Float64Array(12), T1 = new Float64Array(36), T2 = new Float64Array(36);
    // A cell's part of each band it touches, and its piece of each level line it crosses
    // (bLo, bHi: the bands of its lowest and highest corner), interpolated along its edges as
    // marching squares does (a saddle's two pieces are joined one way).
    function cell(bLo, bHi) {
      for (var b = bLo; b <= bHi; b++) {
        var poly = CELL, n = 4;
        if (b) { n = clip(poly, n, levels[b - 1], 1, T1); poly = T1; }
        if (b < LEVELS) { n = clip(poly, n, levels[b], -1, T2); poly = T2; }
        if (n < 3) continue;
        var out = paths[b];
        for (var i = 0; i < n; i++) { out.put(qx(poly[3 * i])); out.put(qy(poly[3 * i + 1])); }
        out.put(SEP);
      }
      for (var li = bLo; li < bHi; li++) {
        var l = levels[li], cuts = 0;
        for (var e = 0; e < 4; e++) {
          var f = e === 3 ? 0 : e + 1, uf = CELL[3 * e + 2], wf = CELL[3 * f + 2];
          if ((uf < l) !== (wf < l)) {
            var s = (l - uf) / (wf - uf);
            lines.put(qx(CELL[3 * e] + s * (CELL[3 * f] - CELL[3 * e])));
            lines.put(qy(CELL[3 * e + 1] + s * (CELL[3 * f + 1] - CELL[3 * e + 1])));
            if (++cuts % 2 === 0) lines.put(SEP);
          }
        }
      }
    }
    function rect(out, i0, i1, jj) {
      var a0 = qx(xs[i0]), a1 = qx(xs[i1]), b0 = qy(ys[jj]), b1 = qy(ys[jj + 1]);
      out.put(a0); out.put(b0); out.put(a1); out.put(b0); out.put(a1); out.put(b1); out.put(a0); out.put(b1); out.put(SEP);
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
        // the corners counter-clockwise: (i, j), (i+1, j), (i+1, j+1), (i, j+1)
        CELL[0] = xs[i]; CELL[1] = ys[j]; CELL[2] = Lg[k];
        CELL[3] = xs[i + 1]; CELL[4] = ys[j]; CELL[5] = Lg[k + 1];
        CELL[6] = xs[i + 1]; CELL[7] = ys[j + 1]; CELL[8] = Lg[k + N + 1];
        CELL[9] = xs[i]; CELL[10] = ys[j + 1]; CELL[11] = Lg[k + N];
        var b00 = band[k], b10 = band[k + 1], b01 = band[k + N], b11 = band[k + N + 1];
        cell(Math.min(b00, b10, b11, b01), Math.max(b00, b10, b11, b01));
      }
      if (rs >= 0) rect(paths[rb], rs, N - 1, j);
    }
    return { limits: p.slice(), quant: QUANT, levels: levels, lines: lines.done(),
             bands: colours.map(function (col, b) { return { color: col, path: paths[b].done() }; }) };
  }

  L.contours = contours; L.levelsOf = levelsOf;
})(SGD);
