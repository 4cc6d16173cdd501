/* The controls: buttons, the scrubber, speed, loop, and the keys. */
(function (SGD) {
  "use strict";
  var $ = SGD.$, frameOf = SGD.frameOf, posOfFrame = SGD.posOfFrame, Player = SGD.Player;

  Player.prototype.bindControls = function () {
    var self = this, S = this.S, scrub = $("sgd-scrub");
    scrub.max = String(S.frames - 1);
    $("sgd-play").addEventListener("click", function () { self.playing ? self.pause() : self.play(); });
    $("sgd-beat-back").addEventListener("click", function () { self.beatBy(-1); });
    $("sgd-beat-fwd").addEventListener("click", function () { self.beatBy(1); });
    $("sgd-step-back").addEventListener("click", function () { self.stepBy(-1); });
    $("sgd-step-fwd").addEventListener("click", function () { self.stepBy(1); });
    scrub.addEventListener("input", function () {
      var f = parseInt(scrub.value, 10);
      if (self.playing) { self.clock = { t0: performance.now(), f0: f }; self.pos = posOfFrame(self.S, f); self.render(); }
      else self.goFrame(f);
    });
    $("sgd-speed").addEventListener("change", function () {
      var v = parseFloat($("sgd-speed").value);
      if (self.playing) self.clock = { t0: performance.now(), f0: frameOf(self.S, self.pos) };
      self.speed = v > 0 ? v : 1;
    });
    $("sgd-loop").addEventListener("change", function () { self.loop = $("sgd-loop").checked; });
    window.addEventListener("hashchange", function () { if (self.readHash()) { self.textStep = null; self.render(); } });
    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      if (self.presenter) { if (self.presenterKey(e.key)) e.preventDefault(); return; }
      var tag = e.target && e.target.tagName;
      if (e.target && e.target.closest && e.target.closest("#sgd-live")) return; // the live page's fields keep their keys
      if (tag === "SELECT" || tag === "TEXTAREA" || (tag === "INPUT" && e.target.type !== "checkbox" && e.target.id !== "sgd-scrub")) return;
      var handled = true;
      switch (e.key) {
        case " ": case "Spacebar": if (tag === "BUTTON") { handled = false; break; } self.playing ? self.pause() : self.play(); break;
        case "ArrowRight": e.shiftKey ? self.stepBy(1) : self.beatBy(1); break;
        case "ArrowLeft": e.shiftKey ? self.stepBy(-1) : self.beatBy(-1); break;
        case "ArrowUp": self.stepBy(1); break;
        case "ArrowDown": self.stepBy(-1); break;
        case "Home": self.pause(); self.goFrame(0); break;
        case "End": self.pause(); self.goFrame(self.S.frames - 1); break;
        default: handled = false;
      }
      if (handled) e.preventDefault();
    });
  };
})(SGD);
