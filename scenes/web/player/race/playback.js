/* The race: moving by frames, playing, the address's hash (#frame=) and the controls. */
(function (SGD) {
  "use strict";
  var clamp = SGD.clamp, $ = SGD.$, Player = SGD.Player, RacePlayer = SGD.RacePlayer;

  RacePlayer.prototype.goFrame = function (i) {
    this.frame = clamp(i | 0, 0, this.R.frames - 1);
    this.textFrame = null;
    this.render();
    this.writeHash();
  };

  RacePlayer.prototype.play = function () {
    if (this.playing) return;
    if (this.frame >= this.R.frames - 1) this.frame = 0;
    this.playing = true;
    this.clock = { t0: performance.now(), f0: this.frame };
    this.syncButtons();
    var self = this;
    requestAnimationFrame(function (t) { self.tick(t); });
  };

  RacePlayer.prototype.pause = function () {
    if (!this.playing) return;
    this.playing = false;
    this.textFrame = null;
    this.syncButtons();
    this.render();
    this.writeHash();
  };

  RacePlayer.prototype.tick = function (now) {
    if (!this.playing) return;
    var R = this.R, f = this.clock.f0 + Math.floor(Math.max(0, now - this.clock.t0) / 1000 * R.fps * this.speed);
    if (f >= R.frames) {
      if (this.loop) { this.clock = { t0: now, f0: 0 }; f = 0; }
      else { this.frame = R.frames - 1; this.pause(); return; }
    }
    if (f !== this.frame) {
      this.frame = f;
      // During the race the numbers refresh text_hz times a second (readable), as the video's.
      var every = Math.max(1, Math.round(R.fps / R.raw.plan.text_hz));
      this.textFrame = R.phase[f] === R.RACE ? f - f % every : null; // (scenes.mpl.race.RaceRenderer.text_frames)
      this.render();
    }
    var self = this;
    requestAnimationFrame(function (t) { self.tick(t); });
  };

  RacePlayer.prototype.syncButtons = Player.prototype.syncButtons;

  RacePlayer.prototype.readHash = function () {
    var h = "";
    try { h = (window.location.hash || "").replace(/^#/, ""); } catch (e) { h = ""; }
    var m = /(?:^|&)frame=(\d+)(?:&|$)/.exec(h);
    if (!m) return false;
    this.frame = clamp(parseInt(m[1], 10), 0, this.R.frames - 1);
    this.textFrame = null;
    return true;
  };

  RacePlayer.prototype.writeHash = Player.prototype.writeHash;

  RacePlayer.prototype.writeHashNow = function () {
    if (this.playing) return;
    try { history.replaceState(null, "", "#frame=" + this.frame); } catch (e) { /* a sandboxed frame: no hash */ }
  };

  RacePlayer.prototype.bindControls = function () {
    var self = this, R = this.R, scrub = $("sgd-scrub");
    scrub.max = String(R.frames - 1);
    $("sgd-play").addEventListener("click", function () { self.playing ? self.pause() : self.play(); });
    $("sgd-step-back").addEventListener("click", function () { self.pause(); self.goFrame(self.frame - 1); });
    $("sgd-step-fwd").addEventListener("click", function () { self.pause(); self.goFrame(self.frame + 1); });
    scrub.addEventListener("input", function () {
      var f = parseInt(scrub.value, 10);
      if (self.playing) { self.clock = { t0: performance.now(), f0: f }; self.frame = f; self.render(); }
      else self.goFrame(f);
    });
    $("sgd-speed").addEventListener("change", function () {
      var v = parseFloat($("sgd-speed").value);
      if (self.playing) self.clock = { t0: performance.now(), f0: self.frame };
      self.speed = v > 0 ? v : 1;
    });
    $("sgd-loop").addEventListener("change", function () { self.loop = $("sgd-loop").checked; });
    window.addEventListener("hashchange", function () { if (self.readHash()) self.render(); });
    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      var tag = e.target && e.target.tagName;
      if (tag === "SELECT" || tag === "TEXTAREA" || (tag === "INPUT" && e.target.type !== "checkbox" && e.target.id !== "sgd-scrub")) return;
      var handled = true, d = e.shiftKey ? R.fps : 1;
      switch (e.key) {
        case " ": case "Spacebar": if (tag === "BUTTON") { handled = false; break; } self.playing ? self.pause() : self.play(); break;
        case "ArrowRight": case "ArrowUp": self.pause(); self.goFrame(self.frame + d); break;
        case "ArrowLeft": case "ArrowDown": self.pause(); self.goFrame(self.frame - d); break;
        case "Home": self.pause(); self.goFrame(0); break;
        case "End": self.pause(); self.goFrame(R.frames - 1); break;
        default: handled = false;
      }
      if (handled) e.preventDefault();
    });
  };
})(SGD);
