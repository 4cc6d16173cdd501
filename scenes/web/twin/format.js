// Numbers written as Python writes them: repr of a float64 (trace.json's numbers, so the
// twin's file reads back to the same values and text) and the "g" format of messages.
(function (TWIN) {
  "use strict";

  // The shortest round-trip digits and exponent of a finite v: "1.2345e-7" -> ["12345", -7].
  function digits(v) {
    const [mant, exp] = Math.abs(v).toExponential().split("e");
    return [mant.replace(".", ""), Number(exp)];
  }

  // Python's repr(float(v)): positional for exponents -4..15, else d.ddde+XX.
  function pyRepr(v) {
    if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
    const sign = v < 0 ? "-" : "";
    const [d, e] = digits(v);
    if (e >= -4 && e < 16) {
      if (e < 0) return sign + "0." + "0".repeat(-e - 1) + d;
      if (d.length <= e + 1) return sign + d + "0".repeat(e + 1 - d.length) + ".0";
      return sign + d.slice(0, e + 1) + "." + d.slice(e + 1);
    }
    const mant = d.length > 1 ? d[0] + "." + d.slice(1) : d;
    return sign + mant + "e" + (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(2, "0");
  }

  // JavaScript rounds an exact tie away from zero (toExponential, toFixed: "pick the larger n");
  // Python to even. A tie is a value whose exact decimal digits end in a 5 just past the last
  // digit kept (100 digits tell: a double that is not a tie differs from one further in).
  function isEvenTie(digits, keep) {
    return digits[keep] === "5" && /^0*$/.test(digits.slice(keep + 1)) && Number(digits[keep - 1] || "0") % 2 === 0;
  }

  // |v| with p significant digits as Python rounds them, in toExponential's form ("1.25e+1").
  function exponential(av, p) {
    const [lm, le] = av.toExponential(Math.min(100, p + 25)).split("e");
    const ld = lm.replace(".", "");
    if (!isEvenTie(ld, p)) return av.toExponential(p - 1);
    const kept = ld.slice(0, p);  // the tie goes down to the even digit: the digits as they are
    return kept[0] + (p > 1 ? "." + kept.slice(1) : "") + "e" + le;
  }

  // Python's format(v, ".{d}f") (toFixed, but an exact tie to even).
  function pyFixed(v, d) {
    if (!isFinite(v) || Math.abs(v) >= 1e21) return String(v);
    const long = Math.abs(v).toFixed(Math.min(100, d + 25)), dot = long.indexOf(".");
    const digits = long.slice(0, dot) + long.slice(dot + 1), keep = dot + d;
    let text = v.toFixed(d);
    if (isEvenTie(digits, keep)) {
      const kept = digits.slice(0, keep);
      text = (v < 0 || Object.is(v, -0) ? "-" : "") + kept.slice(0, dot) + (d ? "." + kept.slice(dot) : "");
    }
    return text;
  }

  // Python's format(v, ".{p}g").
  function pyG(v, p = 6) {
    if (v === 0) return Object.is(v, -0) ? "-0" : "0";
    if (!isFinite(v)) return isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
    const sign = v < 0 ? "-" : "";
    const [mant, expText] = exponential(Math.abs(v), p).split("e");
    const e = Number(expText);
    const d = mant.replace(".", "");
    if (e >= -4 && e < p) {
      let text = e < 0 ? "0." + "0".repeat(-e - 1) + d : d.slice(0, e + 1) + "." + d.slice(e + 1);
      if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
      return sign + text;
    }
    let m = d.length > 1 ? d[0] + "." + d.slice(1) : d;
    if (m.includes(".")) m = m.replace(/0+$/, "").replace(/\.$/, "");
    return sign + m + "e" + (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(2, "0");
  }

  // A value in a message, as Python's repr would show it (short).
  function shown(value) {
    if (typeof value === "string") {
      const text = value.length > 40 ? value.slice(0, 37) + "..." : value;
      return "'" + text.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
    }
    if (typeof value === "number") return Number.isInteger(value) ? String(value) : pyRepr(value);
    if (typeof value === "bigint") return String(value);
    if (value === null || value === undefined) return "None";
    if (value === true || value === false) return value ? "True" : "False";
    const text = JSON.stringify(value);
    return text.length > 40 ? text.slice(0, 37) + "..." : text;
  }

  TWIN.format = { pyRepr, pyG, pyFixed, pyExp: exponential, shown };
})(TWIN);
