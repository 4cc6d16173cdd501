/* A view's canvas (a Panel): its size at the page's pixel ratio, the plot inside the margins,
 * axes and ticks, data mapped to pixels, legends, and cells of one canvas (small multiples). */
(function (SGD) {
  "use strict";
  var linearTicks = SGD.linearTicks, logTicks = SGD.logTicks, star = SGD.star;

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
    return { x: x, y: y, w: w, h: h }; // where it went (a note beside it keeps clear)
  }

  // A panel's part: a plot rectangle of its own in the same canvas (a small multiple).
  function cellPanel(pn, x0, y0, x1, y1, xLim, yLim) {
    var c = Object.create(Panel.prototype);
    c.canvas = pn.canvas; c.ctx = pn.ctx; c.bctx = pn.bctx; c.dpr = pn.dpr; c.w = pn.w; c.h = pn.h;
    c.x0 = x0; c.y0 = y0; c.x1 = x1; c.y1 = y1; c.xLim = xLim; c.yLim = yLim; c.log = false;
    return c;
  }

  SGD.Panel = Panel; SGD.legend = legend; SGD.cellPanel = cellPanel;
})(SGD);
