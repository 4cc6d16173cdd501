/* A run the twin recomputed (TWIN.record) as the story document export.export_story writes
 * for a recorded one, so the player draws it through the same code. Numbers stay typed
 * arrays (the player's decode takes them as they are); every derived quantity is computed
 * as the Python story computes it: story_geometry.js, story_arrows.js, story_plan.js,
 * story_words.js, story_contours.js. tests/web/test_live_story.py compares the two. */
(function (SGD, TWIN) {
  "use strict";
  var L = SGD.live, B = L.BEAT;
  var MOMENTUM_TAKERS = { sgd: true, momentum: true, rmsprop: true };

  function append(col, v) { var out = new Float64Array(col.length + 1); out.set(col); out[col.length] = v; return out; }

  // The run, with what the story's parts read: its settings, columns, path and batches.
  function runOf(trace) {
    var cfg = trace.config, st = trace.steps, n = trace.n_steps, x = Float64Array.from(trace.x), y = Float64Array.from(trace.y);
    var R = { cfg: cfg, steps: st, n: n, x: x, y: y, status: trace.status, final: trace.final,
              a: st.a, b: st.b, loss: st.loss, full_loss: st.full_loss };
    R.pathA = append(st.a, trace.final.a); R.pathB = append(st.b, trace.final.b);
    R.m = L.moments(x, y);
    R.finalFull = L.mse(R.m, trace.final.a, trace.final.b);
    R.startFull = L.mse(R.m, R.pathA[0], R.pathB[0]);
    R.takesMomentum = !!MOMENTUM_TAKERS[cfg.optimizer];
    R.momentum = R.takesMomentum ? (cfg.momentum || 0) : 0;
    R.zeroGrad = cfg.zero_grad !== false;
    R.plain = (cfg.optimizer === "sgd" || cfg.optimizer === "momentum") && R.momentum === 0 && cfg.weight_decay === 0;
    var per = TWIN.settings.batchesPerEpoch(x.length, cfg.batch_size, cfg.drop_last), most = 0;
    for (var k = 0; k < n; k++) if (st.batch[k] + 1 > most) most = st.batch[k] + 1;
    R.stepsPerEpoch = Math.max(per, most, 1);
    R.off = n ? st.indices.offsets : new Int32Array(1);
    R.idx = n ? st.indices.values : new Int32Array(0);
    R.pred = n ? st.pred.values : new Float64Array(0);
    R.res = n ? st.residual.values : new Float64Array(0);
    var m = R.idx.length;
    R.shareA = new Float64Array(m); R.shareB = new Float64Array(m);
    for (k = 0; k < n; k++) {
      var o0 = R.off[k], o1 = R.off[k + 1], share = 2.0 / (o1 - o0);
      for (var i = o0; i < o1; i++) { R.shareB[i] = share * R.res[i]; R.shareA[i] = share * R.res[i] * x[R.idx[i]]; }
    }
    R.carry = n ? L.carry(R) : null;
    return R;
  }

  function planBlock(R, plan, segs, withNotes) {
    var out = { fps: plan.fps, frames: plan.step.length, detail_steps: plan.detail, beats: L.BEATS.slice(),
                segments: [], reveals: [], captions: [], notes: [] };
    var index = new Map();
    segs.forEach(function (g) {
      var key = g.beat + ":" + Array.prototype.join.call(g.t, ",");
      if (!index.has(key)) { index.set(key, out.reveals.length); out.reveals.push(L.revealTable(g.beat, g.t)); }
      var first = g.steps[0], last = g.steps[g.steps.length - 1];
      var entry = { beat: g.beat, start: g.start, n: g.stop - g.start, step: first, reveal: index.get(key), caption: out.captions.length };
      if (g.beat === B.FAST) entry.steps = Int32Array.from(g.steps);
      out.captions.push(L.caption(R, g.beat, first, last));
      if (withNotes) out.notes.push(L.notes(R, g.beat, first, last));
      out.segments.push(entry);
    });
    return out;
  }

  // export_story for a recomputed run. opts: {live: the page's live block (colour map, plan
  // settings), panel: the theme's panel colour, label, notes: false to leave the speaker
  // notes out (only the presenter page shows them), keep: a previous run's contours block over
  // the same points, kept when the parameter view's limits are the same}.
  function buildStory(trace, opts) {
    var R = runOf(trace), g = L.geometry(R), cfg = R.cfg, name = L.TITLES[cfg.optimizer], lr = L.pyG(cfg.lr), n = R.n;
    var plan = L.makePlan(R.n, R.stepsPerEpoch, opts.live && opts.live.plan), segs = L.segments(plan), maxBatch = 0;
    for (var k = 0; k < n; k++) maxBatch = Math.max(maxBatch, R.off[k + 1] - R.off[k]);
    var diverged = R.status.state === "diverged";
    var st = R.steps, steps = { epoch: st.epoch, batch: st.batch };
    ["a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b"].forEach(function (c) { steps[c] = st[c]; });
    var story = {
      label: opts.label || "",
      title: name.charAt(0).toUpperCase() + name.slice(1) + " fits \u0177 = a\u00b7x + b",
      run: { n_steps: n, steps_per_epoch: R.stepsPerEpoch, epochs: cfg.epochs, n_points: R.x.length, optimizer: cfg.optimizer,
             optimizer_name: name, lr: cfg.lr, lr_text: lr, batch_size: cfg.batch_size, first_batch: n ? R.off[1] - R.off[0] : 0,
             max_batch: maxBatch, momentum: R.takesMomentum ? R.momentum : null, plain_sgd: R.plain,
             sum_label: R.zeroGrad ? "sum = gradient" : "accumulated .grad",
             next_text: R.plain ? "next:  a \u2212 lr\u00b7\u2202L/\u2202a,   b \u2212 lr\u00b7\u2202L/\u2202b   (lr = " + lr + ")"
                                : "next: " + name + " turns the gradient into a step (lr = " + lr + ")",
             diverged: diverged, diverged_step: R.status.step === undefined ? null : R.status.step, state: R.status.state },
      final: { a: trace.final.a, b: trace.final.b, full_loss: isFinite(R.finalFull) ? R.finalFull : null },
      optimum: g.optimum.slice(),
      limits: { fit: g.fit, params: g.params, clipped: g.clipped },
      loss_axis: L.lossAxis(R, g),
      params_legend: L.paramsLegend(R, g),
      carry: R.carry ? R.carry.label : null,
      data: { x: R.x, y: R.y },
      steps: steps,
      batches: { offsets: R.off, index: R.idx, pred: R.pred, residual: R.res, share_a: R.shareA, share_b: R.shareB },
      arrows: L.arrows(R, g),
      plan: planBlock(R, plan, segs, opts.notes !== false)
    };
    var graph = L.graphBlock(R, trace.graphs, segs); // the graph view: only a run that recorded graphs has one
    if (graph) story.graph = graph;
    if (!opts.notes && opts.notes !== undefined) delete story.plan.notes;
    var kept = opts.keep && opts.keep.limits.every(function (v, i) { return v === g.params[i]; }) ? opts.keep : null;
    if (kept) story.contours = kept;
    else if (opts.live && opts.live.cmap) story.contours = L.contours(R, g, opts.live, opts.panel);
    return story;
  }

  L.runOf = runOf; L.buildStory = buildStory;
})(SGD, TWIN);
