"""Output writers shared by every backend: MP4, WebM, GIF, PNG frames, a PNG poster."""
from __future__ import annotations

from scenes.writers.base import *  # noqa: F401,F403
from scenes.writers.base import __all__  # noqa: F401
