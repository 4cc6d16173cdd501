"""The baseline: an animation written the way the article's readers would write it.

A FuncAnimation whose update function clears and redraws two axes (the fit and the loss)
every frame, saved with ``FuncAnimation.save`` through FFMpegWriter (MP4) or PillowWriter
(GIF). It reads the same Trace and shows one frame per step. Used only by the benchmark.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import imageio_ffmpeg  # noqa: E402

# No system ffmpeg: point matplotlib's FFMpegWriter at the one in imageio-ffmpeg.
matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter  # noqa: E402

from training.trace import Trace  # noqa: E402


def naive_animation(trace: Trace, size=(1280, 720), n_frames: int | None = None):
    x, y = trace.x, trace.y
    a, b, loss = trace.a_after, trace.b_after, trace.steps["loss"]
    n = trace.n_steps if n_frames is None else n_frames
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(size[0] / 100, size[1] / 100), dpi=100)

    def update(k):
        ax1.clear()
        ax1.scatter(x, y, color="tab:blue", label="data")
        ax1.plot(x, a[k] * x + b[k], color="tab:red", label=f"y' = {a[k]:.3f}x + {b[k]:.3f}")
        ax1.set_xlabel("x")
        ax1.set_ylabel("y")
        ax1.set_title(f"Epoch {trace.steps['epoch'][k] + 1}, batch {trace.steps['batch'][k] + 1}")
        ax1.legend(loc="upper left")
        ax2.clear()
        ax2.plot(range(k + 1), loss[:k + 1], color="tab:orange")
        ax2.set_xlabel("step")
        ax2.set_ylabel("loss")
        ax2.set_title(f"Loss: {loss[k]:.4f}")

    return FuncAnimation(fig, update, frames=n, repeat=False)


def save_naive(trace: Trace, path: Path, fmt: str, fps: int = 30, size=(1280, 720)) -> int:
    anim = naive_animation(trace, size)
    writer = FFMpegWriter(fps=fps) if fmt == "mp4" else PillowWriter(fps=fps)
    anim.save(str(path), writer=writer)
    plt.close("all")
    return trace.n_steps
