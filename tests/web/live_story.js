// Test helper: the live page's story builder (scenes/web/live/story*.js) in Node, on traces.
// stdin: {"traces": [<trace.json>, ...], "live": <the page's live block>, "panel": "#fff"};
// stdout: [{"story": ..., "ms": build time}, ...], typed arrays as lists (NaN as null).
"use strict";
const fs = require("fs");
const path = require("path");
const { loadTwin } = require("../../scenes/web/twin.js");

function loadLive(TWIN) {
  const dir = path.join(__dirname, "../../scenes/web/live");
  const names = fs.readFileSync(path.join(dir, "MANIFEST"), "utf8").split("\n").map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#") && l.startsWith("story"));
  const SGD = {};
  for (const name of names) new Function("SGD", "TWIN", fs.readFileSync(path.join(dir, name), "utf8"))(SGD, TWIN);
  return SGD.live;
}

function ragged(rows, T) {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, k) => { offsets[k + 1] = offsets[k] + r.length; });
  return { values: T.from(rows.flat()), offsets };
}

// trace.json (schema 1) -> the shape TWIN.record returns
function traceOf(j) {
  const st = {};
  for (const [k, v] of Object.entries(j.steps)) {
    if (k === "indices") st[k] = ragged(v, Int32Array);
    else if (k === "pred" || k === "residual") st[k] = ragged(v, Float64Array);
    else st[k] = (k === "epoch" || k === "batch" ? Int32Array : Float64Array).from(v);
  }
  return { config: j.config, x: j.data.x, y: j.data.y, steps: st, n_steps: j.n_steps, final: j.final, status: j.status, graphs: [] };
}

function plain(v) {
  if (ArrayBuffer.isView(v)) return Array.from(v, (x) => (Number.isFinite(x) ? x : null));
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") { const o = {}; for (const [k, x] of Object.entries(v)) o[k] = plain(x); return o; }
  return typeof v === "number" && !Number.isFinite(v) ? null : v;
}

const req = JSON.parse(fs.readFileSync(0, "utf8"));
const L = loadLive(loadTwin());
const out = req.traces.map((tj) => {
  const trace = traceOf(tj);
  let story, ms = Infinity;
  for (let r = 0; r < (req.repeat || 1); r++) {  // the best of a few: the first also compiles
    const t0 = process.hrtime.bigint();
    story = L.buildStory(trace, { live: req.live, panel: req.panel, label: req.label || "" });
    ms = Math.min(ms, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { story: plain(story), ms };
});
process.stdout.write(JSON.stringify(out));
