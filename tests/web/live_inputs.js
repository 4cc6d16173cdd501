// Test helper: the live page's input handling in Node (no DOM): the CSV reader, the settings a
// hash names, how a partial settings object is merged (the allow-list), and a link's round trip
// ("link": [the recorded run's graph_steps, a change]: the link the page writes after the change,
// and the settings opening that link on the same page gives, beside the ones the change gave).
// stdin: a list of [kind, input]; stdout: a list of {ok: value} or {error: message}.
"use strict";
const fs = require("fs");
const path = require("path");
const { loadTwin } = require("../../scenes/web/twin.js");

const dir = path.join(__dirname, "../../scenes/web/live");
const TWIN = loadTwin();
const SGD = {};
for (const name of fs.readFileSync(path.join(dir, "MANIFEST"), "utf8").split("\n").map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"))) {
  new Function("SGD", "TWIN", fs.readFileSync(path.join(dir, name), "utf8"))(SGD, TWIN);
}
const L = SGD.live;
const base = { config: { lr: 0.1, batch_size: 2, epochs: 100, optimizer: "sgd", momentum: 0, seed: 0 },
               data: { x: [0.2, 0.4, 0.6, 0.8, 1.0, 1.2], y: [0.18, 0.32, 0.42, 0.48, 0.58, 0.72] } };
const plain = (v) => JSON.parse(JSON.stringify(v, (k, x) => (typeof x === "bigint" ? String(x) : x)));
const out = JSON.parse(fs.readFileSync(0, "utf8")).map(([kind, input]) => {
  try {
    if (kind === "csv") return { ok: L.parseCSV(input) };
    if (kind === "hash") return { ok: plain(L.settingsOfHash(input)) };
    if (kind === "g") return { ok: TWIN.format.pyG(input[0], input[1]) };
    if (kind === "f") return { ok: TWIN.format.pyFixed(input[0], input[1]) };
    if (kind === "merge") return { ok: plain(L.Live.prototype.merged.call(base, JSON.parse(input))) };
    if (kind === "link") {
      const recorded = Object.assign({}, base.config, input[0] ? { graph_steps: input[0] } : {});
      const page = { config: recorded, data: base.data, block: { config: recorded } };
      const next = L.Live.prototype.merged.call(page, input[1]);
      const hash = "#" + L.Live.prototype.hashParts.call(Object.assign({}, page, next, { changed: true })).join("&");
      const opened = L.Live.prototype.merged.call(page, L.settingsOfHash(hash));
      return { ok: { hash: hash, changed: plain(next.config), opened: plain(opened.config) } };
    }
    throw new Error("unknown kind " + kind);
  } catch (e) {
    return { error: e.message };
  }
});
process.stdout.write(JSON.stringify(out));
