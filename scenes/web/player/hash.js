/* The address's hash: a link (#step=2&beat=gradient, #frame=40, #run=3) opens at its moment,
 * and the hash follows the position. */
(function (SGD) {
  "use strict";
  var frameOf = SGD.frameOf, posOfFrame = SGD.posOfFrame, stateOf = SGD.stateOf, Player = SGD.Player;

  Player.prototype.readHash = function () {
    var h = "";
    try { h = (window.location.hash || "").replace(/^#/, ""); } catch (e) { h = ""; }
    if (!h) return false;
    var q = {};
    h.split("&").forEach(function (kv) {
      var p = kv.split("=");
      if (p.length !== 2) return;
      try { q[decodeURIComponent(p[0])] = decodeURIComponent(p[1]); } catch (e) { /* a malformed escape: not ours */ }
    });
    if (this.doc.explore && q.run !== undefined) {
      var r = parseInt(q.run, 10);
      if (r >= 0 && r < this.doc.stories.length) {
        this.setRun(r, true);
        if (!this.panels.fit.w) { this.ghost = null; this.ghostRun = null; } // opening the page: no run before
      }
    }
    if (q.frame !== undefined && /^\d+$/.test(q.frame)) { this.pos = posOfFrame(this.S, parseInt(q.frame, 10)); return true; }
    if (q.step !== undefined && /^\d+$/.test(q.step)) {
      var beat = this.S.beats.indexOf(q.beat || "");
      this.pos = this.posOfStep(Math.max(1, parseInt(q.step, 10)) - 1, beat >= 0 ? beat : undefined);
      return true;
    }
    return false;
  };

  // The address follows the position (so a link opens there), a moment after it settles:
  // browsers throttle a page that rewrites its address on every scrubbed frame.
  Player.prototype.writeHash = function () {
    var self = this;
    clearTimeout(this.hashTimer);
    this.hashTimer = setTimeout(function () { self.writeHashNow(); }, 150);
  };

  Player.prototype.writeHashNow = function () {
    if (this.presenter) { // the slide, so a reload during a talk stays there
      try { history.replaceState(null, "", "#slide=" + (this.slide + 1)); } catch (e) { /* sandboxed */ }
      return;
    }
    if (this.playing) return;
    var S = this.S, B = S.B, st = stateOf(S, this.pos), g = S.segs[this.pos.s];
    var parts = [];
    if (this.doc.explore) parts.push("run=" + this.run);
    if (g.beat === B.INTRO || g.beat === B.HOLD || (g.beat !== B.FAST && this.pos.j !== g.n - 1)) parts.push("frame=" + frameOf(S, this.pos));
    else { parts.push("step=" + (st.step + 1)); if (g.beat !== B.FAST && g.beat !== B.UPDATE) parts.push("beat=" + S.beats[g.beat]); }
    if (this.hashExtra) parts = this.hashExtra().concat(parts); // the live page's settings
    try { history.replaceState(null, "", "#" + parts.join("&")); } catch (e) { /* a sandboxed frame: no hash */ }
  };
})(SGD);
