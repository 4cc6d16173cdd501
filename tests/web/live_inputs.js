// Test helper: the live page's input handling in Node (no DOM): the CSV reader, the settings a
// hash names, and how a partial settings object is merged (the allow-list). stdin: a list of
// [kind, input]; stdout: a list of {ok: value} or {error: message}.
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
    throw new Error("unknown kind " + kind);
  } catch (e) {
    return { error: e.message };
  }
});
process.stdout.write(JSON.stringify(out));
