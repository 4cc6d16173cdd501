"""The summary chart of a comparison: final full-data loss against the varied setting.

One varied setting: a dot per run (a categorical axis for optimizer, data, shuffle and
nesterov), log scales where the values span more than a decade, the least-squares loss as a
dashed line, and each diverged run an × at the top edge. Two varied settings: a heatmap.
Otherwise (several traces, or three or more settings): a dot per run, by label. It draws
only what :mod:`scenes.compare.table` computed.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

from scenes.compare.spec import Axis, format_value
from scenes.compare.table import RunRow
from training.atomic import atomic_path

__all__ = ["CATEGORICAL", "write_summary", "uses_log"]

CATEGORICAL = ("optimizer", "data", "shuffle", "nesterov")
_SIZE_IN, _DPI = (8.0, 4.5), 150  # 1200x675 pixels


def uses_log(values: Sequence[float]) -> bool:
    """A log scale fits positive values spanning more than a decade."""
    vals = [v for v in values if math.isfinite(v)]
    return bool(vals) and min(vals) > 0 and max(vals) / min(vals) > 10


def write_summary(rows: Sequence[RunRow], axes: Sequence[Axis], out_dir: Path, *, theme: str = "light",
                  stem: str = "summary") -> list[Path]:
    """Draw the chart; write ``stem.png`` and ``stem.svg`` in ``out_dir`` (atomically)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from scenes.story.theme import load_theme
    th = load_theme(theme)
    fig = Figure(figsize=_SIZE_IN, dpi=_DPI, facecolor=th.color("background"))
    ax = fig.add_subplot()
    _style(ax, th)
    if len(axes) == 2:
        _heatmap(fig, ax, rows, axes, th)
    else:
        _dots(ax, rows, axes[0] if len(axes) == 1 else None, th)
    fig.tight_layout()
    written = []
    for fmt in ("png", "svg"):
        target = Path(out_dir) / f"{stem}.{fmt}"
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, facecolor=th.color("background"))
        written.append(target)
    return written


def _style(ax, th) -> None:
    ax.set_facecolor(th.color("panel"))
    for side in ax.spines.values():
        side.set_color(th.color("muted"))
    ax.tick_params(colors=th.color("text"), labelsize=9)
    ax.xaxis.label.set_color(th.color("text"))
    ax.yaxis.label.set_color(th.color("text"))
    ax.title.set_color(th.color("text"))


def _dots(ax, rows: Sequence[RunRow], axis: Axis | None, th) -> None:
    if axis is None:  # runs by label
        xs = list(range(len(rows)))
        ax.set_xticks(xs, [r.label for r in rows], rotation=30 if len(rows) > 3 else 0, ha="right" if len(rows) > 3 else "center")
        ax.set_xlabel("run")
        what = "run"
    elif axis.key in CATEGORICAL:
        xs = list(range(len(rows)))
        ax.set_xticks(xs, [format_value(axis.key, r.values[axis.key]) for r in rows])
        ax.set_xlabel(axis.key)
        what = axis.key
    else:
        xs = [float(r.values[axis.key]) for r in rows]
        if uses_log(xs):
            ax.set_xscale("log")
        ax.set_xticks(xs, [format_value(axis.key, r.values[axis.key]) for r in rows])
        ax.minorticks_off()
        ax.set_xlabel(axis.key)
        what = axis.key
    ok = sorted(((x, r) for x, r in zip(xs, rows) if not r.diverged), key=lambda xr: xr[0])  # the line runs left to right
    bad = [(x, r) for x, r in zip(xs, rows) if r.diverged]
    ys = [r.final_loss for _, r in ok]
    log_y = uses_log(ys + [r.least_squares_loss for r in rows if (r.least_squares_loss or 0) > 0]) and all(y > 0 for y in ys)
    if log_y:
        ax.set_yscale("log")
    if ok:
        line = th.color("loss_full")
        if axis is not None and axis.key not in CATEGORICAL:
            ax.plot([x for x, _ in ok], ys, color=line, lw=1.5, alpha=0.5, zorder=2)
        ax.scatter([x for x, _ in ok], ys, s=42, color=line, zorder=3, label="final loss")
    best = {r.least_squares_loss for r in rows}
    if len(best) == 1 and (next(iter(best)) or 0) > 0:
        ax.axhline(next(iter(best)), color=th.color("muted"), ls="--", lw=1.2, zorder=1, label="least squares")
    if bad:
        # Top edge: the axis blended with the x data (x in data units, y in axes units).
        tr = ax.get_xaxis_transform()
        ax.scatter([x for x, _ in bad], [0.96] * len(bad), marker="x", s=70, lw=2.2, color=th.color("diverged"),
                   transform=tr, zorder=4, clip_on=False, label="diverged")
        for x, r in bad:
            ax.annotate(f"diverged\nstep {r.diverged_at}", (x, 0.96), xycoords=tr, xytext=(0, -10),
                        textcoords="offset points", ha="center", va="top", fontsize=8, color=th.color("diverged"))
        if ok:
            lo, hi = min(ys), max(ys)
            # Room at the top for the marks: the finite losses use the lower 75% of the axis.
            if log_y:
                ax.set_ylim(lo / 2, hi * (hi / lo) ** 0.45 * 4)
            else:
                ax.set_ylim(0 if lo >= 0 else lo * 1.1, hi * 1.5 if hi > 0 else 1)
        else:
            ax.set_yticks([])
    if axis is not None and axis.key not in CATEGORICAL and len(xs) > 1:
        pad = (max(xs) / min(xs)) ** 0.06 if ax.get_xscale() == "log" else (max(xs) - min(xs)) * 0.06
        ax.set_xlim(min(xs) / pad, max(xs) * pad) if ax.get_xscale() == "log" else ax.set_xlim(min(xs) - pad, max(xs) + pad)
    elif len(xs):
        ax.set_xlim(-0.6, len(xs) - 0.4)
    ax.set_ylabel(f"final full-data loss ({rows[0].loss_name if rows else 'MSE'})" + (", log scale" if log_y else ""))
    ax.set_title(f"Final loss by {what}: {len(rows)} runs" + (f", {len(bad)} diverged" if bad else ""), fontsize=11)
    ax.grid(True, color=th.color("grid"), lw=0.8, zorder=0)
    ax.legend(fontsize=8, loc="lower left" if not log_y else "best", facecolor=th.color("panel"),
              labelcolor=th.color("text"), edgecolor=th.color("grid"))


def _heatmap(fig, ax, rows: Sequence[RunRow], axes: Sequence[Axis], th) -> None:
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm
    kx, ky = axes[0], axes[1]
    grid = np.full((len(ky.values), len(kx.values)), np.nan)
    by_cell = {}
    for r in rows:
        i, j = ky.values.index(r.values[ky.key]), kx.values.index(r.values[kx.key])
        by_cell[i, j] = r
        if not r.diverged:
            grid[i, j] = r.final_loss
    finite = grid[np.isfinite(grid)]
    log = uses_log(list(finite)) and bool(np.all(finite > 0))
    shown = np.log10(grid) if log else grid  # where each cell sits on the colour scale
    cmap = colormaps["viridis"].with_extremes(bad=th.color("grid"))
    norm = LogNorm(finite.min(), finite.max()) if log else None
    im = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, norm=norm, aspect="auto", origin="lower")
    bar = fig.colorbar(im, ax=ax)
    bar.set_label("final full-data loss" + (", log scale" if log else ""), color=th.color("text"))
    bar.ax.tick_params(colors=th.color("text"), labelsize=8)
    lo = np.nanmin(shown) if finite.size else 0.0
    hi = np.nanmax(shown) if finite.size else 1.0
    for (i, j), r in by_cell.items():
        if r.diverged:
            ax.text(j, i, f"×\ndiverged\nat step {r.diverged_at}", ha="center", va="center", fontsize=9,
                    color=th.color("diverged"), fontweight="bold")
        else:
            light = hi == lo or (shown[i, j] - lo) / (hi - lo) > 0.6  # viridis is light at the top
            ax.text(j, i, f"{r.final_loss:.3g}", ha="center", va="center", fontsize=8,
                    color="#1A1A1A" if light else "#FFFFFF")
    ax.set_xticks(range(len(kx.values)), [format_value(kx.key, v) for v in kx.values])
    ax.set_yticks(range(len(ky.values)), [format_value(ky.key, v) for v in ky.values])
    ax.set_xlabel(kx.key)
    ax.set_ylabel(ky.key)
    n_bad = sum(r.diverged for r in rows)
    ax.set_title(f"Final full-data loss by {kx.key} and {ky.key}: {len(rows)} runs"
                 + (f", {n_bad} diverged" if n_bad else ""), fontsize=11)
