// The autograd graph of one step of the line model, as training/autograd_graph.py records
// it from PyTorch (docs/trace-format.md, "graphs"): the loss, ŷ = x·aᵀ + b, b, aᵀ, a (in the
// order backward runs them), then the batch's x and y; each node's forward value and the
// gradient backward gave it, and the gradient along each edge.
(function (TWIN) {
  "use strict";
  const MAX_LIST = 16, HEAD = 8;

  const number = (v) => (Number.isFinite(v) ? v : null);

  // A batch's column (m values, shape [m, 1]) in the graph's JSON form.
  function compact(values) {
    const m = values.length;
    if (m === 1) return number(values[0]);
    if (m <= MAX_LIST) return Array.from(values, number);
    const finite = Array.from(values).filter(Number.isFinite);
    return {
      shape: [m, 1], head: Array.from(values.slice(0, HEAD), number),
      min: finite.length ? Math.min(...finite) : null, max: finite.length ? Math.max(...finite) : null,
    };
  }

  // batchGrads: this batch's dL/da, dL/db; grads: the parameters' .grad after backward (the
  // running sums when zero_grad is left out).
  function lineGraph(step, X, Y, rows, m, a, b, work, loss, batchGrads, grads) {
    const pick = (col) => Float64Array.from(rows.subarray(0, m), (k) => col[k]);
    const dPred = compact(work.g.subarray(0, m));
    const nodes = [
      { id: 0, op: "MseLossBackward0", label: "L", value: number(loss), grad: 1.0 },
      { id: 1, op: "AddmmBackward0", label: "ŷ = x·aᵀ + b", value: compact(work.pred.subarray(0, m)), grad: dPred },
      { id: 2, op: "AccumulateGrad", label: "b", value: number(b), grad: number(grads[1]), param: "b" },
      { id: 3, op: "TBackward0", label: "aᵀ", value: number(a), grad: number(batchGrads[0]) },
      { id: 4, op: "AccumulateGrad", label: "a", value: number(a), grad: number(grads[0]), param: "a" },
      { id: 5, op: "input", label: "x", value: compact(pick(X)), grad: null },
      { id: 6, op: "target", label: "y", value: compact(pick(Y)), grad: null },
    ];
    return {
      step, grouped: false, nodes,
      edges: [[1, 0], [2, 1], [3, 1], [4, 3], [5, 1], [6, 0]],
      edge_grads: [dPred, number(batchGrads[1]), number(batchGrads[0]), number(batchGrads[0]), null, null],
    };
  }

  TWIN.graph = { lineGraph, compact };
})(TWIN);
