"""Contact sheets: for each run of the layout matrix, a grid of thumbnails of the frames the
layout check looks at (the end of every beat, the fast-forward, the final frame), for a human
to look at. Problems the check finds are outlined in red on the thumbnail and listed under it.

    .venv/bin/python benchmarks/contact_sheets.py OUT_DIR [--subset] [--run NAME] [--size WxH]
        [--theme light|dark] [--manim] [--workers 2] [--views fit,graph,loss,params]

Writes OUT_DIR/<run>_<size>_<theme>.png (matplotlib) and OUT_DIR/manim_<scene>_<run>_<theme>.png
(with --manim), and OUT_DIR/problems.txt.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.layout_matrix import (SIZES, THEMES, Case, check_case, check_manim_case,  # noqa: E402
                                      covering, full_matrix, manim_cases, worker_init)

THUMB = 420       # the longer side of a thumbnail, pixels
LABEL_H = 34      # caption strip under each thumbnail


def _font(size: int):
    from PIL import ImageFont
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return ImageFont.truetype(str(path), size)


def _keep(where: str) -> bool:
    """The frames a sheet shows: the end of each beat and the fast-forward (not beat starts)."""
    return "t=1.00" in where or "(fast" in where or "(intro" in where


def sheet(title: str, frames: list[tuple[str, "object"]], problems: list, out: Path, cols: int = 4) -> Path:
    """Thumbnails of ``frames`` ((label, RGBA array) pairs) with the problems outlined."""
    from PIL import Image, ImageDraw

    h0, w0 = frames[0][1].shape[:2]
    k = THUMB / max(w0, h0)
    tw, th = max(1, round(w0 * k)), max(1, round(h0 * k))
    cols = min(cols if w0 >= h0 else cols + 2, len(frames))
    rows = -(-len(frames) // cols)
    head = 40
    img = Image.new("RGB", (cols * (tw + 8) + 8, head + rows * (th + LABEL_H + 8) + 8), (96, 96, 96))
    draw = ImageDraw.Draw(img)
    draw.text((10, 8), title, fill=(255, 255, 255), font=_font(20))
    small = _font(11)
    by_where: dict[str, list] = {}
    for p in problems:
        by_where.setdefault(p.where, []).append(p)
    for j, (where, rgba) in enumerate(frames):
        x = 8 + (j % cols) * (tw + 8)
        y = head + (j // cols) * (th + LABEL_H + 8)
        im = Image.fromarray(rgba[..., :3]).resize((tw, th), Image.LANCZOS)
        img.paste(im, (x, y))
        mine = by_where.get(where, [])
        for p in mine:
            for b in p.boxes:  # pixel boxes, y up: flip to image rows
                draw.rectangle([x + b.x0 * k, y + (h0 - b.y1) * k, x + b.x1 * k, y + (h0 - b.y0) * k],
                               outline=(255, 0, 0), width=2)
        label = where.split(": ")[-1]
        draw.text((x, y + th + 2), label, fill=(255, 255, 255), font=small)
        if mine:
            draw.text((x, y + th + 16), f"{len(mine)} problem(s): {mine[0].rule}", fill=(255, 80, 80), font=small)
            draw.rectangle([x - 3, y - 3, x + tw + 2, y + th + 2], outline=(255, 0, 0), width=3)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out)
    return out


def mpl_sheet(case: Case, out_dir: Path) -> tuple[str, list[str]]:
    frames = []

    def grab(i, rgba, where):
        if _keep(where):
            frames.append((where, rgba.copy()))
    probs = check_case(case, on_frame=grab)
    sheet(case.label + (f"   {len(probs)} problems" if probs else "   no problems"), frames, probs,
          out_dir / f"{case.slug}.png")
    return case.label, [str(p) for p in probs]


def manim_sheet(case, out_dir: Path) -> tuple[str, list[str]]:
    run, theme, scene = case
    frames = []
    probs = check_manim_case(run, theme, scene, on_frame=lambda i, rgba, where: frames.append((where, rgba)))
    label = f"manim {scene} {run} {theme}"
    sheet(label + (f"   {len(probs)} problems" if probs else "   no problems"), frames, probs,
          out_dir / f"manim_{scene}_{run}_{theme}.png")
    return label, [str(p) for p in probs]


def _job(args):
    kind, case, out_dir = args
    return (mpl_sheet if kind == "mpl" else manim_sheet)(case, Path(out_dir))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--subset", action="store_true", help="the covering subset (12 sheets)")
    ap.add_argument("--run", action="append", help="only these runs (repeatable)")
    ap.add_argument("--size", action="append", help="only these sizes, WxH (repeatable)")
    ap.add_argument("--theme", choices=THEMES)
    ap.add_argument("--manim", action="store_true", help="also (or with --no-mpl, only) the Manim scenes")
    ap.add_argument("--no-mpl", action="store_true")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--views", default="", help="matplotlib: these views (with graph: 3 steps' graphs recorded)")
    args = ap.parse_args(argv)
    views = tuple(v for v in args.views.split(",") if v)
    jobs = []
    if not args.no_mpl:
        sizes = [tuple(int(v) for v in s.split("x")) for s in args.size] if args.size else SIZES
        cases = covering(views) if args.subset else full_matrix(views, sizes)
        cases = [c for c in cases if c.size in sizes and (not args.run or c.run in args.run)
                 and (not args.theme or c.theme == args.theme)]
        jobs += [("mpl", c, str(args.out_dir)) for c in cases]
    if args.manim:
        mc = [c for c in manim_cases(args.run) if not args.theme or c[1] == args.theme]
        jobs += [("manim", c, str(args.out_dir)) for c in mc]
    worker_init()
    t0 = time.perf_counter()
    lines = []
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers, initializer=worker_init) as pool:
            results = list(pool.map(_job, jobs))
    else:
        results = [_job(j) for j in jobs]
    for label, probs in results:
        lines.append(f"{'FAIL' if probs else 'ok  '} {label}: {len(probs)} problems")
        lines += [f"      {p}" for p in probs]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "problems.txt").write_text("\n".join(lines) + "\n")
    bad = sum(1 for _, p in results if p)
    print(f"{len(results)} sheets in {args.out_dir}, {bad} with problems, {time.perf_counter() - t0:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
