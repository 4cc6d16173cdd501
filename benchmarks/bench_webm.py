"""Benchmark: WebM (VP9) against MP4 (H.264) at the article preset, the claim behind WebM's settings.

Renders the 20-epoch run at 1920x1080, 30 fps, to both formats in one pass, decodes both, and
scores every frame's PSNR (RGB, by index) against the frame the renderer drew. The claim:
WebM is smaller than MP4 at the same quality (within 0.1 dB). Measured when WebMWriter's
settings were chosen: MP4 1.14 MB at 41.9 dB, WebM 1.10 MB at 41.9 dB.

At small sizes VP9's realtime settings trade about 1 dB for 25 % less size, so the suite's
test (tests/render/test_webm.py) checks a small clip for decoding and size only; this is the
full-size measurement (about a minute of CPU).

    .venv/bin/python benchmarks/bench_webm.py                       # 1920x1080, 20 epochs
    .venv/bin/python benchmarks/bench_webm.py --size 1280x720 --epochs 5
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from tests.render.test_webm import compare_webm_and_mp4

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--fps", type=int, default=30)
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        quality, sizes, frames = compare_webm_and_mp4(Path(tmp), args.epochs, (w, h), args.fps)
    took = time.perf_counter() - start
    for suffix in (".mp4", ".webm"):
        print(f"{suffix[1:]:5} {sizes[suffix] / 1e6:6.2f} MB  {quality[suffix]:5.1f} dB PSNR over {frames} frames")
    smaller = sizes[".webm"] < sizes[".mp4"]
    same = quality[".webm"] >= quality[".mp4"] - 0.1
    print(f"webm is {sizes['.webm'] / sizes['.mp4']:.2f} x mp4's size at {quality['.webm'] - quality['.mp4']:+.2f} dB"
          f" ({'holds' if smaller and same else 'FAILS'}: smaller at equal quality); {took:.0f} s")
    return 0 if smaller and same else 1


if __name__ == "__main__":
    sys.exit(main())
