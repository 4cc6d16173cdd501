/* Presenter mode (--format slides): one slide per plan segment, with the speaker notes. */
(function (SGD) {
  "use strict";
  var clamp = SGD.clamp, $ = SGD.$, setText = SGD.setText, posOfFrame = SGD.posOfFrame, Player = SGD.Player;

  // One slide per plan segment (a beat of a detail step, the fast-forward, the final fit).
  // A key press moves exactly one slide: forward, the beat plays from its first frame to its
  // last and holds there (a second press during it moves on); back, the previous slide is
  // shown at its last frame. The notes are the story's (scenes.story.notes), per segment.
  Player.prototype.initPresenter = function () {
    document.body.classList.add("sgd-presenter");
    $("sgd-notes").hidden = false;
    var h = "", m;
    try { h = window.location.hash || ""; } catch (e) { h = ""; }
    m = /^#slide=(\d+)$/.exec(h);
    this.showSlide(m ? clamp(parseInt(m[1], 10) - 1, 0, this.S.segs.length - 1) : 0, false);
  };

  Player.prototype.showSlide = function (i, animate) {
    var S = this.S, g;
    i = clamp(i, 0, S.segs.length - 1);
    g = S.segs[i];
    this.pause();
    this.slide = i;
    var last = g.start + g.n - 1;
    if (animate && g.n > 1) {
      this.pos = posOfFrame(S, g.start);
      this.render();
      this.play();
      this.stopFrame = last;
    } else {
      this.pos = posOfFrame(S, last);
      this.textStep = null;
      this.render();
    }
    var list = $("sgd-note-lines");
    while (list.firstChild) list.removeChild(list.firstChild);
    (S.notes[i] || []).forEach(function (line) {
      var li = document.createElement("li"); li.textContent = line; list.appendChild(li);
    });
    setText($("sgd-slide"), (i + 1) + " / " + S.segs.length);
    $("sgd-player").setAttribute("data-slide", String(i));
    this.writeHash();
  };

  Player.prototype.presenterKey = function (key) {
    switch (key) {
      case "ArrowRight": case "ArrowDown": case "PageDown": case " ": case "Spacebar": case "Enter":
        if (this.slide + 1 < this.S.segs.length) this.showSlide(this.slide + 1, true);
        else this.showSlide(this.slide, false); // the last slide: finish its beat, stay
        return true;
      case "ArrowLeft": case "ArrowUp": case "PageUp": case "Backspace":
        this.showSlide(this.slide - 1, false); return true;
      case "Home": this.showSlide(0, false); return true;
      case "End": this.showSlide(this.S.segs.length - 1, false); return true;
      case "f": case "F": this.fullscreen(); return true;
      case "n": case "N":
        document.body.classList.toggle("sgd-no-notes");
        $("sgd-notes").hidden = document.body.classList.contains("sgd-no-notes");
        this.resize(false);
        return true;
      default: return false;
    }
  };

  Player.prototype.fullscreen = function () {
    var el = document.documentElement;
    try {
      if (document.fullscreenElement) { if (document.exitFullscreen) document.exitFullscreen(); }
      else if (el.requestFullscreen) {
        var p = el.requestFullscreen();
        if (p && p.catch) p.catch(function () { /* refused (no user gesture, a frame): stay */ });
      }
    } catch (e) { /* an old browser: stay in the window */ }
  };
})(SGD);
