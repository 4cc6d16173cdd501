"""The installed version of a package, as traces record it and the trace cache keys on it."""
from __future__ import annotations

from importlib import metadata

__all__ = ["package_version"]


def package_version(pkg: str) -> str:
    """``metadata.version(pkg)``, or ``"unknown"`` when the package is not installed."""
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "unknown"
