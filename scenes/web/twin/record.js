// training.record for the line model y' = a·x + b (nn.Linear(1, 1), nn.MSELoss), in float32
// as PyTorch computes it: the forward pass (addmm: x·a, then + b), the loss (mean of squared
// residuals: torch's cascade sum, then / n), the backward pass (dL/dŷ = (2/n)·r, dL/db their
// cascade sum, dL/da the gemm's running sum of x·dL/dŷ), zero_grad or accumulation, the
// optimizer step, the shuffle order, the divergence rule and the recorded columns.
(function (TWIN) {
  "use strict";
  const { f, torchSum, numpyMean } = TWIN.f32;
  const { settingsOf, checkSize, configOf, batchesPerEpoch, refuse } = TWIN.settings;
  const { makeOptimizer } = TWIN.optimizers;
  const { PCG64, permutation } = TWIN.rng;
  const { pyG } = TWIN.format;
  const EXPLODE_FACTOR = 1e8, PARAM_LIMIT = 1e8, MIN_POINTS = 2;

  function checkData(data) {
    if (data === null || typeof data !== "object" || !Array.isArray(data.x) || !Array.isArray(data.y)) {
      refuse('data must be {"x": [...], "y": [...]}');
    }
    if (data.x.length !== data.y.length) refuse(`data: x has ${data.x.length} values and y ${data.y.length}`);
    if (data.x.length < MIN_POINTS) refuse(`data has ${data.x.length} data point(s); at least ${MIN_POINTS} are needed`);
    for (const col of [data.x, data.y]) {
      for (const v of col) {
        if (typeof v !== "number" || !isFinite(v) || Math.abs(v) > TWIN.settings.FLOAT32_MAX) {
          refuse("data: values must be finite numbers within +-3.4e38 (training runs in float32)");
        }
      }
    }
    if (data.x.every((v) => v === data.x[0])) refuse("data: all x values are equal, so no line can be fitted");
  }

  // One forward and backward pass over the samples rows[0..m) (indices into X, Y).
  // The batch loss and gradients go into out (no object per step).
  function pass(X, Y, rows, first, m, a, b, work, out) {
    const { pred, diff, sq, g } = work;
    for (let i = 0; i < m; i++) {
      const k = rows[first + i];
      pred[i] = f(f(X[k] * a) + b);
      diff[i] = f(pred[i] - Y[k]);
      sq[i] = f(diff[i] * diff[i]);
    }
    const loss = f(torchSum(sq, 0, m) / m);
    const norm = f(2 / m);
    let ga = 0;
    for (let i = 0; i < m; i++) {
      g[i] = f(norm * diff[i]);
      ga = f(ga + f(X[rows[first + i]] * g[i]));
    }
    out[0] = loss; out[1] = ga; out[2] = torchSum(g, 0, m);
  }

  function fullLoss(X, Y, all, a, b, work) {
    const { pred, diff, sq } = work;
    const n = X.length;
    for (let i = 0; i < n; i++) {
      pred[i] = f(f(X[i] * a) + b);
      diff[i] = f(pred[i] - Y[i]);
      sq[i] = f(diff[i] * diff[i]);
    }
    return f(torchSum(sq, 0, n) / n);
  }

  function divergence(loss, full, ga, gb, a, b, limit) {
    if (!(Number.isFinite(loss) && Number.isFinite(full) && Number.isFinite(ga) && Number.isFinite(gb) &&
          Number.isFinite(a) && Number.isFinite(b))) return "a loss, gradient or parameter became infinite or NaN";
    if (Math.max(loss, full) > limit) return `the loss exploded past ${pyG(limit, 3)}`;
    if (Math.max(Math.abs(a), Math.abs(b)) > PARAM_LIMIT) return "a parameter left +-1e+08";
    return "";
  }

  // {config, data: {x, y}} -> a trace object (record(cfg, data) of training/recorder.py).
  function record(config, data, options = {}) {
    const s = settingsOf(config);
    checkData(data);
    const n = data.x.length;
    checkSize(s, n);
    const X = Float32Array.from(data.x), Y = Float32Array.from(data.y);
    const opt = makeOptimizer(s);
    const states = [opt.init(), opt.init()];
    const gen = new PCG64(s.seed);
    const per = batchesPerEpoch(n, s.batch_size, s.drop_last);
    const total = per * s.epochs;
    const cols = {};
    for (const k of ["epoch", "batch"]) cols[k] = new Int32Array(total);
    const names = ["a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b"];
    if (opt.hasVelocity) names.push("velocity_a", "velocity_b");
    for (const k of names) cols[k] = new Float64Array(total);
    const samples = (s.drop_last ? per * s.batch_size : n) * s.epochs;
    const indices = new Int32Array(samples), preds = new Float64Array(samples), residuals = new Float64Array(samples);
    const offsets = new Int32Array(total + 1);
    const work = { pred: new Float32Array(n), diff: new Float32Array(n), sq: new Float32Array(n), g: new Float32Array(n) };
    const graphSteps = new Set((options.graphSteps || s.graph_steps.map((k) => k - 1)));
    const graphs = [];
    const out = new Float64Array(3);

    let a = f(s.init_a), b = f(s.init_b);
    const startLoss = fullLoss(X, Y, null, a, b, work);
    const limit = EXPLODE_FACTOR * Math.max(startLoss, numpyMean(Float64Array.from(data.y, (v) => v * v)), 1e-12);
    let status = { state: "completed" };
    // .grad: none after zero_grad (set_to_none), else the running sum (held as numbers, with
    // a flag, so that the hot loop below allocates nothing and keeps one type per variable).
    let gradA = 0, gradB = 0, hasGrad = false;
    let step = 0, at = 0;
    const natural = Int32Array.from({ length: n }, (_, i) => i);
    const cEpoch = cols.epoch, cBatch = cols.batch, cA = cols.a, cB = cols.b, cLoss = cols.loss, cFull = cols.full_loss;
    const cGa = cols.grad_a, cGb = cols.grad_b, cUa = cols.update_a, cUb = cols.update_b;
    const cVa = cols.velocity_a, cVb = cols.velocity_b, hasVelocity = opt.hasVelocity, wantGraphs = graphSteps.size > 0;
    const st0 = states[0], st1 = states[1], zeroGrad = s.zero_grad, bs = s.batch_size;
    const wPred = work.pred, wDiff = work.diff;
    outer:
    for (let epoch = 0; epoch < s.epochs; epoch++) {
      const order = s.shuffle ? permutation(gen, n) : natural;
      for (let batch = 0; batch < per; batch++) {
        const first = batch * bs;
        const m = Math.min(bs, n - first);
        const full = fullLoss(X, Y, null, a, b, work);
        pass(X, Y, order, first, m, a, b, work, out);
        const loss = out[0], ga = out[1], gb = out[2];
        if (zeroGrad) hasGrad = false;
        gradA = hasGrad ? f(gradA + ga) : ga;
        gradB = hasGrad ? f(gradB + gb) : gb;
        hasGrad = true;
        const graph = wantGraphs && graphSteps.has(step) ? TWIN.graph.lineGraph(step, X, Y, order.subarray(first, first + m), m, a, b,
                                                                             work, loss, [ga, gb], [gradA, gradB]) : null;
        const aNew = opt.step(a, gradA, st0), bNew = opt.step(b, gradB, st1);
        const reason = divergence(loss, full, gradA, gradB, aNew, bNew, limit);
        if (reason) {
          status = { state: "diverged", step, reason };
          break outer;
        }
        if (graph) graphs.push(graph);
        cEpoch[step] = epoch;
        cBatch[step] = batch;
        cA[step] = a;
        cB[step] = b;
        cLoss[step] = loss;
        cFull[step] = full;
        cGa[step] = gradA;
        cGb[step] = gradB;
        cUa[step] = aNew - a;
        cUb[step] = bNew - b;
        for (let i = 0; i < m; i++) {
          indices[at + i] = order[first + i];
          preds[at + i] = wPred[i];
          residuals[at + i] = wDiff[i];
        }
        at += m;
        offsets[step + 1] = at;
        if (hasVelocity) {
          cVa[step] = opt.velocity(st0) || 0;
          cVb[step] = opt.velocity(st1) || 0;
        }
        a = aNew;
        b = bNew;
        step += 1;
      }
    }
    const steps = {};
    for (const [k, v] of Object.entries(cols)) steps[k] = v.subarray(0, step);
    const off = offsets.subarray(0, step + 1);
    steps.indices = { values: indices.subarray(0, at), offsets: off };
    steps.pred = { values: preds.subarray(0, at), offsets: off };
    steps.residual = { values: residuals.subarray(0, at), offsets: off };
    return { config: configOf(s), x: data.x, y: data.y, steps, n_steps: step, final: { a, b }, status, graphs };
  }

  TWIN.record = record;
  TWIN.checkData = checkData;
})(TWIN);
