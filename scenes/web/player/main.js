/* Start: read the page's document, refuse one this player cannot read (with a visible
 * message), start the player of its kind, and expose window.sgdPlayer (the hooks of the tests
 * and of serve.js). */
(function (SGD) {
  "use strict";
  var fmt = SGD.fmt, fmtLoss = SGD.fmtLoss, $ = SGD.$, showError = SGD.showError, FORMAT = SGD.FORMAT,
      VERSION = SGD.VERSION, arrowsOf = SGD.arrowsOf, frameOf = SGD.frameOf, stateOf = SGD.stateOf,
      Player = SGD.Player, RacePlayer = SGD.RacePlayer;

  function startRace(doc) {
    if (!doc.race || !Array.isArray(doc.race.runs) || !doc.race.runs.length) { showError("This page holds no race to play."); return; }
    // Each page carries the files of its kind only (player/MANIFEST's tags): a race's page has race/*.js.
    if (!RacePlayer) { showError("This page's script cannot play a race."); return; }
    var player = new RacePlayer(doc);
    try {
      player.init();
    } catch (e) {
      showError("This page's race could not be drawn (" + e.message + ").");
      throw e;
    }
    window.sgdPlayer = {
      version: VERSION, kind: "race", fmt: fmt, fmtLoss: fmtLoss,
      play: function () { player.play(); },
      pause: function () { player.pause(); },
      goFrame: function (i) { player.pause(); player.goFrame(i); },
      frames: function () { return player.R.frames; },
      state: function () { return { frame: player.frame, playing: player.playing, text_frame: player.textFrame }; },
      drawTimes: function () { return player.drawTimes.slice(); },
      resetTimes: function () { player.drawTimes = []; }
    };
    document.documentElement.setAttribute("data-ready", "1");
  }

  // A page whose run the twin cannot recompute (scenes/web/live_block.py) says why, and its
  // window.sgdAnim says so too (docs/live.md).
  function notLive(reason) {
    var box = document.createElement("div"), note = document.createElement("p"), views = $("sgd-views");
    box.id = "sgd-live"; box.className = "sgd-live off";
    note.id = "sgd-live-off"; note.className = "hint";
    note.textContent = "The controls are not live: " + reason + ". The page plays the run as recorded.";
    box.appendChild(note);
    views.parentNode.insertBefore(box, views);
    var refuse = function () { throw new Error("this page's controls are not live: " + reason); };
    window.sgdAnim = { live: false, reason: reason, settings: function () { return null; }, data: function () { return null; },
                       set: refuse, trace: refuse, traceText: refuse };
  }

  function start() {
    var doc;
    try {
      doc = JSON.parse($("sgd-story").textContent);
    } catch (e) {
      showError("This page's story could not be read (" + e.message + ").");
      return;
    }
    if (!doc || doc.format !== FORMAT) { showError("This page does not hold an sgd-anim story."); return; }
    if (doc.version !== VERSION) {
      showError("This page holds a version " + String(doc.version) + " story; this player reads version " + VERSION +
                ". Export it again with the sgd-anim that made this player.");
      return;
    }
    // The kind of document: one run's story (no kind: the first documents), or a race.
    var kind = doc.kind === undefined ? "story" : doc.kind;
    if (kind === "race") { startRace(doc); return; }
    if (kind !== "story") { showError("This page holds a document of kind " + String(kind) + "; this player reads a story or a race."); return; }
    if (!Array.isArray(doc.stories) || !doc.stories.length) { showError("This page holds no run to play."); return; }
    var player = new Player(doc);
    try {
      player.init();
      $("sgd-title").textContent = player.S.title;
      if (doc.explore) player.showRunLabel();
      if (doc.live && doc.live.config && SGD.startLive) SGD.startLive(player, doc); // the live page (scenes/web/live/)
      else if (doc.live && doc.live.reason) notLive(doc.live.reason);
    } catch (e) {
      showError("This page's story could not be drawn (" + e.message + ").");
      throw e;
    }
    window.sgdPlayer = {
      version: VERSION,
      fmt: fmt,
      play: function () { player.play(); },
      pause: function () { player.pause(); },
      goFrame: function (i) { player.pause(); player.goFrame(i); },
      goStep: function (k, beat) { player.pause(); player.goStep(k, beat === undefined ? undefined : player.S.beats.indexOf(beat)); },
      setRun: function (r) { if (player.setRun) player.setRun(r); }, // explorer.js: the explorer's page only
      frames: function () { return player.S.frames; },
      slide: function () { return player.slide; },
      slides: function () { return player.S.segs.length; },
      state: function () {
        var st = stateOf(player.S, player.pos);
        st.frame = frameOf(player.S, player.pos); st.run = player.run; st.playing = player.playing;
        st.ghost_run = player.ghostRun === undefined ? null : player.ghostRun;
        return st;
      },
      arrows: function (k, grow) { return arrowsOf(player.S, k, grow); },
      load: function (next) { player.load(next); },
      drawTimes: function () { return player.drawTimes.slice(); },
      resetTimes: function () { player.drawTimes = []; }
    };
    SGD.bindExport(player, doc); // export.js: the export buttons (and a non-live page's window.sgdAnim)
    document.documentElement.setAttribute("data-ready", "1");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(SGD);
