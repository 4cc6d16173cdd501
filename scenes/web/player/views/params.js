/* The parameter view: the loss contours, the optimum and the legend (a static layer), then
 * per frame the path of (a, b), the point and the arrows. */
(function (SGD) {
  "use strict";
  var decode = SGD.decode, decodePaths = SGD.decodePaths, pathA = SGD.pathA, pathB = SGD.pathB, arrowsOf = SGD.arrowsOf, Pen = SGD.Pen,
      arrow = SGD.arrow, dot = SGD.dot, sampleIndices = SGD.sampleIndices, star = SGD.star,
      legend = SGD.legend, clamp = SGD.clamp, $ = SGD.$;

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
    C.decoded = C.decoded || { bands: C.bands.map(function (b) { return decodePaths(b.path); }), lines: decodePaths(C.lines) };
    C.bands.forEach(function (b, i) {
      trace(C.decoded.bands[i]);
      ctx.fillStyle = b.color; ctx.fill("evenodd");
    });
    trace(C.decoded.lines);
    ctx.globalAlpha = 0.6; ctx.strokeStyle = th.muted; ctx.lineWidth = Math.max(0.6, 0.6 * P.u); ctx.stroke();
    ctx.globalAlpha = 1;
  }

  function drawParamsStatic(P, pn, S, ghostRun) {
    if (S.M && !S.M.plane.exact) ghostRun = null; // another run's plane: its path means nothing here
    var ctx = pn.bctx, th = P.theme.colors, L = S.lim.params, C = P.contours || S.raw.contours;
    pn.pathLayer = pathLayer(pn, S);
    pn.begin(ctx);
    ctx.fillStyle = th.background; ctx.fillRect(0, 0, pn.w, pn.h);
    pn.layout(P, [L[0], L[1]], [L[2], L[3]], false);
    var plane = S.M ? S.M.plane : null; // any model but the line: its pair, or a plane through parameter space
    pn.axes(P, ctx, plane ? plane.labels[0] : "a (weight)", plane ? plane.labels[1] : "b (bias)", false);
    var title = $("sgd-scale").parentNode.firstChild; // "Parameter space" or "Loss landscape"
    if (title && title.nodeType === 3) title.nodeValue = (plane ? plane.title : "Parameter space") + " ";
    ctx.save(); pn.clipPlot(ctx);
    if (C) drawContours(P, ctx, pn, C);
    if (ghostRun) { // the previous run's path, faint: for comparison in the explorer
      ctx.globalAlpha = 0.35; ctx.strokeStyle = th.muted; ctx.lineWidth = P.lw * 0.6; ctx.setLineDash([P.lw * 2, P.lw * 1.5]);
      drawPath(ctx, pn, ghostRun, ghostRun.pathLen, null, PATH_POINTS);
      ctx.stroke(); ctx.setLineDash([]); ctx.globalAlpha = 1;
    }
    if (S.optimum) star(ctx, pn.px(S.optimum[0]), pn.py(S.optimum[1]), P.lw * 3.3, th.text, th.panel);
    ctx.restore();
    var items = [{ label: "update applied", color: th.update, width: P.lw },
                 // a run whose full-batch step is not known (a module's own loop) has no such arrow: said so
                 S.arrowKeys.length && S.arrowKeys.indexOf("full") < 0
                   ? { label: "full-batch step: not known", color: th.full_gradient, width: P.lw, dash: [P.lw, P.lw * 1.5] }
                   : { label: "full-batch step \u2212lr\u00b7\u2207L", color: th.full_gradient, width: P.lw }];
    if (S.carry) items.push({ label: S.carry, color: th.velocity, width: P.lw });
    if (S.optimum) items.push({ label: "optimum", color: th.text, star: true });
    if (ghostRun) items.push({ label: "previous run: " + ghostRun.label, color: th.muted, width: P.lw * 0.6, alpha: 0.6, dash: [P.lw * 2, P.lw * 1.5] });
    var box = legend(P, ctx, pn, S.raw.params_legend, items, true);
    if (S.lim.clipped) {
      ctx.fillStyle = th.diverged; ctx.font = pn.fontTick + "px " + P.font; ctx.textAlign = "left"; ctx.textBaseline = "top";
      ctx.fillText("the path leaves this view", pn.x0 + 6, pn.y0 + 5);
    }
    if (plane && plane.off_plane) offPlane(P, ctx, pn, plane.off_plane, box);
  }

  // Whether the note beside the view's title fits in the panel's width (as matplotlib's view
  // keeps only the arrows' magnification where the contours' words would meet the title).
  function noteFits(P, pn, title, note) {
    var ctx = pn.ctx, sz = P.theme.sizes;
    ctx.save();
    ctx.font = "700 " + sz.title * P.u + "px " + P.font;
    var tw = ctx.measureText(title).width;
    ctx.font = sz.tick * P.u + "px " + P.font;
    var nw = ctx.measureText(note).width;
    ctx.restore();
    return tw + nw + 2 * sz.tick * P.u <= pn.w;
  }

  // A projection's honesty, bottom left on a panel-coloured box: how far the path leaves the plane.
  function offPlane(P, ctx, pn, text, legendBox) {
    var th = P.theme.colors, fs = pn.fontTick * 0.9, pad = fs * 0.35;
    ctx.font = fs + "px " + P.font;
    var w = Math.min(ctx.measureText(text).width, pn.x1 - pn.x0 - 4 * pad), x = pn.x0 + fs * 0.5, y = pn.y1 - fs * 0.5;
    var L = legendBox;
    if (L && x + w + pad > L.x && y - fs - 2 * pad < L.y + L.h && y > L.y) y = pn.y0 + fs * 1.5 + 2 * pad; // a narrow view: above
    ctx.globalAlpha = 0.8; ctx.fillStyle = th.panel; ctx.fillRect(x - pad, y - fs - 2 * pad, w + 2 * pad, fs + 2 * pad);
    ctx.globalAlpha = 1; ctx.fillStyle = th.text; ctx.textAlign = "left"; ctx.textBaseline = "bottom";
    ctx.fillText(text, x, y - pad, w);
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
    var note = S.M ? S.M.plane.contour_label : "L(a, b) contours";
    if (S.M && !noteFits(P, pn, S.M.plane.title, note + (S.n ? " \u00b7 arrows \u00d7" + S.scales[S.scales.length - 1][1] : ""))) note = "";
    if (st.arrow_frac > 0 && S.n && st.beat !== S.B.HOLD) {
      var widths = { full: [th.full_gradient, 0.9], update: [th.update, 0.9], carry: [th.velocity, 0.6] };
      arrowsOf(S, st.step, st.arrow_frac).forEach(function (ar) {
        var w = widths[ar.key];
        arrow(ctx, pn.px(ar.start[0]), pn.py(ar.start[1]), pn.px(ar.end[0]), pn.py(ar.end[1]), w[0], lw * w[1], ar.clipped);
      });
      var sc = S.scales[S.scaleIndex[st.step]];
      if (sc[0] > 1) note += (note ? " \u00b7 " : "") + "arrows \u00d7" + sc[1];
    }
    // A point that has left the view (a diverging run) waits at its edge, as in the video.
    var cx = clamp(pn.px(st.a), pn.x0, pn.x1), cy = clamp(pn.py(st.b), pn.y0, pn.y1);
    dot(ctx, cx, cy, lw * 1.7, th.line, th.panel, lw * 0.4);
    ctx.restore();
    return note;
  }

  SGD.drawContours = drawContours; SGD.drawParams = drawParams; SGD.drawParamsStatic = drawParamsStatic;
})(SGD);
