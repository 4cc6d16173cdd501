"""WebM (VP9) against MP4 (H.264) for the same frames: smaller at the same quality.

Quality is the PSNR of every decoded frame against the frame the renderer drew, in RGB,
frame by frame (by index, not timestamp: WebM's millisecond timestamps round 1/30 s)."""
from __future__ import annotations

import numpy as np
import pytest

from scenes.mpl.render import FrameRenderer, _setup, build_plan, render_matplotlib
from scenes.writers.ffmpeg import WebMWriter
from training.config import TrainConfig
from training.recorder import record


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """In dB, of two 8-bit frames. The squared differences are summed in integers: exact, and
    faster than in float64 (1080p frames, both videos, every frame: the test's main cost)."""
    d = np.subtract(a, b, dtype=np.int16).ravel()
    mse = float(np.einsum("i,i->", d, d, dtype=np.int64)) / d.size
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def decoded(path):
    """The video's frames as RGB arrays, one at a time (1080p frames add up: never all held)."""
    import av

    with av.open(str(path)) as c:
        for f in c.decode(c.streams.video[0]):
            yield f.to_ndarray(format="rgb24")


def test_webm_settings_are_the_measured_ones():
    w = WebMWriter()
    w.fps = 30
    args = w.output_args()
    assert args[args.index("-deadline") + 1] == "realtime" and args[args.index("-cpu-used") + 1] == "5"
    assert args[args.index("-tune-content") + 1] == "screen" and args[args.index("-g") + 1] == "300"
    good = WebMWriter(deadline="good", cpu_used=4)
    good.fps = 30
    assert good.output_args()[good.output_args().index("-deadline") + 1] == "good"


@pytest.mark.slow
def test_webm_is_smaller_than_mp4_at_equal_quality(tmp_path):
    trace = record(TrainConfig(epochs=20))
    size = (1920, 1080)  # the article preset (MP4 1.14 MB at 41.9 dB, WebM 1.10 MB at 41.9 dB)
    files = render_matplotlib(trace, tmp_path, formats=("mp4", "webm"), size=size, fps=30, captions=False)
    mp4, webm = (f for f in files)
    import matplotlib

    # The frames are drawn once more, and each is compared with both videos' (one pass).
    scores: dict[str, list[float]] = {".mp4": [], ".webm": []}
    with matplotlib.rc_context({"text.hinting": "none"}):  # as render_matplotlib lays out and draws
        scene = _setup(trace, size, "light", ("fit", "loss", "params", "numbers"))
        renderer = FrameRenderer(scene, build_plan(trace, None, 30))
        for a, b, drawn in zip(decoded(mp4), decoded(webm), renderer.frames(), strict=True):
            scores[".mp4"].append(psnr(a, drawn[..., :3]))
            scores[".webm"].append(psnr(b, drawn[..., :3]))
    quality = {suffix: float(np.mean(values)) for suffix, values in scores.items()}
    sizes = {f.suffix: f.stat().st_size for f in (mp4, webm)}
    assert quality[".mp4"] > 38, quality  # the frames compared are the frames encoded
    assert quality[".webm"] >= quality[".mp4"] - 0.1, (quality, sizes)
    assert sizes[".webm"] < sizes[".mp4"], (quality, sizes)
