/* The live page's form: one field per training setting (the keys of a trace's config), with
 * its message beside it. Built from a table; reads and writes values; shows which fields
 * apply to the optimizer chosen (training/optimizers/: hyper). DOM only, no maths. */
(function (SGD, TWIN) {
  "use strict";
  var L = SGD.live;

  // key: [label, kind, extra]; kinds: lr (log slider + number), int, float, bool, optimizer
  var FIELDS = [
    ["lr", "learning rate", "lr"],
    ["batch_size", "batch size", "int"],
    ["epochs", "epochs", "int"],
    ["optimizer", "optimizer", "optimizer"],
    ["momentum", "momentum", "float", { step: "0.05" }],
    ["nesterov", "Nesterov", "bool"],
    ["beta1", "β1", "float", { step: "0.01" }],
    ["beta2", "β2", "float", { step: "0.001" }],
    ["alpha", "alpha", "float", { step: "0.01" }],
    ["eps", "eps", "float", { step: "any" }],
    ["weight_decay", "weight decay", "float", { step: "0.01" }],
    ["shuffle", "shuffle", "bool"],
    ["seed", "seed", "int"],
    ["drop_last", "drop short batch", "bool"],
    ["init_a", "start a", "float", { step: "0.1" }],
    ["init_b", "start b", "float", { step: "0.1" }]
  ];
  var KEYS = FIELDS.map(function (f) { return f[0]; }).concat(["zero_grad"]);
  // Which optimizers read a setting (the rest apply to all).
  var APPLIES = { momentum: ["sgd", "momentum", "rmsprop"], nesterov: ["sgd", "momentum"], beta1: ["adam"], beta2: ["adam"],
                  alpha: ["rmsprop"], eps: ["adam", "rmsprop", "adagrad"] };
  var LR_MIN = -5, LR_MAX = 1.5; // the slider: log10 of the learning rate

  function el(tag, props, kids) {
    var e = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) { if (k === "text") e.textContent = props[k]; else e.setAttribute(k, props[k]); });
    (kids || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }

  // The form in `box`; onChange(partial, key) is called with the settings a field changed.
  function Form(box, onChange) {
    this.box = box; this.inputs = {}; this.msgs = {}; this.onChange = onChange;
    var self = this;
    FIELDS.forEach(function (f) {
      var key = f[0], kind = f[2], id = "sgd-live-" + key.replace(/_/g, "-"), label = el("label", { for: id, text: f[1] });
      var field = el("div", { class: "field", id: id + "-field" }, [label]), input;
      if (kind === "optimizer") {
        input = el("select", { id: id });
        TWIN.settings.OPTIMIZERS.forEach(function (name) { input.appendChild(el("option", { value: name, text: L.TITLES[name] })); });
        input.addEventListener("change", function () { self.fire(key, input.value); });
      } else if (kind === "bool") {
        input = el("input", { id: id, type: "checkbox" });
        label.insertBefore(input, label.firstChild);
        input.addEventListener("change", function () { self.fire(key, input.checked); });
      } else {
        input = el("input", { id: id, type: "number", step: kind === "int" ? "1" : (f[3] && f[3].step) || "any" });
        if (kind === "int") input.setAttribute("min", key === "seed" ? "0" : "1");
        input.addEventListener("change", function () { self.fire(key, self.parse(key, input.value, kind)); });
        if (kind === "lr") { // a log-scale slider beside the number
          var slider = el("input", { id: "sgd-live-lr-slider", type: "range", min: String(LR_MIN), max: String(LR_MAX), step: "0.01",
                                     "aria-label": "learning rate (log scale)" });
          slider.addEventListener("input", function () {
            var v = Number(Math.pow(10, Number(slider.value)).toPrecision(3));
            input.value = String(v);
            self.fire(key, v);
          });
          self.slider = slider;
          label.appendChild(slider);
        }
      }
      if (kind !== "bool") label.appendChild(input);
      self.inputs[key] = input;
      self.msgs[key] = el("span", { class: "msg", id: id + "-msg", role: "alert" });
      field.appendChild(self.msgs[key]);
      box.appendChild(field);
    });
  }

  // A field's text as a value: a number, or the text itself (the twin's check names it).
  Form.prototype.parse = function (key, text, kind) {
    var t = String(text).trim();
    if (t === "") return "";
    var v = Number(t);
    if (kind === "int" && key === "seed" && /^\d{16,}$/.test(t)) return BigInt(t);
    return isNaN(v) ? t : v;
  };

  Form.prototype.fire = function (key, value) { var p = {}; p[key] = value; this.onChange(p, key); };

  // Show settings s (a config) in the fields.
  Form.prototype.show = function (s) {
    var self = this;
    FIELDS.forEach(function (f) {
      var key = f[0], input = self.inputs[key], v = s[key];
      if (f[2] === "bool") input.checked = !!v;
      else if (v === null || v === undefined) input.value = "";
      else if (document.activeElement !== input || f[2] === "optimizer") input.value = String(v);
      var applies = !APPLIES[key] || APPLIES[key].indexOf(s.optimizer) >= 0;
      $field(key).hidden = !applies;
    });
    if (this.slider && typeof s.lr === "number" && s.lr > 0 && document.activeElement !== this.slider) {
      this.slider.value = String(Math.min(Math.max(Math.log10(s.lr), LR_MIN), LR_MAX));
    }
  };

  function $field(key) { return document.getElementById("sgd-live-" + key.replace(/_/g, "-") + "-field"); }

  // A message beside `key`'s field ("" clears it); key null: every field's cleared.
  Form.prototype.message = function (key, text) {
    var self = this;
    (key === null ? Object.keys(this.msgs) : [key]).forEach(function (k) {
      if (!self.msgs[k]) return;
      self.msgs[k].textContent = text || "";
      var input = self.inputs[k];
      if (input) input.classList.toggle("bad", !!text);
    });
  };

  L.Form = Form; L.FIELD_KEYS = KEYS; L.el = el;
})(SGD, TWIN);
