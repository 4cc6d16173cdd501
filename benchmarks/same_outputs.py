"""Do two checkouts make the same outputs? A before/after check for refactors.

Renders a list of commands (the layout matrix's runs, both backends, a comparison, re-renders
from a trace) with the checkout at ``--root`` and writes a manifest: a SHA-256 per output,
of the bytes for images, traces and configs, and of the decoded frames for videos and GIFs
(an encoder's container bytes may differ while every frame is the same). Run it for the old
and the new checkout and compare the two manifests:

    python benchmarks/same_outputs.py --root OLD --manifest old.json
    python benchmarks/same_outputs.py --root NEW --manifest new.json --against old.json

The second call prints every output that differs and exits 1 if any does.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SMALL = ["--size", "640x360", "--fps", "6"]
MPL = ["--format", "png,frames,gif,mp4,pptx", *SMALL]
CASES: dict[str, list[str]] = {   # name -> flags (the layout matrix's runs, and more)
    "article": [*MPL],
    "article-b1-shuffled": ["--batch-size", "1", "--shuffle", "--epochs", "30", *MPL],
    "momentum": ["--optimizer", "momentum", "--epochs", "60", *MPL],
    "adam": ["--optimizer", "adam", "--lr", "0.05", *MPL, "--theme", "dark"],
    "diverging": ["--lr", "1.0", "--epochs", "20", *MPL],
    "noisy-csv": ["--config", "noisy_csv", *MPL],
    "noisy-adam-b32": ["--data", "{work}/noisy_line.csv", "--optimizer", "adam", "--lr", "0.05",
                       "--batch-size", "32", "--epochs", "40", "--keep-last", *MPL],
    "sgd-200-b2": ["--data", "synthetic:n=200,seed=1", "--lr", "0.2", "--epochs", "3", "--shuffle", *MPL],
    "rmsprop-square": ["--optimizer", "rmsprop", "--momentum", "0.5", "--format", "png,gif",
                       "--size", "480x480", "--fps", "6"],
    "adagrad-portrait": ["--optimizer", "adagrad", "--format", "png,gif", "--size", "360x640", "--fps", "6"],
    "nesterov-views": ["--optimizer", "momentum", "--nesterov", "--views", "fit,numbers", "--format", "png,gif",
                       *SMALL],
    "weight-decay": ["--weight-decay", "0.1", "--format", "png,svg", *SMALL],
    "slides-preset": ["--preset", "slides", "--epochs", "20"],
    "manim-walk": ["--backend", "manim", "--quality", "low", "--format", "png,mp4", "--epochs", "10",
                   "--duration", "6"],
    "manim-params": ["--backend", "manim", "--scene", "params", "--quality", "low", "--format", "png,gif",
                     "--optimizer", "momentum", "--epochs", "10", "--duration", "5", "--theme", "dark"],
    "compare": ["--compare", "lr=0.1,0.3", "--format", "png,gif", *SMALL, "--epochs", "20"],
    "record-only": ["--record-only", "--data", "synthetic:n=500,seed=2", "--batch-size", "10", "--shuffle"],
}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _video_frames(path: Path) -> str:
    import av
    h = hashlib.sha256()
    n = 0
    with av.open(str(path)) as box:
        for frame in box.decode(video=0):
            h.update(frame.to_ndarray(format="rgb24").tobytes())
            n += 1
    return f"{n} frames {h.hexdigest()[:16]}"


def _gif_frames(path: Path) -> str:
    from PIL import Image, ImageSequence
    h = hashlib.sha256()
    n = 0
    with Image.open(path) as im:
        for frame in ImageSequence.Iterator(im):
            h.update(frame.convert("RGB").tobytes())
            h.update(str(frame.info.get("duration")).encode())
            n += 1
    return f"{n} frames {h.hexdigest()[:16]}"


def _pptx(path: Path) -> str:
    h = hashlib.sha256()
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if name != "docProps/core.xml":  # holds the time it was written
                h.update(name.encode() + z.read(name))
    return h.hexdigest()[:16]


def fingerprint(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".mp4", ".webm"):
        return _video_frames(path)
    if suffix == ".gif":
        return _gif_frames(path)
    if suffix == ".pptx":
        return _pptx(path)
    if suffix == ".svg":  # matplotlib stamps the date and draws random ids unless hashsalt is set
        text = re.sub(r"<dc:date>[^<]*</dc:date>", "", path.read_text(encoding="utf-8"))
        return _digest(re.sub(r"\b([mp])[0-9a-f]{10}\b", r"\1", text).encode())
    if suffix in (".html",):
        return f"{path.stat().st_size} bytes (pages: compare screenshots instead)"
    return _digest(path.read_bytes())


def run_case(root: Path, name: str, flags: list[str], work: Path) -> dict[str, str]:
    out = work / name
    env = {**os.environ, "PYTHONPATH": str(root), "SGD_ANIM_CACHE": str(work / "cache"),
           "SGD_ANIM_MANIM_CACHE": str(work / f"manim-{name}")}
    flags = [f.replace("{work}", str(work)) for f in flags]  # the same paths for every checkout
    cmd = [sys.executable, str(root / "render.py"), *flags, "--out", str(out), "--quiet"]
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        return {f"{name}/ERROR": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else str(done.returncode)}
    return {f"{name}/{p.relative_to(out).as_posix()}": fingerprint(p)
            for p in sorted(out.rglob("*")) if p.is_file()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, required=True, help="the checkout to run")
    ap.add_argument("--manifest", type=Path, required=True, help="where to write the manifest (JSON)")
    ap.add_argument("--against", type=Path, help="a manifest to compare with")
    ap.add_argument("--only", help="comma list of case names")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    names = args.only.split(",") if args.only else list(CASES)
    manifest: dict[str, str] = {}
    # A fixed folder: traces and configs name their data files, which must be the same paths.
    tmp = Path(tempfile.gettempdir()) / "sgd-anim-same-outputs"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    shutil.copy(Path(__file__).resolve().parent.parent / "assets" / "data" / "noisy_line.csv", tmp)
    with ThreadPoolExecutor(args.jobs) as pool:
        for part in pool.map(lambda n: run_case(args.root.resolve(), n, CASES[n], Path(tmp)), names):
            manifest.update(part)
    args.manifest.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    print(f"{len(manifest)} outputs fingerprinted in {args.manifest}")
    if not args.against:
        return 0
    old = json.loads(args.against.read_text())
    old = {k: v for k, v in old.items() if k.split("/")[0] in names}
    differ = sorted(k for k in set(old) | set(manifest) if old.get(k) != manifest.get(k))
    for k in differ:
        print(f"DIFFERS {k}: {old.get(k)} -> {manifest.get(k)}")
    print(f"{len(old)} before, {len(manifest)} after, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
