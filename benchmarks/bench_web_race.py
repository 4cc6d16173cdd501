"""Benchmark: the race in the web player (headless Chromium), beside the single-run player.

For races of 4, 8 and 12 runs (one diverged; ``--epochs`` each) and the single-run page of
the first run, side by side in one run:

  export     seconds to build the page in Python (RaceStory, the document, the HTML)
  bytes      size of the page
  ready      seconds from navigation until the player is ready
  frame      the time to show a frame, drawn and rasterised (each canvas read back), median
             and p95 over every frame of the plan (the median of three passes)

Goal: p95 under 16 ms (a 60 Hz display's frame).

    .venv/bin/python benchmarks/bench_web_race.py [--epochs 100] [--size 1280x720]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import browser  # noqa: E402

FRAMES = """
var api = window.sgdPlayer, n = api.frames(), times = [];
var canvases = Array.prototype.filter.call(document.querySelectorAll('canvas'), function (c) { return c.width > 0 && !c.closest('[hidden]'); });
for (var i = 0; i < n; i++) {
  var t0 = performance.now(); api.goFrame(i);
  canvases.forEach(function (c) { c.getContext('2d').getImageData(0, 0, 1, 1); });  // rasterise
  times.push(performance.now() - t0);
}
return times;
"""


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def measure(driver, page: Path) -> dict:
    t0 = time.perf_counter()
    browser.open_page(driver, page)
    ready = time.perf_counter() - t0
    passes = [driver.execute_script(FRAMES) for _ in range(3)]
    errors = [m for m in browser.console(driver) if m["level"] == "SEVERE"]
    return {"ready_s": ready, "frames": len(passes[0]),
            "median_ms": statistics.median(statistics.median(p) for p in passes),
            "p95_ms": statistics.median(pct(p, 95) for p in passes), "console_errors": len(errors)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--size", default="1280x720")
    args = ap.parse_args(argv)
    why = browser.missing()
    if why:
        print(f"bench_web_race: {why}", file=sys.stderr)
        return 1
    from scenes.story.race import RaceStory
    from scenes.story.theme import load_theme
    from scenes.web.page import player_page
    from scenes.web.race_export import race_page
    from training.config import TrainConfig
    from training.recorder import record

    lrs = (0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 1.5)
    traces = [(f"lr={lr}", record(TrainConfig(lr=lr, epochs=args.epochs))) for lr in lrs]
    theme = load_theme("light")
    width, height = (int(v) for v in args.size.lower().split("x"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="sgd-bench-web-race-") as tmp, browser.chrome(width, height) as d:
        d.set_script_timeout(600)
        cases = [("single run", lambda: player_page(traces[0][1], theme=theme))]
        for n in (4, 8, 12):
            runs = traces[:n - 1] + [traces[-1]]  # the diverged run (lr 1.5) always among them
            cases.append((f"race, {n} runs", lambda runs=runs: race_page(RaceStory(runs, ["lr"]), theme)))
        for name, make in cases:
            t0 = time.perf_counter()
            text = make()
            export = time.perf_counter() - t0
            page = Path(tmp) / f"{len(rows)}.html"
            page.write_text(text, encoding="utf-8")
            rows.append((name, export, page.stat().st_size, measure(d, page)))
    print(f"{'page':<16}{'export s':>10}{'kB':>8}{'ready s':>9}{'frames':>8}{'median ms':>11}{'p95 ms':>8}"
          f"{'errors':>8}")
    for name, export, size, m in rows:
        print(f"{name:<16}{export:>10.2f}{size / 1000:>8.0f}{m['ready_s']:>9.2f}{m['frames']:>8}"
              f"{m['median_ms']:>11.2f}{m['p95_ms']:>8.2f}{m['console_errors']:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
