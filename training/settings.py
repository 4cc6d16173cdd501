"""The training settings, declared once: one :class:`Setting` per field of TrainConfig.

Each setting says its name (the TrainConfig field and the TOML key of ``[training]``), its
type, its default, its range, its command-line flag and help, whether ``--compare`` may vary
it, and how the live page shows it. Everything that reads settings is driven by this table
(as TensorFlow Playground's ``state.ts`` drives its URL state): the command-line flags, the
config file reader, the validation and its messages, settings read back from a trace, the
compare spec, serve's query parser and the live page's form (:mod:`scenes.web.serve_form`, as JSON).

:func:`setting` declares a dataclass field with its :class:`Setting` as metadata, so the
TrainConfig class body *is* the table; :data:`SETTINGS` lists it in field order.
"""
from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, replace
from typing import Any

from training.numbers import FLOAT32_MAX

__all__ = ["Setting", "setting", "settings_of", "MAX_SEED"]

MAX_SEED = 2**64 - 1  # torch.manual_seed accepts 0 .. 2**64 - 1


@dataclass(frozen=True)
class Setting:
    """One training setting: what it is, where it comes from, what values it takes."""

    name: str
    kind: type                      # float, int, bool, str, tuple (whole numbers), list (real numbers: a
                                    # vector, e.g. a start), or DataSpec for ``data``
    default: Any
    help: str = ""
    label: str = ""                 # the words error messages use ("learning rate"); default: the name
    flag: str | None = None         # the command line's flag; None: the name, dashed
    flag_inverts: bool = False      # a bool flag that sets False (--keep-last sets drop_last = false)
    low: float | None = None        # the range, when it has one
    high: float | None = None
    low_open: bool = False          # > low rather than >= low
    high_open: bool = False
    compare: bool = False           # --compare KEY=... may vary it
    most: int | None = None         # a tuple setting: at most this many values
    page: dict | None = None        # the live page's control: {"min", "max", "step", "log", ...}

    @property
    def words(self) -> str:
        return self.label or self.name

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    # ---------------------------------------------------------------- checks
    def coerce(self, value: Any) -> Any:
        """A tuple setting's value as given (``"1,150,300"`` from a flag or a query, a list from
        TOML) as a sorted tuple of distinct whole numbers; any other setting's value as it is."""
        from training.errors import InputError
        if self.kind is list:
            return _vector(self.words, value)
        if self.kind is not tuple:
            return value
        items = value
        if isinstance(value, str):
            items = [p.strip() for p in value.split(",")] if value.strip() else []
            try:
                items = [int(p) for p in items]
            except ValueError:
                raise InputError(f"{self.words} must be whole numbers separated by commas "
                                 f"(for example 1,150,300), got {value!r}") from None
        if not isinstance(items, (list, tuple)) or not all(isinstance(i, int) and not isinstance(i, bool)
                                                           for i in items):
            raise InputError(f"{self.words} must be a list of whole numbers (for example [1, 150, 300]), "
                             f"got {value!r}")
        return tuple(sorted(set(items)))

    def check_type(self, value: Any) -> None:
        """The value's type: a finite float32 number, a whole number, ... (a one-line InputError)."""
        from training.errors import InputError, shown
        if self.kind is list:
            if not (isinstance(value, tuple) and all(type(v) is float for v in value)):
                raise InputError(f"{self.words} must be a tuple of numbers, got {shown(value)}")
            bad = [v for v in value if not math.isfinite(v) or abs(v) > FLOAT32_MAX]
            if bad:
                raise InputError(f"{self.words}: every number must be finite and within +-3.4e38 (training runs "
                                 f"in float32), got {bad[0]:g}")
            if self.most is not None and len(value) > self.most:
                raise InputError(f"{self.words}: at most {self.most} numbers are allowed, got {len(value)}")
            return
        if self.kind is tuple:
            if self.coerce(value) != value:
                raise InputError(f"{self.words} must be a sorted tuple of distinct whole numbers, got {shown(value)}")
            if self.most is not None and len(value) > self.most:
                raise InputError(f"{self.words}: at most {self.most} are allowed, got {len(value)}")
            return
        if self.kind is float:
            # (an int is finite: math.isfinite would overflow on one beyond float's range)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or \
                    (isinstance(value, float) and not math.isfinite(value)):
                raise InputError(f"{self.name} must be a finite number, got {shown(value)}")
            if abs(value) > FLOAT32_MAX:
                raise InputError(f"{self.name} must be a finite number within +-3.4e38 "
                                 f"(training runs in float32), got {float(value) if isinstance(value, float) else shown(value)}")
        elif self.kind is int:
            if not isinstance(value, int) or isinstance(value, bool):
                raise InputError(f"{self.name.replace('_', ' ')} must be a whole number, got {shown(value)}")

    def check_range(self, value: Any) -> None:
        """The value within the setting's range, or a one-line InputError that states the range."""
        from training.errors import InputError
        from training.errors import shown as _shown
        if self.low is None and self.high is None:
            return
        if self.kind is tuple:  # each value in the range
            for v in value:
                replace(self, kind=int).check_range(v)
            return
        below = value <= self.low if self.low_open else value < self.low
        above = self.high is not None and (value >= self.high if self.high_open else value > self.high)
        if not (below or above):
            return
        shown = f"{value:g}" if self.kind is float else _shown(value)  # (a file's 400-digit int: elided)
        lo, hi = _num(self.low), _num(self.high)
        if self.high is None:
            raise InputError(f"{self.words} must be {'>' if self.low_open else '>='} {lo}, got {shown}")
        if self.kind is int:
            raise InputError(f"{self.words} must be a whole number from {lo} to {hi}, got {shown}")
        raise InputError(f"{self.words} must be in {'(' if self.low_open else '['}{lo}, {hi}"
                         f"{')' if self.high_open else ']'}, got {shown}")

    # ---------------------------------------------------------------- views of the table
    def page_entry(self) -> dict:
        """What the live page's form needs to show this setting (JSON): its name, kind, words,
        default and control, then the ``page`` facts as declared (a ``label`` there is the
        page's words for it). The control follows from the kind and the facts:

        - ``check``: a checkbox (a bool);
        - ``select``: one of ``choices``;
        - ``slider``: a number with a ``max``: a slider from ``min`` to ``max`` by ``step``
          beside a number field; ``log``: the slider moves log10 of the value; a slider's
          value is rounded to ``significant`` digits, to ``decimals``, or (whole numbers) to
          a whole number; ``up_to_points``: the slider stops at the data's size;
        - ``field``: a number field alone (``min``, ``step``).

        ``unset``: what the control shows while the value is None (the default)."""
        kind = {float: "number", int: "whole", bool: "bool", str: "choice"}.get(self.kind, "text")
        page = self.page or {}
        control = ("check" if self.kind is bool else "select" if "choices" in page
                   else "slider" if "max" in page else "field")
        return {"name": self.name, "kind": kind, "label": self.words, "default": self.default,
                "control": control, **page}


def _vector(words: str, value: Any) -> tuple[float, ...]:
    """A vector setting as given (``"0,0.5,-1"`` from a flag or a query, a list of numbers from
    TOML or JSON) as a tuple of floats; finiteness is :meth:`Setting.check_type`'s."""
    from training.errors import InputError, shown
    items = value
    if isinstance(value, str):
        try:
            items = [float(p) for p in value.split(",")] if value.strip() else []
        except ValueError:
            raise InputError(f"{words} must be numbers separated by commas (for example 0,0.5,0,0), "
                             f"got {shown(value)}") from None
    if not isinstance(items, (list, tuple)) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                       for v in items):
        raise InputError(f"{words} must be a list of numbers (for example [0, 0.5, 0, 0]), got {shown(value)}")
    try:
        return tuple(float(v) for v in items)
    except OverflowError:  # a TOML integer of hundreds of digits
        raise InputError(f"{words}: every number must be finite and within +-3.4e38, got {shown(value)}") from None


def _num(v: float | None) -> str:
    return "" if v is None else (str(int(v)) if float(v).is_integer() else f"{v:g}")


def setting(kind: type, default: Any = MISSING, *, default_factory: Any = MISSING, **facts: Any):
    """A TrainConfig field declared with its :class:`Setting` (name filled in by :func:`settings_of`)."""
    meta = {"setting": dict(kind=kind, default=default if default is not MISSING else None, **facts)}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


def settings_of(cls) -> tuple[Setting, ...]:
    """The table of a dataclass declared with :func:`setting`, in field order."""
    from dataclasses import fields
    return tuple(Setting(name=f.name, **f.metadata["setting"]) for f in fields(cls) if "setting" in f.metadata)
