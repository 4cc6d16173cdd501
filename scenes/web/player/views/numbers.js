/* The numbers (DOM): the batch's table, the lines under it and the header's values at this
 * step, as the matplotlib views print them. */
(function (SGD) {
  "use strict";
  var fmt = SGD.fmt, $ = SGD.$, setText = SGD.setText, pathA = SGD.pathA, pathB = SGD.pathB,
      Player = SGD.Player;

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
    $("sgd-sum-label").textContent = this.S.run.sum_label; // "accumulated .grad" without zero_grad()
    this.labelNumbers();
  };

  // The table's heads, its share columns and the header's labels, in the model's words (the
  // line's are the page's own); more than two parameters: no shares, the norms in the header.
  var LINE_HEADS = ["x", "y", "\u0177", "\u0177 \u2212 y", "\u2202L/\u2202a\nshare", "\u2202L/\u2202b\nshare"];
  var LINE_HEADER = ["epoch", "batch", "a =", "b =", "L =", "\u2202L/\u2202a =", "\u2202L/\u2202b ="];
  Player.prototype.labelNumbers = function () {
    var M = this.S.M, heads = M ? M.heads : LINE_HEADS, shares = !M || M.shares;
    var table = $("sgd-rows").parentNode, ths = table.querySelectorAll("thead th");
    table.classList.toggle("sgd-no-shares", !shares);
    for (var j = 0; j < ths.length; j++) {
      var th = ths[j];
      while (th.firstChild) th.removeChild(th.firstChild);
      (heads[j] || "").split("\n").forEach(function (part, i) {
        if (i) th.appendChild(document.createElement("br"));
        th.appendChild(document.createTextNode(part));
      });
      th.hidden = j >= heads.length;
    }
    this.cells.forEach(function (row) { row[4].hidden = row[5].hidden = !shares; });
    var more = $("sgd-more").parentNode.children;
    for (j = 1; j < more.length; j++) more[j].hidden = !shares;
    $("sgd-sum-a").parentNode.hidden = !shares;
    var header = M ? M.header : LINE_HEADER, ids = ["sgd-epoch", "sgd-batch", "sgd-a", "sgd-b", "sgd-L", "sgd-ga", "sgd-gb"];
    var labels = header.length === 7 ? header : [header[0], header[1], "", "", header[2], header[3], header[4]];
    ids.forEach(function (id, i) {
      var span = $(id).parentNode;
      span.hidden = !labels[i];
      if (labels[i] && span.firstChild.nodeType === 3) span.firstChild.nodeValue = labels[i];
    });
  };

  Player.prototype.fillTable = function (k, st) {
    var S = this.S, B = S.B, o0 = S.off[k], o1 = S.off[k + 1], m = o1 - o0;
    var showPred = st.pred_alpha > 0.5 || st.beat !== B.FORWARD;
    var showRes = st.residual_frac > 0.3 || st.beat === B.GRADIENT || st.beat === B.UPDATE || st.beat === B.FAST || st.beat === B.HOLD;
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
    var S = this.S, B = S.B, R = S.run, k = st.step, lines = ["", "", ""];
    if (S.M) return this.updateModelText(st);
    if (S.n === 0) {
      this.clearTable();
      lines = ["a = " + fmt(st.a) + "     b = " + fmt(st.b), "no steps were recorded", ""];
    } else if (st.beat === B.INTRO) {
      this.clearTable();
      lines = ["start:  a = " + fmt(st.a) + "     b = " + fmt(st.b),
               "learning rate lr = " + R.lr_text + ",  batch size = " + R.first_batch, ""];
    } else if (st.beat === B.HOLD) {
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
    this.updateHeader(st, S.final.full_loss);
    setText($("sgd-a"), fmt(st.a), st.a);
    setText($("sgd-b"), fmt(st.b), st.b);
    var grads = S.n && st.show_grad && st.beat !== B.HOLD;
    setText($("sgd-ga"), grads ? fmt(S.grad_a[k]) : "\u2014", grads ? S.grad_a[k] : null);
    setText($("sgd-gb"), grads ? fmt(S.grad_b[k]) : "\u2014", grads ? S.grad_b[k] : null);
  };

  function signed(v) { return (v >= 0 ? "+" : "") + fmt(v); }

  // Any model but the line (scenes.mpl.views.numbers_layout.numbers_lines): the intro's and
  // the end's lines come written; a step's are its numbers in the model's words.
  Player.prototype.updateModelText = function (st) {
    var S = this.S, B = S.B, M = S.M, V = M.vector, k = st.step, lines = ["", "", ""], names = M.names;
    if (S.n === 0) { this.clearTable(); lines = M.lines.empty; }
    else if (st.beat === B.INTRO) { this.clearTable(); lines = M.lines.intro; }
    else if (st.beat === B.HOLD) { this.fillTable(S.n - 1, st); lines = M.lines.hold; }
    else {
      this.fillTable(k, st);
      lines = [st.show_loss ? "batch loss L = " + fmt(S.loss[k], 5) : "", "", ""];
      if (V) { // P > 2: norms and the largest updates
        if (st.show_update) {
          var top = [];
          for (var i = 0; i < V.top; i++) top.push(names[V.topIndex[k * V.top + i]] + " " + signed(V.topValue[k * V.top + i]));
          lines[1] = "|\u2207L| = " + fmt(V.gradNorm[k]) + "     |\u0394\u03b8| = " + fmt(V.updateNorm[k]);
          lines[2] = "largest \u0394:  " + top.join(",  ");
        } else if (st.show_grad) {
          lines[1] = "|\u2207L| = " + fmt(V.gradNorm[k]) + "  (all " + names.length + " partial derivatives)";
          lines[2] = V.rule;
        } else {
          lines[1] = names.length + " parameters,  |\u03b8| = " + fmt(V.thetaNorm[k]);
        }
      } else if (st.show_update) {
        lines[1] = names[0] + ":  " + fmt(S.a[k]) + " \u2192 " + fmt(pathA(S, k + 1)) + "   (\u0394" + names[0] + " = " + fmt(S.update_a[k]) + ")";
        lines[2] = names[1] + ":  " + fmt(S.b[k]) + " \u2192 " + fmt(pathB(S, k + 1)) + "   (\u0394" + names[1] + " = " + fmt(S.update_b[k]) + ")";
      } else if (st.show_grad) {
        lines[1] = S.run.next_text;
      } else {
        lines[1] = names[0] + " = " + fmt(S.a[k]) + "     " + names[1] + " = " + fmt(S.b[k]);
      }
    }
    for (var j = 0; j < 3; j++) setText($("sgd-line-" + j), lines[j]);
    this.updateHeader(st, M.holdLoss);
    var grads = S.n && st.show_grad && st.beat !== B.HOLD;
    if (V) {
      var upd = S.n && st.show_update && st.beat !== B.HOLD;
      setText($("sgd-ga"), grads ? fmt(V.gradNorm[k]) : "\u2014", grads ? V.gradNorm[k] : null);
      setText($("sgd-gb"), upd ? fmt(V.updateNorm[k]) : "\u2014", upd ? V.updateNorm[k] : null);
    } else {
      setText($("sgd-a"), fmt(st.a), st.a);
      setText($("sgd-b"), fmt(st.b), st.b);
      setText($("sgd-ga"), grads ? fmt(S.grad_a[k]) : "\u2014", grads ? S.grad_a[k] : null);
      setText($("sgd-gb"), grads ? fmt(S.grad_b[k]) : "\u2014", grads ? S.grad_b[k] : null);
    }
  };

  // The header's epoch, batch and loss (the end's: the full-data loss ``holdLoss``).
  Player.prototype.updateHeader = function (st, holdLoss) {
    var S = this.S, B = S.B, R = S.run, k = st.step;
    var ep = "\u2014", bt = "\u2014";
    if (S.n) {
      ep = (S.epoch[k] + 1) + "/" + R.epochs; bt = (S.batch[k] + 1) + "/" + R.steps_per_epoch;
      if (st.beat === B.INTRO) { ep = "\u2014"; bt = "\u2014"; }
      if (st.beat === B.HOLD) { ep = (S.epoch[S.n - 1] + 1) + "/" + R.epochs; bt = "done"; }
    }
    var loss = "\u2014", lossV = null;
    if (S.n && st.show_loss && st.beat !== B.HOLD) { lossV = S.loss[k]; loss = fmt(lossV, 5); }
    if (st.beat === B.HOLD && S.n) { lossV = holdLoss; loss = fmt(lossV, 5); }
    setText($("sgd-epoch"), ep);
    setText($("sgd-batch"), bt);
    setText($("sgd-L"), loss, lossV);
  };
})(SGD);
