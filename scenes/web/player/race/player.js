/* The race: a document of kind "race" (scenes/web/race_export.py), its state and a frame drawn. */
(function (SGD) {
  "use strict";
  var $ = SGD.$, setText = SGD.setText, decode = SGD.decode, Panel = SGD.Panel, resizeViews = SGD.resizeViews;

  // A comparison's runs on one clock (scenes/web/race_export.py). Everything per frame comes
  // from the document: a run's path (RaceStory.path) is its first path_n kept vertices and the
  // point shown (line_a, line_b), or, once it has left the view, its exit's kept vertices, mid
  // (when there is one) and exit point; its loss curve the same way (RaceStory.loss_curve);
  // the labels' places (RaceStory.label_positions); the leaderboard's rows, in order.
  function prepareRace(raw) {
    var R = { raw: raw, n: raw.n, frames: raw.plan.frames, fps: raw.plan.fps, grid: raw.grid,
              multi: raw.fit_multiples, fr: {} };
    R.phase = decode(raw.plan.phase);
    R.RACE = (raw.plan.phases || []).indexOf("race"); // the phase's code, from its name
    if (R.RACE < 0) throw new Error("the race's plan has no phase named race");
    Object.keys(raw.frames).forEach(function (k) { R.fr[k] = decode(raw.frames[k]); });
    R.runs = raw.runs.map(function (u) {
      return { label: u.label, colour: u.colour, tag: u.tag, diverged: u.diverged, optimum: u.optimum,
               ka: decode(u.keep_a), kb: decode(u.keep_b), ks: decode(u.keep_samples), kl: decode(u.keep_loss),
               exit: u.exit, lossMark: u.loss_mark };
    });
    R.data = raw.data.map(function (d) { return { x: decode(d.x), y: decode(d.y) }; });
    R.M = null; // any model but the line: its words and its runs' curves (race_export.py)
    if (raw.model) {
      var c = raw.model.curve;
      R.M = { words: raw.model, curve: { x: c.x, m: c.samples, lo: c.range[0], hi: c.range[1], q: c.quant, y: decode(c.y) } };
    }
    return R;
  }

  function RacePlayer(doc) {
    this.doc = doc;
    this.theme = doc.theme;
    this.R = prepareRace(doc.race);
    this.frame = 0;
    this.textFrame = null;
    this.playing = false;
    this.speed = 1;
    this.loop = false;
    this.drawTimes = [];
    this.lastKey = "";
  }

  RacePlayer.prototype.init = function () {
    var self = this, th = this.theme, root = document.documentElement.style, R = this.R;
    Object.keys(th.colors).forEach(function (k) { root.setProperty("--" + k.replace(/_/g, "-"), th.colors[k]); });
    this.font = '"' + String(th.font_family).replace(/["\\;{}<>]/g, "") + '", "DejaVu Sans", Verdana, system-ui, sans-serif';
    root.setProperty("--font", this.font);
    ["sgd-views"].forEach(function (id) { $(id).hidden = true; });
    document.querySelector(".sgd-values").hidden = true;
    ["sgd-beat-back", "sgd-beat-fwd"].forEach(function (id) { $(id).hidden = true; });
    $("sgd-step-back").title = "Previous frame (\u2190; Shift: a second)";
    $("sgd-step-fwd").title = "Next frame (\u2192; Shift: a second)";
    $("sgd-step-back").setAttribute("aria-label", "Previous frame");
    $("sgd-step-fwd").setAttribute("aria-label", "Next frame");
    $("sgd-keys").textContent = "Space: play or pause \u00b7 \u2190 \u2192: a frame (Shift: a second) \u00b7 Home, End \u00b7 a link to this moment: the address's #frame=";
    var box = $("sgd-race");
    box.hidden = false;
    box.classList.toggle("grid", R.grid);
    $("sgd-race-params-title").textContent = R.M ? (R.grid ? R.M.words.grid_title : R.M.words.params_title) :
      R.grid ? "Each run on the same exact loss contours" : "Paths on the exact loss contours";
    if (R.M) $("sgd-race-fit").parentNode.querySelector("h2").textContent = "Fit: each run's curve";
    $("sgd-title").textContent = R.raw.title;
    // What the loss curves and the leaderboard rank (scenes.story.race loss_words): the batch
    // loss for loops recorded without x, y. The page's own words stay for older documents.
    var lw = R.raw.loss_words;
    if (lw && lw !== "full-data loss") {
      var h = $("sgd-race-loss").parentNode.querySelector("h2");
      h.firstChild.textContent = lw.charAt(0).toUpperCase() + lw.slice(1) + " ";
      $("sgd-race-loss").setAttribute("aria-label", "Every run's " + lw + " against samples seen");
      var sub = box.querySelector(".sub");
      if (sub) sub.textContent = lw + " now, lowest first";
    }
    this.panels = { params: new Panel($("sgd-race-params"), "params") };
    if (!R.grid) { this.panels.loss = new Panel($("sgd-race-loss"), "loss"); this.panels.fit = new Panel($("sgd-race-fit"), "fit"); }
    this.buildLeaderboard();
    this.readHash();
    this.bindControls();
    this.resize(true);
    if (window.ResizeObserver) new ResizeObserver(function () { self.resize(false); }).observe(box);
    window.addEventListener("resize", function () { self.resize(false); });
  };

  RacePlayer.prototype.resize = function (force) { resizeViews(this, force, 0.75); };

  RacePlayer.prototype.render = function (force) {
    var t0 = performance.now(), i = this.frame, R = this.R;
    var text = this.textFrame === null ? i : this.textFrame;
    var key = i + "|" + text;
    if (!force && key === this.lastKey) return;
    this.lastKey = key;
    var P = this.panels;
    Object.keys(P).forEach(function (name) {
      var pn = P[name];
      pn.ctx.setTransform(1, 0, 0, 1, 0, 0);
      pn.ctx.drawImage(pn.bg, 0, 0);
      pn.begin(pn.ctx);
    });
    this.drawParams(i);
    if (!R.grid) { this.drawLoss(i); this.drawFit(i); }
    this.fillLeaderboard(text);
    setText($("sgd-caption"), R.raw.plan.clock_text[text]);
    var scrub = $("sgd-scrub");
    if (String(scrub.value) !== String(i)) scrub.value = String(i);
    setText($("sgd-where"), "frame " + (i + 1) + " / " + R.frames);
    $("sgd-player").setAttribute("data-frame", String(i));
    this.drawTimes.push(performance.now() - t0);
    if (this.drawTimes.length > 20000) this.drawTimes.splice(0, 10000);
  };

  SGD.RacePlayer = RacePlayer;
})(SGD);
