"""Manim's header counters write a huge value (a diverged run's loss, 1.79e8) as the
matplotlib header does, not as Python's 1.79e+08 (typeset a character at a time in the
math font, the "+0" read as part of the number)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

pytest.importorskip("manim")
pytest.importorskip("typst")

from scenes.manim.panels.counter import FastDecimal  # noqa: E402
from scenes.mpl.views.formatting import fmt  # noqa: E402


def _num_string(value: float, places: int = 3) -> str:
    # The method alone: a FastDecimal typesets its digits when built (Typst, slow).
    return FastDecimal._get_num_string(SimpleNamespace(num_decimal_places=places), value)


@pytest.mark.parametrize("value, text", [(1.79e8, "1.79e8"), (-7.64e4, "-7.64e4"), (12345.6, "1.23e4"),
                                         (2.23e7, "2.23e7")])
def test_huge_values_are_written_as_the_matplotlib_header_writes_them(value, text):
    assert _num_string(value) == text
    assert fmt(value).replace("−", "-") == text


def test_whole_counters_stay_whole():
    assert _num_string(15.0, places=0) == "15"
