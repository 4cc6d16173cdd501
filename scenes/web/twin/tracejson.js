// A twin's trace as trace.json text, laid out as training/tracedump.py writes it (numbers as
// Python's repr of float64, sections in the same order), so Trace.from_file reads it as it
// reads a recorded one.
(function (TWIN) {
  "use strict";
  const { pyRepr } = TWIN.format;
  const INT_KEYS = new Set(["batch_size", "epochs", "seed", "graph_steps", "n", "outliers", "step", "id", "edges", "shape"]);

  // JSON text of a plain value, floats as Python writes them; intKeys name whole numbers.
  function dump(value, key, indent, depth) {
    if (value === null || value === undefined) return "null";
    if (typeof value === "bigint") return String(value);
    if (typeof value === "number") return INT_KEYS.has(key) && Number.isInteger(value) ? String(value) : pyRepr(value);
    if (typeof value === "boolean" || typeof value === "string") return jsonString(value);
    const pad = indent ? "\n" + " ".repeat(indent * (depth + 1)) : "";
    const end = indent ? "\n" + " ".repeat(indent * depth) : "";
    const sep = indent ? "," : ", ";
    if (Array.isArray(value) || ArrayBuffer.isView(value)) {
      const items = Array.from(value, (v) => dump(v, key, indent, depth + 1));
      return items.length ? "[" + pad + items.join(sep + pad) + end + "]" : "[]";
    }
    const keys = indent ? Object.keys(value).sort() : Object.keys(value);
    const items = keys.filter((k) => value[k] !== undefined)
      .map((k) => jsonString(k) + ": " + dump(value[k], k, indent, depth + 1));
    return items.length ? "{" + pad + items.join(sep + pad) + end + "}" : "{}";
  }

  // json.dumps's string: ASCII only, others as \uXXXX.
  function jsonString(v) {
    if (typeof v === "boolean") return v ? "true" : "false";
    return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  }

  const ints = (arr) => "[" + Array.from(arr).join(", ") + "]";
  const floats = (arr) => "[" + Array.from(arr, pyRepr).join(", ") + "]";

  function ragged(r, write) {
    const rows = [];
    for (let k = 0; k + 1 < r.offsets.length; k++) rows.push(write(r.values.subarray(r.offsets[k], r.offsets[k + 1])));
    return "[" + rows.join(", ") + "]";
  }

  const FLOAT_COLUMNS = ["a", "b", "loss", "full_loss", "grad_a", "grad_b", "update_a", "update_b"];

  function traceText(trace, versions) {
    const st = trace.steps;
    const cols = [["epoch", ints(st.epoch)], ["batch", ints(st.batch)],
      ...FLOAT_COLUMNS.map((k) => [k, floats(st[k])]),
      ...["velocity_a", "velocity_b"].filter((k) => st[k]).map((k) => [k, floats(st[k])]),
      ["indices", ragged(st.indices, ints)], ["pred", ragged(st.pred, floats)], ["residual", ragged(st.residual, floats)]];
    const status = trace.status.state === "completed" ? '{"state": "completed"}'
      : `{"state": "diverged", "step": ${trace.status.step}, "reason": ${jsonString(trace.status.reason)}}`;
    let text = "{\n  \"schema_version\": 1,\n" +
      `  "config": ${dump(trace.config, "", 2, 1)},\n` +
      `  "versions": ${dump(versions, "", 0, 0)},\n` +
      `  "status": ${status},\n` +
      `  "final": {"a": ${pyRepr(trace.final.a)}, "b": ${pyRepr(trace.final.b)}},\n` +
      `  "n_steps": ${trace.n_steps},\n` +
      `  "data": {\n    "x": ${floats(trace.x)},\n    "y": ${floats(trace.y)}\n  },\n` +
      "  \"steps\": {\n" + cols.map(([k, v]) => `    "${k}": ${v}`).join(",\n") + "\n  }";
    if (trace.graphs.length) {
      text += ",\n  \"graphs\": [\n" + trace.graphs.map((g) => "    " + dump(g, "", 0, 0)).join(",\n") + "\n  ]";
    }
    return text + "\n}\n";
  }

  TWIN.traceText = traceText;
})(TWIN);
