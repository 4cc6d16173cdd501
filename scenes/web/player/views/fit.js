/* The fit view: the data (a static layer), then per frame the line, the previous one, the
 * batch, its predictions and residuals. */
(function (SGD) {
  "use strict";
  var segment = SGD.segment, Pen = SGD.Pen, curveAt = SGD.curveAt;

  function drawFitStatic(P, pn, S) {
    var ctx = pn.bctx, th = P.theme.colors, L = S.lim.fit;
    pn.begin(ctx);
    ctx.fillStyle = th.background; ctx.fillRect(0, 0, pn.w, pn.h);
    pn.layout(P, [L[0], L[1]], [L[2], L[3]], false);
    pn.axes(P, ctx, "x", "y", true);
    var h2 = pn.canvas.parentNode.querySelector("h2"); // the model's formula (the line's is in the page)
    if (h2) h2.textContent = "Fit:\u00a0 " + (S.M ? S.M.formula : "\u0177 = a\u00b7x + b");
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

  // A model's curve (views of any model but the line): the exported samples at path point i,
  // blended by u toward the next point's (the update beat), as a polyline broken where a
  // sample is not a number.
  function modelCurve(S, i, u) {
    var ys = curveAt(S, i);
    if (u && i + 1 <= S.n) {
      var next = curveAt(S, i + 1);
      for (var j = 0; j < ys.length; j++) ys[j] += u * (next[j] - ys[j]);
    }
    return ys;
  }

  function strokeCurve(ctx, pn, C, ys) {
    var pen = null;
    ctx.beginPath();
    for (var j = 0; j < ys.length; j++) {
      if (!Number.isFinite(ys[j])) { pen = null; continue; }
      if (!pen) pen = Pen(ctx, pn);
      pen(pn.px(C.x[0] + (C.x[1] - C.x[0]) * j / (ys.length - 1)), pn.py(ys[j]));
    }
    ctx.stroke();
  }

  function drawFit(P, pn, S, st) {
    var ctx = pn.ctx, th = P.theme.colors, lw = P.lw, L = S.lim.fit;
    var xs = [L[0], L[1]], ys = null;
    ctx.save(); pn.clipPlot(ctx);
    if (S.M) { // any model but the line: its curve from the exported samples
      var C = S.M.curve;
      if (st.gi >= 0) {
        ctx.globalAlpha = 0.3; ctx.strokeStyle = th.ghost; ctx.lineWidth = lw * 0.8; ctx.lineJoin = "round";
        ctx.setLineDash([lw * 3, lw * 2.2]);
        strokeCurve(ctx, pn, C, modelCurve(S, st.gi, 0));
        ctx.setLineDash([]); ctx.globalAlpha = 1;
      }
      ys = modelCurve(S, st.pi, st.pu);
      ctx.globalAlpha = st.beat === S.B.INTRO ? Math.min(1, 0.15 + st.t * 1.7) : 1;
      ctx.strokeStyle = th.line; ctx.lineWidth = lw; ctx.lineCap = "round"; ctx.lineJoin = "round";
      strokeCurve(ctx, pn, C, ys);
      ctx.globalAlpha = 1;
      drawBatch(P, pn, S, st);
      ctx.restore();
      offChart(P, pn, ys, "curve");
      return;
    }
    if (st.ghost) {
      ctx.globalAlpha = 0.3; ctx.strokeStyle = th.ghost; ctx.lineWidth = lw * 0.8;
      ctx.setLineDash([lw * 3, lw * 2.2]);
      ctx.beginPath();
      segment(ctx, pn, pn.px(xs[0]), pn.py(st.ghost[0] * xs[0] + st.ghost[1]), pn.px(xs[1]), pn.py(st.ghost[0] * xs[1] + st.ghost[1]));
      ctx.stroke();
      ctx.setLineDash([]); ctx.globalAlpha = 1;
    }
    ctx.globalAlpha = st.beat === S.B.INTRO ? Math.min(1, 0.15 + st.t * 1.7) : 1;
    ctx.strokeStyle = th.line; ctx.lineWidth = lw; ctx.lineCap = "round";
    var ya = st.a * xs[0] + st.b, yb = st.a * xs[1] + st.b;
    ctx.beginPath(); segment(ctx, pn, pn.px(xs[0]), pn.py(ya), pn.px(xs[1]), pn.py(yb)); ctx.stroke();
    ctx.globalAlpha = 1;
    drawBatch(P, pn, S, st);
    ctx.restore();
    offChart(P, pn, [ya, yb], "line");
  }

  // The batch ringed, its predictions and the residuals growing from them toward the points.
  function drawBatch(P, pn, S, st) {
    var ctx = pn.ctx, th = P.theme.colors, lw = P.lw;
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
  }

  // A note where the line (or curve) went when it left the chart.
  function offChart(P, pn, ys, what) {
    var ctx = pn.ctx, lo = pn.yLim[0], hi = pn.yLim[1], mn = Infinity, mx = -Infinity;
    for (var i = 0; i < ys.length; i++) if (Number.isFinite(ys[i])) { mn = Math.min(mn, ys[i]); mx = Math.max(mx, ys[i]); }
    if (mn > mx) return; // no finite value: no curve at all (a module of two inputs), not one off the chart
    if (mx < lo || mn > hi) {
      ctx.fillStyle = P.theme.colors.diverged; ctx.font = P.theme.sizes.text * P.u + "px " + P.font;
      ctx.textAlign = "center"; ctx.textBaseline = "top";
      ctx.fillText(what + (mn > hi ? " above the chart" : " below the chart"), (pn.x0 + pn.x1) / 2, pn.y0 + 4);
    }
  }

  SGD.drawFitStatic = drawFitStatic; SGD.drawFit = drawFit;
})(SGD);
