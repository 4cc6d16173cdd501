/* One run's player (a story, or the explorer's runs): its state, its views sized to the page,
 * a frame drawn, and a fresh document drawn in place (render.py --serve). */
(function (SGD) {
  "use strict";
  var clamp = SGD.clamp, $ = SGD.$, setText = SGD.setText, FORMAT = SGD.FORMAT, VERSION = SGD.VERSION,
      prepare = SGD.prepare, frameOf = SGD.frameOf, posOfFrame = SGD.posOfFrame, stateOf = SGD.stateOf,
      Panel = SGD.Panel, drawFit = SGD.drawFit, drawFitStatic = SGD.drawFitStatic, drawLoss = SGD.drawLoss,
      drawLossStatic = SGD.drawLossStatic, drawParams = SGD.drawParams,
      drawParamsStatic = SGD.drawParamsStatic;

  function Player(doc) {
    this.doc = doc;
    this.theme = doc.theme;
    this.contours = doc.contours || null;
    this.runs = doc.stories.map(function () { return null; });
    this.run = 0;
    this.ghost = null;
    this.playing = false;
    this.speed = 1;
    this.loop = false;
    this.textStep = null;
    this.drawTimes = [];
    this.lastKey = "";
    this.font = "";
    this.presenter = !!doc.presenter && !doc.explore; // --format slides: one beat per key press
    this.slide = 0;
    this.stopFrame = null; // presenter: a beat plays to its last frame, then holds
  }

  Player.prototype.story = function (i) {
    if (this.runs[i] === null) this.runs[i] = prepare(this.doc.stories[i]);
    return this.runs[i];
  };

  Player.prototype.init = function () {
    var self = this, th = this.theme, root = document.documentElement.style;
    Object.keys(th.colors).forEach(function (k) { root.setProperty("--" + k.replace(/_/g, "-"), th.colors[k]); });
    this.font = '"' + String(th.font_family).replace(/["\\;{}<>]/g, "") + '", "DejaVu Sans", Verdana, system-ui, sans-serif';
    root.setProperty("--font", this.font);
    this.panels = { fit: new Panel($("sgd-fit"), "fit"), loss: new Panel($("sgd-loss"), "loss"),
                    params: new Panel($("sgd-params"), "params") };
    if (this.doc.explore) this.buildExplorer();
    this.S = this.story(this.run);
    this.buildNumbers();
    this.pos = posOfFrame(this.S, 0);
    if (!this.presenter) this.readHash();
    this.bindControls();
    if (this.presenter) document.body.classList.add("sgd-presenter"); // before the first layout
    this.resize(true);
    if (this.presenter) this.initPresenter();
    if (window.ResizeObserver) new ResizeObserver(function () { self.resize(false); }).observe($("sgd-views"));
    window.addEventListener("resize", function () { self.resize(false); }); // zoom: a new pixel ratio
  };

  // The theme's sizes, designed for 1280 pixels, scaled to the page's width (one column, a
  // phone, reads at 680; ``least``: the smallest scale a wide page may take); the panels follow
  // and, when one changed size (or ``force``), everything is drawn again. The single-run
  // player and the race share it.
  function resizeViews(P, force, least) {
    var width = $("sgd-player").getBoundingClientRect().width || 800;
    P.u = width < 720 ? clamp(width / 680, 0.84, 1) : clamp(width / 1280, least, 1.15);
    var sz = P.theme.sizes, root = document.documentElement.style, u = P.u;
    ["title", "label", "tick", "text", "table"].forEach(function (k) { root.setProperty("--fs-" + k, (sz[k] * u).toFixed(2) + "px"); });
    P.lw = sz.line_width * u;
    P.pointR = Math.sqrt(sz.point_size) / 2 * u * 1.05;
    var changed = false;
    Object.keys(P.panels).forEach(function (k) { changed = P.panels[k].resize(P) || changed; });
    if (changed || force) { P.drawStatic(); P.render(true); }
  }

  Player.prototype.resize = function (force) { resizeViews(this, force, 0.84); };

  Player.prototype.drawStatic = function () {
    var S = this.S;
    setText($("sgd-loss-title"), S.lossAxis.log ? "Loss\u2002(log scale)" : "Loss");
    drawFitStatic(this, this.panels.fit, S);
    drawLossStatic(this, this.panels.loss, S);
    drawParamsStatic(this, this.panels.params, S, this.ghost);
    this.graphShown = null; // the graph view is placed again for the new width (views/graph.js)
    $("sgd-graph-view").hidden = !S.graph;
  };

  // ---------------------------------------------------------------- one frame
  Player.prototype.render = function (force) {
    var t0 = performance.now(), S = this.S, pos = this.pos;
    var key = this.run + "|" + pos.s + "|" + pos.j + "|" + pos.k + "|" + this.textStep;
    if (!force && key === this.lastKey) return;
    this.lastKey = key;
    var st = stateOf(S, pos);
    var P = this.panels, self = this;
    ["fit", "loss", "params"].forEach(function (name) {
      var pn = P[name];
      pn.begin(pn.ctx);
      pn.ctx.setTransform(1, 0, 0, 1, 0, 0);
      pn.ctx.drawImage(pn.bg, 0, 0);
      pn.begin(pn.ctx);
    });
    drawFit(this, P.fit, S, st);
    drawLoss(this, P.loss, S, st);
    var note = drawParams(this, P.params, S, st);
    setText($("sgd-scale"), note);
    // While the fast-forward plays, the numbers are those of a step a few times a second.
    var textSt = st;
    if (this.textStep !== null && st.beat === S.B.FAST && this.textStep !== st.step) textSt = stateOf(S, { s: pos.s, j: pos.j, k: this.textStep });
    this.updateText(textSt);
    this.drawGraph(pos, st); // views/graph.js: only a run that recorded graphs shows one
    var seg = S.segs[pos.s];
    var cap = $("sgd-caption");
    setText(cap, S.captions[seg.caption]);
    cap.classList.toggle("warn", st.beat === S.B.HOLD && S.run.diverged);
    var frame = frameOf(S, pos);
    var scrub = $("sgd-scrub");
    if (String(scrub.value) !== String(frame)) scrub.value = String(frame);
    setText($("sgd-where"), "step " + (S.n ? st.step + 1 : 0) + " / " + S.n);
    var player = $("sgd-player");
    player.setAttribute("data-step", String(st.step));
    player.setAttribute("data-beat", S.beats[st.beat]);
    player.setAttribute("data-frame", String(frame));
    var dt = performance.now() - t0;
    this.drawTimes.push(dt);
    if (this.drawTimes.length > 20000) this.drawTimes.splice(0, 10000);
  };

  // A new document in place of this one (render.py --serve redraws each fresh run this way):
  // checked as at start, drawn at the same frame (or the nearest), playing on if it was.
  function checkDoc(doc) {
    if (!doc || doc.format !== FORMAT) throw new Error("not an sgd-anim story");
    if (doc.version !== VERSION) throw new Error("a version " + String(doc.version) + " story; this player reads version " + VERSION);
    if (doc.kind !== undefined && doc.kind !== "story") throw new Error("a " + String(doc.kind) + " cannot be loaded in place of a run");
    if (!Array.isArray(doc.stories) || !doc.stories.length) throw new Error("no run to play");
    if (doc.explore) throw new Error("an explorer cannot be loaded in place of a run");
  }

  Player.prototype.load = function (doc) {
    checkDoc(doc);
    var frame = this.S ? frameOf(this.S, this.pos) : 0;
    this.doc = doc;
    this.contours = doc.contours || null;
    this.runs = doc.stories.map(function () { return null; });
    this.run = 0;
    this.ghost = null;
    this.ghostRun = null;
    this.S = this.story(0);
    this.buildNumbers();
    $("sgd-scrub").max = String(this.S.frames - 1);
    this.pos = posOfFrame(this.S, Math.min(frame, this.S.frames - 1));
    this.textStep = null;
    if (this.playing) this.clock = { t0: performance.now(), f0: frameOf(this.S, this.pos) };
    $("sgd-title").textContent = this.S.title;
    this.drawStatic();
    this.render(true);
    if (!this.playing) this.writeHash();
  };

  SGD.Player = Player; SGD.resizeViews = resizeViews;
})(SGD);
