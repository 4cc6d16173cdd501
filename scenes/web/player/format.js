/* Numbers as the Python side prints them: the views' and the leaderboard's formats, digit
 * for digit (a test holds them to Python's). */
(function (SGD) {
  "use strict";

  // _fmt in scenes/mpl/views.py: Python rounds the exact binary value half to even; JS's toFixed
  // rounds ties away from zero. So the digits are computed exactly, with BigInt.
  var dv = new DataView(new ArrayBuffer(8));

  function scaledRound(x, p10) { // |x| * 10^p10, rounded half to even, as a BigInt
    dv.setFloat64(0, x);
    var hi = dv.getUint32(0), lo = dv.getUint32(4);
    var ex = (hi >>> 20) & 0x7ff;
    var m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
    var e;
    if (ex === 0) { e = -1074; } else { m = m | (1n << 52n); e = ex - 1075; }
    var num = m, den = 1n;
    if (e >= 0) num = num << BigInt(e); else den = den << BigInt(-e);
    if (p10 >= 0) num = num * (10n ** BigInt(p10)); else den = den * (10n ** BigInt(-p10));
    var q = num / den, twice = 2n * (num % den);
    if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n;
    return q;
  }

  function fixedPy(x, d) { // Python's f"{x:.{d}f}"
    var neg = x < 0 || Object.is(x, -0);
    var s = x === 0 ? "0".repeat(d + 1) : scaledRound(x, d).toString().padStart(d + 1, "0");
    if (d > 0) s = s.slice(0, s.length - d) + "." + s.slice(s.length - d);
    return (neg ? "-" : "") + s;
  }

  function fmtEpoch(e) { // scenes.story.race.fmt_epoch: a tenth, a whole number without ".0"
    var s = fixedPy(e, 1);
    return s.slice(-2) === ".0" ? s.slice(0, -2) : s;
  }

  function expPy(x, d) { // Python's f"{x:.{d}e}" with the exponent as a plain integer: 3.46e-4
    var p = Math.floor(Math.log10(Math.abs(x)));
    var low = 10n ** BigInt(d), high = low * 10n;
    var n = scaledRound(x, d - p);
    if (n >= high) { p += 1; n = scaledRound(x, d - p); } else if (n < low) { p -= 1; n = scaledRound(x, d - p); }
    var s = n.toString();
    return (x < 0 ? "-" : "") + s[0] + (d > 0 ? "." + s.slice(1) : "") + "e" + p;
  }

  function fmt(v, digits) { // scenes.mpl.views._fmt
    if (digits === undefined) digits = 4;
    if (!Number.isFinite(v)) return "—";
    var av = Math.abs(v);
    var out;
    if (av !== 0 && (av >= 1e4 || av < 1e-3)) {
      out = expPy(v, 2);
    } else {
      if (av >= 1) digits = Math.max(1, digits - Math.floor(Math.log10(av)));
      out = fixedPy(v, digits);
    }
    return out.replace(/-/g, "\u2212");
  }

  // scenes.story.race.fmt_loss
  function fmtLoss(v) {
    if (!Number.isFinite(v)) return "\u2014";
    var av = Math.abs(v), out;
    if (v !== 0 && (av >= 1e4 || av < 1e-3)) out = expPy(v, 2);
    else out = fixedPy(v, av < 10 ? 4 : 1);
    return out.replace(/-/g, "\u2212");
  }

  // v, kept within [lo, hi]
  function clamp(v, lo, hi) { return v < lo ? lo : v > hi ? hi : v; }

  SGD.fmt = fmt; SGD.fmtEpoch = fmtEpoch; SGD.fmtLoss = fmtLoss; SGD.clamp = clamp;
})(SGD);
