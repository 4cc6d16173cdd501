// A request, {"config": <a trace's config>, "data": {"x": [...], "y": [...]}}, to trace.json
// text, or many at once ({"batch": [request, ...]}: one JSON line of result per request),
// with no I/O: the Node entry (../twin.js) and a page both call run().
(function (TWIN) {
  "use strict";
  const VERSIONS = { sgd_anim: "twin", twin: "scenes/web/twin.js: training.record in JavaScript (float32 as PyTorch 2.13 on x86-64)" };

  // JSON.parse, except that a seed too large for a double keeps its digits (a BigInt).
  function parseRequest(text) {
    const request = JSON.parse(text);
    const digits = [...text.matchAll(/"seed"\s*:\s*(\d{16,})/g)].map((m) => BigInt(m[1]));
    const fix = (config) => {
      if (config && typeof config.seed === "number" && !Number.isSafeInteger(config.seed)) {
        config.seed = digits.find((d) => Number(d) === config.seed) ?? config.seed;
      }
    };
    for (const r of request && Array.isArray(request.batch) ? request.batch : [request]) fix(r && r.config);
    return request;
  }

  function checkRequest(request) {
    if (request === null || typeof request !== "object" || Array.isArray(request) || !("config" in request) ||
        !("data" in request)) {
      TWIN.settings.refuse('a request is {"config": <a trace\'s config>, "data": {"x": [...], "y": [...]}}');
    }
  }

  // -> {ok: true, text} or {ok: false, error: "one line"}
  function runOne(request) {
    try {
      checkRequest(request);
      const trace = TWIN.record(request.config, request.data);
      return { ok: true, text: TWIN.traceText(trace, VERSIONS) };
    } catch (e) {
      if (e instanceof TWIN.settings.SettingsError) return { ok: false, error: e.message };
      throw e;
    }
  }

  TWIN.request = { parseRequest, runOne, VERSIONS };
})(TWIN);
