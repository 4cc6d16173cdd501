/* Axis ticks: linear ones at round steps, logarithmic ones at powers of ten. */
(function (SGD) {
  "use strict";

  function niceStep(span, target) {
    var raw = span / Math.max(target, 1), e = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / e;
    var nice = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
    return nice * e;
  }

  function linearTicks(lo, hi, target) {
    var step = niceStep(hi - lo, target), first = Math.ceil(lo / step - 1e-9) * step, out = [];
    var dec = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (Math.abs(step / Math.pow(10, Math.floor(Math.log10(step) + 1e-9)) - 2.5) < 1e-9 ? 1 : 0));
    for (var v = first; v <= hi + step * 1e-9; v += step) {
      var r = Math.abs(v) < step * 1e-6 ? 0 : v;
      out.push({ v: r, text: r.toFixed(Math.min(dec, 12)).replace(/-/g, "\u2212") });
    }
    return out;
  }

  var SUP = { "-": "\u207b", "0": "\u2070", "1": "\u00b9", "2": "\u00b2", "3": "\u00b3", "4": "\u2074",
              "5": "\u2075", "6": "\u2076", "7": "\u2077", "8": "\u2078", "9": "\u2079" };

  function logTicks(lo, hi, target) {
    var e0 = Math.ceil(Math.log10(lo) - 1e-9), e1 = Math.floor(Math.log10(hi) + 1e-9);
    var every = Math.max(1, Math.ceil((e1 - e0 + 1) / target)), out = [];
    for (var e = e0; e <= e1; e++) {
      if (((e % every) + every) % every) continue; // 10^0, 10^-2, ...: as matplotlib picks them
      out.push({ v: Math.pow(10, e), text: "10" + String(e).split("").map(function (c) { return SUP[c]; }).join("") });
    }
    return out;
  }

  SGD.linearTicks = linearTicks; SGD.logTicks = logTicks;
})(SGD);
