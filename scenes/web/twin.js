#!/usr/bin/env node
// The twin of the recorder, from the command line: `node scenes/web/twin.js < request.json`
// prints the run's trace.json; a setting the recorder refuses, or one the twin cannot compute
// (another model), prints one line on stderr and exits 2. `--batch`: the input is
// {"batch": [request, ...]} and each result is one line of JSON ({"trace": text} or
// {"error": line}), so many runs take one process. The twin itself is the DOM-free files of
// twin/ (twin/MANIFEST); this file only joins them and does the I/O. See docs/twin.md.
"use strict";
const fs = require("fs");
const path = require("path");

function loadTwin() {
  const dir = path.join(__dirname, "twin");
  const names = fs.readFileSync(path.join(dir, "MANIFEST"), "utf8").split("\n")
    .map((line) => line.trim()).filter((line) => line && !line.startsWith("#"));
  const TWIN = {};
  for (const name of names) new Function("TWIN", fs.readFileSync(path.join(dir, name), "utf8"))(TWIN);
  return TWIN;
}

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

function main() {
  const TWIN = loadTwin();
  let request;
  try {
    request = TWIN.request.parseRequest(fs.readFileSync(0, "utf8"));
  } catch (e) {
    fail(`the request is not JSON (${e.message})`);
  }
  if (process.argv.includes("--batch")) {
    if (!request || !Array.isArray(request.batch)) fail('--batch reads {"batch": [request, ...]}');
    const out = request.batch.map((r) => {
      const res = TWIN.request.runOne(r);
      return JSON.stringify(res.ok ? { trace: res.text } : { error: res.error });
    });
    process.stdout.write(out.join("\n") + "\n");
    return;
  }
  const res = TWIN.request.runOne(request);
  if (!res.ok) fail(res.error);
  process.stdout.write(res.text);
}

if (require.main === module) main();
module.exports = { loadTwin };
