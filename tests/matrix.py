"""Which cases of the layout matrix (benchmarks/layout_matrix.py) the tests check.

The matrix crosses 12 runs x 5 sizes x 2 themes (120 frames to lay out, for matplotlib and
for the player) and, for Manim, 12 runs x 4 scenes in one or both themes (60 cases). All of
it takes longer than the whole rest of the suite, so (as with the fuzz examples) the suite
checks a designed part of it, and the rest is one option away:

- the fast tests: ``covering()`` (every run, every size x theme pair: 12 cases) and, for
  matplotlib, the issue's three cases;
- the slow tests: a pairwise design that holds ``covering()``: every run at every size in one
  theme, the themes taking turns, so that every run x size, run x theme and size x theme
  pair is checked (60 cases); for Manim every run x scene pair once, the themes taking turns
  (48 cases);
- ``pytest --full-matrix`` (``make test-matrix``) adds the cases left: each of those in its
  other theme (60, and 12 for Manim). ``benchmarks/layout_matrix.py --backend both`` checks
  the whole matrix too, in parallel, listing every problem.
"""
from __future__ import annotations

import pytest

from benchmarks.layout_matrix import RUNS, SIZES, THEMES, Case, covering, full_matrix, manim_cases

__all__ = ["GRAPH_VIEWS", "GRAPH_CASES", "ISSUE_CASES", "PAIRWISE", "MPL_FAST", "mpl_slow_params", "player_slow_params",
           "MANIM_SAMPLE", "MANIM_PAIRWISE", "manim_slow_params"]

# The graph view (issue 22): the frame with --views fit,graph,loss,params, on the article's run
# with graphs of the contract's form attached (tests/graph_fixture.py) until the recorder's
# traces carry them; then the runs above join with --graph-steps. The first case is fast.
GRAPH_VIEWS = ("fit", "graph", "loss", "params")
GRAPH_CASES = [((960, 540), "dark"), ((1280, 720), "light"), ((1080, 1080), "light"), ((720, 1280), "dark"),
               ((1920, 1080), "dark")]

ISSUE_CASES = {  # the issue's defects, each in the case that showed it
    Case("adam-200-b32", (960, 540), "dark"): "1. numbers columns ran together",
    Case("noisy-csv", (1280, 720), "light"): "2. the numbers ran off the frame; the y label was cut",
    Case("diverging", (1280, 720), "light"): "4. the loss ran through its legend",
}


def _pairwise() -> list[Case]:
    """Every run at every size, in the theme that alternates with the size; each run's
    sequence starts so that the size covering() gives the run comes in covering()'s theme."""
    sampled = {c.run: c for c in covering()}
    out = []
    for r in RUNS:
        at = SIZES.index(sampled[r].size)
        first = (THEMES.index(sampled[r].theme) - at) % 2
        out += [Case(r, size, THEMES[(first + j) % 2]) for j, size in enumerate(SIZES)]
    return out


PAIRWISE = _pairwise()
MPL_FAST = [*covering(), *(c for c in ISSUE_CASES if c not in covering())]


def mpl_slow_params() -> list:
    """The matplotlib cases of the slow test: the pairwise design but what the fast tests
    check; then the rest, marked full_matrix (run with --full-matrix)."""
    first = [pytest.param(c, id=c.slug) for c in PAIRWISE if c not in MPL_FAST]
    return first + [pytest.param(c, marks=pytest.mark.full_matrix, id=c.slug)
                    for c in full_matrix() if c not in MPL_FAST and c not in PAIRWISE]


def player_slow_params() -> list:
    """(run, theme, sizes) of the player's slow test: a page per run and theme, shown at the
    sizes of the pairwise design but covering()'s; then, marked full_matrix, at the others."""
    out, rest = [], []
    for r in RUNS:
        for th in THEMES:
            sizes = tuple(s for s in SIZES if Case(r, s, th) in PAIRWISE and Case(r, s, th) not in covering())
            others = tuple(s for s in SIZES if Case(r, s, th) not in PAIRWISE)
            if sizes:
                out.append(pytest.param(r, th, sizes, id=f"{th}-{r}"))
            if others:
                rest.append(pytest.param(r, th, others, marks=pytest.mark.full_matrix, id=f"{th}-{r}-rest"))
    return out + rest


# Manim: (run, theme, scene). Its single views already take turns over the themes; each run's
# walkthrough is checked in the theme its single views show once.
MANIM_SAMPLE = [("noisy-momentum-b1", "dark", "walkthrough"), ("diverging", "light", "params")]
MANIM_PAIRWISE = [c for c in manim_cases()
                  if c[2] != "walkthrough" or c[1] == THEMES[(list(RUNS).index(c[0]) + 1) % 2]]


def manim_slow_params() -> list:
    first = [pytest.param(*c, id="-".join(c)) for c in MANIM_PAIRWISE if c not in MANIM_SAMPLE]
    return first + [pytest.param(*c, marks=pytest.mark.full_matrix, id="-".join(c))
                    for c in manim_cases() if c not in MANIM_PAIRWISE]
