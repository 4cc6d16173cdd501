// torch.optim's single-tensor updates (the for-loop implementations, which torch picks for
// CPU tensors), per parameter, in float32 as torch's CPU kernels compute them: a Python
// float setting becomes a float32 scalar, add(other, alpha=s) is one fused multiply-add,
// addcmul and addcdiv compute self + (s·t1)·t2 and self + (s·t1)/t2, a tensor divided by a
// Python float divides by that float rounded to float32. Square roots are torch's, which are
// not IEEE's (sqrt.js).
(function (TWIN) {
  "use strict";
  const { f, fma32 } = TWIN.f32;
  const { sqrt32 } = TWIN.sqrt;

  // lerp(self, end, w) as torch computes it (ATen/native/Lerp.h).
  function lerp(self, end, w) {
    const diff = f(end - self);
    return Math.abs(w) < 0.5 ? fma32(w, diff, self) : fma32(-diff, f(1 - w), end);
  }

  // make(s) -> {step(p, g, state) -> new p, velocity(state) -> number|null, hasVelocity}
  function makeOptimizer(s) {
    const negLr = f(-s.lr), wd = f(s.weight_decay), mu = f(s.effectiveMomentum), eps = f(s.eps);
    const decay = (p, g) => (s.weight_decay !== 0 ? fma32(p, wd, g) : g);
    if (s.optimizer === "sgd" || s.optimizer === "momentum") {
      const momentum = s.effectiveMomentum;
      return {
        hasVelocity: momentum > 0,
        init: () => ({ buf: 0, started: false }),  // numbers only: the hot loop keeps one shape
        step(p, g, st) {
          g = decay(p, g);
          if (momentum !== 0) {
            st.buf = st.started ? f(f(st.buf * mu) + g) : g;
            st.started = true;
            g = s.nesterov ? fma32(st.buf, mu, g) : st.buf;
          }
          return fma32(g, negLr, p);
        },
        velocity: (st) => st.buf,
      };
    }
    if (s.optimizer === "adam") {
      const w1 = f(1 - s.beta1), b2 = f(s.beta2), c2 = f(1 - s.beta2);
      return {
        hasVelocity: true,
        init: () => ({ m: 0, v: 0, t: 0 }),
        step(p, g, st) {
          st.t += 1;
          g = decay(p, g);
          st.m = lerp(st.m, g, w1);
          st.v = fma32(f(c2 * g), g, f(st.v * b2));
          const bc1 = 1 - s.beta1 ** st.t, bc2 = 1 - s.beta2 ** st.t;
          const stepSize = s.lr / bc1;
          const denom = f(f(sqrt32(st.v) / f(Math.sqrt(bc2))) + eps);
          return f(p + f(f(f(-stepSize) * st.m) / denom));
        },
        velocity: (st) => st.m,
      };
    }
    if (s.optimizer === "rmsprop") {
      const alpha = f(s.alpha), c = f(1 - s.alpha), momentum = s.effectiveMomentum;
      return {
        hasVelocity: momentum > 0,
        init: () => ({ sq: 0, buf: 0 }),
        step(p, g, st) {
          g = decay(p, g);
          st.sq = fma32(f(c * g), g, f(st.sq * alpha));
          const avg = f(sqrt32(st.sq) + eps);
          if (momentum > 0) {
            st.buf = f(f(st.buf * mu) + f(g / avg));
            return fma32(st.buf, negLr, p);
          }
          return f(p + f(f(negLr * g) / avg));
        },
        velocity: (st) => st.buf,
      };
    }
    // adagrad (lr_decay 0, initial accumulator 0)
    return {
      hasVelocity: false,
      init: () => ({ sum: 0 }),
      step(p, g, st) {
        g = decay(p, g);
        st.sum = fma32(g, g, st.sum);
        const std = f(sqrt32(st.sum) + eps);
        return f(p + f(f(negLr * g) / std));
      },
      velocity: () => null,
    };
  }

  TWIN.optimizers = { makeOptimizer };
})(TWIN);
