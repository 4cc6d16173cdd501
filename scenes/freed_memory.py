"""Keep freed memory for reuse while frames stream: fewer page faults, the same bytes out.

A video's frames are megabytes each (3.7 MB at 1280x720), copied once for the encoders and
freed a frame later, and ffmpeg allocates and frees buffers of that size for every frame it
reads and converts. glibc hands a block above its mmap threshold (128 kB at first, adapting
up to 32 MB) back to the system when it is freed, so the next frame's block is fresh memory,
and every page of it faults when first written: the default command took about 250,000 page
faults in our process and 200,000 in its two ffmpeg processes (1.8 GB of fresh pages; more
than a second of system time on two cores, where a fault costs a few µs under a virtual
machine). With blocks up to MMAP_THRESHOLD served from the heap, and the heap trimmed only
past TRIM_THRESHOLD of free memory at its top, freed frames are reused in place: about a
third of the faults, 1 CPU-s less system time on the default command (docs/benchmarks.md).
Memory held stays about the run's peak; the outputs are the same bytes.

glibc only (Linux): elsewhere, or with another C library, both are no-ops. The settings are
process-wide, so :func:`keep_freed_memory` is for the program (render.py's ``main``), not a
notebook that imports the package; the encoders' processes get them through their
environment (:func:`encoder_env`), which glibc reads when it starts.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

__all__ = ["keep_freed_memory", "encoder_env", "MMAP_THRESHOLD", "TRIM_THRESHOLD", "TOP_PAD"]

MMAP_THRESHOLD = 64 << 20   # blocks up to this come from the heap (a 4K frame, 33 MB, included)
TRIM_THRESHOLD = 256 << 20  # free memory at the heap's top kept up to this
TOP_PAD = 64 << 20          # the heap grows by this much at a time (fewer brk calls)

# mallopt's parameter numbers (malloc.h)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def encoder_env(base: dict | None = None) -> dict:
    """The environment for an encoder process: ``base`` (os.environ) with glibc's malloc told
    the same, unless the user set these variables already."""
    env = dict(os.environ if base is None else base)
    if sys.platform.startswith("linux"):
        for name, value in (("MALLOC_MMAP_THRESHOLD_", MMAP_THRESHOLD), ("MALLOC_TRIM_THRESHOLD_", TRIM_THRESHOLD),
                            ("MALLOC_TOP_PAD_", TOP_PAD)):
            env.setdefault(name, str(value))
    return env


def keep_freed_memory() -> bool:
    """This process's malloc keeps freed frames for reuse (glibc's mallopt); False where it
    cannot (not glibc, or refused), and nothing changes then."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok = True
    for param, value in ((_M_MMAP_THRESHOLD, MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD),
                         (_M_TOP_PAD, TOP_PAD)):
        ok = bool(mallopt(param, value)) and ok  # mallopt returns 1 on success
    return ok
