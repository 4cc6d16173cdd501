/* Positions in a run's plan and what each shows: the document's rule of every beat applied to
 * a step (scenes.story.frames), and the arrows at a step. */
(function (SGD) {
  "use strict";
  var pathA = SGD.pathA, pathB = SGD.pathB;

  // A position is (segment s, frame j in it, step k). On a plan frame, k is that frame's step;
  // stepping through the fast-forward lands on steps between its frames.
  function frameStep(S, s, j) { var g = S.segs[s]; return g.steps ? g.steps[j] : g.step; }
  function posOfFrame(S, i) {
    i = Math.max(0, Math.min(S.frames - 1, i | 0));
    var s = S.segOfFrame[i], j = i - S.segs[s].start;
    return { s: s, j: j, k: frameStep(S, s, j) };
  }
  function frameOf(S, pos) { return S.segs[pos.s].start + pos.j; }

  function col(R, name, j) { var v = R[name]; return Array.isArray(v) ? v[j] : v; }

  // scenes.story.frames.apply_reveal, step for step: the rule comes from the document.
  function stateOf(S, pos) {
    var g = S.segs[pos.s], R = S.reveals[g.reveal], j = pos.j;
    var beat = g.beat, t = col(R, "t", j);
    if (S.n === 0) {
      return { step: 0, beat: beat, t: t, a: S.final.a, b: S.final.b, ghost: null, path_n: 0, pi: 0, pu: 0, gi: -1,
               tip: [S.final.a, S.final.b], loss_n: 0, batch: false, pred_alpha: 0, residual_frac: 0,
               arrow_frac: 0, show_loss: false, show_grad: false, show_update: false };
    }
    var k = col(R, "start", j) ? 0 : Math.min(Math.max(pos.k, 0), S.n - 1);
    var ak = S.a[k], bk = S.b[k], line = col(R, "line", j), base;
    if (line === "before") base = [ak, bk];
    else if (line === "after") base = [pathA(S, k + 1), pathB(S, k + 1)];
    else base = [S.final.a, S.final.b];
    var u = col(R, "u", j), a = base[0], b = base[1];
    if (u) { a = base[0] + u * S.update_a[k]; b = base[1] + u * S.update_b[k]; }
    var gh = col(R, "ghost", j), ghost = null;
    if (gh === "before") ghost = [ak, bk];
    else if (gh === "previous" && k > 0) ghost = [S.a[k - 1], S.b[k - 1]];
    var path = col(R, "path", j), loss = col(R, "loss", j);
    // The model's curve (a model other than the line): path point pi moved by pu toward the
    // next one (the update), and the ghost's path point gi (-1: none).
    var pi = line === "before" ? k : line === "after" ? k + 1 : S.n;
    var gi = gh === "before" ? k : gh === "previous" && k > 0 ? k - 1 : -1;
    return { step: k, beat: beat, t: t, a: a, b: b, ghost: ghost, pi: pi, pu: u || 0, gi: gi,
             path_n: path === null ? S.n : k + path, tip: col(R, "tip", j) ? [a, b] : null,
             loss_n: loss === null ? S.n : k + loss, batch: col(R, "batch", j),
             pred_alpha: col(R, "pred_alpha", j), residual_frac: col(R, "residual_frac", j),
             arrow_frac: col(R, "arrow_frac", j), show_loss: col(R, "show_loss", j),
             show_grad: col(R, "show_grad", j), show_update: col(R, "show_update", j) };
  }

  // Story.arrows(k, grow), from the exported vectors: from (a_k, b_k) to that plus
  // min(grow, inside)·v, cut short (dashed) where it leaves the view, left out when too short.
  function arrowsOf(S, k, grow) {
    var out = [], L = S.lim.params, sa = L[1] - L[0], sb = L[3] - L[2];
    S.arrowKeys.forEach(function (key) {
      var A = S.arrows[key], inside = A.inside[k], va = A.va[k], vb = A.vb[k];
      if (Number.isNaN(inside)) return;
      if (Math.hypot(va / sa, vb / sb) * grow < S.hiddenBelow) return;
      var f = Math.min(grow, inside);
      out.push({ key: key, start: [S.a[k], S.b[k]], end: [S.a[k] + f * va, S.b[k] + f * vb], clipped: grow > inside });
    });
    return out;
  }

  SGD.posOfFrame = posOfFrame; SGD.frameOf = frameOf; SGD.stateOf = stateOf; SGD.arrowsOf = arrowsOf;
})(SGD);
