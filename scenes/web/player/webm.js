/* A video of the run, made in the page: each frame drawn, then encoded as VP8 by the browser's
 * WebCodecs VideoEncoder and written into a WebM (Matroska) file here, with the frame's own
 * timestamp, so no frame is ever dropped however slow the machine (MediaRecorder, which
 * records a canvas's captureStream in real time, drops frames whenever the encoder falls
 * behind: on a busy machine a 1280-pixel frame takes longer than a frame's time). A browser
 * without WebCodecs records with MediaRecorder instead. */
(function (SGD) {
  "use strict";
  var posOfFrame = SGD.posOfFrame, frameOf = SGD.frameOf;

  // ------------------------------------------------------------------ the WebM file (EBML)
  function bytesOf(text) { return Array.from(new TextEncoder().encode(text)); }
  function uint(v) { var out = []; do { out.unshift(v % 256); v = Math.floor(v / 256); } while (v > 0); return out; }
  function float64(v) { var b = new Uint8Array(8); new DataView(b.buffer).setFloat64(0, v); return Array.from(b); }
  function size8(n) { var b = uint(n); while (b.length < 7) b.unshift(0); return [1].concat(b); } // an 8-byte length
  function idBytes(id) { return uint(id); }

  // An element: its id, its length, its content (bytes, or a list of parts: elements or Uint8Arrays).
  function el(id, content) {
    var parts = Array.isArray(content) && content.length && typeof content[0] !== "number" ? content : [content];
    var len = 0;
    parts.forEach(function (p) { len += p.length; });
    return [new Uint8Array(idBytes(id).concat(size8(len)))].concat(parts.map(function (p) {
      return p instanceof Uint8Array ? p : new Uint8Array(p);
    }));
  }
  function flat(parts) { return parts.reduce(function (a, p) { return a.concat(Array.isArray(p) ? flat(p) : [p]); }, []); }
  function node(id, children) { return el(id, flat(children)); }

  // chunks: [{key, ms, data: Uint8Array}] in order. Clusters start at key frames.
  function webmFile(chunks, width, height, durationMs) {
    var clusters = [], current = null;
    chunks.forEach(function (c) {
      if (!current || c.key || c.ms - current.t >= 30000) { current = { t: c.ms, blocks: [] }; clusters.push(current); }
      var rel = c.ms - current.t, head = new Uint8Array([0x81, (rel >> 8) & 255, rel & 255, c.key ? 0x80 : 0]);
      current.blocks.push(el(0xA3, [head, c.data]));
    });
    var segment = node(0x18538067, [
      node(0x1549A966, [el(0x2AD7B1, uint(1000000)), el(0x4D80, bytesOf("sgd-anim")), el(0x5741, bytesOf("sgd-anim")),
                        el(0x4489, float64(durationMs))]),
      node(0x1654AE6B, [node(0xAE, [el(0xD7, uint(1)), el(0x73C5, uint(1)), el(0x83, uint(1)), el(0x86, bytesOf("V_VP8")),
                                    node(0xE0, [el(0xB0, uint(width)), el(0xBA, uint(height))])])])
    ].concat(clusters.map(function (c) { return node(0x1F43B675, [el(0xE7, uint(c.t))].concat(c.blocks)); })));
    var header = node(0x1A45DFA3, [el(0x4286, uint(1)), el(0x42F7, uint(1)), el(0x42F2, uint(4)), el(0x42F3, uint(8)),
                                   el(0x4282, bytesOf("webm")), el(0x4287, uint(2)), el(0x4285, uint(2))]);
    return new Blob(header.concat(segment), { type: "video/webm" });
  }

  function sleep(ms) { return new Promise(function (ok) { setTimeout(ok, Math.max(0, ms)); }); }

  // ------------------------------------------------------------------ recording
  // Frames start..end of the player's run (default: all), drawn by ``compose(canvas)``; a
  // promise of the WebM's Blob, with ``stop()`` to end it early.
  function recordWebm(player, compose, opts) {
    opts = opts || {};
    var S = player.S, start = Math.max(0, opts.start || 0), end = Math.min(S.frames - 1, opts.end === undefined ? S.frames - 1 : opts.end);
    var out = compose(document.createElement("canvas")), ctl = { stopped: false };
    var back = frameOf(S, player.pos), wasPlaying = player.playing;
    player.pause();
    function show(f) { player.pos = posOfFrame(S, f); player.textStep = null; player.render(); compose(out); }
    function restore() { player.pos = posOfFrame(S, back); player.render(true); if (wasPlaying) player.play(); }
    var useCodecs = typeof VideoEncoder !== "undefined" && typeof VideoFrame !== "undefined" && !opts.mediaRecorder;
    var p = (useCodecs ? withCodecs : withRecorder)(S, out, start, end, show, opts, ctl);
    var done = p.then(function (blob) { restore(); return blob; }, function (e) { restore(); throw e; });
    done.stop = function () { ctl.stopped = true; };
    return done;
  }

  async function withCodecs(S, out, start, end, show, opts, ctl) {
    var config = { codec: "vp8", width: out.width, height: out.height, bitrate: 6e6, framerate: S.fps };
    var ok = await VideoEncoder.isConfigSupported(config);
    if (!ok.supported) return withRecorder(S, out, start, end, show, opts, ctl);
    var chunks = [], failed = null, step = 1e6 / S.fps, n = 0;
    var enc = new VideoEncoder({ output: function (chunk) {
      var data = new Uint8Array(chunk.byteLength);
      chunk.copyTo(data);
      chunks.push({ key: chunk.type === "key", ms: Math.round(chunk.timestamp / 1000), data: data });
    }, error: function (e) { failed = e; } });
    enc.configure(config);
    for (var f = start; f <= end && !ctl.stopped && !failed; f++, n++) {
      show(f);
      var frame = new VideoFrame(out, { timestamp: Math.round(n * step), duration: Math.round(step) });
      enc.encode(frame, { keyFrame: n % (2 * S.fps) === 0 }); // a key frame every 2 s: a player can seek
      frame.close();
      if (opts.progress) opts.progress((f - start + 1) / (end - start + 1));
      while (enc.encodeQueueSize > 2 && !failed) await sleep(2);
      if (n % 8 === 7) await sleep(0); // the page stays responsive
    }
    await enc.flush();
    enc.close();
    if (failed) throw new Error("the video could not be encoded (" + failed.message + ")");
    return webmFile(chunks, out.width, out.height, n * step / 1000);
  }

  async function withRecorder(S, out, start, end, show, opts, ctl) {
    if (!out.captureStream || typeof MediaRecorder === "undefined") throw new Error("this browser cannot record a video");
    var mime = ["video/webm;codecs=vp8", "video/webm;codecs=vp9", "video/webm"].filter(function (m) { return MediaRecorder.isTypeSupported(m); })[0];
    if (!mime) throw new Error("this browser cannot record WebM");
    var stream = out.captureStream(0), track = stream.getVideoTracks()[0], chunks = [];
    var rec = new MediaRecorder(stream, { mimeType: mime, videoBitsPerSecond: 6e6 });
    rec.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
    var stopped = new Promise(function (ok) { rec.onstop = ok; });
    rec.start();
    var t0 = performance.now(), dt = 1000 / S.fps;
    for (var f = start; f <= end && !ctl.stopped; f++) { // real time: MediaRecorder stamps frames by the clock
      show(f);
      if (track.requestFrame) track.requestFrame();
      if (opts.progress) opts.progress((f - start + 1) / (end - start + 1));
      await sleep(t0 + (f - start + 1) * dt - performance.now());
    }
    rec.stop();
    await stopped;
    track.stop();
    return new Blob(chunks, { type: "video/webm" });
  }

  SGD.recordWebm = recordWebm; SGD.webmFile = webmFile;
})(SGD);
