// PyTorch's float32 arithmetic on the CPU, as the line model's kernels do it (torch 2.13,
// x86-64): each float32 operation rounds once (Math.fround), in the kernels' order. Fused
// multiply-adds (torch's add(alpha=...) compiles to one) round once too: fma32. Sums follow
// the kernels that make them: torch's cascade sum (SumKernel.cpp, 8 lanes), a gemm's plain
// running sum, numpy's pairwise sum in float64. Measured against torch in
// tests/web/test_twin.py.
(function (TWIN) {
  "use strict";
  const f = Math.fround;
  const F32 = new Float32Array(1);
  const I32 = new Int32Array(F32.buffer);

  // The float32 next to x (a float32, finite, nonzero or zero) away from zero by one unit.
  function nextAway32(x) {
    F32[0] = x;
    I32[0] += 1;
    return F32[0];
  }

  // a*b + c rounded once to float32 (a, b, c float32). The product is exact in float64;
  // the sum may round in float64 and then again to float32 (double rounding): that is wrong
  // only when the float64 sum lands exactly on a float32 midpoint, which the sum's exact
  // error (TwoSum) then resolves.
  function fma32(a, b, c) {
    const p = a * b;
    const s = p + c;
    const r = f(s);
    if (r === s || !isFinite(s)) return r;
    const bb = s - p;
    const err = (p - (s - bb)) + (c - bb);
    if (err === 0) return r;
    // the float32 on the other side of s from r
    const other = (Math.abs(s) > Math.abs(r)) ? nextAway32(r) : -nextAway32(-r);
    const lo = Math.min(r, other), hi = Math.max(r, other);
    if (s !== lo + (hi - lo) / 2) return r;  // not a midpoint: the double rounding was harmless
    return err > 0 ? hi : lo;
  }

  function ceilLog2(x) {
    if (x <= 2) return 1;
    return 32 - Math.clz32(x - 1) + (x - 1 >= 2 ** 32 ? 32 : 0);
  }

  // torch's multi_row_sum for one lane: the lane's row is values[base], values[base + stride],
  // ... (size of them). No closure and no allocation: the twin calls it several times a step.
  const ACC = new Float64Array(4);  // float32 values, held exactly
  function cascadeRow(values, base, stride, size) {
    const levelPower = Math.max(4, Math.floor(ceilLog2(size) / 4));
    const levelStep = 2 ** levelPower;
    const levelMask = levelStep - 1;
    const acc = ACC;
    acc[0] = 0; acc[1] = 0; acc[2] = 0; acc[3] = 0;
    let i = 0;
    while (i + levelStep <= size) {
      let a0 = acc[0];
      for (let j = 0; j < levelStep; j++, i++) a0 = f(a0 + values[base + stride * i]);
      acc[0] = a0;
      for (let j = 1; j < 4; j++) {
        acc[j] = f(acc[j] + acc[j - 1]);
        acc[j - 1] = 0;
        if ((i & (levelMask * 2 ** (j * levelPower))) !== 0) break;
      }
    }
    let a0 = acc[0];
    for (; i < size; i++) a0 = f(a0 + values[base + stride * i]);
    for (let j = 1; j < 4; j++) a0 = f(a0 + acc[j]);
    return a0;
  }

  // torch's row_sum of values[base + stride·i], i < size: 4 interleaved partial sums (ilp),
  // the tail, then the partials.
  function rowSum(values, base, stride, size) {
    const sizeIlp = Math.floor(size / 4);
    let p0 = cascadeRow(values, base, 4 * stride, sizeIlp);
    const p1 = cascadeRow(values, base + stride, 4 * stride, sizeIlp);
    const p2 = cascadeRow(values, base + 2 * stride, 4 * stride, sizeIlp);
    const p3 = cascadeRow(values, base + 3 * stride, 4 * stride, sizeIlp);
    for (let i = sizeIlp * 4; i < size; i++) p0 = f(p0 + values[base + stride * i]);
    return f(f(f(p0 + p1) + p2) + p3);
  }

  const LANES = 8;  // torch's float reduction works in 8-lane vectors here (measured)

  // torch.sum of a contiguous float32 array (values[start .. start+n)).
  function torchSum(values, start, n) {
    let total;
    if (n < LANES) {
      total = rowSum(values, start, 1, n);
    } else {
      const vecs = Math.floor(n / LANES);
      total = 0;
      for (let k = vecs * LANES; k < n; k++) total = f(total + values[start + k]);
      for (let l = 0; l < LANES; l++) total = f(total + rowSum(values, start + l, LANES, vecs));
    }
    return f(0 + total);  // the output starts at 0 and the sum is added to it
  }

  // numpy's pairwise sum of float64 values (np.add.reduce over a contiguous array).
  function pairwise(values, start, n) {
    if (n < 8) {
      let res = -0.0;
      for (let i = 0; i < n; i++) res += values[start + i];
      return res;
    }
    if (n <= 128) {
      const r = [];
      for (let j = 0; j < 8; j++) r.push(values[start + j]);
      let i = 8;
      for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += values[start + i + j];
      let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < n; i++) res += values[start + i];
      return res;
    }
    let n2 = Math.floor(n / 2);
    n2 -= n2 % 8;
    return pairwise(values, start, n2) + pairwise(values, start + n2, n - n2);
  }

  // np.mean of a float64 array.
  function numpyMean(values) {
    return pairwise(values, 0, values.length) / values.length;
  }

  TWIN.f32 = { f, fma32, torchSum, pairwise, numpyMean, LANES };
})(TWIN);
