// The recorder's settings (training/config.py, training/settings.py) for the line model:
// defaults, checks with the command line's messages, and the config a trace stores.
(function (TWIN) {
  "use strict";
  const { pyG, shown } = TWIN.format;
  const FLOAT32_MAX = 3.4028234663852886e38;
  const MAX_STEPS = 10000000, MAX_SAMPLES = 20000000, MAX_GRAPH_STEPS = 50;
  const MAX_SEED = (1n << 64n) - 1n;
  const OPTIMIZERS = ["sgd", "momentum", "adam", "rmsprop", "adagrad"];
  // default momentum: null means the optimizer takes none (Adam, Adagrad)
  const DEFAULT_MOMENTUM = { sgd: 0.0, momentum: 0.9, adam: null, rmsprop: 0.0, adagrad: null };
  const NESTEROV = { sgd: true, momentum: true, adam: false, rmsprop: false, adagrad: false };

  // name: [kind, default, low, high, lowOpen, highOpen, words]
  const TABLE = {
    lr: ["float", 0.1, 0, null, true, false, "learning rate"],
    batch_size: ["int", 2, 1, null, false, false, "batch size"],
    epochs: ["int", 100, 1, null, false, false, "epochs"],
    optimizer: ["str", "sgd"],
    momentum: ["float", null, 0, 1, false, true, "momentum"],
    nesterov: ["bool", false],
    beta1: ["float", 0.9, 0, 1, false, true, "beta1"],
    beta2: ["float", 0.999, 0, 1, false, true, "beta2"],
    eps: ["float", 1e-8, 0, null, true, false, "eps"],
    alpha: ["float", 0.99, 0, 1, false, true, "alpha"],
    weight_decay: ["float", 0.0, 0, null, false, false, "weight decay"],
    shuffle: ["bool", false],
    seed: ["int", 0, 0, MAX_SEED, false, false, "seed"],
    init_a: ["float", 1.0], init_b: ["float", 1.0],
    drop_last: ["bool", true],
    zero_grad: ["bool", true],
    graph_steps: ["steps", []],
  };
  // Keys other models use: null (or absent) for the line.
  const MODEL_KEYS = ["degree", "hidden", "activation"];

  class SettingsError extends Error {}
  const refuse = (msg) => { throw new SettingsError(msg); };

  const num = (v) => (Number.isInteger(Number(v)) ? String(v) : pyG(v));
  const count = (n) => (n < 1e15 ? n.toLocaleString("en-US") : `about 10^${Math.floor(Math.log10(n))}`);

  function checkRange(name, v) {
    const [kind, , low, high, lowOpen, highOpen, words] = TABLE[name];
    if (low === null || low === undefined) return;
    const big = typeof v === "bigint" ? v : null;
    const below = big !== null ? big < BigInt(low) : lowOpen ? v <= low : v < low;
    const above = high !== null && (big !== null ? big > high : highOpen ? v >= Number(high) : v > Number(high));
    if (!below && !above) return;
    const got = kind === "float" ? pyG(v) : shown(v);
    if (high === null) refuse(`${words} must be ${lowOpen ? ">" : ">="} ${num(low)}, got ${got}`);
    if (kind === "int") refuse(`${words} must be a whole number from ${num(low)} to ${num(high)}, got ${got}`);
    refuse(`${words} must be in ${lowOpen ? "(" : "["}${num(low)}, ${num(high)}${highOpen ? ")" : "]"}, got ${got}`);
  }

  function checkType(name, v) {
    const kind = TABLE[name][0];
    if (kind === "float") {
      if (typeof v !== "number" || !isFinite(v)) refuse(`${name} must be a finite number, got ${shown(v)}`);
      if (Math.abs(v) > FLOAT32_MAX) {
        refuse(`${name} must be a finite number within +-3.4e38 (training runs in float32), got ${shown(v)}`);
      }
    } else if (kind === "int") {
      if (typeof v !== "bigint" && !(typeof v === "number" && Number.isInteger(v))) {
        refuse(`${name.replace(/_/g, " ")} must be a whole number, got ${shown(v)}`);
      }
    } else if (kind === "bool") {
      if (typeof v !== "boolean") refuse(`${name.replace(/_/g, " ")} must be true or false, got ${shown(v)}`);
    } else if (kind === "str") {
      if (typeof v !== "string") refuse(`${name} must be a name, got ${shown(v)}`);
    } else if (kind === "steps") {
      if (!Array.isArray(v) || !v.every((k) => Number.isInteger(k))) {
        refuse(`graph steps must be a list of whole numbers (for example [1, 150, 300]), got ${shown(v)}`);
      }
    }
  }

  // A trace's config (plain JSON) -> settings; refuses what the recorder refuses, and what
  // the twin cannot compute (another model).
  function settingsOf(config) {
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
      refuse("config must be an object of training settings (a trace's config)");
    }
    const known = new Set([...Object.keys(TABLE), "data", "model", ...MODEL_KEYS]);
    const unknown = Object.keys(config).filter((k) => !known.has(k)).sort();
    if (unknown.length) {
      refuse(`unknown training setting(s): ${unknown.join(", ")}; accepted: ${[...known].sort().join(", ")}`);
    }
    const model = config.model === undefined ? "line" : config.model;
    if (model !== "line") {
      refuse(`the twin computes the line model only (y = a·x + b); model ${shown(model)} is recorded with PyTorch (render.py)`);
    }
    for (const k of MODEL_KEYS) {
      if (config[k] !== undefined && config[k] !== null) refuse(`--${k} applies to another model, not the line`);
    }
    const s = {};
    for (const [name, row] of Object.entries(TABLE)) {
      const v = config[name];
      s[name] = v === undefined || (v === null && name === "momentum") ? row[1] : v;
      if (s[name] !== null) checkType(name, s[name]);
    }
    for (const name of Object.keys(TABLE)) {
      if (s[name] !== null && TABLE[name][0] !== "steps") checkRange(name, s[name]);
    }
    s.graph_steps = [...new Set(s.graph_steps)].sort((p, q) => p - q);
    if (s.graph_steps.length > MAX_GRAPH_STEPS) {
      refuse(`graph steps: at most ${MAX_GRAPH_STEPS} are allowed, got ${s.graph_steps.length}`);
    }
    for (const k of s.graph_steps) {
      if (k < 1) refuse(`graph steps must be >= 1, got ${k}`);
    }
    if (!OPTIMIZERS.includes(s.optimizer)) {
      refuse(`unknown optimizer ${shown(s.optimizer)}; accepted: ${OPTIMIZERS.join(", ")}`);
    }
    const takes = DEFAULT_MOMENTUM[s.optimizer] !== null;
    if (s.momentum !== null && !takes) {
      refuse(`--momentum does not apply to ${s.optimizer}; use it with sgd, momentum or rmsprop`);
    }
    s.effectiveMomentum = s.momentum !== null ? s.momentum : DEFAULT_MOMENTUM[s.optimizer] || 0;
    if (s.nesterov && (!NESTEROV[s.optimizer] || s.effectiveMomentum <= 0)) {
      refuse("nesterov needs SGD with momentum > 0 (for example --optimizer momentum)");
    }
    s.data = config.data === undefined ? { kind: "article" } : config.data;
    s.seed = BigInt(s.seed);
    return s;
  }

  function batchesPerEpoch(n, batch, dropLast) {
    return dropLast ? Math.floor(n / batch) : Math.ceil(n / batch);
  }

  // The run fits the data and the caps (TrainConfig._check_size).
  function checkSize(s, n) {
    if (s.batch_size > n) refuse(`batch size ${s.batch_size} is larger than the data (${n} points)`);
    const per = batchesPerEpoch(n, s.batch_size, s.drop_last);
    const last = per * s.epochs;
    if (last > MAX_STEPS) {
      refuse(`${count(s.epochs)} epochs of ${per} batches is ${count(last)} steps; at most ` +
             `${count(MAX_STEPS)} are allowed (so that a run fits in 4 GB of memory)`);
    }
    const past = s.graph_steps.filter((k) => k > last);
    if (past.length) {
      refuse(`graph steps: step ${past[0]} is past the run's last step (${count(last)}: ${s.epochs} epoch` +
             `${s.epochs !== 1 ? "s" : ""} of ${per} batch${per !== 1 ? "es" : ""}); steps count from 1`);
    }
    const samples = (s.drop_last ? per * s.batch_size : n) * s.epochs;
    if (samples > MAX_SAMPLES) {
      refuse(`${count(s.epochs)} epochs of ${count(samples / s.epochs)} samples records ${count(samples)} samples ` +
             `(a prediction and a residual each); at most ${count(MAX_SAMPLES)} are allowed ` +
             "(so that a run fits in 4 GB of memory): use fewer epochs, points or a smaller batch");
    }
  }

  // The config as the recorder stores it (TrainConfig.to_dict): the momentum used (none for
  // Adam and Adagrad), zero_grad only when false, graph_steps only when some are asked for.
  function configOf(s) {
    const d = {};
    for (const name of Object.keys(TABLE)) d[name] = s[name];
    d.data = s.data;
    d.seed = s.seed;
    if (DEFAULT_MOMENTUM[s.optimizer] !== null) d.momentum = s.effectiveMomentum;
    else delete d.momentum;
    if (s.zero_grad) delete d.zero_grad;
    if (!s.graph_steps.length) delete d.graph_steps;
    return d;
  }

  TWIN.settings = { settingsOf, checkSize, configOf, batchesPerEpoch, SettingsError, refuse, OPTIMIZERS,
                    FLOAT32_MAX };
})(TWIN);
