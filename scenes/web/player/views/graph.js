/* The graph view (DOM boxes over a canvas of arrows): PyTorch's autograd graph of the batch, at the layout the story
 * computed (scenes/web/graph_export.py), each frame's rule applied to it as
 * scenes.story.graph.apply_graph_reveal does. Shown only when the run recorded graphs. */
(function (SGD) {
  "use strict";
  var $ = SGD.$, setText = SGD.setText, Player = SGD.Player;

  function col(R, name, j) { var v = R[name]; return Array.isArray(v) ? v[j] : v; }
  function ruleAt(R, j) { var r = {}; Object.keys(R).forEach(function (k) { r[k] = col(R, k, j); }); return r; }
  function mainLine(label, value) { var s = label.split(" = ")[0]; return value ? s + " = " + value : s; }
  function opLine(n) { var i = n.label.indexOf(" = "); return i >= 0 ? n.op_text + " · " + n.label.slice(i + 3) : n.op_text; }

  // scenes.story.graph.apply_graph_reveal, step for step.
  function applyRule(G, g, r, note) {
    var lay = g.layout, last = lay.n_cols - 1, inner = Math.max(last - 1, 0), cols = {};
    lay.nodes.forEach(function (n) { cols[n.id] = n.col; });
    var fwd = r.forward >= 0 ? r.forward * inner : -1, back = r.backward >= 0 ? last - r.backward * last : last + 1;
    function lit(c) { return c === last && last > 0 ? r.loss : fwd >= c - 1e-9; }
    function reached(c) { return c >= back - 1e-9; }
    var frontF = r.forward >= 0 && r.forward < 1 ? Math.floor(fwd + 1e-9) : null, frontB = null;
    if (r.backward >= 0 && r.backward < 1) for (var c = last; c >= 0; c--) if (reached(c)) frontB = c;
    var nodes = g.nodes.map(function (n) {
      var c = cols[n.id], on = lit(c), got = reached(c) && r.backward >= 0, value = on ? n.value : "", grad;
      if (n.param) {
        if (got) grad = n.grad;
        else if (r.grad === "none" || (r.grad === "cleared" && G.zero_grad)) grad = "None";
        else grad = n.grad_before;
        if (r.step > 0 && n.value_after) value = n.value + " → " + n.value_after;
      } else grad = got ? n.grad : "";
      var active = (frontF !== null && c === frontF && r.phase === "forward") || (frontB !== null && c === frontB) ||
                   (r.phase === "loss" && c === last) || ((r.phase === "zero_grad" || r.phase === "step") && !!n.param);
      return { lit: on, active: active, value: value, grad: grad, rule: r.rules && got ? n.rule : "" };
    });
    var edges = g.edges.map(function (e, j) {
      var eg = g.edge_grads[j], got = r.backward >= 0 && reached(cols[e[0]]);
      return { lit: lit(cols[e[1]]), grad: got ? eg : "", active: frontB !== null && cols[e[0]] === frontB && !!eg };
    });
    var text = g.texts[r.phase] || "";
    if (r.phase === "zero_grad" && !G.zero_grad) text = g.texts.zero_grad_skipped;
    return { phase: r.phase, text: text, note: [note, g.note].filter(Boolean).join(" · "), nodes: nodes, edges: edges };
  }

  // scenes.story.graph.GraphStory.frame: which graph, and the rule for it.
  function graphFrame(S, pos, st) {
    var G = S.graph, seg = S.segs[pos.s], R = G.rules[pos.s];
    if (typeof R === "number") R = G.rules[R]; // the same table as an earlier segment's (graph_export.py)
    if (seg.beat === S.B.INTRO) return { i: 0, f: applyRule(G, G.graphs[0], ruleAt(R, pos.j), "") };
    var i = S.n ? G.index[st.step] : -1;
    if (i < 0) return { i: 0, f: applyRule(G, G.graphs[0], G.before, G.graphs[0].note_before) };
    var g = G.graphs[i];
    if (g.step === st.step && R) return { i: i, f: applyRule(G, g, ruleAt(R, pos.j), "") };
    return { i: i, f: applyRule(G, g, G.recorded, g.step === st.step ? "" : g.note_latest) };
  }

  // The boxes and arrows of graph i, placed for the box's width (again on every resize).
  Player.prototype.buildGraph = function (i) {
    var G = this.S.graph, view = $("sgd-graph-view"), box = $("sgd-graph");
    view.hidden = !G;
    this.graphShown = null;
    if (!G) return;
    var g = G.graphs[i], lay = g.layout, W = box.clientWidth || 800;
    var em = parseFloat(getComputedStyle(box).fontSize) || 12, rowH = em * 6.2, colW = W / lay.n_cols;
    while (box.firstChild) box.removeChild(box.firstChild);
    box.style.height = (lay.n_rows * rowH) + "px";
    var cv = document.createElement("canvas"), dpr = window.devicePixelRatio || 1, H = lay.n_rows * rowH;
    cv.width = Math.round(W * dpr); cv.height = Math.round(H * dpr);
    cv.style.width = W + "px"; cv.style.height = H + "px";
    box.appendChild(cv);
    this.gCanvas = { ctx: cv.getContext("2d"), dpr: dpr, w: W, h: H };
    var place = {}, bw = Math.min(colW * 0.74, em * 17), bh = em * 4.1;
    // A network's graph (more columns than the line's): no room for edge labels between its boxes.
    box.classList.toggle("dense", lay.n_cols > 5 && colW - bw < em * 5);
    lay.nodes.forEach(function (n) { place[n.id] = [colW * (n.col + 0.5), rowH * (n.row + 0.5) - em * 0.5]; });
    this.gNodes = g.nodes.map(function (n) {
      var d = document.createElement("div"), parts = {};
      d.className = "sgd-gnode";
      d.style.left = place[n.id][0] + "px"; d.style.top = place[n.id][1] + "px"; d.style.width = bw + "px";
      ["op", "main", "grad", "rule"].forEach(function (k) {
        var s = document.createElement("span"); s.className = k; d.appendChild(s); parts[k] = s;
      });
      parts.op.textContent = opLine(n);
      box.appendChild(d);
      return { el: d, parts: parts, node: n };
    });
    this.gEdges = g.edges.map(function (e) {
      var a = place[e[0]], b = place[e[1]], dx = b[0] - a[0], dy = b[1] - a[1];
      var f = Math.min(dx ? (bw / 2 + 2) / Math.abs(dx) : Infinity, dy ? (bh / 2 + 2) / Math.abs(dy) : Infinity);
      var line = [a[0] + dx * f, a[1] + dy * f, b[0] - dx * f, b[1] - dy * f];
      var label = document.createElement("div");
      label.className = "sgd-gedge";
      label.style.left = (a[0] + b[0]) / 2 + "px"; label.style.top = (a[1] + b[1]) / 2 + "px";
      box.appendChild(label);
      return { line: line, label: label };
    });
    this.graphShown = i;
  };

  Player.prototype.drawGraph = function (pos, st) {
    if (!this.S.graph) return;
    var th = this.theme.colors, res = graphFrame(this.S, pos, st), f = res.f;
    if (res.i !== this.graphShown) this.buildGraph(res.i);
    var self = this;
    f.nodes.forEach(function (s, j) {
      var N = self.gNodes[j], n = N.node;
      N.el.classList.toggle("lit", s.lit);
      N.el.classList.toggle("active", s.active);
      setText(N.parts.main, mainLine(n.label, s.value));
      N.parts.main.classList.toggle("moved", s.value.indexOf("→") >= 0);
      setText(N.parts.grad, s.grad ? n.grad_name + " = " + s.grad : "");
      N.parts.grad.classList.toggle("none", s.grad === "None");
      setText(N.parts.rule, s.rule);
    });
    var C = this.gCanvas, ctx = C.ctx;
    ctx.setTransform(C.dpr, 0, 0, C.dpr, 0, 0);
    ctx.clearRect(0, 0, C.w, C.h);
    f.edges.forEach(function (e, j) {
      var E = self.gEdges[j], L = E.line, colour = e.grad ? th.residual : e.lit ? th.points : th.grid;
      var ang = Math.atan2(L[3] - L[1], L[2] - L[0]), head = e.active ? 11 : 8;
      ctx.strokeStyle = colour; ctx.fillStyle = colour; ctx.lineWidth = e.active ? 2.6 : 1.4;
      ctx.beginPath(); ctx.moveTo(L[0], L[1]);
      ctx.lineTo(L[2] - Math.cos(ang) * head * 0.8, L[3] - Math.sin(ang) * head * 0.8); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(L[2], L[3]);
      ctx.lineTo(L[2] - head * Math.cos(ang - 0.4), L[3] - head * Math.sin(ang - 0.4));
      ctx.lineTo(L[2] - head * Math.cos(ang + 0.4), L[3] - head * Math.sin(ang + 0.4));
      ctx.closePath(); ctx.fill();
      setText(E.label, e.grad.split(", ").join("\n"));
    });
    setText($("sgd-graph-phase"), f.text);
    setText($("sgd-graph-note"), f.note || "step " + (this.S.graph.graphs[res.i].step + 1)); // a note names its step
  };

  SGD.graphFrame = graphFrame;
})(SGD);
