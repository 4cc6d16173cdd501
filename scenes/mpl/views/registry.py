"""The views a single-run frame can show, and the check of a ``--views`` list."""
from __future__ import annotations

from scenes.outputs import DEFAULT_VIEWS, VIEWS  # declared once, with the other things sgd-anim makes
from training.errors import InputError

__all__ = ["VIEWS", "DEFAULT_VIEWS", "check_views"]


def check_views(views) -> tuple[str, ...]:
    views = tuple(views)
    bad = [v for v in views if v not in VIEWS]
    if bad or not views or len(set(views)) != len(views):
        what = f"unknown view {bad[0]!r}" if bad else "views must be distinct and not empty"
        raise InputError(f"{what}; accepted: {', '.join(VIEWS)}")
    return views
