/* Drawing primitives on a canvas: lines cut to the plot, curves thinned to the pixels, markers,
 * arrows, the path's decimation and a title's type fitted to its width. */
(function (SGD) {
  "use strict";

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

  SGD.segment = segment; SGD.Pen = Pen; SGD.Thin = Thin; SGD.star = star; SGD.dot = dot; SGD.arrow = arrow;
  SGD.sampleIndices = sampleIndices; SGD.crossMark = crossMark; SGD.fitFont = fitFont;
})(SGD);
