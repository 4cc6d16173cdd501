"""Text sizes remembered from one run to the next: the layout's measurements, kept on disk.

Fitting a scene to its frame measures a few hundred texts (tick labels, titles, every line
the numbers table may show), and FreeType takes 0.5 to 3 ms for each: about half the time of
a PNG render. Most of them are the same from one render to the next (the same run at the
same size, or another run's tick labels and titles), so the answers are kept in the cache
folder (``text-metrics.json`` beside the cached traces, :func:`training.cache.cache_dir`)
and given back as they were measured: the same floats, so the same layout, the same pixels.

An answer is looked up by everything matplotlib's own measurement depends on: the text,
whether it is math, the renderer's dpi and every field of the font properties; and the file
as a whole is stamped with what decides how those turn into sizes: matplotlib's and
FreeType's versions, the font, text and mathtext settings (hinting among them), and the
installed fonts (each file's path, size and modification time). Any change there and the
file is ignored, then overwritten. Only the layout uses it (:class:`MeasuredOnce` is on
while a Scene fits itself); a frame's own texts are measured the usual way.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

__all__ = ["MeasuredOnce", "metrics_path", "stamp"]

FILE_NAME = "text-metrics.json"
FORMAT = 1
MAX_ENTRIES = 3000  # one scene measures about 300; several sizes, themes and runs fit
RC_GROUPS = ("font", "text", "mathtext")


def metrics_path() -> Path:
    from training.cache import cache_dir
    return cache_dir() / FILE_NAME


def stamp(renderer) -> str:
    """What decides a text's size besides the text and its font properties: versions,
    settings and the fonts installed. A change of any of them starts the file afresh."""
    import matplotlib as mpl
    from matplotlib import font_manager, ft2font

    h = hashlib.sha256()
    rc = mpl.rcParams
    parts = [FORMAT, mpl.__version__, ft2font.__freetype_version__, type(renderer).__module__,
             type(renderer).__qualname__,
             [(k, repr(rc[k])) for k in sorted(rc) if k.split(".", 1)[0] in RC_GROUPS]]
    h.update(repr(parts).encode())
    fm = font_manager.fontManager
    for entry in [*fm.ttflist, *fm.afmlist]:
        try:
            st = os.stat(entry.fname)
            h.update(repr((entry, st.st_size, st.st_mtime_ns)).encode())
        except OSError:
            h.update(repr((entry, None)).encode())
    return h.hexdigest()


class MeasuredOnce:
    """On ``renderer``, until :meth:`close`: text sizes come from the file when known, from
    FreeType otherwise (and are then added to the file at close)."""

    def __init__(self, renderer, path: Path | None = None):
        self.renderer = renderer
        try:
            self.path: Path | None = metrics_path() if path is None else path
        except (RuntimeError, KeyError, OSError):  # no home folder to find the cache in: measured
            self.path = None
        self.stamp = stamp(renderer)
        self.known = self._load()
        self.new: dict[str, tuple[float, ...]] = {}
        self._measure = renderer.get_text_width_height_descent
        renderer.get_text_width_height_descent = self._lookup  # this renderer only

    def _lookup(self, s, prop, ismath):
        if ismath == "TeX":  # LaTeX's own files decide: not remembered
            return self._measure(s, prop, ismath)
        return self.recall(("renderer", s, ismath, self.renderer.dpi, sorted(prop.__dict__.items())),
                           lambda: self._measure(s, prop, ismath), 3)

    def recall(self, question: tuple, measure, n: int) -> tuple[float, ...]:
        """The ``n`` floats ``measure()`` gave for ``question`` (a tuple that names everything
        the answer depends on besides the stamp), measured now if not known."""
        key = hashlib.blake2b(repr(question).encode(), digest_size=12).hexdigest()
        size = self.known.get(key) or self.new.get(key)
        if size is None or len(size) != n:
            size = self.new[key] = tuple(float(v) for v in measure())
        return size

    def _load(self) -> dict[str, tuple[float, ...]]:
        if self.path is None:
            return {}
        try:
            doc = json.loads(self.path.read_bytes())
            if doc.get("stamp") != self.stamp:
                return {}
            return {k: tuple(float(v) for v in size) for k, size in doc["sizes"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return {}  # no file, another version's or a damaged one: measured again

    def close(self) -> None:
        """Stop answering for the renderer; keep what was measured (newest first, at most
        MAX_ENTRIES). A cache folder that cannot be written costs the time, nothing else."""
        if self.renderer.__dict__.get("get_text_width_height_descent") == self._lookup:
            del self.renderer.get_text_width_height_descent
        if not self.new or self.path is None:
            return
        sizes = dict(self.new)
        for k, v in self.known.items():
            if len(sizes) >= MAX_ENTRIES:
                break
            sizes.setdefault(k, v)
        from training.atomic import atomic_path
        try:
            with atomic_path(self.path) as tmp:
                tmp.write_text(json.dumps({"stamp": self.stamp, "sizes": sizes}))
        except OSError:
            pass
        self.known, self.new = sizes, {}
