/* The texts of the page's exports, DOM-free: a run (in trace.json's shape) as trace.json text,
 * as the render.py command that records it again in PyTorch, and as a config.toml. Every flag,
 * kind and default comes from the document's ``reproduce`` table (scenes/web/page_export.py,
 * built from training/config.py's settings table); this file names no setting but ``momentum``
 * (whose default is the optimizer's) and ``model`` (a trace stores it as {kind, ...}). */
(function (SGD) {
  "use strict";
  var decode = SGD.decode;

  // ------------------------------------------------------------------ the recorded run
  function storyColumn(story, where) {
    var parts = where.split(".");
    return decode(story[parts[0]][parts[1]]);
  }

  function rows(flat, offsets) {
    var out = [];
    for (var i = 0; i + 1 < offsets.length; i++) out.push(Array.prototype.slice.call(flat, offsets[i], offsets[i + 1]));
    return out;
  }

  // page_export.pack's inverse: a packed list of numbers back as (nested) lists.
  function unpack(v) {
    if (Array.isArray(v)) return v.map(unpack);
    if (!v || typeof v !== "object") return v;
    if (v.__array__) {
      var flat = Array.from(decode(v.__array__)), shape = v.shape;
      if (shape.length === 1) return flat;
      var out = [];
      for (var i = 0; i < shape[0]; i++) out.push(flat.slice(i * shape[1], (i + 1) * shape[1]));
      return out;
    }
    var o = {};
    Object.keys(v).forEach(function (k) { o[k] = unpack(v[k]); });
    return o;
  }

  // The run a story was exported from, in trace.json's shape (page_export.recorded_trace).
  function recordedTrace(story) {
    var T = story && story.trace;
    if (!T) return null;
    var out = {}, offsets = story.batches ? decode(story.batches.offsets) : null;
    Object.keys(T).forEach(function (k) {
      if (k !== "columns" && k !== "order" && k !== "seed_text") out[k] = unpack(T[k]);
    });
    if (T.seed_text !== undefined && typeof BigInt === "function") out.config.seed = BigInt(T.seed_text);
    out.data = T.data.story ? { x: Array.from(storyColumn(story, "data.x")), y: Array.from(storyColumn(story, "data.y")) }
                            : { x: Array.from(decode(T.data.x)), y: Array.from(decode(T.data.y)) };
    out.steps = {};
    T.order.forEach(function (name) {
      var c = T.columns[name];
      if (c.packed !== undefined) { out.steps[name] = unpack(c.packed); return; }
      var flat = c.story ? storyColumn(story, c.story) : decode(c.values);
      var ragged = c.offsets || (c.story && c.story.indexOf("batches.") === 0);
      out.steps[name] = ragged ? rows(flat, c.story ? offsets : decode(c.offsets)) : Array.from(flat);
    });
    return out;
  }

  // ------------------------------------------------------------------ trace.json text
  // JSON, with a seed beyond a double's digits (a BigInt) written as its digits, and a typed
  // array (a live page may keep its columns so) as a list.
  function json(value, indent) {
    return JSON.stringify(value, function (k, v) {
      return typeof v === "bigint" ? "\u0000big" + v.toString() + "\u0000" : ArrayBuffer.isView(v) ? Array.from(v) : v;
    }, indent)
      .replace(/"\\u0000big(-?\d+)\\u0000"/g, "$1");
  }

  // Laid out as the recorder writes it (training/tracedump.py): sections indented, a column a line.
  function traceText(trace) {
    var keys = Object.keys(trace), lines = [];
    keys.forEach(function (k) {
      var v = trace[k];
      if ((k === "steps" || k === "data") && v && typeof v === "object") {
        var inner = Object.keys(v).map(function (c) { return '    "' + c + '": ' + json(v[c]); });
        lines.push('  "' + k + '": {\n' + inner.join(",\n") + "\n  }");
      } else if (k === "config") {
        lines.push('  "config": ' + json(v, 2).replace(/\n/g, "\n  "));
      } else {
        lines.push('  ' + JSON.stringify(k) + ": " + json(v));
      }
    });
    return "{\n" + lines.join(",\n") + "\n}\n";
  }

  // ------------------------------------------------------------------ values as flags and TOML
  function numberText(v, kind) {
    if (typeof v === "bigint") return v.toString();
    var s = String(v);
    if (kind === "float" && /^-?\d+$/.test(s)) s += ".0"; // a float stays a float (TOML, config.toml)
    return s;
  }

  function shellWord(text) {
    return /^[A-Za-z0-9_.,:=+\/-]+$/.test(text) ? text : "'" + text.replace(/'/g, "'\\''") + "'";
  }

  function same(a, b) { return json(a) === json(b); }

  // A setting's value in a trace's config: a model other than the line is {kind, its settings}.
  function valueOf(cfg, name) {
    var m = cfg.model;
    if (m && typeof m === "object") {
      if (name === "model") return m.kind;
      if (name in m) return m[name];
    }
    return cfg[name];
  }

  function arraysEqual(a, b) {
    if (!a || !b || a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  // Where the points come from, as --data and [data] take it: the run's spec while the points
  // are the ones it names (the recorded run's, under the same spec; or the article's), else
  // the points themselves, as CSV text for a file data.csv.
  function dataOf(R, trace, recorded) {
    var spec = trace.config.data || { kind: "article" }, kind = spec.kind;
    var known = recorded && same(spec, recorded.config.data);
    var samePoints = known ? arraysEqual(trace.data.x, recorded.data.x) && arraysEqual(trace.data.y, recorded.data.y) : true;
    if ((kind === "article" || kind === "synthetic") && samePoints) {
      if (kind === "article") return { kind: kind, flag: "article" };
      var parts = R.data.synthetic.map(function (f) { return f[0] + "=" + numberText(spec[f[0]]); });
      return { kind: kind, flag: "synthetic:" + parts.join(","), spec: spec };
    }
    var csv = "x,y\n";
    for (var i = 0; i < trace.data.x.length; i++) csv += String(trace.data.x[i]) + "," + String(trace.data.y[i]) + "\n";
    return { kind: "csv", flag: "data.csv", csv: csv };
  }

  // The settings that differ from render.py's defaults, as its flags.
  function commandOf(R, trace, recorded) {
    var cfg = trace.config, words = [R.command], data = dataOf(R, trace, recorded);
    if (data.kind !== "article") words.push(R.data.flag, shellWord(data.flag));
    R.settings.forEach(function (s) {
      var v = valueOf(cfg, s.name);
      if (v === undefined || v === null) return;
      var base = s.name === "momentum" ? R.momentum_defaults[cfg.optimizer] : s.default;
      if (same(v, base)) return;
      if (s.kind === "bool") { if (v === s.sets) words.push(s.flag); return; }
      if ((s.kind === "tuple" || s.kind === "list") && !v.length) return;
      var text = s.kind === "tuple" || s.kind === "list" ? v.map(function (x) { return numberText(x); }).join(",")
        : s.kind === "str" ? String(v) : numberText(v, s.kind);
      if (text.charAt(0) === "-") words.push(s.flag + "=" + shellWord(text)); // (argparse: not a flag)
      else words.push(s.flag, shellWord(text));
    });
    var line = words.join(" ");
    if (data.csv) line = "cat > data.csv <<'EOF'\n" + data.csv + "EOF\n" + line;
    return line;
  }

  function tomlValue(v, kind) {
    if (typeof v === "string") return JSON.stringify(v);
    if (typeof v === "boolean") return v ? "true" : "false";
    if (Array.isArray(v)) return "[" + v.map(function (x) { return numberText(x, kind === "list" ? "float" : "int"); }).join(", ") + "]";
    return numberText(v, kind);
  }

  // Every setting the run's config holds (as scenes/job.py's job_to_toml writes [data] and
  // [training]); the render settings are left to render.py's defaults.
  function tomlOf(R, trace, recorded) {
    var cfg = trace.config, data = dataOf(R, trace, recorded), out = [];
    out.push("# The run of an sgd-anim page, as a config file. Record it in PyTorch and render it with:");
    out.push("#   " + R.command + " --config config.toml");
    if (data.csv) out.push("# Its points are the page's own: save them as data.csv beside this file.");
    out.push("", "[data]", "source = " + JSON.stringify(data.kind === "synthetic" ? "synthetic" : data.flag));
    if (data.kind === "synthetic") R.data.synthetic.forEach(function (f) { out.push(f[0] + " = " + tomlValue(data.spec[f[0]], f[1])); });
    out.push("", "[training]");
    R.settings.forEach(function (s) {
      var v = valueOf(cfg, s.name);
      if (v === undefined || v === null || (Array.isArray(v) && !v.length)) return;
      out.push(s.name + " = " + tomlValue(v, s.kind));
    });
    return out.join("\n") + "\n";
  }

  SGD.reproduce = { recordedTrace: recordedTrace, traceText: traceText, commandOf: commandOf, tomlOf: tomlOf,
                    dataOf: dataOf };
})(SGD);
