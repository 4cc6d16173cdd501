/* The page's elements: found by id, their text set only when it changes (with the exact value
 * a number shows in data-value, which the tests read), and the visible error message. */
(function (SGD) {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function showError(message) {
    var box = $("sgd-error");
    box.textContent = message;
    box.hidden = false;
    $("sgd-player").hidden = true;
  }

  function setText(el, text, value) {
    if (el.textContent !== text) el.textContent = text;
    var v = value === undefined || value === null ? "" : String(value);
    if (el.getAttribute("data-value") !== v) { if (v) el.setAttribute("data-value", v); else el.removeAttribute("data-value"); }
  }

  SGD.$ = $; SGD.showError = showError; SGD.setText = setText;
})(SGD);
