/* The explorer (--explore): sliders over a grid of runs; the one chosen is drawn, the
 * previous run's path faint beside it. */
(function (SGD) {
  "use strict";
  var $ = SGD.$, frameOf = SGD.frameOf, posOfFrame = SGD.posOfFrame, Player = SGD.Player;

  Player.prototype.buildExplorer = function () {
    var self = this, ex = this.doc.explore, box = $("sgd-explore");
    box.hidden = false;
    this.choice = ex.initial.slice();
    this.run = this.runIndex(this.choice);
    ex.axes.forEach(function (axis, a) {
      var row = document.createElement("label");
      row.className = "axis";
      var name = document.createElement("span"); name.className = "name"; name.textContent = axis.label;
      var input = document.createElement("input");
      input.type = "range"; input.min = "0"; input.max = String(axis.values.length - 1); input.step = "1";
      input.value = String(self.choice[a]); input.id = "sgd-axis-" + axis.key;
      input.setAttribute("aria-label", axis.label);
      var value = document.createElement("span"); value.className = "value"; value.textContent = axis.text[self.choice[a]];
      input.addEventListener("input", function () {
        self.choice[a] = parseInt(input.value, 10);
        value.textContent = axis.text[self.choice[a]];
        self.setRun(self.runIndex(self.choice));
      });
      row.appendChild(name); row.appendChild(input); row.appendChild(value);
      box.appendChild(row);
    });
    var status = document.createElement("span"); status.id = "sgd-run"; status.className = "run";
    box.appendChild(status);
  };

  Player.prototype.runIndex = function (choice) {
    var ex = this.doc.explore, i = 0;
    for (var a = 0; a < ex.axes.length; a++) i = i * ex.axes[a].values.length + choice[a];
    return ex.runs[i];
  };

  Player.prototype.setRun = function (r, silent) {
    if (r === this.run && this.S) return;
    var old = this.S, frame = old ? frameOf(old, this.pos) : 0;
    this.ghost = old || null;
    this.ghostRun = old ? this.run : null;
    this.run = r;
    this.S = this.story(r);
    var ex = this.doc.explore;
    if (ex && silent) { // from the hash: move the sliders to this run
      for (var i = 0; i < ex.runs.length; i++) if (ex.runs[i] === r) {
        var rest = i;
        for (var a = ex.axes.length - 1; a >= 0; a--) { this.choice[a] = rest % ex.axes[a].values.length; rest = Math.floor(rest / ex.axes[a].values.length); }
      }
      var self = this;
      ex.axes.forEach(function (axis, a) {
        var input = $("sgd-axis-" + axis.key);
        if (input) { input.value = String(self.choice[a]); input.nextSibling.textContent = axis.text[self.choice[a]]; }
      });
    }
    this.buildNumbers();
    $("sgd-scrub").max = String(this.S.frames - 1);
    this.pos = posOfFrame(this.S, Math.min(frame, this.S.frames - 1));
    if (this.playing) this.clock = { t0: performance.now(), f0: frameOf(this.S, this.pos) };
    this.showRunLabel();
    if (this.panels && this.panels.fit.w) { this.drawStatic(); this.render(true); }
    if (!silent) this.writeHash();
  };

  Player.prototype.showRunLabel = function () {
    var el = $("sgd-run");
    if (!el) return;
    var S = this.S, R = S.run;
    el.textContent = R.diverged ? "diverged at step " + R.diverged_step : R.n_steps + " steps";
    el.classList.toggle("warn", !!R.diverged);
    $("sgd-title").textContent = S.title;
  };
})(SGD);
