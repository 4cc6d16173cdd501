/* Moving through a run (to a frame, a step, the next beat or step) and playing it on the clock. */
(function (SGD) {
  "use strict";
  var clamp = SGD.clamp, $ = SGD.$, frameOf = SGD.frameOf, posOfFrame = SGD.posOfFrame, Player = SGD.Player;

  var TEXT_HZ = 4; // while playing the fast-forward, the numbers refresh this often (as the video)

  // ---------------------------------------------------------------- moving around
  Player.prototype.goFrame = function (i) { this.pos = posOfFrame(this.S, i); this.textStep = null; this.render(); this.writeHash(); };

  Player.prototype.segOfStep = function (beat, k) {
    var S = this.S;
    for (var s = 0; s < S.segs.length; s++) if (S.segs[s].beat === beat && S.segs[s].step === k) return s;
    return -1;
  };

  // A step as a link opens it: a detail step fully revealed (the end of its update), a later
  // step as the fast-forward shows it.
  Player.prototype.posOfStep = function (k, beat) {
    var S = this.S, B = S.B;
    if (!S.n) return posOfFrame(S, S.frames - 1);
    k = clamp(k, 0, S.n - 1);
    if (k < S.detail) {
      var detailed = [B.FORWARD, B.RESIDUALS, B.GRADIENT, B.UPDATE].indexOf(beat) >= 0; // (a beat of a step)
      var s = this.segOfStep(detailed ? beat : B.UPDATE, k);
      if (s >= 0) return { s: s, j: S.segs[s].n - 1, k: k };
    }
    if (S.fastSeg >= 0) {
      var g = S.segs[S.fastSeg], j = 0;
      for (var i = 0; i < g.n; i++) if (g.steps[i] <= k) j = i;
      return { s: S.fastSeg, j: j, k: Math.max(k, g.steps[0]) };
    }
    return posOfFrame(S, S.frames - 1);
  };

  Player.prototype.goStep = function (k, beat) {
    this.pos = this.posOfStep(k, beat);
    this.textStep = null;
    this.render();
    this.writeHash();
  };

  Player.prototype.stepBy = function (d) {
    var S = this.S, B = S.B, pos = this.pos, g = S.segs[pos.s];
    this.pause();
    if (!S.n) return;
    if (g.beat === B.INTRO) { if (d > 0) this.goFrame(g.start + g.n); return; }
    if (g.beat === B.HOLD) {
      if (d < 0) this.goStep(S.n - 1); return;
    }
    var k = pos.k + d;
    if (g.beat !== B.FAST && k >= 0 && k < S.detail) { // the same moment of the next detail step
      var s = this.segOfStep(g.beat, k);
      this.pos = { s: s, j: Math.min(pos.j, S.segs[s].n - 1), k: k }; this.render(); this.writeHash(); return;
    }
    if (k < 0) { this.goFrame(S.segs[S.introSeg >= 0 ? S.introSeg : 0].start + S.segs[0].n - 1); return; }
    if (k >= S.n) { this.goFrame(S.frames - 1); return; }
    this.goStep(k);
  };

  Player.prototype.beatBy = function (d) {
    var S = this.S, pos = this.pos, g = S.segs[pos.s];
    this.pause();
    if (d > 0) {
      if (pos.s + 1 < S.segs.length) this.goFrame(S.segs[pos.s + 1].start);
      else this.goFrame(S.frames - 1);
    } else {
      var atStart = pos.j === 0 && (!g.steps || pos.k === g.steps[0]);
      if (!atStart) this.goFrame(g.start);
      else if (pos.s > 0) this.goFrame(S.segs[pos.s - 1].start);
    }
  };

  // ---------------------------------------------------------------- playing
  Player.prototype.play = function () {
    if (this.playing) return;
    var S = this.S;
    if (frameOf(S, this.pos) >= S.frames - 1) this.pos = posOfFrame(S, 0);
    this.playing = true;
    this.clock = { t0: performance.now(), f0: frameOf(S, this.pos) };
    this.syncButtons();
    var self = this;
    requestAnimationFrame(function tick(now) { self.tick(now); });
  };

  Player.prototype.pause = function () {
    this.stopFrame = null;
    if (!this.playing) return;
    this.playing = false;
    this.textStep = null;
    this.syncButtons();
    this.render();
    this.writeHash();
  };

  Player.prototype.tick = function (now) {
    if (!this.playing) return;
    var S = this.S, elapsed = Math.max(0, now - this.clock.t0) / 1000;
    var f = this.clock.f0 + Math.floor(elapsed * S.fps * this.speed);
    if (this.stopFrame !== null && f >= this.stopFrame) { // presenter: the beat has played
      this.pos = posOfFrame(S, this.stopFrame); this.textStep = null; this.stopFrame = null;
      this.render(); this.pause(); return;
    }
    if (f >= S.frames) {
      if (this.loop) { this.clock = { t0: now, f0: 0 }; f = 0; }
      else { this.pos = posOfFrame(S, S.frames - 1); this.render(); this.pause(); return; }
    }
    var pos = posOfFrame(S, f);
    if (pos.s !== this.pos.s || pos.j !== this.pos.j || frameOf(S, this.pos) !== f) {
      var g = S.segs[pos.s];
      this.textStep = null;
      if (g.beat === S.B.FAST) { // the numbers refresh TEXT_HZ times a second, as in the video
        var every = Math.max(1, Math.round(S.fps / TEXT_HZ)); // (its last frame: its own step)
        this.textStep = g.steps[pos.j === g.n - 1 ? pos.j : pos.j - pos.j % every];
      }
      this.pos = pos;
      this.render();
    }
    var self = this;
    requestAnimationFrame(function (t) { self.tick(t); });
  };

  Player.prototype.syncButtons = function () {
    var b = $("sgd-play");
    b.setAttribute("aria-label", this.playing ? "Pause" : "Play");
    b.title = this.playing ? "Pause (space)" : "Play (space)";
    b.classList.toggle("playing", this.playing);
  };
})(SGD);
