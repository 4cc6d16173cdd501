/* The words of a recomputed run: captions (scenes/story/captions.py) and speaker notes
 * (scenes/story/notes.py), with numbers written as Python writes them (TWIN.format). */
(function (SGD, TWIN) {
  "use strict";
  var L = SGD.live, B = L.BEAT, pyG = TWIN.format.pyG, pyFixed = TWIN.format.pyFixed;
  var TITLES = { sgd: "mini-batch SGD", momentum: "SGD with momentum", adam: "Adam", rmsprop: "RMSprop", adagrad: "Adagrad" };
  var NOTE_ROWS = 12;

  function num(v) { return pyG(v, 5).replace(/-/g, "\u2212"); } // numbers.fmt_note
  function fixed3(v) { return pyFixed(v, 3); }
  function signed(v) { return (v >= 0 ? "+" : "\u2212") + " " + fixed3(Math.abs(v)); }
  function plural(n, word) { return n + " " + word + (n !== 1 ? "s" : ""); }

  // captions.caption
  function caption(R, beat, first, last) {
    var s = R.cfg, k = first + 1, name = TITLES[s.optimizer], acc = !R.zeroGrad;
    if (beat === B.INTRO) {
      var text = plural(R.x.length, "point") + ", batches of " + s.batch_size + ", learning rate " + pyG(s.lr) + ", " + name;
      return acc ? text + ", no zero_grad()" : text;
    }
    if (beat === B.FORWARD) return "Step " + k + " \u00b7 forward pass: predictions \u0177 = a\u00b7x + b";
    if (beat === B.RESIDUALS) return "Step " + k + " \u00b7 residuals \u0177 \u2212 y and the batch loss";
    if (beat === B.GRADIENT) {
      if (acc) return "Step " + k + " \u00b7 backward pass adds \u2202L/\u2202a, \u2202L/\u2202b to .grad";
      return "Step " + k + " \u00b7 backward pass: \u2202L/\u2202a and \u2202L/\u2202b";
    }
    if (beat === B.UPDATE) return "Step " + k + " \u00b7 update: " + (R.plain ? "a and b step against the gradient" : name + " moves a and b");
    if (beat === B.FAST) {
      var e0 = R.steps.epoch[first] + 1, e1 = R.steps.epoch[last === undefined ? first : last] + 1;
      return e1 > e0 ? "Fast-forward: epochs " + e0 + "\u2013" + e1 : "Fast-forward: epoch " + e0;
    }
    if (R.status.state === "diverged") return "Diverged at step " + R.status.step + ": learning rate " + pyG(s.lr) + " is too large";
    var line = "y' = " + fixed3(R.final.a) + "\u00b7x " + signed(R.final.b);
    if (acc) return "Without zero_grad(), .grad piled up: after " + plural(R.n, "step") + " " + line;
    return "After " + plural(R.n, "step") + ": " + line;
  }

  function pad(text, w) { return " ".repeat(Math.max(0, w - text.length)) + text; }

  function batchLines(R, k) {
    var s = R.cfg, o0 = R.off[k], o1 = R.off[k + 1], rows = [];
    for (var i = o0; i < o1; i++) {
      var j = R.idx[i];
      rows.push([R.x[j], R.y[j], R.pred[i], R.res[i], R.shareA[i], R.shareB[i]].map(num));
    }
    var cols = ["x", "y", "\u0177", "\u0177 \u2212 y", "\u2202L/\u2202a share", "\u2202L/\u2202b share"];
    var shown = rows.slice(0, NOTE_ROWS);
    var widths = cols.map(function (c, i) { return Math.max.apply(null, [c.length].concat(shown.map(function (r) { return r[i].length; }))); });
    var lines = [cols.map(function (c, i) { return pad(c, widths[i]); }).join("  ")];
    shown.forEach(function (r) { lines.push(r.map(function (v, i) { return pad(v, widths[i]); }).join("  ")); });
    if (rows.length > NOTE_ROWS) lines.push("\u2026 and " + (rows.length - NOTE_ROWS) + " more samples; the sums below are over all " + rows.length);
    var st = R.steps, rule = R.plain ? "update = \u2212lr\u00b7\u2202L/\u2202(a, b) with lr = " + pyG(s.lr)
                                      : "update applied by " + TITLES[s.optimizer] + " (lr = " + pyG(s.lr) + ")";
    return ["Step " + (k + 1) + ": batch " + (st.batch[k] + 1) + " of epoch " + (st.epoch[k] + 1) + ", " + rows.length +
            " samples; before the step a = " + num(st.a[k]) + ", b = " + num(st.b[k])]
      .concat(lines, ["L = mean((\u0177 \u2212 y)\u00b2) = " + num(st.loss[k]),
                      "\u2202L/\u2202a = " + num(st.grad_a[k]) + ", \u2202L/\u2202b = " + num(st.grad_b[k]) + " (the sums of the shares)",
                      rule + ": \u0394a = " + num(st.update_a[k]) + ", \u0394b = " + num(st.update_b[k]),
                      "after the step a = " + num(R.pathA[k + 1]) + ", b = " + num(R.pathB[k + 1])]);
  }

  function dataWords(R) {
    var d = R.cfg.data || { kind: "article" }, n = R.x.length;
    if (d.kind === "article") return "the article's six points";
    if (d.kind === "csv") return String(d.path || "").split(/[\\/]/).pop() + ", " + n + " points";
    if (d.kind === "synthetic") return "synthetic, " + n + " points";
    return String(d.kind);
  }

  function settingsLines(R) {
    var s = R.cfg, lines = ["optimizer: " + TITLES[s.optimizer], "learning rate: " + pyG(s.lr), "batch size: " + s.batch_size,
                            "epochs: " + s.epochs + " (" + R.n + " steps)"];
    if (R.takesMomentum && R.momentum) lines.push("momentum: " + pyG(R.momentum) + (s.nesterov ? " (Nesterov)" : ""));
    if (s.optimizer === "adam") lines.push("betas: " + pyG(s.beta1) + ", " + pyG(s.beta2));
    if (s.weight_decay) lines.push("weight decay: " + pyG(s.weight_decay));
    lines.push("data: " + dataWords(R) + (s.shuffle ? ", shuffled" : ""), "start: a = " + num(s.init_a) + ", b = " + num(s.init_b));
    return lines;
  }

  function summaryLines(R) {
    var lines = [], ls = L.leastSquares(R.x, R.y);
    if (R.status.state === "diverged") lines.push("diverged at step " + R.status.step + ": " + R.status.reason);
    return lines.concat(["after " + R.n + " steps:", "    a = " + num(R.final.a) + ", b = " + num(R.final.b),
                         "    full-data loss " + num(R.finalFull), "at the start:", "    full-data loss " + num(R.startFull),
                         "least squares:", "    a = " + num(ls[0]) + ", b = " + num(ls[1]),
                         "    full-data loss " + num(L.mse(R.m, ls[0], ls[1]))]);
  }

  // notes.notes
  function notes(R, beat, first, last) {
    if (beat === B.INTRO) return settingsLines(R).concat(["full-data loss at the start: " + num(R.startFull)]);
    if (beat === B.HOLD) return summaryLines(R);
    if (beat !== B.FAST) return batchLines(R, first);
    var st = R.steps;
    return ["steps " + (first + 1) + " to " + (last + 1) + ", epochs " + (st.epoch[first] + 1) + " to " + (st.epoch[last] + 1),
            "full-data loss " + num(st.full_loss[first]) + " \u2192 " + num(L.mse(R.m, R.pathA[last + 1], R.pathB[last + 1])),
            "after step " + (last + 1) + ": a = " + num(R.pathA[last + 1]) + ", b = " + num(R.pathB[last + 1])];
  }

  L.TITLES = TITLES; L.caption = caption; L.notes = notes; L.pyG = pyG; L.num = num;
})(SGD, TWIN);
