"""The player inline in a notebook: the whole page in an iframe's ``srcdoc`` (escaped), so it
needs no server, no file and no network, in Jupyter and in Colab alike."""
from __future__ import annotations

import html
from pathlib import Path

__all__ = ["Player", "iframe", "DEFAULT_HEIGHT"]

DEFAULT_HEIGHT = 780  # CSS pixels: the four views, the header and the controls at notebook width


def iframe(page: str, height: int = DEFAULT_HEIGHT) -> str:
    """An iframe that holds ``page`` itself. ``sandbox="allow-scripts"`` gives it an origin of
    its own: its script runs, and can reach neither the notebook nor the network."""
    if not isinstance(height, int) or isinstance(height, bool) or not 100 <= height <= 10_000:
        raise ValueError(f"height must be a whole number of pixels from 100 to 10000, got {height!r}")
    return (f'<iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
            f'title="sgd-anim player" style="width:100%;height:{height}px;border:0;display:block"></iframe>')


class Player:
    """An interactive player page. In Jupyter or Colab it shows itself; ``save`` writes it."""

    def __init__(self, page: str, height: int = DEFAULT_HEIGHT):
        self.html = page
        self.height = height

    def _repr_html_(self) -> str:
        return iframe(self.html, self.height)

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (atomically) and return the path."""
        from scenes.web.page import write_page
        return write_page(self.html, path)

    def __len__(self) -> int:
        return len(self.html.encode("utf-8"))

    def __repr__(self) -> str:
        return f"<sgd-anim Player: {len(self) / 1000:.0f} kB page>"
