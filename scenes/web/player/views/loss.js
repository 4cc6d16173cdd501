/* The loss view: the batch and the full-data loss per step, up to the frame's step. */
(function (SGD) {
  "use strict";
  var clamp = SGD.clamp, Pen = SGD.Pen, Thin = SGD.Thin, dot = SGD.dot, legend = SGD.legend;

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
    pn.axes(P, ctx, "step", S.M ? S.M.lossName : "MSE", true);
    pn.blocks = lossBlocks(S, LOSS_POINTS);
    pn.surface = S.M && S.M.surface && S.n ? surfaceBlocks(S.M.surface, pn.blocks.stride) : null;
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
    // run.full_loss_words: a loop recorded without x, y, whose "full-data" column is its batch
    // loss (scenes.story.loss_words); then one entry for the two curves of the same numbers.
    var full = S.run.full_loss_words || "full-data loss";
    var items = [{ label: label, color: th.loss_batch, width: lw * 0.45, alpha: 0.85 },
                 { label: full, color: th.loss_full, width: lw }];
    if (S.run.full_loss_words && pn.blocks.stride === 1) items.shift();
    pn.canvas.setAttribute("aria-label", S.run.full_loss_words ? "Batch loss per step (the full-data loss was not recorded)"
                                                               : "Batch loss and full-data loss per step");
    if (pn.surface) items.push({ label: "plane's loss under the path", color: th.path, width: lw * 0.8, dash: [lw * 2.4, lw * 1.6] });
    legend(P, ctx, pn, ax.legend, items, false);
  }

  // The plane's loss under the projected path (P > 2), in blocks as the full-data loss.
  function surfaceBlocks(y, stride) {
    var B = { y: y };
    if (stride === 1) return B;
    var nb = Math.floor(y.length / stride);
    B.envX = new Float64Array(2 * nb); B.envY = new Float64Array(2 * nb);
    for (var b = 0; b < nb; b++) {
      var s0 = b * stride, mi = s0, ma = s0;
      for (var i = s0; i < s0 + stride; i++) { if (y[i] < y[mi]) mi = i; if (y[i] > y[ma]) ma = i; }
      var first = Math.min(mi, ma), second = Math.max(mi, ma);
      B.envX[2 * b] = first; B.envY[2 * b] = y[first]; B.envX[2 * b + 1] = second; B.envY[2 * b + 1] = y[second];
    }
    return B;
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
    if (pn.surface) { // dashed: where it parts from the full-data loss, the path is off the plane
      ctx.strokeStyle = th.path; ctx.lineWidth = lw * 0.8; ctx.setLineDash([lw * 2.4, lw * 1.6]);
      drawCurve(ctx, pn, m, pn.surface.y, pn.surface.envX, pn.surface.envY, 2, B.stride, false);
      ctx.setLineDash([]);
    }
    ctx.restore();
  }

  // The full-data loss after the last step, at x = n: the L the header shows at the end. The
  // curve holds the loss before each step; without this it stops a step short (a diverging
  // run's an order of magnitude below its L), as scenes.mpl.views.LossView's no longer does.
  function strokeEnd(P, ctx, pn, S) {
    var end = S.final.full_loss;
    if (S.run.full_loss_words || end === null || end === undefined || !isFinite(end)) return;
    ctx.save(); pn.clipPlot(ctx);
    ctx.lineJoin = "round"; ctx.strokeStyle = P.theme.colors.loss_full; ctx.lineWidth = P.lw;
    ctx.beginPath(); ctx.moveTo(pn.px(S.n - 1), pn.py(S.full_loss[S.n - 1])); ctx.lineTo(pn.px(S.n), pn.py(end));
    ctx.stroke();
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
    if (m >= S.n && (st.beat === S.B.FAST || st.beat === S.B.HOLD)) strokeEnd(P, ctx, pn, S);
    if (m > 0 && st.beat !== S.B.HOLD) {
      var k = m - 1, x = pn.px(k);
      ctx.strokeStyle = th.muted; ctx.lineWidth = Math.max(1, lw * 0.35); ctx.setLineDash([1.5, 2.5]);
      ctx.beginPath(); ctx.moveTo(x, pn.y0); ctx.lineTo(x, pn.y1); ctx.stroke(); ctx.setLineDash([]);
      var y = clamp(pn.py(S.loss[k]), pn.y0, pn.y1);
      dot(ctx, x, y, lw * 1.5, th.loss_batch, th.panel, lw * 0.4);
    }
  }

  SGD.drawLoss = drawLoss; SGD.drawLossStatic = drawLossStatic;
})(SGD);
