"""Record without importing TorchDynamo: the compiler torch.optim reaches for, but never uses here.

Every ``torch.optim`` optimizer touches ``torch._dynamo`` even in eager mode: its methods
are wrapped by ``torch._disable_dynamo`` (which imports dynamo at the first call, to wrap the
method in ``torch._dynamo.disable``) and ``step`` calls ``torch._dynamo.graph_break()``.
Importing dynamo costs about 0.9 s, more than a whole default recording, and a command
that records pays it every time.

Outside ``torch.compile`` both are no-ops: ``disable(fn)`` runs ``fn`` unchanged (it only
tells a compiler not to trace it) and ``graph_break()`` does nothing. So while
:func:`eager_only` is active, ``torch._dynamo`` is a stand-in that answers those two names
itself and loads the real module for anything else (then it steps aside for good). The
numbers are the same bit for bit (the tests compare traces with and without it).

``SGD_ANIM_REAL_DYNAMO=1`` turns the stand-in off. Left behind, on each optimizer method
torch wrapped: its cached "disabled" version is the method itself, which is what it does in
eager mode; a later ``torch.compile`` of an optimizer step in the same process would trace
into it (sgd-anim compiles nothing).
"""
from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
import types
from typing import Iterator

__all__ = ["eager_only", "ENV"]

ENV = "SGD_ANIM_REAL_DYNAMO"
_NAME = "torch._dynamo"
_lock = threading.Lock()
_depth = 0


def _disable(fn=None, recursive: bool = True, *args, **kwargs):
    """``torch._dynamo.disable`` outside a compiler: the function itself (as a decorator too)."""
    return fn if fn is not None else (lambda f: f)


def _graph_break(*args, **kwargs) -> None:
    """``torch._dynamo.graph_break`` outside a compiler: nothing to break."""


class _StandIn(types.ModuleType):
    """Answers ``disable`` and ``graph_break``; any other name loads the real dynamo."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_load_real(), name)


def _load_real() -> types.ModuleType:
    with _lock:
        if isinstance(sys.modules.get(_NAME), _StandIn):
            del sys.modules[_NAME]
    return importlib.import_module(_NAME)


def _stand_in() -> _StandIn:
    m = _StandIn(_NAME, __doc__)
    m.disable = _disable
    m.graph_break = _graph_break
    return m


@contextlib.contextmanager
def eager_only() -> Iterator[None]:
    """Within this block, ``torch._dynamo`` is the stand-in unless the real one is loaded already
    (or ``SGD_ANIM_REAL_DYNAMO=1``). Re-entrant and thread-safe: the last block out removes it."""
    global _depth
    if os.environ.get(ENV, "") == "1":
        yield
        return
    with _lock:
        if _depth == 0 and _NAME not in sys.modules:
            sys.modules[_NAME] = _stand_in()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and isinstance(sys.modules.get(_NAME), _StandIn):
                del sys.modules[_NAME]
