/* The race at a frame: every run's path, head and label, loss curve and fit line. */
(function (SGD) {
  "use strict";
  var clamp = SGD.clamp, Pen = SGD.Pen, crossMark = SGD.crossMark, dot = SGD.dot, segment = SGD.segment,
      RacePlayer = SGD.RacePlayer;

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

  // Row `row` of the exported curves (samples across the fit view), broken where not a number.
  function curve(ctx, c, C, row) {
    var pen = null, base = row * C.m, span = C.hi - C.lo;
    ctx.beginPath();
    for (var j = 0; j < C.m; j++) {
      var q = C.y[base + j];
      if (q === 65535) { pen = null; continue; }
      if (!pen) pen = Pen(ctx, c);
      pen(c.px(C.x[0] + (C.x[1] - C.x[0]) * j / (C.m - 1)), c.py(C.lo + q / C.q * span));
    }
    ctx.stroke();
  }

  RacePlayer.prototype.drawFit = function (i) {
    var R = this.R, F = R.fr, pn = this.panels.fit, ctx = pn.ctx, th = this.theme.colors, L = R.raw.limits.fit, lw = this.lw * 0.8;
    var cells = this.fitCells;
    for (var r = 0; r < R.n; r++) {
      var at = i * R.n + r, c = cells ? cells[r] : pn, a = F.line_a[at], b = F.line_b[at];
      ctx.save(); c.clipPlot(ctx);
      ctx.strokeStyle = R.runs[r].colour; ctx.lineWidth = lw; ctx.lineCap = "round"; ctx.lineJoin = "round";
      if (R.M) curve(ctx, c, R.M.curve, F.curve_row[at]); // any other model: the run's curve
      else { ctx.beginPath(); segment(ctx, c, c.px(L[0]), c.py(a * L[0] + b), c.px(L[1]), c.py(a * L[1] + b)); ctx.stroke(); }
      ctx.restore();
      if (cells && F.off[at]) {
        ctx.font = c.titleFont * 0.85 + "px " + this.font; ctx.fillStyle = th.text; ctx.textAlign = "center"; ctx.textBaseline = "middle";
        ctx.fillText("off the chart", (c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2);
      }
    }
  };
})(SGD);
