/* The graph view of a recomputed run: the document's `graph` member as
 * scenes/web/graph_export.py writes it (GraphStory's prepared graphs, scenes/story/graph.py;
 * the texts of graph_text.py; each beat's reveal rule), from the graphs the twin recorded
 * (twin/graph.js), and which steps get one (scenes/pipeline.py's graph_steps).
 * tests/web/test_live_graph.py compares it with Python's export of the recorder's trace. */
(function (SGD, TWIN) {
  "use strict";
  var L = SGD.live, F = TWIN.format, INTRO = 0, FORWARD = 1, RESIDUALS = 2, GRADIENT = 3, UPDATE = 4, HOLD = 6;
  var MAX_DETAIL_GRAPHS = 50, LOSS_UNTIL = 0.55;
  // graph_layout.layout_graph of the line model's graph: its 7 nodes and 6 edges never change
  // (twin/graph.js), so neither does their layout (the test checks it against Python's).
  var LAYOUT = [[0, 3, 1.5, 1, 0.75], [1, 2, 1, 0.666667, 0.5], [2, 1, 1, 0.333333, 0.5], [3, 1, 0, 0.333333, 0],
                [4, 0, 0, 0, 0], [5, 1, 2, 0.333333, 1], [6, 2, 2, 0.666667, 1]];
  var OP_TEXT = { input: "input (no grad)", target: "target (no grad)" };
  // graph_text.RULES and node_rule for the line model's nodes: ŷ feeds the loss; a and b.
  var RULE = { 1: "∂L/∂ŷ = 2(ŷ − y)/n", 2: "∂L/∂b = Σ ∂L/∂ŷ", 4: "∂L/∂a = Σ x·∂L/∂ŷ" };

  // pipeline.graph_steps: the plan's detailed steps (the first MAX_DETAIL_GRAPHS; none when
  // `detail` is false) and the config's graph_steps (counted from 1), as 0-based steps.
  function graphSteps(cfg, nPoints, planSettings, detail) {
    var out = new Set();
    if (detail) {
      var per = TWIN.settings.batchesPerEpoch(nPoints, cfg.batch_size, cfg.drop_last);
      var plan = L.makePlan(Math.min(per * cfg.epochs, MAX_DETAIL_GRAPHS), per, Object.assign({}, planSettings || {}, { target_duration: null }));
      for (var k = 0; k < Math.min(plan.detail, MAX_DETAIL_GRAPHS); k++) out.add(k);
    }
    (cfg.graph_steps || []).forEach(function (s) { out.add(s - 1); });
    return Array.from(out).sort(function (p, q) { return p - q; });
  }

  // graph_text.graph_number / graph_value
  function number(v) {
    if (v === null || v === undefined) return "None";
    if (!isFinite(v)) return "—";
    var av = Math.abs(v), text;
    if (av !== 0 && (av >= 1e5 || av < 1e-3)) {
      var parts = F.pyExp(av, 3).split("e"); // Python's f"{v:.2e}", written "mantissa" e int(exponent)
      text = (v < 0 ? "-" : "") + parts[0] + "e" + String(Number(parts[1]));
    } else {
      var digits = av < 10 ? 3 : Math.max(0, 3 - Math.floor(Math.log10(av)));
      text = (Object.is(v, -0) ? "-" : "") + F.pyFixed(v, digits); // Python keeps −0's sign
    }
    return text.replace(/-/g, "−");
  }
  function value(v) {
    if (v && typeof v === "object" && !Array.isArray(v)) return v.shape.join("×") + ": " + number(v.min) + " … " + number(v.max);
    if (Array.isArray(v)) {
      if (v.length === 1) return number(v[0]);
      var head = v.slice(0, 3).map(number).join(", ");
      return v.length <= 3 ? head : head + " … (" + v.length + ")";
    }
    return number(v);
  }

  // graph_text.phase_text for the line model (params "a and b").
  function texts(loss, lr) {
    return {
      intro: "PyTorch's autograd graph of one batch: leaves on the left, the loss L on the right",
      forward: "Y_pred = model(X_batch): the forward pass lights the graph from the leaves to ŷ",
      loss: "loss = criterion(Y_pred, Y_batch): the MSE of the batch" + (loss ? ", L = " + loss : ""),
      zero_grad: "optimizer.zero_grad(): .grad of a and b is cleared, so the last batch's gradient does not add up",
      backward: "loss.backward(): PyTorch walks the graph from L back to a and b, each node passing ∂L to its inputs, and fills .grad",
      step: "optimizer.step(): the optimizer moves a and b against .grad (lr = " + lr + "), in the direction that reduces the loss",
      recorded: "the graph PyTorch built for this batch, with the values and gradients that flowed through it",
      zero_grad_skipped: "optimizer.zero_grad() is skipped: .grad keeps the last batch's gradient, and PyTorch accumulates gradients across batches"
    };
  }

  // graph_export._graph of GraphStory._prepare(graph): R is the run (story.js's runOf).
  function drawn(R, g) {
    var k = g.step, lr = F.pyG(R.cfg.lr, 6), after = { a: R.pathA, b: R.pathB }, before = { a: R.steps.grad_a, b: R.steps.grad_b };
    var nodes = g.nodes.map(function (n) {
      var param = n.param || "", short = n.label ? n.label.split(" = ")[0] : "#" + n.id;
      var out = { id: n.id, op: n.op, op_text: OP_TEXT[n.op] || n.op, label: n.label, value: value(n.value),
                  grad: n.grad === null || n.grad === undefined ? "" : value(n.grad), grad_name: param ? param + ".grad" : "∂L/∂" + short,
                  rule: RULE[n.id] || "", param: param, grad_before: "", value_after: "" };
      if (param) {
        out.grad_before = 0 < k && k <= R.n ? value(before[param][k - 1]) : "None";
        if (k < R.n) out.value_after = value(after[param][k + 1]);
      }
      return out;
    });
    var loss = value(g.nodes[0].value);
    return { step: k, grouped: false, note: "",
             layout: { n_cols: 4, n_rows: 3, nodes: LAYOUT.map(function (r) { return { id: r[0], col: r[1], row: r[2], x: r[3], y: r[4] }; }) },
             nodes: nodes, edges: g.edges.map(function (e) { return e.slice(); }),
             edge_grads: g.edge_grads.map(function (v) { return v === null ? "" : value(v); }), texts: texts(loss, lr),
             note_latest: "step " + (k + 1) + "'s graph, the latest recorded", note_before: "recorded at step " + (k + 1) };
  }

  // scenes.story.graph.graph_reveal, as a plain object in GraphReveal's field order.
  function reveal(beat, t) {
    var clip = function (v) { return Math.min(1, Math.max(0, v)); };
    var r = { phase: "", forward: -1.0, loss: false, backward: -1.0, grad: "previous", step: 0.0, rules: false };
    if (beat === INTRO) return Object.assign(r, { phase: "intro", grad: "none" });
    if (beat === FORWARD) return Object.assign(r, { phase: "forward", forward: clip((t - 0.05) / 0.75) });
    if (beat === RESIDUALS) return Object.assign(r, t < LOSS_UNTIL ? { phase: "loss", forward: 1.0, loss: true }
                                                                   : { phase: "zero_grad", forward: 1.0, loss: true, grad: "cleared" });
    Object.assign(r, { forward: 1.0, loss: true, grad: "cleared", rules: true });
    if (beat === GRADIENT) return Object.assign(r, { phase: "backward", backward: clip(t / 0.8) });
    if (beat === UPDATE) return Object.assign(r, { phase: "step", backward: 1.0, step: L.ease(Math.min(1, t / 0.7)) });
    return Object.assign(r, { phase: "recorded", backward: 1.0 });
  }

  // graph_export._rule_table: each field's values over the frames, or the one value they share.
  function ruleTable(beat, ts) {
    var rows = Array.prototype.map.call(ts, function (t) { return reveal(beat, t); }), table = {};
    Object.keys(reveal(HOLD, 1)).forEach(function (name) {
      var values = rows.map(function (r) { return r[name]; });
      table[name] = values.length && values.every(function (v) { return v === values[0]; }) ? values[0] : values;
    });
    return table;
  }

  // export_graph: the document's graph member, or null when the run recorded none.
  function graphBlock(R, graphs, segs) {
    if (!graphs || !graphs.length) return null;
    var gs = graphs.slice().sort(function (p, q) { return p.step - q.step; }), index = new Array(R.n), seen = new Map(), rules = [];
    for (var k = 0, i = -1; k < R.n; k++) { while (i + 1 < gs.length && gs[i + 1].step <= k) i++; index[k] = i; }
    segs.forEach(function (seg) {
      if (seg.beat > UPDATE) { rules.push(null); return; }
      var table = ruleTable(seg.beat, seg.t), key = JSON.stringify(table);
      if (seen.has(key)) rules.push(seen.get(key)); else { seen.set(key, rules.length); rules.push(table); }
    });
    return { zero_grad: R.zeroGrad, graphs: gs.map(function (g) { return drawn(R, g); }), index: index, rules: rules,
             recorded: reveal(HOLD, 1), before: reveal(INTRO, 0) };
  }

  L.graphSteps = graphSteps; L.graphBlock = graphBlock;
})(SGD, TWIN);
