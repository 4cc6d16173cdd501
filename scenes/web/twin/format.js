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

  // Python's format(v, ".{p}g").
  function pyG(v, p = 6) {
    if (v === 0) return Object.is(v, -0) ? "-0" : "0";
    if (!isFinite(v)) return isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
    const sign = v < 0 ? "-" : "";
    const [mant, expText] = Math.abs(v).toExponential(p - 1).split("e");
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

  TWIN.format = { pyRepr, pyG, shown };
})(TWIN);
