"""How the views write a number: the header, the numbers panel and their lines (the web
player's ``fmt`` and the poster follow it)."""
from __future__ import annotations

import math

__all__ = ["fmt"]


def fmt(v: float, digits: int = 4) -> str:
    """Fixed-width-ish numbers: 4 significant decimals, scientific when huge or tiny."""
    if not math.isfinite(v):
        return "—"
    av = abs(v)
    if av != 0 and (av >= 1e4 or av < 1e-3):
        mant, exp = f"{v:.2e}".split("e")
        return f"{mant}e{int(exp)}".replace("-", "−")  # 3.46e−4: as narrow as 0.0215
    if av >= 1:  # fewer decimals as the integer part grows: −65.76, 2214.1 (columns stay narrow)
        digits = max(1, digits - int(math.floor(math.log10(av))))
    return f"{v:.{digits}f}".replace("-", "−")

