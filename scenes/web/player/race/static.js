/* The race's static layers: contours and optima (one plot, or a cell per run), the loss axes,
 * the data. */
(function (SGD) {
  "use strict";
  var fitFont = SGD.fitFont, star = SGD.star, cellPanel = SGD.cellPanel, drawContours = SGD.drawContours,
      RacePlayer = SGD.RacePlayer;

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

  // The note on the view, bottom left, a line per line of the story's (whose data; for a
  // plane through parameter space, what plane and how faithful, on a panel-coloured box).
  function contourNote(P, ctx, pn, text, boxed) {
    var th = P.theme.colors, lines = String(text).split("\n"), fs = pn.fontTick * (boxed ? 0.9 : 1), lh = fs * 1.25;
    ctx.font = fs + "px " + P.font;
    var room = pn.x1 - pn.x0 - 8, w = 0;
    lines.forEach(function (l) { w = Math.max(w, ctx.measureText(l).width); });
    if (w > room) { fs *= room / w; lh = fs * 1.25; ctx.font = fs + "px " + P.font; w = room; }
    if (boxed) {
      ctx.globalAlpha = 0.85; ctx.fillStyle = th.panel;
      ctx.fillRect(pn.x0 + 1, pn.y1 - 6 - lh * lines.length, w + 7, lh * lines.length + 5); ctx.globalAlpha = 1;
    }
    ctx.fillStyle = th.text; ctx.textAlign = "left"; ctx.textBaseline = "bottom";
    lines.forEach(function (l, i) { ctx.fillText(l, pn.x0 + 4, pn.y1 - 3 - (lines.length - 1 - i) * lh); });
  }

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
    var M = this.R.M;
    pn.axes(P, ctx, M ? M.words.axis_labels[0] : "a (slope)", M ? M.words.axis_labels[1] : "b (intercept)", true);
    ctx.save(); pn.clipPlot(ctx);
    drawContours(P, ctx, pn, raw.contours[0]);
    var o = this.R.runs[0].optimum;
    if (o) star(ctx, pn.px(o[0]), pn.py(o[1]), P.lw * 3.3, th.text, th.panel);
    ctx.restore();
    if (raw.contour_note) contourNote(P, ctx, pn, raw.contour_note, !!M);
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
      if (o) star(ctx, c.px(o[0]), c.py(o[1]), P.lw * 2.6, th.text, th.panel);
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
    pn.axes(P, ctx, this.R.raw.clock_label, (this.R.M ? this.R.M.words.loss_name : "MSE") + " (log)", true);
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
})(SGD);
