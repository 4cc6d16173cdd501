"""Writers by name: each writer class registers itself with ``@register("mp4")``, as
matplotlib's ``@writers.register("ffmpeg")`` does."""
from __future__ import annotations

from typing import Callable, TypeVar

from scenes.writers.base import AbstractFrameWriter
from training.errors import InputError

__all__ = ["WRITERS", "register", "get_writer", "available_writers"]

WRITERS: dict[str, type[AbstractFrameWriter]] = {}

W = TypeVar("W", bound=type[AbstractFrameWriter])


def register(name: str) -> Callable[[W], W]:
    """Class decorator: make the writer findable as ``get_writer(name)``; ``cls.name`` becomes ``name``."""
    def wrapper(cls: W) -> W:
        if not (isinstance(cls, type) and issubclass(cls, AbstractFrameWriter)):
            raise TypeError(f"{cls!r} is not an AbstractFrameWriter")
        cls.name = name
        WRITERS[name] = cls
        return cls
    return wrapper


def available_writers() -> list[str]:
    """The names of the registered writers that can run here, sorted."""
    return sorted(name for name, cls in WRITERS.items() if cls.is_available())


def get_writer(name: str, **options) -> AbstractFrameWriter:
    """A new writer by name (``mp4``, ``webm``, ``gif``, ``frames``, ``null``), built with ``options``."""
    try:
        cls = WRITERS[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown writer {name!r}; accepted: {', '.join(sorted(WRITERS))}") from None
    if not cls.is_available():
        raise InputError(f"the {name} writer cannot run here: it needs {cls.requires or 'a missing library'}")
    return cls(**options)
