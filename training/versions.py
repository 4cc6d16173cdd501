"""The installed version of a package, as traces record it and the trace cache keys on it."""
from __future__ import annotations

__all__ = ["package_version"]


def package_version(pkg: str) -> str:
    """``metadata.version(pkg)``, or ``"unknown"`` when the package is not installed."""
    from importlib import metadata  # here: importing the cache's folder costs no metadata machinery

    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "unknown"
