/* The race's leaderboard (DOM): a row per place, the runs in the frame's order. */
(function (SGD) {
  "use strict";
  var fmtEpoch = SGD.fmtEpoch, fmtLoss = SGD.fmtLoss, $ = SGD.$, setText = SGD.setText,
      RacePlayer = SGD.RacePlayer;

  RacePlayer.prototype.buildLeaderboard = function () {
    var R = this.R, list = $("sgd-leader-rows"), key = $("sgd-race-key");
    while (list.firstChild) list.removeChild(list.firstChild);
    this.rows = [];
    for (var j = 0; j < R.n; j++) {
      var li = document.createElement("li"), parts = {};
      ["rank", "name", "loss", "info"].forEach(function (k) {
        var el = document.createElement(k === "name" ? "b" : "span"); el.className = k; li.appendChild(el); parts[k] = el;
      });
      list.appendChild(li);
      parts.li = li;
      this.rows.push(parts);
    }
    while (key.firstChild) key.removeChild(key.firstChild);
    R.raw.key.forEach(function (line) { var li = document.createElement("li"); li.textContent = line; key.appendChild(li); });
  };

  // The rows at frame i (RaceStory.leaderboard), formatted as the matplotlib race does.
  RacePlayer.prototype.fillLeaderboard = function (i) {
    var R = this.R, F = R.fr;
    for (var j = 0; j < R.n; j++) {
      var at = i * R.n + j, r = F.rank_run[at], run = R.runs[r], row = this.rows[j], loss = F.rank_loss[at];
      setText(row.rank, (j + 1) + ".");
      setText(row.name, run.label);
      if (row.li.getAttribute("data-run") !== String(r)) {
        row.li.setAttribute("data-run", String(r));
        row.name.style.color = run.tag || run.colour;
        row.name.style.background = run.tag ? run.colour : "none";
      }
      setText(row.loss, fmtLoss(loss), Number.isFinite(loss) ? loss : "inf");
      setText(row.info, "epoch " + fmtEpoch(F.rank_epoch[at]) + " \u00b7 " + R.raw.statuses[F.rank_status[at]], F.rank_epoch[at]);
    }
  };
})(SGD);
