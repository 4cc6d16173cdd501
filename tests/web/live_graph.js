// Test helper: the live page's graph view in Node. stdin: {"cases": [{"config", "data"}, ...],
// "live": <the page's live block>}; for each, the twin records the graphs of the steps the page
// asks for (L.graphSteps: the plan's detailed steps and the config's graph_steps) and the
// story builder makes the document's graph member. stdout: [{"steps", "graph"}, ...].
"use strict";
const fs = require("fs");
const path = require("path");
const { loadTwin } = require("../../scenes/web/twin.js");

const TWIN = loadTwin();
const dir = path.join(__dirname, "../../scenes/web/live");
const SGD = {};
fs.readFileSync(path.join(dir, "MANIFEST"), "utf8").split("\n").map((l) => l.trim())
  .filter((l) => l.startsWith("story"))
  .forEach((name) => new Function("SGD", "TWIN", fs.readFileSync(path.join(dir, name), "utf8"))(SGD, TWIN));
const L = SGD.live;

const req = JSON.parse(fs.readFileSync(0, "utf8"));
const out = req.cases.map(({ config, data }) => {
  const steps = L.graphSteps(TWIN.settings.settingsOf(config), data.x.length, req.live.plan, true);
  const trace = TWIN.record(config, data, { graphSteps: steps });
  const story = L.buildStory(trace, { live: { plan: req.live.plan }, label: "", notes: false });
  return { steps, graph: story.graph || null };
});
process.stdout.write(JSON.stringify(out));
