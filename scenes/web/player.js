/* sgd-anim web player: draws a story exported by scenes/web/export.py.
 *
 * It derives no story quantity. Every number, caption, arrow, contour, limit and the rule of
 * what each beat reveals come from the document; this script decodes them, applies the
 * rules to a step, formats numbers the way the matplotlib views do, and draws. Drawing is
 * decimated for long runs; the numbers shown at a step never are.
 */
(function () {
  "use strict";

  var FORMAT = "sgd-anim-player";
  var VERSION = 1;
  var INTRO = 0, FORWARD = 1, RESIDUALS = 2, GRADIENT = 3, UPDATE = 4, FAST = 5, HOLD = 6;
  var BEAT_NAMES = ["intro", "forward", "residuals", "gradient", "update", "fast", "hold"];
  var TEXT_HZ = 4; // while playing the fast-forward, the numbers refresh this often (as the video)

  function $(id) { return document.getElementById(id); }

  function showError(message) {
    var box = $("sgd-error");
    box.textContent = message;
    box.hidden = false;
    $("sgd-player").hidden = true;
  }

  // ------------------------------------------------------------------ numbers, as Python prints them
  // _fmt in scenes/mpl/views.py: Python rounds the exact binary value half to even; JS's toFixed
  // rounds ties away from zero. So the digits are computed exactly, with BigInt.
  var dv = new DataView(new ArrayBuffer(8));

  function scaledRound(x, p10) { // |x| * 10^p10, rounded half to even, as a BigInt
    dv.setFloat64(0, x);
    var hi = dv.getUint32(0), lo = dv.getUint32(4);
    var ex = (hi >>> 20) & 0x7ff;
    var m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
    var e;
    if (ex === 0) { e = -1074; } else { m = m | (1n << 52n); e = ex - 1075; }
    var num = m, den = 1n;
    if (e >= 0) num = num << BigInt(e); else den = den << BigInt(-e);
    if (p10 >= 0) num = num * (10n ** BigInt(p10)); else den = den * (10n ** BigInt(-p10));
    var q = num / den, twice = 2n * (num % den);
    if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n;
    return q;
  }

  function fixedPy(x, d) { // Python's f"{x:.{d}f}"
    var neg = x < 0 || Object.is(x, -0);
    var s = x === 0 ? "0".repeat(d + 1) : scaledRound(x, d).toString().padStart(d + 1, "0");
    if (d > 0) s = s.slice(0, s.length - d) + "." + s.slice(s.length - d);
    return (neg ? "-" : "") + s;
  }

  function fmtEpoch(e) { // scenes.story.race.fmt_epoch: a tenth, a whole number without ".0"
    var s = fixedPy(e, 1);
    return s.slice(-2) === ".0" ? s.slice(0, -2) : s;
  }

  function expPy(x, d) { // Python's f"{x:.{d}e}" with the exponent as a plain integer: 3.46e-4
    var p = Math.floor(Math.log10(Math.abs(x)));
    var low = 10n ** BigInt(d), high = low * 10n;
    var n = scaledRound(x, d - p);
    if (n >= high) { p += 1; n = scaledRound(x, d - p); } else if (n < low) { p -= 1; n = scaledRound(x, d - p); }
    var s = n.toString();
    return (x < 0 ? "-" : "") + s[0] + (d > 0 ? "." + s.slice(1) : "") + "e" + p;
  }

  function fmt(v, digits) { // scenes.mpl.views._fmt
    if (digits === undefined) digits = 4;
    if (!Number.isFinite(v)) return "—";
    var av = Math.abs(v);
    var out;
    if (av !== 0 && (av >= 1e4 || av < 1e-3)) {
      out = expPy(v, 2);
    } else {
      if (av >= 1) digits = Math.max(1, digits - Math.floor(Math.log10(av)));
      out = fixedPy(v, digits);
    }
    return out.replace(/-/g, "\u2212");
  }

  // ------------------------------------------------------------------ decoding the document
  var TYPES = { f64: Float64Array, f32: Float32Array, i32: Int32Array, u16: Uint16Array, u8: Uint8Array };

  function decode(enc) {
    var T = TYPES[enc && enc.dtype];
    if (!T || typeof enc.b64 !== "string") throw new Error("a column has an unknown encoding");
    var bin = atob(enc.b64), n = bin.length, bytes = new Uint8Array(n);
    for (var i = 0; i < n; i++) bytes[i] = bin.charCodeAt(i);
    if (n % T.BYTES_PER_ELEMENT) throw new Error("a column has a broken length");
    return new T(bytes.buffer, 0, n / T.BYTES_PER_ELEMENT);
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
      if (g.beat === FAST) S.fastSeg = s;
      if (g.beat === HOLD) S.holdSeg = s;
      if (g.beat === INTRO) S.introSeg = s;
    });
    S.pathLen = S.n + 1; // the parameters before each step, then the final ones
    return S;
  }

  // The path: the parameters before each step, then the final ones; "after step k" is its k+1st point.
  function pathA(S, i) { return i < S.n ? S.a[i] : S.final.a; }
  function pathB(S, i) { return i < S.n ? S.b[i] : S.final.b; }

  // ------------------------------------------------------------------ positions and frame states
  // A position is (segment s, frame j in it, step k). On a plan frame, k is that frame's step;
  // stepping through the fast-forward lands on steps between its frames.
  function frameStep(S, s, j) { var g = S.segs[s]; return g.steps ? g.steps[j] : g.step; }
  function posOfFrame(S, i) {
    i = Math.max(0, Math.min(S.frames - 1, i | 0));
    var s = S.segOfFrame[i], j = i - S.segs[s].start;
    return { s: s, j: j, k: frameStep(S, s, j) };
  }
  function frameOf(S, pos) { return S.segs[pos.s].start + pos.j; }

  function col(R, name, j) { var v = R[name]; return Array.isArray(v) ? v[j] : v; }

  // scenes.story.frames.apply_reveal, step for step: the rule comes from the document.
  function stateOf(S, pos) {
    var g = S.segs[pos.s], R = S.reveals[g.reveal], j = pos.j;
    var beat = g.beat, t = col(R, "t", j);
    if (S.n === 0) {
      return { step: 0, beat: beat, t: t, a: S.final.a, b: S.final.b, ghost: null, path_n: 0,
               tip: [S.final.a, S.final.b], loss_n: 0, batch: false, pred_alpha: 0, residual_frac: 0,
               arrow_frac: 0, show_loss: false, show_grad: false, show_update: false };
    }
    var k = col(R, "start", j) ? 0 : Math.min(Math.max(pos.k, 0), S.n - 1);
    var ak = S.a[k], bk = S.b[k], line = col(R, "line", j), base;
    if (line === "before") base = [ak, bk];
    else if (line === "after") base = [pathA(S, k + 1), pathB(S, k + 1)];
    else base = [S.final.a, S.final.b];
    var u = col(R, "u", j), a = base[0], b = base[1];
    if (u) { a = base[0] + u * S.update_a[k]; b = base[1] + u * S.update_b[k]; }
    var gh = col(R, "ghost", j), ghost = null;
    if (gh === "before") ghost = [ak, bk];
    else if (gh === "previous" && k > 0) ghost = [S.a[k - 1], S.b[k - 1]];
    var path = col(R, "path", j), loss = col(R, "loss", j);
    return { step: k, beat: beat, t: t, a: a, b: b, ghost: ghost,
             path_n: path === null ? S.n : k + path, tip: col(R, "tip", j) ? [a, b] : null,
             loss_n: loss === null ? S.n : k + loss, batch: col(R, "batch", j),
             pred_alpha: col(R, "pred_alpha", j), residual_frac: col(R, "residual_frac", j),
             arrow_frac: col(R, "arrow_frac", j), show_loss: col(R, "show_loss", j),
             show_grad: col(R, "show_grad", j), show_update: col(R, "show_update", j) };
  }

  // Story.arrows(k, grow), from the exported vectors: from (a_k, b_k) to that plus
  // min(grow, inside)·v, cut short (dashed) where it leaves the view, left out when too short.
  function arrowsOf(S, k, grow) {
    var out = [], L = S.lim.params, sa = L[1] - L[0], sb = L[3] - L[2];
    S.arrowKeys.forEach(function (key) {
      var A = S.arrows[key], inside = A.inside[k], va = A.va[k], vb = A.vb[k];
      if (Number.isNaN(inside)) return;
      if (Math.hypot(va / sa, vb / sb) * grow < S.hiddenBelow) return;
      var f = Math.min(grow, inside);
      out.push({ key: key, start: [S.a[k], S.b[k]], end: [S.a[k] + f * va, S.b[k] + f * vb], clipped: grow > inside });
    });
    return out;
  }

  // ------------------------------------------------------------------ drawing helpers
  function niceStep(span, target) {
    var raw = span / Math.max(target, 1), e = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / e;
    var nice = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
    return nice * e;
  }

  function linearTicks(lo, hi, target) {
    var step = niceStep(hi - lo, target), first = Math.ceil(lo / step - 1e-9) * step, out = [];
    var dec = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (Math.abs(step / Math.pow(10, Math.floor(Math.log10(step) + 1e-9)) - 2.5) < 1e-9 ? 1 : 0));
    for (var v = first; v <= hi + step * 1e-9; v += step) {
      var r = Math.abs(v) < step * 1e-6 ? 0 : v;
      out.push({ v: r, text: r.toFixed(Math.min(dec, 12)).replace(/-/g, "\u2212") });
    }
    return out;
  }

  var SUP = { "-": "\u207b", "0": "\u2070", "1": "\u00b9", "2": "\u00b2", "3": "\u00b3", "4": "\u2074",
              "5": "\u2075", "6": "\u2076", "7": "\u2077", "8": "\u2078", "9": "\u2079" };

  function logTicks(lo, hi, target) {
    var e0 = Math.ceil(Math.log10(lo) - 1e-9), e1 = Math.floor(Math.log10(hi) + 1e-9);
    var every = Math.max(1, Math.ceil((e1 - e0 + 1) / target)), out = [];
    for (var e = e0; e <= e1; e++) {
      if (((e % every) + every) % every) continue; // 10^0, 10^-2, ...: as matplotlib picks them
      out.push({ v: Math.pow(10, e), text: "10" + String(e).split("").map(function (c) { return SUP[c]; }).join("") });
    }
    return out;
  }

  function clamp(v, lo, hi) { return v < lo ? lo : v > hi ? hi : v; }

  // The part of segment (x0, y0)-(x1, y1) inside box [l, r] x [t, b] (Liang-Barsky), or null.
  // A diverged run puts points millions of pixels away, which canvases draw wrongly: every
  // line is cut to the plot (plus a margin) before it is drawn.
  function clipSegment(x0, y0, x1, y1, l, t, r, b) {
    var dx = x1 - x0, dy = y1 - y0, u0 = 0, u1 = 1;
    var p = [-dx, dx, -dy, dy], q = [x0 - l, r - x0, y0 - t, b - y0];
    for (var i = 0; i < 4; i++) {
      if (p[i] === 0) { if (q[i] < 0) return null; continue; }
      var u = q[i] / p[i];
      if (p[i] < 0) { if (u > u1) return null; if (u > u0) u0 = u; } else { if (u < u0) return null; if (u < u1) u1 = u; }
    }
    if (!Number.isFinite(u0) || !Number.isFinite(u1)) return null;
    return [x0 + u0 * dx, y0 + u0 * dy, x0 + u1 * dx, y0 + u1 * dy];
  }

  // A polyline through pixel points, cut to the panel's plot: pen(x, y) is called per point.
  function Pen(ctx, pn) {
    var m = 20, l = pn.x0 - m, t = pn.y0 - m, r = pn.x1 + m, b = pn.y1 + m, px = null, py = null, down = false;
    return function (x, y) {
      if (px === null) { px = x; py = y; return; }
      var c = clipSegment(px, py, x, y, l, t, r, b);
      if (c) {
        if (!down || c[0] !== px || c[1] !== py) ctx.moveTo(c[0], c[1]);
        ctx.lineTo(c[2], c[3]);
        down = c[2] === x && c[3] === y;
      } else down = false;
      px = x; py = y;
    };
  }

  function segment(ctx, pn, x0, y0, x1, y1) { var pen = Pen(ctx, pn); pen(x0, y0); pen(x1, y1); }

  // A curve whose x only grows, thinned to what a pixel column can show: per column of device
  // pixels its first, lowest, highest and last point, in their order (the "M4" reduction).
  // The stroke looks the same; a 100,000-step loss curve costs a few thousand vertices.
  function Thin(pen, dpr) {
    var col = null, n = 0, fx, fy, lx, ly, ax, ay, ai, bx, by, bi;
    function flush() {
      if (col === null) return;
      pen(fx, fy);
      var lo = ai < bi, p1x = lo ? ax : bx, p1y = lo ? ay : by, p2x = lo ? bx : ax, p2y = lo ? by : ay;
      if (p1x !== fx || p1y !== fy) pen(p1x, p1y);
      if (p2x !== p1x || p2y !== p1y) pen(p2x, p2y);
      if (lx !== p2x || ly !== p2y) pen(lx, ly);
    }
    function add(x, y) {
      var c = Math.floor(x * dpr);
      if (c !== col) {
        flush(); col = c;
        fx = lx = ax = bx = x; fy = ly = ay = by = y; ai = bi = n;
      } else {
        lx = x; ly = y;
        if (y < ay) { ax = x; ay = y; ai = n; }
        if (y > by) { bx = x; by = y; bi = n; }
      }
      n++;
    }
    add.end = flush;
    return add;
  }

  // ------------------------------------------------------------------ the views
  function Panel(canvas, kind) {
    this.canvas = canvas;
    this.kind = kind;
    this.ctx = canvas.getContext("2d");
    this.bg = document.createElement("canvas");
    this.bctx = this.bg.getContext("2d");
    this.w = 0; this.h = 0; this.dpr = 1;
  }

  Panel.prototype.resize = function (P) {
    var rect = this.canvas.getBoundingClientRect();
    var dpr = Math.min(window.devicePixelRatio || 1, 3);
    var w = Math.max(50, Math.round(rect.width)), h = Math.max(40, Math.round(rect.height));
    if (w === this.w && h === this.h && dpr === this.dpr) return false;
    this.w = w; this.h = h; this.dpr = dpr;
    [this.canvas, this.bg].forEach(function (c) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); });
    return true;
  };

  // Margins hold tick labels and axis labels; the plot rectangle is what is left.
  Panel.prototype.layout = function (P, xLim, yLim, log) {
    var u = P.u, tick = P.theme.sizes.tick * u, label = P.theme.sizes.label * u;
    this.fontTick = tick; this.fontLabel = label;
    this.x0 = Math.round(tick * 4.2 + label * 1.4); this.x1 = this.w - Math.round(tick * 1.2);
    this.y0 = Math.round(tick * 0.8); this.y1 = this.h - Math.round(tick * 1.6 + label * 1.5);
    this.xLim = xLim; this.yLim = yLim; this.log = !!log;
    if (log) { this.ly0 = Math.log10(yLim[0]); this.ly1 = Math.log10(yLim[1]); }
  };
  Panel.prototype.px = function (x) { return this.x0 + (x - this.xLim[0]) / (this.xLim[1] - this.xLim[0]) * (this.x1 - this.x0); };
  Panel.prototype.py = function (y) {
    var f = this.log ? (Math.log10(Math.max(y, 1e-300)) - this.ly0) / (this.ly1 - this.ly0)
                     : (y - this.yLim[0]) / (this.yLim[1] - this.yLim[0]);
    return this.y1 - f * (this.y1 - this.y0);
  };
  Panel.prototype.begin = function (ctx) { ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0); };
  Panel.prototype.clipPlot = function (ctx) {
    ctx.beginPath(); ctx.rect(this.x0, this.y0, this.x1 - this.x0, this.y1 - this.y0); ctx.clip();
  };

  Panel.prototype.axes = function (P, ctx, xlabel, ylabel, grid) {
    var th = P.theme.colors, self = this, font = P.font;
    ctx.fillStyle = th.panel; ctx.fillRect(this.x0, this.y0, this.x1 - this.x0, this.y1 - this.y0);
    // Ticks given by the document (a race's samples-seen axis: its values and their text) win.
    var xt = this.xTicks || linearTicks(this.xLim[0], this.xLim[1], Math.max(3, Math.floor((this.x1 - this.x0) / (this.fontTick * 5.5))));
    var target = Math.max(3, Math.floor((this.y1 - this.y0) / (this.fontTick * 3.4)));
    var yt = this.log ? logTicks(this.yLim[0], this.yLim[1], target) : linearTicks(this.yLim[0], this.yLim[1], target);
    ctx.lineWidth = Math.max(1, 0.8 * P.u);
    if (grid) {
      ctx.strokeStyle = th.grid;
      ctx.beginPath();
      xt.forEach(function (t) { var x = Math.round(self.px(t.v)) + 0.5; ctx.moveTo(x, self.y0); ctx.lineTo(x, self.y1); });
      yt.forEach(function (t) { var y = Math.round(self.py(t.v)) + 0.5; ctx.moveTo(self.x0, y); ctx.lineTo(self.x1, y); });
      ctx.stroke();
    }
    ctx.strokeStyle = th.muted;
    ctx.beginPath();
    ctx.moveTo(this.x0 - 0.5, this.y0); ctx.lineTo(this.x0 - 0.5, this.y1 + 0.5); ctx.lineTo(this.x1, this.y1 + 0.5);
    var tl = Math.max(3, this.fontTick * 0.35);
    xt.forEach(function (t) { var x = Math.round(self.px(t.v)) + 0.5; ctx.moveTo(x, self.y1); ctx.lineTo(x, self.y1 + tl); });
    yt.forEach(function (t) { var y = Math.round(self.py(t.v)) + 0.5; ctx.moveTo(self.x0 - tl, y); ctx.lineTo(self.x0, y); });
    ctx.stroke();
    ctx.fillStyle = th.text;
    ctx.font = this.fontTick + "px " + font;
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    xt.forEach(function (t) { ctx.fillText(t.text, self.px(t.v), self.y1 + tl + 2); });
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    yt.forEach(function (t) { ctx.fillText(t.text, self.x0 - tl - 3, self.py(t.v)); });
    ctx.font = this.fontLabel + "px " + font;
    ctx.textAlign = "center"; ctx.textBaseline = "bottom";
    ctx.fillText(xlabel, (this.x0 + this.x1) / 2, this.h - 1);
    ctx.save();
    ctx.translate(this.fontLabel * 0.9, (this.y0 + this.y1) / 2); ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(ylabel, 0, 0);
    ctx.restore();
  };

  function legend(P, ctx, panel, corner, items, framed) {
    var th = P.theme.colors, fs = panel.fontTick * 0.95, lh = fs * 1.45, pad = fs * 0.5, handle = fs * 1.8;
    ctx.font = fs + "px " + P.font;
    var wmax = 0;
    items.forEach(function (it) { wmax = Math.max(wmax, ctx.measureText(it.label).width); });
    var w = pad * 2 + handle + fs * 0.5 + wmax, h = pad * 2 + lh * items.length - (lh - fs);
    var m = fs * 0.6;
    var x = corner.indexOf("right") >= 0 ? panel.x1 - w - m : panel.x0 + m;
    var y = corner.indexOf("upper") >= 0 ? panel.y0 + m : panel.y1 - h - m;
    if (framed) {
      ctx.globalAlpha = 0.85; ctx.fillStyle = th.panel; ctx.fillRect(x, y, w, h); ctx.globalAlpha = 1;
      ctx.strokeStyle = th.grid; ctx.lineWidth = 1; ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
    }
    items.forEach(function (it, i) {
      var cy = y + pad + fs / 2 + i * lh;
      if (it.star) {
        star(ctx, x + pad + handle / 2, cy, fs * 0.55, it.color, null);
      } else {
        ctx.strokeStyle = it.color; ctx.lineWidth = it.width; ctx.globalAlpha = it.alpha || 1;
        ctx.setLineDash(it.dash || []);
        ctx.beginPath(); ctx.moveTo(x + pad, cy); ctx.lineTo(x + pad + handle, cy); ctx.stroke();
        ctx.setLineDash([]); ctx.globalAlpha = 1;
      }
      ctx.fillStyle = th.text; ctx.textAlign = "left"; ctx.textBaseline = "middle";
      ctx.fillText(it.label, x + pad + handle + fs * 0.5, cy);
    });
  }

  function star(ctx, cx, cy, r, fill, edge) {
    ctx.beginPath();
    for (var i = 0; i < 10; i++) {
      var rr = i % 2 ? r * 0.45 : r, ang = -Math.PI / 2 + i * Math.PI / 5;
      ctx.lineTo(cx + rr * Math.cos(ang), cy + rr * Math.sin(ang));
    }
    ctx.closePath();
    ctx.fillStyle = fill; ctx.fill();
    if (edge) { ctx.strokeStyle = edge; ctx.lineWidth = 1; ctx.stroke(); }
  }

  function dot(ctx, x, y, r, fill, edge, edgeWidth) {
    ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = fill; ctx.fill();
    if (edge) { ctx.strokeStyle = edge; ctx.lineWidth = edgeWidth; ctx.stroke(); }
  }

  function arrow(ctx, x0, y0, x1, y1, color, lw, dashed) {
    var dx = x1 - x0, dy = y1 - y0, len = Math.hypot(dx, dy);
    if (len < 0.5) return;
    var head = Math.min(len * 0.6, lw * 4.2), ux = dx / len, uy = dy / len;
    ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = lw; ctx.lineCap = "butt";
    ctx.setLineDash(dashed ? [lw * 2.4, lw * 1.6] : []);
    ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1 - ux * head * 0.9, y1 - uy * head * 0.9); ctx.stroke();
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - ux * head - uy * head * 0.45, y1 - uy * head + ux * head * 0.45);
    ctx.lineTo(x1 - ux * head + uy * head * 0.45, y1 - uy * head - ux * head * 0.45);
    ctx.closePath(); ctx.fill();
  }

  // At most `max` indices of 0..m-1, evenly spread, the last included (the path's decimation).
  function sampleIndices(m, max) {
    max = Math.max(2, max | 0); // a panel not laid out yet (an iframe still hidden) has no width
    if (m <= max) return null;
    var out = new Int32Array(max);
    for (var i = 0; i < max; i++) out[i] = Math.round(i * (m - 1) / (max - 1));
    return out;
  }

  // ------------------------------------------------------------------ fit view
  function drawFitStatic(P, pn, S) {
    var ctx = pn.bctx, th = P.theme.colors, L = S.lim.fit;
    pn.begin(ctx);
    ctx.fillStyle = th.background; ctx.fillRect(0, 0, pn.w, pn.h);
    pn.layout(P, [L[0], L[1]], [L[2], L[3]], false);
    pn.axes(P, ctx, "x", "y", true);
    ctx.save(); pn.clipPlot(ctx);
    var n = S.x.length, ps = P.pointR;
    var r = n > 30 ? Math.max(ps * Math.pow(30 / n, 0.25), ps * 0.28) : ps;
    ctx.globalAlpha = n <= 100 ? 1 : 0.6;
    ctx.fillStyle = th.points;
    ctx.beginPath();
    for (var i = 0; i < n; i++) {
      var x = pn.px(S.x[i]), y = pn.py(S.y[i]);
      ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI);
    }
    ctx.fill();
    ctx.restore();
  }

  function drawFit(P, pn, S, st) {
    var ctx = pn.ctx, th = P.theme.colors, lw = P.lw, L = S.lim.fit;
    var xs = [L[0], L[1]];
    ctx.save(); pn.clipPlot(ctx);
    if (st.ghost) {
      ctx.globalAlpha = 0.3; ctx.strokeStyle = th.ghost; ctx.lineWidth = lw * 0.8;
      ctx.setLineDash([lw * 3, lw * 2.2]);
      ctx.beginPath();
      segment(ctx, pn, pn.px(xs[0]), pn.py(st.ghost[0] * xs[0] + st.ghost[1]), pn.px(xs[1]), pn.py(st.ghost[0] * xs[1] + st.ghost[1]));
      ctx.stroke();
      ctx.setLineDash([]); ctx.globalAlpha = 1;
    }
    ctx.globalAlpha = st.beat === INTRO ? Math.min(1, 0.15 + st.t * 1.7) : 1;
    ctx.strokeStyle = th.line; ctx.lineWidth = lw; ctx.lineCap = "round";
    var ya = st.a * xs[0] + st.b, yb = st.a * xs[1] + st.b;
    ctx.beginPath(); segment(ctx, pn, pn.px(xs[0]), pn.py(ya), pn.px(xs[1]), pn.py(yb)); ctx.stroke();
    ctx.globalAlpha = 1;
    if (st.batch && S.n) {
      var o0 = S.off[st.step], o1 = S.off[st.step + 1], i, x, y;
      if (st.residual_frac > 0) {
        ctx.strokeStyle = th.residual; ctx.lineWidth = lw * 0.9; ctx.lineCap = "butt";
        ctx.beginPath();
        for (i = o0; i < o1; i++) {
          x = pn.px(S.x[S.idx[i]]);
          segment(ctx, pn, x, pn.py(S.pred[i]), x, pn.py(S.pred[i] - st.residual_frac * S.res[i]));
        }
        ctx.stroke();
      }
      ctx.strokeStyle = th.batch; ctx.lineWidth = lw * 0.9;
      var ring = P.pointR * 1.55;
      for (i = o0; i < o1; i++) {
        ctx.beginPath(); ctx.arc(pn.px(S.x[S.idx[i]]), pn.py(S.y[S.idx[i]]), ring, 0, 2 * Math.PI); ctx.stroke();
      }
      if (st.pred_alpha > 0) {
        ctx.globalAlpha = st.pred_alpha;
        var d = P.pointR * 1.45;
        for (i = o0; i < o1; i++) {
          x = pn.px(S.x[S.idx[i]]); y = pn.py(S.pred[i]);
          if (y < pn.y0 - 50 || y > pn.y1 + 50) continue;
          ctx.beginPath(); ctx.moveTo(x, y - d); ctx.lineTo(x + d * 0.8, y); ctx.lineTo(x, y + d); ctx.lineTo(x - d * 0.8, y); ctx.closePath();
          ctx.fillStyle = th.line; ctx.fill(); ctx.strokeStyle = th.panel; ctx.lineWidth = lw * 0.4; ctx.stroke();
        }
        ctx.globalAlpha = 1;
      }
    }
    ctx.restore();
    var lo = L[2], hi = L[3];
    if (Math.max(ya, yb) < lo || Math.min(ya, yb) > hi) {
      ctx.fillStyle = th.diverged; ctx.font = P.theme.sizes.text * P.u + "px " + P.font;
      ctx.textAlign = "center"; ctx.textBaseline = "top";
      ctx.fillText(Math.min(ya, yb) > hi ? "line above the chart" : "line below the chart", (pn.x0 + pn.x1) / 2, pn.y0 + 4);
    }
  }

  // ------------------------------------------------------------------ loss view
  // Long runs are drawn through blocks of `stride` steps: the batch loss as each block's mean,
  // the full-data loss as its min/max envelope (scenes.mpl.views.LossView does the same, with
  // the same number of blocks, so the legend's "mean of N steps" is the video's).
  var LOSS_POINTS = 3000;
  function lossBlocks(S, maxPoints) {
    var n = S.n, stride = Math.max(1, Math.ceil(n / maxPoints));
    var B = { stride: stride };
    if (stride === 1) return B;
    var nb = Math.floor(n / stride);
    B.meanX = new Float64Array(nb); B.meanY = new Float64Array(nb);
    B.envX = new Float64Array(2 * nb); B.envY = new Float64Array(2 * nb);
    for (var b = 0; b < nb; b++) {
      var s0 = b * stride, sum = 0, mi = s0, ma = s0;
      for (var i = s0; i < s0 + stride; i++) {
        sum += S.loss[i];
        if (S.full_loss[i] < S.full_loss[mi]) mi = i;
        if (S.full_loss[i] > S.full_loss[ma]) ma = i;
      }
      B.meanX[b] = s0 + (stride - 1) / 2; B.meanY[b] = sum / stride;
      var first = Math.min(mi, ma), second = Math.max(mi, ma);
      B.envX[2 * b] = first; B.envY[2 * b] = S.full_loss[first];
      B.envX[2 * b + 1] = second; B.envY[2 * b + 1] = S.full_loss[second];
    }
    return B;
  }

  function drawLossStatic(P, pn, S) {
    var ctx = pn.bctx, th = P.theme.colors, ax = S.lossAxis;
    pn.begin(ctx);
    ctx.fillStyle = th.background; ctx.fillRect(0, 0, pn.w, pn.h);
    pn.layout(P, ax.x, ax.y, ax.log);
    pn.axes(P, ctx, "step", "MSE", true);
    pn.blocks = lossBlocks(S, LOSS_POINTS);
    // A long run's curves, whole, drawn once: a frame shows them up to its step by clipping
    // (they only move right), instead of stroking thousands of vertices again.
    pn.curves = null;
    if (pn.blocks.stride > 1) {
      pn.curves = document.createElement("canvas");
      pn.curves.width = pn.bg.width; pn.curves.height = pn.bg.height;
      var cc = pn.curves.getContext("2d");
      pn.begin(cc);
      strokeCurves(P, cc, pn, S, S.n);
    }
    var lw = P.lw, label = pn.blocks.stride > 1 ? "batch loss (mean of " + pn.blocks.stride + " steps)" : "batch loss";
    legend(P, ctx, pn, ax.legend, [
      { label: label, color: th.loss_batch, width: lw * 0.45, alpha: 0.85 },
      { label: "full-data loss", color: th.loss_full, width: lw }], false);
  }

  function drawCurve(ctx, pn, m, y, blocksX, blocksY, per, stride, mean) {
    // Whole blocks first, then the steps of the last, unfinished block: one by one, or (the
    // batch loss) as their mean, since single-point batch losses would dive to zero.
    var pen = Thin(Pen(ctx, pn), pn.dpr), i;
    ctx.beginPath();
    if (stride === 1 || m <= LOSS_POINTS) {
      for (i = 0; i < m; i++) pen(pn.px(i), pn.py(y[i]));
    } else {
      var whole = Math.floor(m / stride);
      for (i = 0; i < whole * per; i++) pen(pn.px(blocksX[i]), pn.py(blocksY[i]));
      if (mean && m > whole * stride) {
        var sum = 0, sx = 0;
        for (i = whole * stride; i < m; i++) { sum += y[i]; sx += i; }
        pen(pn.px(sx / (m - whole * stride)), pn.py(sum / (m - whole * stride)));
      } else {
        for (i = whole * stride; i < m; i++) pen(pn.px(i), pn.py(y[i]));
      }
    }
    pen.end();
    ctx.stroke();
  }

  function strokeCurves(P, ctx, pn, S, m) {
    var th = P.theme.colors, lw = P.lw, B = pn.blocks;
    ctx.save(); pn.clipPlot(ctx);
    ctx.lineJoin = S.n > LOSS_POINTS ? "bevel" : "round"; // dense curves: round joins cost and do not show
    ctx.globalAlpha = 0.85; ctx.strokeStyle = th.loss_batch; ctx.lineWidth = lw * 0.45;
    drawCurve(ctx, pn, m, S.loss, B.meanX, B.meanY, 1, B.stride, true);
    ctx.globalAlpha = 1; ctx.strokeStyle = th.loss_full; ctx.lineWidth = lw;
    drawCurve(ctx, pn, m, S.full_loss, B.envX, B.envY, 2, B.stride, false);
    ctx.restore();
  }

  function drawLoss(P, pn, S, st) {
    var ctx = pn.ctx, th = P.theme.colors, lw = P.lw, m = st.loss_n;
    if (!S.n) return;
    if (m > LOSS_POINTS && pn.curves) { // (fewer steps are drawn one by one, as matplotlib does)
      ctx.save();
      ctx.beginPath(); ctx.rect(0, 0, m >= S.n ? pn.w : pn.px(m - 1), pn.h); ctx.clip();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(pn.curves, 0, 0);
      ctx.restore();
    } else if (m > 0) {
      strokeCurves(P, ctx, pn, S, m);
    }
    if (m > 0 && st.beat !== HOLD) {
      var k = m - 1, x = pn.px(k);
      ctx.strokeStyle = th.muted; ctx.lineWidth = Math.max(1, lw * 0.35); ctx.setLineDash([1.5, 2.5]);
      ctx.beginPath(); ctx.moveTo(x, pn.y0); ctx.lineTo(x, pn.y1); ctx.stroke(); ctx.setLineDash([]);
      var y = clamp(pn.py(S.loss[k]), pn.y0, pn.y1);
      dot(ctx, x, y, lw * 1.5, th.loss_batch, th.panel, lw * 0.4);
    }
  }

  // ------------------------------------------------------------------ parameter view
  // The exported contours (filled bands, then the level lines) in a panel's plot.
  function drawContours(P, ctx, pn, C) {
    var th = P.theme.colors, CL = C.limits, q = C.quant;
    var mapX = function (v) { return pn.px(CL[0] + v / q * (CL[1] - CL[0])); };
    var mapY = function (v) { return pn.py(CL[2] + v / q * (CL[3] - CL[2])); };
    var trace = function (pts) {
      ctx.beginPath();
      var start = true;
      for (var i = 0; i + 1 < pts.length; ) {
        if (pts[i] === 65535) { start = true; i += 1; continue; }
        var x = mapX(pts[i]), y = mapY(pts[i + 1]);
        if (start) { ctx.moveTo(x, y); start = false; } else ctx.lineTo(x, y);
        i += 2;
      }
    };
    C.decoded = C.decoded || { bands: C.bands.map(function (b) { return decode(b.path); }), lines: decode(C.lines) };
    C.bands.forEach(function (b, i) {
      trace(C.decoded.bands[i]);
      ctx.fillStyle = b.color; ctx.fill("evenodd");
    });
    trace(C.decoded.lines);
    ctx.globalAlpha = 0.6; ctx.strokeStyle = th.muted; ctx.lineWidth = Math.max(0.6, 0.6 * P.u); ctx.stroke();
    ctx.globalAlpha = 1;
  }

  function drawParamsStatic(P, pn, S, ghostRun) {
    var ctx = pn.bctx, th = P.theme.colors, L = S.lim.params, C = P.contours || S.raw.contours;
    pn.pathLayer = pathLayer(pn, S);
    pn.begin(ctx);
    ctx.fillStyle = th.background; ctx.fillRect(0, 0, pn.w, pn.h);
    pn.layout(P, [L[0], L[1]], [L[2], L[3]], false);
    pn.axes(P, ctx, "a (weight)", "b (bias)", false);
    ctx.save(); pn.clipPlot(ctx);
    if (C) drawContours(P, ctx, pn, C);
    if (ghostRun) { // the previous run's path, faint: for comparison in the explorer
      ctx.globalAlpha = 0.35; ctx.strokeStyle = th.muted; ctx.lineWidth = P.lw * 0.6; ctx.setLineDash([P.lw * 2, P.lw * 1.5]);
      drawPath(ctx, pn, ghostRun, ghostRun.pathLen, null, PATH_POINTS);
      ctx.stroke(); ctx.setLineDash([]); ctx.globalAlpha = 1;
    }
    star(ctx, pn.px(S.optimum[0]), pn.py(S.optimum[1]), P.lw * 3.3, th.text, th.panel);
    ctx.restore();
    var items = [{ label: "update applied", color: th.update, width: P.lw },
                 { label: "full-batch step \u2212lr\u00b7\u2207L", color: th.full_gradient, width: P.lw }];
    if (S.carry) items.push({ label: S.carry, color: th.velocity, width: P.lw });
    items.push({ label: "optimum", color: th.text, star: true });
    if (ghostRun) items.push({ label: "previous run: " + ghostRun.label, color: th.muted, width: P.lw * 0.6, alpha: 0.6, dash: [P.lw * 2, P.lw * 1.5] });
    legend(P, ctx, pn, S.raw.params_legend, items, true);
    if (S.lim.clipped) {
      ctx.fillStyle = th.diverged; ctx.font = pn.fontTick + "px " + P.font; ctx.textAlign = "left"; ctx.textBaseline = "top";
      ctx.fillText("the path leaves this view", pn.x0 + 6, pn.y0 + 5);
    }
  }

  // The first m points of a run's path (and an extra tip), decimated to at most `max` points.
  function drawPath(ctx, pn, S, m, tip, max) {
    ctx.beginPath();
    var keep = sampleIndices(m, max), count = keep ? keep.length : m, pen = Pen(ctx, pn);
    for (var i = 0; i < count; i++) {
      var p = keep ? keep[i] : i;
      pen(pn.px(pathA(S, p)), pn.py(pathB(S, p)));
    }
    if (tip) pen(pn.px(tip[0]), pn.py(tip[1]));
    return count + (tip ? 1 : 0);
  }

  // A long run's path is drawn through every q-th point, q fixed for the run, so the path
  // so far only grows: it is kept in a layer and extended, and a frame strokes only the new
  // points and the piece from the last of them to the current step.
  var PATH_POINTS = 4000; // as the matplotlib view

  function pathLayer(pn, S) {
    var q = Math.ceil(S.pathLen / PATH_POINTS);
    if (q <= 1) return null;
    var c = document.createElement("canvas");
    c.width = pn.bg.width; c.height = pn.bg.height;
    return { canvas: c, ctx: c.getContext("2d"), q: q, g: 0 };
  }

  function drawLongPath(P, pn, S, st) {
    var L = pn.pathLayer, q = L.q, ctx = pn.ctx, lw = P.lw, th = P.theme.colors;
    var g = Math.ceil(st.path_n / q); // grid points 0, q, 2q, ... below path_n
    var lc = L.ctx;
    if (g < L.g) { lc.setTransform(1, 0, 0, 1, 0, 0); lc.clearRect(0, 0, L.canvas.width, L.canvas.height); L.g = 0; }
    if (g > L.g) {
      pn.begin(lc);
      lc.save(); pn.clipPlot(lc);
      lc.strokeStyle = th.path; lc.lineWidth = lw * 0.5; lc.lineJoin = "round"; lc.lineCap = "round";
      lc.beginPath();
      var pen = Pen(lc, pn);
      for (var i = Math.max(0, L.g - 1); i < g; i++) pen(pn.px(pathA(S, i * q)), pn.py(pathB(S, i * q)));
      lc.stroke();
      lc.restore();
      L.g = g;
    }
    ctx.save();
    ctx.globalAlpha = 0.75;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(L.canvas, 0, 0);
    pn.begin(ctx);
    ctx.strokeStyle = th.path; ctx.lineWidth = lw * 0.5; ctx.lineCap = "round";
    ctx.beginPath();
    var tail = Pen(ctx, pn), last = (g - 1) * q;
    if (g > 0) tail(pn.px(pathA(S, last)), pn.py(pathB(S, last)));
    if (st.path_n - 1 > last) tail(pn.px(pathA(S, st.path_n - 1)), pn.py(pathB(S, st.path_n - 1)));
    if (st.tip) tail(pn.px(st.tip[0]), pn.py(st.tip[1]));
    ctx.stroke();
    ctx.restore();
  }

  function drawParams(P, pn, S, st) {
    var ctx = pn.ctx, th = P.theme.colors, lw = P.lw;
    ctx.save(); pn.clipPlot(ctx);
    ctx.lineJoin = "round";
    if (S.n && pn.pathLayer) {
      drawLongPath(P, pn, S, st);
    } else if (S.n) {
      ctx.globalAlpha = 0.75; ctx.strokeStyle = th.path; ctx.lineWidth = lw * 0.5;
      var shown = drawPath(ctx, pn, S, st.path_n, st.tip, PATH_POINTS);
      ctx.stroke();
      if (shown <= 60) { // markers on a short path, as matplotlib draws them
        ctx.fillStyle = th.path;
        var marker = function (a, b) {
          var x = pn.px(a), y = pn.py(b);
          if (x < pn.x0 - 9 || x > pn.x1 + 9 || y < pn.y0 - 9 || y > pn.y1 + 9) return;
          ctx.beginPath(); ctx.arc(x, y, lw * 0.62, 0, 2 * Math.PI); ctx.fill();
        };
        for (var i = 0; i < st.path_n; i++) marker(pathA(S, i), pathB(S, i));
        if (st.tip) marker(st.tip[0], st.tip[1]);
      }
      ctx.globalAlpha = 1;
    }
    var note = "L(a, b) contours";
    if (st.arrow_frac > 0 && S.n && st.beat !== HOLD) {
      var widths = { full: [th.full_gradient, 0.9], update: [th.update, 0.9], carry: [th.velocity, 0.6] };
      arrowsOf(S, st.step, st.arrow_frac).forEach(function (ar) {
        var w = widths[ar.key];
        arrow(ctx, pn.px(ar.start[0]), pn.py(ar.start[1]), pn.px(ar.end[0]), pn.py(ar.end[1]), w[0], lw * w[1], ar.clipped);
      });
      var sc = S.scales[S.scaleIndex[st.step]];
      if (sc[0] > 1) note += " \u00b7 arrows \u00d7" + sc[1];
    }
    var cx = pn.px(st.a), cy = pn.py(st.b);
    if (cx > pn.x0 - 20 && cx < pn.x1 + 20 && cy > pn.y0 - 20 && cy < pn.y1 + 20) dot(ctx, cx, cy, lw * 1.7, th.line, th.panel, lw * 0.4);
    ctx.restore();
    return note;
  }

  // ------------------------------------------------------------------ the player
  function Player(doc) {
    this.doc = doc;
    this.theme = doc.theme;
    this.contours = doc.contours || null;
    this.runs = doc.stories.map(function () { return null; });
    this.run = 0;
    this.ghost = null;
    this.playing = false;
    this.speed = 1;
    this.loop = false;
    this.textStep = null;
    this.drawTimes = [];
    this.lastKey = "";
    this.font = "";
    this.presenter = !!doc.presenter && !doc.explore; // --format slides: one beat per key press
    this.slide = 0;
    this.stopFrame = null; // presenter: a beat plays to its last frame, then holds
  }

  Player.prototype.story = function (i) {
    if (this.runs[i] === null) this.runs[i] = prepare(this.doc.stories[i]);
    return this.runs[i];
  };

  Player.prototype.init = function () {
    var self = this, th = this.theme, root = document.documentElement.style;
    Object.keys(th.colors).forEach(function (k) { root.setProperty("--" + k.replace(/_/g, "-"), th.colors[k]); });
    this.font = '"' + String(th.font_family).replace(/["\\;{}<>]/g, "") + '", "DejaVu Sans", Verdana, system-ui, sans-serif';
    root.setProperty("--font", this.font);
    this.panels = { fit: new Panel($("sgd-fit"), "fit"), loss: new Panel($("sgd-loss"), "loss"),
                    params: new Panel($("sgd-params"), "params") };
    if (this.doc.explore) this.buildExplorer();
    this.S = this.story(this.run);
    this.buildNumbers();
    this.pos = posOfFrame(this.S, 0);
    if (!this.presenter) this.readHash();
    this.bindControls();
    if (this.presenter) document.body.classList.add("sgd-presenter"); // before the first layout
    this.resize(true);
    if (this.presenter) this.initPresenter();
    if (window.ResizeObserver) new ResizeObserver(function () { self.resize(false); }).observe($("sgd-views"));
    window.addEventListener("resize", function () { self.resize(false); }); // zoom: a new pixel ratio
  };

  // The theme's sizes, designed for 1280 pixels, scaled to the page's width (one column, a
  // phone, reads at 680; ``least``: the smallest scale a wide page may take); the panels follow
  // and, when one changed size (or ``force``), everything is drawn again. The single-run
  // player and the race share it.
  function resizeViews(P, force, least) {
    var width = $("sgd-player").getBoundingClientRect().width || 800;
    P.u = width < 720 ? clamp(width / 680, 0.84, 1) : clamp(width / 1280, least, 1.15);
    var sz = P.theme.sizes, root = document.documentElement.style, u = P.u;
    ["title", "label", "tick", "text", "table"].forEach(function (k) { root.setProperty("--fs-" + k, (sz[k] * u).toFixed(2) + "px"); });
    P.lw = sz.line_width * u;
    P.pointR = Math.sqrt(sz.point_size) / 2 * u * 1.05;
    var changed = false;
    Object.keys(P.panels).forEach(function (k) { changed = P.panels[k].resize(P) || changed; });
    if (changed || force) { P.drawStatic(); P.render(true); }
  }

  Player.prototype.resize = function (force) { resizeViews(this, force, 0.84); };

  Player.prototype.drawStatic = function () {
    var S = this.S;
    setText($("sgd-loss-title"), S.lossAxis.log ? "Loss\u2002(log scale)" : "Loss");
    drawFitStatic(this, this.panels.fit, S);
    drawLossStatic(this, this.panels.loss, S);
    drawParamsStatic(this, this.panels.params, S, this.ghost);
  };

  // ---------------------------------------------------------------- numbers (DOM)
  Player.prototype.buildNumbers = function () {
    var body = $("sgd-rows");
    while (body.firstChild) body.removeChild(body.firstChild);
    var rows = Math.min(Math.max(this.S.run.max_batch, 1), this.doc.max_rows || 4);
    this.cells = [];
    for (var i = 0; i < rows; i++) {
      var tr = document.createElement("tr"), row = [];
      for (var j = 0; j < 6; j++) { var td = document.createElement("td"); tr.appendChild(td); row.push(td); }
      body.appendChild(tr);
      this.cells.push(row);
    }
    this.rowsShown = rows;
    $("sgd-more").parentNode.hidden = this.S.run.max_batch <= rows; // as matplotlib: a row only when needed
  };

  function setText(el, text, value) {
    if (el.textContent !== text) el.textContent = text;
    var v = value === undefined || value === null ? "" : String(value);
    if (el.getAttribute("data-value") !== v) { if (v) el.setAttribute("data-value", v); else el.removeAttribute("data-value"); }
  }

  Player.prototype.fillTable = function (k, st) {
    var S = this.S, o0 = S.off[k], o1 = S.off[k + 1], m = o1 - o0;
    var showPred = st.pred_alpha > 0.5 || st.beat !== FORWARD;
    var showRes = st.residual_frac > 0.3 || st.beat === GRADIENT || st.beat === UPDATE || st.beat === FAST || st.beat === HOLD;
    for (var i = 0; i < this.cells.length; i++) {
      var row = this.cells[i];
      if (i >= m) { row.forEach(function (c) { setText(c, ""); }); continue; }
      var s = o0 + i, xi = S.x[S.idx[s]], yi = S.y[S.idx[s]];
      var vals = [xi, yi, S.pred[s], S.res[s], S.shareA[s], S.shareB[s]];
      var shown = [true, true, showPred, showRes, st.show_grad, st.show_grad];
      for (var j = 0; j < 6; j++) setText(row[j], shown[j] ? fmt(vals[j]) : "", shown[j] ? vals[j] : null);
    }
    setText($("sgd-more"), m > this.cells.length ? "+" + (m - this.cells.length) + " more" : "");
    setText($("sgd-sum-a"), st.show_grad ? fmt(S.grad_a[k]) : "", st.show_grad ? S.grad_a[k] : null);
    setText($("sgd-sum-b"), st.show_grad ? fmt(S.grad_b[k]) : "", st.show_grad ? S.grad_b[k] : null);
  };

  Player.prototype.clearTable = function () {
    this.cells.forEach(function (row) { row.forEach(function (c) { setText(c, ""); }); });
    ["sgd-more", "sgd-sum-a", "sgd-sum-b"].forEach(function (id) { setText($(id), ""); });
  };

  // scenes.mpl.views.NumbersView.update and Header.update, from the story's numbers.
  Player.prototype.updateText = function (st) {
    var S = this.S, R = S.run, k = st.step, lines = ["", "", ""];
    if (S.n === 0) {
      this.clearTable();
      lines = ["a = " + fmt(st.a) + "     b = " + fmt(st.b), "no steps were recorded", ""];
    } else if (st.beat === INTRO) {
      this.clearTable();
      lines = ["start:  a = " + fmt(st.a) + "     b = " + fmt(st.b),
               "learning rate lr = " + R.lr_text + ",  batch size = " + R.first_batch, ""];
    } else if (st.beat === HOLD) {
      this.fillTable(S.n - 1, st);
      lines = ["final:  a = " + fmt(st.a) + "     b = " + fmt(st.b),
               "full-data loss L = " + fmt(S.final.full_loss, 5),
               "least squares:  a = " + fmt(S.optimum[0]) + "     b = " + fmt(S.optimum[1])];
    } else {
      this.fillTable(k, st);
      lines[0] = st.show_loss ? "batch loss L = " + fmt(S.loss[k], 5) : "";
      if (st.show_update) {
        lines[1] = "a:  " + fmt(S.a[k]) + " \u2192 " + fmt(pathA(S, k + 1)) + "   (\u0394a = " + fmt(S.update_a[k]) + ")";
        lines[2] = "b:  " + fmt(S.b[k]) + " \u2192 " + fmt(pathB(S, k + 1)) + "   (\u0394b = " + fmt(S.update_b[k]) + ")";
      } else if (st.show_grad) {
        lines[1] = R.next_text;
      } else {
        lines[1] = "a = " + fmt(S.a[k]) + "     b = " + fmt(S.b[k]);
      }
    }
    for (var i = 0; i < 3; i++) setText($("sgd-line-" + i), lines[i]);

    var ep = "\u2014", bt = "\u2014";
    if (S.n) {
      ep = (S.epoch[k] + 1) + "/" + R.epochs; bt = (S.batch[k] + 1) + "/" + R.steps_per_epoch;
      if (st.beat === INTRO) { ep = "\u2014"; bt = "\u2014"; }
      if (st.beat === HOLD) { ep = (S.epoch[S.n - 1] + 1) + "/" + R.epochs; bt = "done"; }
    }
    var loss = "\u2014", lossV = null;
    if (S.n && st.show_loss && st.beat !== HOLD) { lossV = S.loss[k]; loss = fmt(lossV, 5); }
    if (st.beat === HOLD && S.n) { lossV = S.final.full_loss; loss = fmt(lossV, 5); }
    var grads = S.n && st.show_grad && st.beat !== HOLD;
    setText($("sgd-epoch"), ep);
    setText($("sgd-batch"), bt);
    setText($("sgd-a"), fmt(st.a), st.a);
    setText($("sgd-b"), fmt(st.b), st.b);
    setText($("sgd-L"), loss, lossV);
    setText($("sgd-ga"), grads ? fmt(S.grad_a[k]) : "\u2014", grads ? S.grad_a[k] : null);
    setText($("sgd-gb"), grads ? fmt(S.grad_b[k]) : "\u2014", grads ? S.grad_b[k] : null);
  };

  // ---------------------------------------------------------------- one frame
  Player.prototype.render = function (force) {
    var t0 = performance.now(), S = this.S, pos = this.pos;
    var key = this.run + "|" + pos.s + "|" + pos.j + "|" + pos.k + "|" + this.textStep;
    if (!force && key === this.lastKey) return;
    this.lastKey = key;
    var st = stateOf(S, pos);
    var P = this.panels, self = this;
    ["fit", "loss", "params"].forEach(function (name) {
      var pn = P[name];
      pn.begin(pn.ctx);
      pn.ctx.setTransform(1, 0, 0, 1, 0, 0);
      pn.ctx.drawImage(pn.bg, 0, 0);
      pn.begin(pn.ctx);
    });
    drawFit(this, P.fit, S, st);
    drawLoss(this, P.loss, S, st);
    var note = drawParams(this, P.params, S, st);
    setText($("sgd-scale"), note);
    // While the fast-forward plays, the numbers are those of a step a few times a second.
    var textSt = st;
    if (this.textStep !== null && st.beat === FAST && this.textStep !== st.step) textSt = stateOf(S, { s: pos.s, j: pos.j, k: this.textStep });
    this.updateText(textSt);
    var seg = S.segs[pos.s];
    var cap = $("sgd-caption");
    setText(cap, S.captions[seg.caption]);
    cap.classList.toggle("warn", st.beat === HOLD && S.run.diverged);
    var frame = frameOf(S, pos);
    var scrub = $("sgd-scrub");
    if (String(scrub.value) !== String(frame)) scrub.value = String(frame);
    setText($("sgd-where"), "step " + (S.n ? st.step + 1 : 0) + " / " + S.n);
    var player = $("sgd-player");
    player.setAttribute("data-step", String(st.step));
    player.setAttribute("data-beat", BEAT_NAMES[st.beat]);
    player.setAttribute("data-frame", String(frame));
    var dt = performance.now() - t0;
    this.drawTimes.push(dt);
    if (this.drawTimes.length > 20000) this.drawTimes.splice(0, 10000);
  };

  // ---------------------------------------------------------------- moving around
  Player.prototype.goFrame = function (i) { this.pos = posOfFrame(this.S, i); this.textStep = null; this.render(); this.writeHash(); };

  Player.prototype.segOfStep = function (beat, k) {
    var S = this.S;
    for (var s = 0; s < S.segs.length; s++) if (S.segs[s].beat === beat && S.segs[s].step === k) return s;
    return -1;
  };

  // A step as a link opens it: a detail step fully revealed (the end of its update), a later
  // step as the fast-forward shows it.
  Player.prototype.posOfStep = function (k, beat) {
    var S = this.S;
    if (!S.n) return posOfFrame(S, S.frames - 1);
    k = clamp(k, 0, S.n - 1);
    if (k < S.detail) {
      var s = this.segOfStep(beat !== undefined && beat >= FORWARD && beat <= UPDATE ? beat : UPDATE, k);
      if (s >= 0) return { s: s, j: S.segs[s].n - 1, k: k };
    }
    if (S.fastSeg >= 0) {
      var g = S.segs[S.fastSeg], j = 0;
      for (var i = 0; i < g.n; i++) if (g.steps[i] <= k) j = i;
      return { s: S.fastSeg, j: j, k: Math.max(k, g.steps[0]) };
    }
    return posOfFrame(S, S.frames - 1);
  };

  Player.prototype.goStep = function (k, beat) {
    this.pos = this.posOfStep(k, beat);
    this.textStep = null;
    this.render();
    this.writeHash();
  };

  Player.prototype.stepBy = function (d) {
    var S = this.S, pos = this.pos, g = S.segs[pos.s];
    this.pause();
    if (!S.n) return;
    if (g.beat === INTRO) { if (d > 0) this.goFrame(g.start + g.n); return; }
    if (g.beat === HOLD) {
      if (d < 0) this.goStep(S.n - 1); return;
    }
    var k = pos.k + d;
    if (g.beat !== FAST && k >= 0 && k < S.detail) { // the same moment of the next detail step
      var s = this.segOfStep(g.beat, k);
      this.pos = { s: s, j: Math.min(pos.j, S.segs[s].n - 1), k: k }; this.render(); this.writeHash(); return;
    }
    if (k < 0) { this.goFrame(S.segs[S.introSeg >= 0 ? S.introSeg : 0].start + S.segs[0].n - 1); return; }
    if (k >= S.n) { this.goFrame(S.frames - 1); return; }
    this.goStep(k);
  };

  Player.prototype.beatBy = function (d) {
    var S = this.S, pos = this.pos, g = S.segs[pos.s];
    this.pause();
    if (d > 0) {
      if (pos.s + 1 < S.segs.length) this.goFrame(S.segs[pos.s + 1].start);
      else this.goFrame(S.frames - 1);
    } else {
      var atStart = pos.j === 0 && (!g.steps || pos.k === g.steps[0]);
      if (!atStart) this.goFrame(g.start);
      else if (pos.s > 0) this.goFrame(S.segs[pos.s - 1].start);
    }
  };

  // ---------------------------------------------------------------- playing
  Player.prototype.play = function () {
    if (this.playing) return;
    var S = this.S;
    if (frameOf(S, this.pos) >= S.frames - 1) this.pos = posOfFrame(S, 0);
    this.playing = true;
    this.clock = { t0: performance.now(), f0: frameOf(S, this.pos) };
    this.syncButtons();
    var self = this;
    requestAnimationFrame(function tick(now) { self.tick(now); });
  };

  Player.prototype.pause = function () {
    this.stopFrame = null;
    if (!this.playing) return;
    this.playing = false;
    this.textStep = null;
    this.syncButtons();
    this.render();
    this.writeHash();
  };

  Player.prototype.tick = function (now) {
    if (!this.playing) return;
    var S = this.S, elapsed = Math.max(0, now - this.clock.t0) / 1000;
    var f = this.clock.f0 + Math.floor(elapsed * S.fps * this.speed);
    if (this.stopFrame !== null && f >= this.stopFrame) { // presenter: the beat has played
      this.pos = posOfFrame(S, this.stopFrame); this.textStep = null; this.stopFrame = null;
      this.render(); this.pause(); return;
    }
    if (f >= S.frames) {
      if (this.loop) { this.clock = { t0: now, f0: 0 }; f = 0; }
      else { this.pos = posOfFrame(S, S.frames - 1); this.render(); this.pause(); return; }
    }
    var pos = posOfFrame(S, f);
    if (pos.s !== this.pos.s || pos.j !== this.pos.j || frameOf(S, this.pos) !== f) {
      var g = S.segs[pos.s];
      this.textStep = null;
      if (g.beat === FAST) { // the numbers refresh TEXT_HZ times a second, as in the video
        var every = Math.max(1, Math.round(S.fps / TEXT_HZ));
        this.textStep = g.steps[pos.j - pos.j % every];
      }
      this.pos = pos;
      this.render();
    }
    var self = this;
    requestAnimationFrame(function (t) { self.tick(t); });
  };

  Player.prototype.syncButtons = function () {
    var b = $("sgd-play");
    b.setAttribute("aria-label", this.playing ? "Pause" : "Play");
    b.title = this.playing ? "Pause (space)" : "Play (space)";
    b.classList.toggle("playing", this.playing);
  };

  // ---------------------------------------------------------------- the URL hash
  Player.prototype.readHash = function () {
    var h = "";
    try { h = (window.location.hash || "").replace(/^#/, ""); } catch (e) { h = ""; }
    if (!h) return false;
    var q = {};
    h.split("&").forEach(function (kv) { var p = kv.split("="); if (p.length === 2) q[decodeURIComponent(p[0])] = decodeURIComponent(p[1]); });
    if (this.doc.explore && q.run !== undefined) {
      var r = parseInt(q.run, 10);
      if (r >= 0 && r < this.doc.stories.length) {
        this.setRun(r, true);
        if (!this.panels.fit.w) { this.ghost = null; this.ghostRun = null; } // opening the page: no run before
      }
    }
    if (q.frame !== undefined && /^\d+$/.test(q.frame)) { this.pos = posOfFrame(this.S, parseInt(q.frame, 10)); return true; }
    if (q.step !== undefined && /^\d+$/.test(q.step)) {
      var beat = BEAT_NAMES.indexOf(q.beat || "");
      this.pos = this.posOfStep(Math.max(1, parseInt(q.step, 10)) - 1, beat >= 0 ? beat : undefined);
      return true;
    }
    return false;
  };

  // The address follows the position (so a link opens there), a moment after it settles:
  // browsers throttle a page that rewrites its address on every scrubbed frame.
  Player.prototype.writeHash = function () {
    var self = this;
    clearTimeout(this.hashTimer);
    this.hashTimer = setTimeout(function () { self.writeHashNow(); }, 150);
  };

  Player.prototype.writeHashNow = function () {
    if (this.presenter) { // the slide, so a reload during a talk stays there
      try { history.replaceState(null, "", "#slide=" + (this.slide + 1)); } catch (e) { /* sandboxed */ }
      return;
    }
    if (this.playing) return;
    var S = this.S, st = stateOf(S, this.pos), g = S.segs[this.pos.s];
    var parts = [];
    if (this.doc.explore) parts.push("run=" + this.run);
    if (g.beat === INTRO || g.beat === HOLD || (g.beat !== FAST && this.pos.j !== g.n - 1)) parts.push("frame=" + frameOf(S, this.pos));
    else { parts.push("step=" + (st.step + 1)); if (g.beat !== FAST && g.beat !== UPDATE) parts.push("beat=" + BEAT_NAMES[g.beat]); }
    try { history.replaceState(null, "", "#" + parts.join("&")); } catch (e) { /* a sandboxed frame: no hash */ }
  };

  // ---------------------------------------------------------------- controls
  Player.prototype.bindControls = function () {
    var self = this, S = this.S, scrub = $("sgd-scrub");
    scrub.max = String(S.frames - 1);
    $("sgd-play").addEventListener("click", function () { self.playing ? self.pause() : self.play(); });
    $("sgd-beat-back").addEventListener("click", function () { self.beatBy(-1); });
    $("sgd-beat-fwd").addEventListener("click", function () { self.beatBy(1); });
    $("sgd-step-back").addEventListener("click", function () { self.stepBy(-1); });
    $("sgd-step-fwd").addEventListener("click", function () { self.stepBy(1); });
    scrub.addEventListener("input", function () {
      var f = parseInt(scrub.value, 10);
      if (self.playing) { self.clock = { t0: performance.now(), f0: f }; self.pos = posOfFrame(self.S, f); self.render(); }
      else self.goFrame(f);
    });
    $("sgd-speed").addEventListener("change", function () {
      var v = parseFloat($("sgd-speed").value);
      if (self.playing) self.clock = { t0: performance.now(), f0: frameOf(self.S, self.pos) };
      self.speed = v > 0 ? v : 1;
    });
    $("sgd-loop").addEventListener("change", function () { self.loop = $("sgd-loop").checked; });
    window.addEventListener("hashchange", function () { if (self.readHash()) { self.textStep = null; self.render(); } });
    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      if (self.presenter) { if (self.presenterKey(e.key)) e.preventDefault(); return; }
      var tag = e.target && e.target.tagName;
      if (tag === "SELECT" || tag === "TEXTAREA" || (tag === "INPUT" && e.target.type !== "checkbox" && e.target.id !== "sgd-scrub")) return;
      var handled = true;
      switch (e.key) {
        case " ": case "Spacebar": if (tag === "BUTTON") { handled = false; break; } self.playing ? self.pause() : self.play(); break;
        case "ArrowRight": e.shiftKey ? self.stepBy(1) : self.beatBy(1); break;
        case "ArrowLeft": e.shiftKey ? self.stepBy(-1) : self.beatBy(-1); break;
        case "ArrowUp": self.stepBy(1); break;
        case "ArrowDown": self.stepBy(-1); break;
        case "Home": self.pause(); self.goFrame(0); break;
        case "End": self.pause(); self.goFrame(self.S.frames - 1); break;
        default: handled = false;
      }
      if (handled) e.preventDefault();
    });
  };

  // ---------------------------------------------------------------- presenter mode
  // One slide per plan segment (a beat of a detail step, the fast-forward, the final fit).
  // A key press moves exactly one slide: forward, the beat plays from its first frame to its
  // last and holds there (a second press during it moves on); back, the previous slide is
  // shown at its last frame. The notes are the story's (scenes.story.notes), per segment.
  Player.prototype.initPresenter = function () {
    document.body.classList.add("sgd-presenter");
    $("sgd-notes").hidden = false;
    var h = "", m;
    try { h = window.location.hash || ""; } catch (e) { h = ""; }
    m = /^#slide=(\d+)$/.exec(h);
    this.showSlide(m ? clamp(parseInt(m[1], 10) - 1, 0, this.S.segs.length - 1) : 0, false);
  };

  Player.prototype.showSlide = function (i, animate) {
    var S = this.S, g;
    i = clamp(i, 0, S.segs.length - 1);
    g = S.segs[i];
    this.pause();
    this.slide = i;
    var last = g.start + g.n - 1;
    if (animate && g.n > 1) {
      this.pos = posOfFrame(S, g.start);
      this.render();
      this.play();
      this.stopFrame = last;
    } else {
      this.pos = posOfFrame(S, last);
      this.textStep = null;
      this.render();
    }
    var list = $("sgd-note-lines");
    while (list.firstChild) list.removeChild(list.firstChild);
    (S.notes[i] || []).forEach(function (line) {
      var li = document.createElement("li"); li.textContent = line; list.appendChild(li);
    });
    setText($("sgd-slide"), (i + 1) + " / " + S.segs.length);
    $("sgd-player").setAttribute("data-slide", String(i));
    this.writeHash();
  };

  Player.prototype.presenterKey = function (key) {
    switch (key) {
      case "ArrowRight": case "ArrowDown": case "PageDown": case " ": case "Spacebar": case "Enter":
        if (this.slide + 1 < this.S.segs.length) this.showSlide(this.slide + 1, true);
        else this.showSlide(this.slide, false); // the last slide: finish its beat, stay
        return true;
      case "ArrowLeft": case "ArrowUp": case "PageUp": case "Backspace":
        this.showSlide(this.slide - 1, false); return true;
      case "Home": this.showSlide(0, false); return true;
      case "End": this.showSlide(this.S.segs.length - 1, false); return true;
      case "f": case "F": this.fullscreen(); return true;
      case "n": case "N":
        document.body.classList.toggle("sgd-no-notes");
        $("sgd-notes").hidden = document.body.classList.contains("sgd-no-notes");
        this.resize(false);
        return true;
      default: return false;
    }
  };

  Player.prototype.fullscreen = function () {
    var el = document.documentElement;
    try {
      if (document.fullscreenElement) { if (document.exitFullscreen) document.exitFullscreen(); }
      else if (el.requestFullscreen) {
        var p = el.requestFullscreen();
        if (p && p.catch) p.catch(function () { /* refused (no user gesture, a frame): stay */ });
      }
    } catch (e) { /* an old browser: stay in the window */ }
  };

  // ---------------------------------------------------------------- the explorer
  Player.prototype.buildExplorer = function () {
    var self = this, ex = this.doc.explore, box = $("sgd-explore");
    box.hidden = false;
    this.choice = ex.initial.slice();
    this.run = this.runIndex(this.choice);
    ex.axes.forEach(function (axis, a) {
      var row = document.createElement("label");
      row.className = "axis";
      var name = document.createElement("span"); name.className = "name"; name.textContent = axis.label;
      var input = document.createElement("input");
      input.type = "range"; input.min = "0"; input.max = String(axis.values.length - 1); input.step = "1";
      input.value = String(self.choice[a]); input.id = "sgd-axis-" + axis.key;
      input.setAttribute("aria-label", axis.label);
      var value = document.createElement("span"); value.className = "value"; value.textContent = axis.text[self.choice[a]];
      input.addEventListener("input", function () {
        self.choice[a] = parseInt(input.value, 10);
        value.textContent = axis.text[self.choice[a]];
        self.setRun(self.runIndex(self.choice));
      });
      row.appendChild(name); row.appendChild(input); row.appendChild(value);
      box.appendChild(row);
    });
    var status = document.createElement("span"); status.id = "sgd-run"; status.className = "run";
    box.appendChild(status);
  };

  Player.prototype.runIndex = function (choice) {
    var ex = this.doc.explore, i = 0;
    for (var a = 0; a < ex.axes.length; a++) i = i * ex.axes[a].values.length + choice[a];
    return ex.runs[i];
  };

  Player.prototype.setRun = function (r, silent) {
    if (r === this.run && this.S) return;
    var old = this.S, frame = old ? frameOf(old, this.pos) : 0;
    this.ghost = old || null;
    this.ghostRun = old ? this.run : null;
    this.run = r;
    this.S = this.story(r);
    var ex = this.doc.explore;
    if (ex && silent) { // from the hash: move the sliders to this run
      for (var i = 0; i < ex.runs.length; i++) if (ex.runs[i] === r) {
        var rest = i;
        for (var a = ex.axes.length - 1; a >= 0; a--) { this.choice[a] = rest % ex.axes[a].values.length; rest = Math.floor(rest / ex.axes[a].values.length); }
      }
      var self = this;
      ex.axes.forEach(function (axis, a) {
        var input = $("sgd-axis-" + axis.key);
        if (input) { input.value = String(self.choice[a]); input.nextSibling.textContent = axis.text[self.choice[a]]; }
      });
    }
    this.buildNumbers();
    $("sgd-scrub").max = String(this.S.frames - 1);
    this.pos = posOfFrame(this.S, Math.min(frame, this.S.frames - 1));
    if (this.playing) this.clock = { t0: performance.now(), f0: frameOf(this.S, this.pos) };
    this.showRunLabel();
    if (this.panels && this.panels.fit.w) { this.drawStatic(); this.render(true); }
    if (!silent) this.writeHash();
  };

  // A new document in place of this one (render.py --serve redraws each fresh run this way):
  // checked as at start, drawn at the same frame (or the nearest), playing on if it was.
  function checkDoc(doc) {
    if (!doc || doc.format !== FORMAT) throw new Error("not an sgd-anim story");
    if (doc.version !== VERSION) throw new Error("a version " + String(doc.version) + " story; this player reads version " + VERSION);
    if (doc.kind !== undefined && doc.kind !== "story") throw new Error("a " + String(doc.kind) + " cannot be loaded in place of a run");
    if (!Array.isArray(doc.stories) || !doc.stories.length) throw new Error("no run to play");
    if (doc.explore) throw new Error("an explorer cannot be loaded in place of a run");
  }

  Player.prototype.load = function (doc) {
    checkDoc(doc);
    var frame = this.S ? frameOf(this.S, this.pos) : 0;
    this.doc = doc;
    this.contours = doc.contours || null;
    this.runs = doc.stories.map(function () { return null; });
    this.run = 0;
    this.ghost = null;
    this.ghostRun = null;
    this.S = this.story(0);
    this.buildNumbers();
    $("sgd-scrub").max = String(this.S.frames - 1);
    this.pos = posOfFrame(this.S, Math.min(frame, this.S.frames - 1));
    this.textStep = null;
    if (this.playing) this.clock = { t0: performance.now(), f0: frameOf(this.S, this.pos) };
    $("sgd-title").textContent = this.S.title;
    this.drawStatic();
    this.render(true);
    if (!this.playing) this.writeHash();
  };

  Player.prototype.showRunLabel = function () {
    var el = $("sgd-run");
    if (!el) return;
    var S = this.S, R = S.run;
    el.textContent = R.diverged ? "diverged at step " + R.diverged_step : R.n_steps + " steps";
    el.classList.toggle("warn", !!R.diverged);
    $("sgd-title").textContent = S.title;
  };

  // ================================================================== the race (kind "race")
  // A comparison's runs on one clock (scenes/web/race_export.py). Everything per frame comes
  // from the document: a run's path (RaceStory.path) is its first path_n kept vertices and the
  // point shown (line_a, line_b), or, once it has left the view, its exit's kept vertices, mid
  // (when there is one) and exit point; its loss curve the same way (RaceStory.loss_curve);
  // the labels' places (RaceStory.label_positions); the leaderboard's rows, in order.
  function prepareRace(raw) {
    var R = { raw: raw, n: raw.n, frames: raw.plan.frames, fps: raw.plan.fps, grid: raw.grid,
              multi: raw.fit_multiples, fr: {} };
    R.phase = decode(raw.plan.phase);
    Object.keys(raw.frames).forEach(function (k) { R.fr[k] = decode(raw.frames[k]); });
    R.runs = raw.runs.map(function (u) {
      return { label: u.label, colour: u.colour, tag: u.tag, diverged: u.diverged, optimum: u.optimum,
               ka: decode(u.keep_a), kb: decode(u.keep_b), ks: decode(u.keep_samples), kl: decode(u.keep_loss),
               exit: u.exit, lossMark: u.loss_mark };
    });
    R.data = raw.data.map(function (d) { return { x: decode(d.x), y: decode(d.y) }; });
    return R;
  }

  // Rows and columns for n small multiples in a box of width/height `aspect` (the largest
  // square cell wins), as the matplotlib race lays out its grids.
  function gridShape(n, aspect) {
    var best = null;
    for (var cols = 1; cols <= n; cols++) {
      var rows = Math.ceil(n / cols), cell = Math.min(aspect / cols, 1 / rows);
      if (best === null || cell > best[0] + 1e-9) best = [cell, rows, cols];
    }
    return { rows: best[1], cols: best[2] };
  }

  // A panel's part: a plot rectangle of its own in the same canvas (a small multiple).
  function cellPanel(pn, x0, y0, x1, y1, xLim, yLim) {
    var c = Object.create(Panel.prototype);
    c.canvas = pn.canvas; c.ctx = pn.ctx; c.bctx = pn.bctx; c.dpr = pn.dpr; c.w = pn.w; c.h = pn.h;
    c.x0 = x0; c.y0 = y0; c.x1 = x1; c.y1 = y1; c.xLim = xLim; c.yLim = yLim; c.log = false;
    return c;
  }

  function crossMark(ctx, x, y, r, fill, edge, lw) {
    var d = r * 0.75, t = r * 0.32;
    ctx.save(); ctx.translate(x, y); ctx.rotate(Math.PI / 4);
    ctx.beginPath();
    ctx.moveTo(-t, -d); ctx.lineTo(t, -d); ctx.lineTo(t, -t); ctx.lineTo(d, -t); ctx.lineTo(d, t); ctx.lineTo(t, t);
    ctx.lineTo(t, d); ctx.lineTo(-t, d); ctx.lineTo(-t, t); ctx.lineTo(-d, t); ctx.lineTo(-d, -t); ctx.lineTo(-t, -t);
    ctx.closePath();
    ctx.fillStyle = fill; ctx.fill();
    if (edge) { ctx.strokeStyle = edge; ctx.lineWidth = lw; ctx.stroke(); }
    ctx.restore();
  }

  // A title that fits its width: the font shrinks (never below 6 px) until it does.
  function fitFont(ctx, text, px, font, width, bold) {
    var f = px;
    ctx.font = (bold ? "bold " : "") + f + "px " + font;
    var w = ctx.measureText(text).width;
    if (w > width && w > 0) { f = Math.max(6, f * width / w * 0.97); ctx.font = (bold ? "bold " : "") + f + "px " + font; }
    return f;
  }

  function RacePlayer(doc) {
    this.doc = doc;
    this.theme = doc.theme;
    this.R = prepareRace(doc.race);
    this.frame = 0;
    this.textFrame = null;
    this.playing = false;
    this.speed = 1;
    this.loop = false;
    this.drawTimes = [];
    this.lastKey = "";
  }

  RacePlayer.prototype.init = function () {
    var self = this, th = this.theme, root = document.documentElement.style, R = this.R;
    Object.keys(th.colors).forEach(function (k) { root.setProperty("--" + k.replace(/_/g, "-"), th.colors[k]); });
    this.font = '"' + String(th.font_family).replace(/["\\;{}<>]/g, "") + '", "DejaVu Sans", Verdana, system-ui, sans-serif';
    root.setProperty("--font", this.font);
    ["sgd-views"].forEach(function (id) { $(id).hidden = true; });
    document.querySelector(".sgd-values").hidden = true;
    ["sgd-beat-back", "sgd-beat-fwd"].forEach(function (id) { $(id).hidden = true; });
    $("sgd-step-back").title = "Previous frame (\u2190; Shift: a second)";
    $("sgd-step-fwd").title = "Next frame (\u2192; Shift: a second)";
    $("sgd-step-back").setAttribute("aria-label", "Previous frame");
    $("sgd-step-fwd").setAttribute("aria-label", "Next frame");
    $("sgd-keys").textContent = "Space: play or pause \u00b7 \u2190 \u2192: a frame (Shift: a second) \u00b7 Home, End \u00b7 a link to this moment: the address's #frame=";
    var box = $("sgd-race");
    box.hidden = false;
    box.classList.toggle("grid", R.grid);
    $("sgd-race-params-title").textContent = R.grid ? "Each run on the same exact loss contours" : "Paths on the exact loss contours";
    $("sgd-title").textContent = R.raw.title;
    this.panels = { params: new Panel($("sgd-race-params"), "params") };
    if (!R.grid) { this.panels.loss = new Panel($("sgd-race-loss"), "loss"); this.panels.fit = new Panel($("sgd-race-fit"), "fit"); }
    this.buildLeaderboard();
    this.readHash();
    this.bindControls();
    this.resize(true);
    if (window.ResizeObserver) new ResizeObserver(function () { self.resize(false); }).observe(box);
    window.addEventListener("resize", function () { self.resize(false); });
  };

  RacePlayer.prototype.resize = function (force) { resizeViews(this, force, 0.75); };

  // ---------------------------------------------------------------- static layers
  RacePlayer.prototype.drawStatic = function () {
    var R = this.R;
    if (R.grid) this.gridStatic(); else this.paramsStatic();
    if (!R.grid) { this.lossStatic(); this.fitStatic(); }
  };

  RacePlayer.prototype.paramsStatic = function () {
    var P = this, pn = this.panels.params, ctx = pn.bctx, th = this.theme.colors, raw = this.R.raw, L = raw.limits.params;
    pn.begin(ctx);
    ctx.fillStyle = th.background; ctx.fillRect(0, 0, pn.w, pn.h);
    pn.layout(P, [L[0], L[1]], [L[2], L[3]], false);
    pn.axes(P, ctx, "a (slope)", "b (intercept)", true);
    ctx.save(); pn.clipPlot(ctx);
    drawContours(P, ctx, pn, raw.contours[0]);
    var o = this.R.runs[0].optimum;
    star(ctx, pn.px(o[0]), pn.py(o[1]), P.lw * 3.3, th.text, th.panel);
    ctx.restore();
    if (raw.contour_note) {
      ctx.fillStyle = th.text; ctx.font = pn.fontTick + "px " + P.font; ctx.textAlign = "left"; ctx.textBaseline = "bottom";
      ctx.fillText(raw.contour_note, pn.x0 + 4, pn.y1 - 3);
    }
    // The labels' type: as large as the tick labels, and no larger than the box the story
    // placed each label in (its size is given in view fractions at LABEL_EM font sizes).
    var lab = raw.labels, fs = Math.min(pn.fontTick, (pn.x1 - pn.x0) / lab.em[0], (pn.y1 - pn.y0) / lab.em[1]), wmax = 0;
    ctx.font = "bold " + fs + "px " + P.font;
    this.R.runs.forEach(function (r) { wmax = Math.max(wmax, ctx.measureText(r.label).width); });
    var room = (lab.width - 0.01) * (pn.x1 - pn.x0) - 2 * lab.pad * fs;
    if (wmax > room && wmax > 0) fs *= room / wmax;
    this.labelFont = fs;
  };

  RacePlayer.prototype.gridStatic = function () {
    var P = this, pn = this.panels.params, ctx = pn.bctx, th = this.theme.colors, R = this.R, raw = R.raw, L = raw.limits.params;
    // The grid's shape for the design's 16:9 box (so it depends on the width alone), then the
    // canvas as tall as its rows need: no empty band between them.
    var tick = this.theme.sizes.tick * this.u, gap = 10 * this.u, titleH = tick * 1.6;
    var shape = gridShape(R.n, 16 / 9), cw = pn.w / shape.cols, ch = pn.w * 9 / 16 / shape.rows;
    var side = Math.max(10, Math.min(cw - gap, ch - titleH - gap)), rowH = side + titleH + gap;
    var want = Math.ceil(shape.rows * rowH);
    if (Math.abs(want - pn.h) > 1) {
      pn.canvas.style.aspectRatio = pn.w + " / " + want;
      pn.resize(P); // (the ResizeObserver then redraws once more, unchanged)
    }
    pn.begin(ctx);
    ctx.fillStyle = th.background; ctx.fillRect(0, 0, pn.w, pn.h);
    pn.fontTick = tick;
    this.cells = [];
    for (var r = 0; r < R.n; r++) {
      var i = Math.floor(r / shape.cols), j = r % shape.cols, x0 = j * cw + (cw - side) / 2, y0 = i * rowH + titleH;
      var c = cellPanel(pn, x0, y0, x0 + side, y0 + side, [L[0], L[1]], [L[2], L[3]]);
      ctx.fillStyle = th.panel; ctx.fillRect(c.x0, c.y0, side, side);
      ctx.save(); c.clipPlot(ctx);
      drawContours(P, ctx, c, raw.contours[raw.shared_data ? 0 : r]);
      var o = R.runs[r].optimum;
      star(ctx, c.px(o[0]), c.py(o[1]), P.lw * 2.6, th.text, th.panel);
      ctx.restore();
      ctx.strokeStyle = th.muted; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(c.x0 - 0.5, c.y0); ctx.lineTo(c.x0 - 0.5, c.y1 + 0.5); ctx.lineTo(c.x1, c.y1 + 0.5); ctx.stroke();
      fitFont(ctx, R.runs[r].label, tick, P.font, side, false);
      ctx.fillStyle = th.text; ctx.textAlign = "left"; ctx.textBaseline = "bottom";
      ctx.fillText(R.runs[r].label, c.x0, c.y0 - tick * 0.3);
      this.cells.push(c);
    }
  };

  RacePlayer.prototype.lossStatic = function () {
    var P = this, pn = this.panels.loss, ctx = pn.bctx, th = this.theme.colors, ax = this.R.raw.loss_axis;
    pn.begin(ctx);
    ctx.fillStyle = th.background; ctx.fillRect(0, 0, pn.w, pn.h);
    pn.xTicks = ax.ticks.map(function (t) { return { v: t[0], text: t[1] }; });
    pn.layout(P, ax.x, ax.y, true);
    pn.axes(P, ctx, this.R.raw.clock_label, "MSE (log)", true);
  };

  RacePlayer.prototype.fitStatic = function () {
    var P = this, pn = this.panels.fit, ctx = pn.bctx, th = this.theme.colors, R = this.R, L = R.raw.limits.fit;
    pn.begin(ctx);
    ctx.fillStyle = th.background; ctx.fillRect(0, 0, pn.w, pn.h);
    var points = function (c, d, scale) {
      var n = d.x.length, r = P.pointR * scale * Math.min(1, Math.pow(30 / Math.max(n, 1), 0.25));
      ctx.save(); c.clipPlot(ctx);
      ctx.globalAlpha = n <= 100 ? 1 : 0.6; ctx.fillStyle = th.points; ctx.beginPath();
      for (var i = 0; i < n; i++) { var x = c.px(d.x[i]), y = c.py(d.y[i]); ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI); }
      ctx.fill(); ctx.restore();
    };
    this.fitCells = null;
    if (!R.multi) {
      pn.layout(P, [L[0], L[1]], [L[2], L[3]], false);
      pn.axes(P, ctx, "x", "y", true);
      points(pn, R.data[0], 1);
      return;
    }
    var tick = this.theme.sizes.tick * this.u, gap = 6 * this.u, titleH = tick * 1.5;
    var shape = gridShape(R.n, pn.w / pn.h * 1.3), cw = pn.w / shape.cols, ch = pn.h / shape.rows;
    pn.fontTick = tick;
    this.fitCells = [];
    for (var r = 0; r < R.n; r++) {
      var i = Math.floor(r / shape.cols), j = r % shape.cols;
      var c = cellPanel(pn, j * cw + 1, i * ch + titleH, (j + 1) * cw - gap, (i + 1) * ch - gap, [L[0], L[1]], [L[2], L[3]]);
      ctx.fillStyle = th.panel; ctx.fillRect(c.x0, c.y0, c.x1 - c.x0, c.y1 - c.y0);
      ctx.strokeStyle = th.muted; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(c.x0 - 0.5, c.y0); ctx.lineTo(c.x0 - 0.5, c.y1 + 0.5); ctx.lineTo(c.x1, c.y1 + 0.5); ctx.stroke();
      points(c, R.data[R.raw.shared_data ? 0 : r], 0.6);
      c.titleFont = fitFont(ctx, R.runs[r].label, tick, P.font, c.x1 - c.x0, false);
      ctx.fillStyle = th.text; ctx.textAlign = "left"; ctx.textBaseline = "bottom";
      ctx.fillText(R.runs[r].label, c.x0, c.y0 - tick * 0.2);
      this.fitCells.push(c);
    }
  };

  // ---------------------------------------------------------------- per frame
  // Run r's path at frame i (RaceStory.path, as the document's lookup): kept vertices, then
  // (a vertex and) the head. Returns the head [a, b].
  RacePlayer.prototype.pathOf = function (r, i) {
    var R = this.R, F = R.fr, run = R.runs[r], at = i * R.n + r;
    if (F.left[at]) return { n: run.exit.n, mid: run.exit.mid, head: run.exit.point };
    return { n: F.path_n[at], mid: null, head: [F.line_a[at], F.line_b[at]] };
  };

  RacePlayer.prototype.strokePath = function (ctx, c, r, i) {
    var run = this.R.runs[r], p = this.pathOf(r, i), pen = Pen(ctx, c);
    ctx.beginPath();
    for (var j = 0; j < p.n; j++) pen(c.px(run.ka[j]), c.py(run.kb[j]));
    if (p.mid) pen(c.px(p.mid[0]), c.py(p.mid[1]));
    pen(c.px(p.head[0]), c.py(p.head[1]));
    if (p.n === 0 && !p.mid) { var hx = c.px(p.head[0]), hy = c.py(p.head[1]); ctx.moveTo(hx, hy); ctx.lineTo(hx, hy); }
    ctx.stroke();
  };

  RacePlayer.prototype.drawHeads = function (ctx, c, r, i, scale) {
    var R = this.R, F = R.fr, at = i * R.n + r, th = this.theme.colors, lw = this.lw * scale, col = R.runs[r].colour;
    var head = this.pathOf(r, i).head, x = c.px(head[0]), y = c.py(head[1]);
    if (!F.left[at]) dot(ctx, x, y, lw * 1.5, col, th.panel, lw * 0.45);
    if (F.mark[at]) crossMark(ctx, x, y, lw * 3.4, col, th.panel, lw * 0.45);
  };

  RacePlayer.prototype.drawParams = function (i) {
    var R = this.R, pn = this.panels.params, ctx = pn.ctx, self = this, lw = this.lw;
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    if (R.grid) {
      this.cells.forEach(function (c, r) {
        ctx.save(); c.clipPlot(ctx);
        ctx.strokeStyle = R.runs[r].colour; ctx.lineWidth = lw * 0.8;
        self.strokePath(ctx, c, r, i);
        ctx.restore();
        self.drawHeads(ctx, c, r, i, 0.8);
      });
      return;
    }
    ctx.save(); pn.clipPlot(ctx);
    for (var r = 0; r < R.n; r++) { ctx.strokeStyle = R.runs[r].colour; ctx.lineWidth = lw; this.strokePath(ctx, pn, r, i); }
    ctx.restore();
    for (r = 0; r < R.n; r++) this.drawHeads(ctx, pn, r, i, 1);
    this.drawLabels(i);
  };

  // The direct labels where the story placed them (a view fraction u, v: the anchor; the text
  // runs right of it or left), a label away from its head tied to it by a thin line.
  RacePlayer.prototype.drawLabels = function (i) {
    var R = this.R, F = R.fr, pn = this.panels.params, ctx = pn.ctx, th = this.theme.colors, lab = R.raw.labels;
    var L = R.raw.limits.params, fs = this.labelFont, pad = lab.pad * fs;
    ctx.font = "bold " + fs + "px " + this.font; ctx.textBaseline = "middle";
    for (var r = 0; r < R.n; r++) {
      var at = i * R.n + r, run = R.runs[r], right = !!F.label_right[at];
      var u = F.label_u[at] + (right ? lab.offset : -lab.offset), v = F.label_v[at];
      var x = pn.px(L[0] + u * (L[1] - L[0])), y = pn.py(L[2] + v * (L[3] - L[2]));
      if (F.label_leader[at]) {
        var head = this.pathOf(r, i).head;
        ctx.strokeStyle = run.colour; ctx.lineWidth = Math.max(1, 0.9 * this.u);
        ctx.beginPath(); ctx.moveTo(pn.px(head[0]), pn.py(head[1])); ctx.lineTo(x, y); ctx.stroke();
      }
      var w = ctx.measureText(run.label).width, bx = right ? x - pad : x - w - pad;
      ctx.globalAlpha = run.tag ? 1 : 0.8;
      ctx.fillStyle = run.tag ? run.colour : th.panel;
      ctx.fillRect(bx, y - fs * 0.6 - pad, w + 2 * pad, fs * 1.2 + 2 * pad);
      ctx.globalAlpha = 1;
      ctx.fillStyle = run.tag || run.colour; ctx.textAlign = right ? "left" : "right";
      ctx.fillText(run.label, x, y);
    }
  };

  RacePlayer.prototype.drawLoss = function (i) {
    var R = this.R, F = R.fr, pn = this.panels.loss, ctx = pn.ctx, th = this.theme.colors, lw = this.lw * 0.8;
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    for (var r = 0; r < R.n; r++) {
      var at = i * R.n + r, run = R.runs[r], m = F.loss_n[at], hx = F.loss_head_x[at];
      if (Number.isNaN(hx)) continue;
      ctx.save(); pn.clipPlot(ctx);
      ctx.strokeStyle = run.colour; ctx.lineWidth = lw;
      var pen = Pen(ctx, pn);
      ctx.beginPath();
      for (var j = 0; j < m; j++) pen(pn.px(run.ks[j]), pn.py(run.kl[j]));
      pen(pn.px(hx), pn.py(F.loss_head_y[at]));
      ctx.stroke();
      ctx.restore();
      if (!F.loss_mark[at]) dot(ctx, pn.px(hx), clamp(pn.py(F.loss_head_y[at]), pn.y0, pn.y1), lw * 1.3, run.colour, th.panel, lw * 0.35);
    }
    for (r = 0; r < R.n; r++) { // the crosses over every curve
      at = i * R.n + r;
      var lm = R.runs[r].lossMark;
      if (F.loss_mark[at]) crossMark(ctx, pn.px(lm[0]), pn.py(lm[1]), lw * 3.6, R.runs[r].colour, th.panel, lw * 0.45);
    }
  };

  RacePlayer.prototype.drawFit = function (i) {
    var R = this.R, F = R.fr, pn = this.panels.fit, ctx = pn.ctx, th = this.theme.colors, L = R.raw.limits.fit, lw = this.lw * 0.8;
    var cells = this.fitCells;
    for (var r = 0; r < R.n; r++) {
      var at = i * R.n + r, c = cells ? cells[r] : pn, a = F.line_a[at], b = F.line_b[at];
      ctx.save(); c.clipPlot(ctx);
      ctx.strokeStyle = R.runs[r].colour; ctx.lineWidth = lw; ctx.lineCap = "round";
      ctx.beginPath(); segment(ctx, c, c.px(L[0]), c.py(a * L[0] + b), c.px(L[1]), c.py(a * L[1] + b)); ctx.stroke();
      ctx.restore();
      if (cells && F.off[at]) {
        ctx.font = c.titleFont * 0.85 + "px " + this.font; ctx.fillStyle = th.text; ctx.textAlign = "center"; ctx.textBaseline = "middle";
        ctx.fillText("off the chart", (c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2);
      }
    }
  };

  // ---------------------------------------------------------------- leaderboard (DOM)
  RacePlayer.prototype.buildLeaderboard = function () {
    var R = this.R, list = $("sgd-leader-rows"), key = $("sgd-race-key");
    while (list.firstChild) list.removeChild(list.firstChild);
    this.rows = [];
    for (var j = 0; j < R.n; j++) {
      var li = document.createElement("li"), parts = {};
      ["rank", "name", "loss", "info"].forEach(function (k) {
        var el = document.createElement(k === "name" ? "b" : "span"); el.className = k; li.appendChild(el); parts[k] = el;
      });
      list.appendChild(li);
      parts.li = li;
      this.rows.push(parts);
    }
    while (key.firstChild) key.removeChild(key.firstChild);
    R.raw.key.forEach(function (line) { var li = document.createElement("li"); li.textContent = line; key.appendChild(li); });
  };

  // The rows at frame i (RaceStory.leaderboard), formatted as the matplotlib race does.
  RacePlayer.prototype.fillLeaderboard = function (i) {
    var R = this.R, F = R.fr;
    for (var j = 0; j < R.n; j++) {
      var at = i * R.n + j, r = F.rank_run[at], run = R.runs[r], row = this.rows[j], loss = F.rank_loss[at];
      setText(row.rank, (j + 1) + ".");
      setText(row.name, run.label);
      if (row.li.getAttribute("data-run") !== String(r)) {
        row.li.setAttribute("data-run", String(r));
        row.name.style.color = run.tag || run.colour;
        row.name.style.background = run.tag ? run.colour : "none";
      }
      setText(row.loss, fmtLoss(loss), Number.isFinite(loss) ? loss : "inf");
      setText(row.info, "epoch " + fmtEpoch(F.rank_epoch[at]) + " \u00b7 " + R.raw.statuses[F.rank_status[at]], F.rank_epoch[at]);
    }
  };

  // scenes.mpl.race._fmt_loss
  function fmtLoss(v) {
    if (!Number.isFinite(v)) return "\u2014";
    var av = Math.abs(v), out;
    if (v !== 0 && (av >= 1e4 || av < 1e-3)) out = expPy(v, 2);
    else out = fixedPy(v, av < 10 ? 4 : 1);
    return out.replace(/-/g, "\u2212");
  }

  RacePlayer.prototype.render = function (force) {
    var t0 = performance.now(), i = this.frame, R = this.R;
    var text = this.textFrame === null ? i : this.textFrame;
    var key = i + "|" + text;
    if (!force && key === this.lastKey) return;
    this.lastKey = key;
    var P = this.panels;
    Object.keys(P).forEach(function (name) {
      var pn = P[name];
      pn.ctx.setTransform(1, 0, 0, 1, 0, 0);
      pn.ctx.drawImage(pn.bg, 0, 0);
      pn.begin(pn.ctx);
    });
    this.drawParams(i);
    if (!R.grid) { this.drawLoss(i); this.drawFit(i); }
    this.fillLeaderboard(text);
    setText($("sgd-caption"), R.raw.plan.clock_text[text]);
    var scrub = $("sgd-scrub");
    if (String(scrub.value) !== String(i)) scrub.value = String(i);
    setText($("sgd-where"), "frame " + (i + 1) + " / " + R.frames);
    $("sgd-player").setAttribute("data-frame", String(i));
    this.drawTimes.push(performance.now() - t0);
    if (this.drawTimes.length > 20000) this.drawTimes.splice(0, 10000);
  };

  // ---------------------------------------------------------------- moving, playing, the hash
  RacePlayer.prototype.goFrame = function (i) {
    this.frame = clamp(i | 0, 0, this.R.frames - 1);
    this.textFrame = null;
    this.render();
    this.writeHash();
  };

  RacePlayer.prototype.play = function () {
    if (this.playing) return;
    if (this.frame >= this.R.frames - 1) this.frame = 0;
    this.playing = true;
    this.clock = { t0: performance.now(), f0: this.frame };
    this.syncButtons();
    var self = this;
    requestAnimationFrame(function (t) { self.tick(t); });
  };

  RacePlayer.prototype.pause = function () {
    if (!this.playing) return;
    this.playing = false;
    this.textFrame = null;
    this.syncButtons();
    this.render();
    this.writeHash();
  };

  RacePlayer.prototype.tick = function (now) {
    if (!this.playing) return;
    var R = this.R, f = this.clock.f0 + Math.floor(Math.max(0, now - this.clock.t0) / 1000 * R.fps * this.speed);
    if (f >= R.frames) {
      if (this.loop) { this.clock = { t0: now, f0: 0 }; f = 0; }
      else { this.frame = R.frames - 1; this.pause(); return; }
    }
    if (f !== this.frame) {
      this.frame = f;
      // During the race the numbers refresh text_hz times a second (readable), as the video's.
      var every = Math.max(1, Math.round(R.fps / R.raw.plan.text_hz));
      this.textFrame = R.phase[f] === 1 ? f - f % every : null; // (scenes.mpl.race.RaceRenderer.text_frames)
      this.render();
    }
    var self = this;
    requestAnimationFrame(function (t) { self.tick(t); });
  };

  RacePlayer.prototype.syncButtons = Player.prototype.syncButtons;

  RacePlayer.prototype.readHash = function () {
    var h = "";
    try { h = (window.location.hash || "").replace(/^#/, ""); } catch (e) { h = ""; }
    var m = /(?:^|&)frame=(\d+)(?:&|$)/.exec(h);
    if (!m) return false;
    this.frame = clamp(parseInt(m[1], 10), 0, this.R.frames - 1);
    this.textFrame = null;
    return true;
  };

  RacePlayer.prototype.writeHash = Player.prototype.writeHash;

  RacePlayer.prototype.writeHashNow = function () {
    if (this.playing) return;
    try { history.replaceState(null, "", "#frame=" + this.frame); } catch (e) { /* a sandboxed frame: no hash */ }
  };

  RacePlayer.prototype.bindControls = function () {
    var self = this, R = this.R, scrub = $("sgd-scrub");
    scrub.max = String(R.frames - 1);
    $("sgd-play").addEventListener("click", function () { self.playing ? self.pause() : self.play(); });
    $("sgd-step-back").addEventListener("click", function () { self.pause(); self.goFrame(self.frame - 1); });
    $("sgd-step-fwd").addEventListener("click", function () { self.pause(); self.goFrame(self.frame + 1); });
    scrub.addEventListener("input", function () {
      var f = parseInt(scrub.value, 10);
      if (self.playing) { self.clock = { t0: performance.now(), f0: f }; self.frame = f; self.render(); }
      else self.goFrame(f);
    });
    $("sgd-speed").addEventListener("change", function () {
      var v = parseFloat($("sgd-speed").value);
      if (self.playing) self.clock = { t0: performance.now(), f0: self.frame };
      self.speed = v > 0 ? v : 1;
    });
    $("sgd-loop").addEventListener("change", function () { self.loop = $("sgd-loop").checked; });
    window.addEventListener("hashchange", function () { if (self.readHash()) self.render(); });
    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      var tag = e.target && e.target.tagName;
      if (tag === "SELECT" || tag === "TEXTAREA" || (tag === "INPUT" && e.target.type !== "checkbox" && e.target.id !== "sgd-scrub")) return;
      var handled = true, d = e.shiftKey ? R.fps : 1;
      switch (e.key) {
        case " ": case "Spacebar": if (tag === "BUTTON") { handled = false; break; } self.playing ? self.pause() : self.play(); break;
        case "ArrowRight": case "ArrowUp": self.pause(); self.goFrame(self.frame + d); break;
        case "ArrowLeft": case "ArrowDown": self.pause(); self.goFrame(self.frame - d); break;
        case "Home": self.pause(); self.goFrame(0); break;
        case "End": self.pause(); self.goFrame(R.frames - 1); break;
        default: handled = false;
      }
      if (handled) e.preventDefault();
    });
  };

  function startRace(doc) {
    if (!doc.race || !Array.isArray(doc.race.runs) || !doc.race.runs.length) { showError("This page holds no race to play."); return; }
    var player = new RacePlayer(doc);
    try {
      player.init();
    } catch (e) {
      showError("This page's race could not be drawn (" + e.message + ").");
      throw e;
    }
    window.sgdPlayer = {
      version: VERSION, kind: "race", fmt: fmt, fmtLoss: fmtLoss,
      play: function () { player.play(); },
      pause: function () { player.pause(); },
      goFrame: function (i) { player.pause(); player.goFrame(i); },
      frames: function () { return player.R.frames; },
      state: function () { return { frame: player.frame, playing: player.playing, text_frame: player.textFrame }; },
      drawTimes: function () { return player.drawTimes.slice(); },
      resetTimes: function () { player.drawTimes = []; }
    };
    document.documentElement.setAttribute("data-ready", "1");
  }

  // ---------------------------------------------------------------- start
  function start() {
    var doc;
    try {
      doc = JSON.parse($("sgd-story").textContent);
    } catch (e) {
      showError("This page's story could not be read (" + e.message + ").");
      return;
    }
    if (!doc || doc.format !== FORMAT) { showError("This page does not hold an sgd-anim story."); return; }
    if (doc.version !== VERSION) {
      showError("This page holds a version " + String(doc.version) + " story; this player reads version " + VERSION +
                ". Export it again with the sgd-anim that made this player.");
      return;
    }
    // The kind of document: one run's story (no kind: the first documents), or a race.
    var kind = doc.kind === undefined ? "story" : doc.kind;
    if (kind === "race") { startRace(doc); return; }
    if (kind !== "story") { showError("This page holds a document of kind " + String(kind) + "; this player reads a story or a race."); return; }
    if (!Array.isArray(doc.stories) || !doc.stories.length) { showError("This page holds no run to play."); return; }
    var player = new Player(doc);
    try {
      player.init();
      $("sgd-title").textContent = player.S.title;
      if (doc.explore) player.showRunLabel();
    } catch (e) {
      showError("This page's story could not be drawn (" + e.message + ").");
      throw e;
    }
    window.sgdPlayer = {
      version: VERSION,
      fmt: fmt,
      play: function () { player.play(); },
      pause: function () { player.pause(); },
      goFrame: function (i) { player.pause(); player.goFrame(i); },
      goStep: function (k, beat) { player.pause(); player.goStep(k, beat === undefined ? undefined : BEAT_NAMES.indexOf(beat)); },
      setRun: function (r) { player.setRun(r); },
      frames: function () { return player.S.frames; },
      slide: function () { return player.slide; },
      slides: function () { return player.S.segs.length; },
      state: function () {
        var st = stateOf(player.S, player.pos);
        st.frame = frameOf(player.S, player.pos); st.run = player.run; st.playing = player.playing;
        st.ghost_run = player.ghostRun === undefined ? null : player.ghostRun;
        return st;
      },
      arrows: function (k, grow) { return arrowsOf(player.S, k, grow); },
      load: function (next) { player.load(next); },
      drawTimes: function () { return player.drawTimes.slice(); },
      resetTimes: function () { player.drawTimes = []; }
    };
    document.documentElement.setAttribute("data-ready", "1");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
