"""Benchmark: the web player in headless Chromium, and its file size against matplotlib's to_jshtml.

For the article's run (300 steps) and a 100,000-step run (1,000 synthetic points, batch
size 1, 100 epochs; recorded once, ~25 s, or passed with --big TRACE):

  page       bytes of STEM.html (render.py --format html), and the time from navigation until
             the player is ready (JSON parsed, columns decoded, static layers drawn)
  frame      the time to show a frame of the plan, drawn and rasterised (each canvas is read
             back, which makes Chromium rasterise it), median and p95 over every frame
  script     the player's own drawing calls per frame (its render(), without rasterising),
             while it plays the whole plan at 1x
  interval   the time between animation frames while it plays (requestAnimationFrame
             timestamps): 16.7 ms means no frame was dropped at 60 Hz
  step       the time to show an arbitrary step (a jump through the fast-forward, as
             stepping with the keyboard does), drawn and rasterised, over 300 steps

Goal: p95 under 16 ms (a 60 Hz display's frame). Then the sizes: the html page, the
--explore page (24 runs), and matplotlib's FuncAnimation.to_jshtml() of the same run
(make_animation at 1280x720, every frame embedded as PNG, as a notebook would show it).

    .venv/bin/python benchmarks/bench_player.py
    .venv/bin/python benchmarks/bench_player.py --big out/big/trace.json --no-jshtml
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import browser  # noqa: E402

PLAY = """
var done = arguments[arguments.length - 1], api = window.sgdPlayer, stamps = [];
api.resetTimes(); api.goFrame(0);
function tick(t) {
  stamps.push(t);
  var st = api.state();
  if (st.playing) requestAnimationFrame(tick);
  else done({draw: api.drawTimes(), stamps: stamps, frames: api.frames(), last: st.frame});
}
api.play(); requestAnimationFrame(tick);
"""

FLUSH = """
function flush() {  // reading a pixel makes the canvas rasterise what was drawn: the whole cost
  ['sgd-fit', 'sgd-loss', 'sgd-params'].forEach(function (id) {
    document.getElementById(id).getContext('2d').getImageData(0, 0, 1, 1);
  });
}
"""

FRAMES = FLUSH + """
var api = window.sgdPlayer, n = api.frames(), times = [];
for (var i = 0; i < n; i++) {
  var t0 = performance.now(); api.goFrame(i); flush(); times.push(performance.now() - t0);
}
return times;
"""

JUMPS = FLUSH + """
var api = window.sgdPlayer, n = arguments[0], times = [];
for (var k = 0; k < 300; k++) {
  var t0 = performance.now(); api.goStep((k * 7919) % n); flush(); times.push(performance.now() - t0);
}
return times;
"""


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def measure(page: Path, n_steps: int, width: int, height: int) -> dict:
    with browser.chrome(width, height) as d:
        t0 = time.perf_counter()
        browser.open_page(d, page)
        ready = time.perf_counter() - t0
        d.set_script_timeout(600)
        played = d.execute_async_script(PLAY)
        # Three passes over every frame (the first warms the script up); each statistic is the
        # median of the three passes' (this machine may be shared: one slow pass is noise).
        passes = [d.execute_script(FRAMES) for _ in range(3)]
        jump_passes = [d.execute_script(JUMPS, n_steps) for _ in range(3)]
        asked = browser.requests(d)
        errors = [m for m in browser.console(d) if m["level"] == "SEVERE"]
    draw = played["draw"]
    gaps = [b - a for a, b in zip(played["stamps"], played["stamps"][1:])]
    return {"bytes": page.stat().st_size, "ready_s": ready, "frames": played["frames"], "drawn": len(draw),
            "draw_median_ms": statistics.median(draw), "draw_p95_ms": pct(draw, 95),
            "full_median_ms": statistics.median(statistics.median(p) for p in passes),
            "full_p95_ms": statistics.median(pct(p, 95) for p in passes),
            "frame_median_ms": statistics.median(gaps), "frame_p95_ms": pct(gaps, 95),
            "step_median_ms": statistics.median(statistics.median(p) for p in jump_passes),
            "step_p95_ms": statistics.median(pct(p, 95) for p in jump_passes),
            "requests": len(asked) - 1, "console_errors": len(errors)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", help="a trace.json of ~100,000 steps (default: record one)")
    ap.add_argument("--size", default="1280x900", help="browser window (default: 1280x900)")
    ap.add_argument("--no-jshtml", action="store_true", help="skip matplotlib's to_jshtml (a minute or two)")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    why = browser.missing()
    if why:
        print(f"bench_player: {why}", file=sys.stderr)
        return 1
    width, height = (int(v) for v in args.size.lower().split("x"))
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="sgd-bench-player-") as tmp:
        tmp = Path(tmp)
        run = [sys.executable, str(ROOT / "render.py"), "--quiet", "--no-cache"]
        subprocess.run([*run, "--format", "html", "--out", str(tmp / "default")], check=True)
        big = Path(args.big) if args.big else None
        if big is None:
            t0 = time.perf_counter()
            subprocess.run([*run, "--record-only", "--data", "synthetic:n=1000", "--batch-size", "1",
                            "--epochs", "100", "--out", str(tmp / "big")], check=True)
            results["big_record_s"] = time.perf_counter() - t0
            big = tmp / "big" / "trace.json"
        subprocess.run([*run, "--trace", str(big), "--format", "html", "--out", str(tmp / "bigpage")], check=True)
        t0 = time.perf_counter()
        subprocess.run([*run, "--format", "html", "--explore", "--out", str(tmp / "explore")], check=True)
        results["explore_s"] = time.perf_counter() - t0
        results["explore_bytes"] = (tmp / "explore" / "sgd.html").stat().st_size

        from training.trace import Trace
        for name, folder in (("default", tmp / "default"), ("100k", tmp / "bigpage")):
            n = Trace.from_file(folder / "trace.json").n_steps
            results[name] = {"steps": n, **measure(folder / "sgd.html", n, width, height)}
            r = results[name]
            print(f"{name:>8}: {n:,} steps, page {r['bytes'] / 1e3:,.0f} kB, ready in {r['ready_s']:.2f} s; "
                  f"frame {r['full_median_ms']:.2f} / {r['full_p95_ms']:.2f} ms (drawn and rasterised), "
                  f"script {r['draw_median_ms']:.2f} / {r['draw_p95_ms']:.2f} ms, interval while playing "
                  f"{r['frame_median_ms']:.1f} / {r['frame_p95_ms']:.1f} ms, step jump {r['step_median_ms']:.1f} / "
                  f"{r['step_p95_ms']:.1f} ms (median / p95); {r['drawn']} of {r['frames']} frames drawn; "
                  f"requests {r['requests']}, console errors {r['console_errors']}")
        print(f" explore: {results['explore_bytes'] / 1e3:,.0f} kB, 24 runs recorded and written in "
              f"{results['explore_s']:.1f} s")

        if not args.no_jshtml:
            import matplotlib
            matplotlib.use("Agg")
            from scenes.mpl.render import make_animation
            trace = Trace.from_file(tmp / "default" / "trace.json")
            t0 = time.perf_counter()
            with matplotlib.rc_context({"animation.embed_limit": 4000}):  # MB: every frame, not the first 20 MB
                text = make_animation(trace).to_jshtml()
            results["jshtml_bytes"] = len(text.encode("utf-8"))
            results["jshtml_s"] = time.perf_counter() - t0
            ratio = results["jshtml_bytes"] / results["default"]["bytes"]
            print(f"  jshtml: {results['jshtml_bytes'] / 1e6:,.1f} MB in {results['jshtml_s']:.0f} s "
                  f"(FuncAnimation.to_jshtml, 1280x720 PNG frames): {ratio:,.0f}x the player's page")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
