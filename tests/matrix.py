"""Which cases of the layout matrix (benchmarks/layout_matrix.py) the tests check.

The matrix crosses 12 runs x 5 sizes x 2 themes (120 frames to lay out, for matplotlib and
for the player) and, for Manim, 12 runs x 4 scenes in one or both themes (60 cases). All of
it takes longer than the whole rest of the suite, so (as with the fuzz examples) the suite
checks two designed samples of it, and the rest is one option away:

- the fast tests: ``covering()`` (every run, every size x theme pair: 12 cases) and, for
  matplotlib, the issue's three cases;
- the slow tests: ``SECOND``, another 12 cases that also hold every run and every size x
  theme pair, each run at another size and in the other theme than in ``covering()``; so
  matplotlib shows every run in both themes, and every size x theme pair twice (the player
  checks ``covering()`` only: its layout does not depend on the theme). For Manim
  ``MANIM_SUITE``: every run once, every scene x theme pair, a quarter of them walkthroughs
  (12 cases);
- ``pytest --full-matrix`` (``make test-matrix``) adds all the other cases (93 for
  matplotlib and the player, 48 for Manim). ``benchmarks/layout_matrix.py --backend both``
  checks the whole matrix too, in parallel, listing every problem.
"""
from __future__ import annotations

import pytest

from benchmarks.layout_matrix import (MANIM_SCENES, MODEL_RUNS, RUNS, SIZES, THEMES, Case, backprop_cases, covering,
                                      full_matrix, manim_cases)

__all__ = ["GRAPH_VIEWS", "GRAPH_CASES", "ISSUE_CASES", "SECOND", "MPL_FAST", "mpl_slow_params",
           "player_slow_params", "MANIM_SAMPLE", "MANIM_SUITE", "manim_slow_params", "MANIM_MODELS", "manim_model_params"]

# The graph view (issue 22): the frame with --views fit,graph,loss,params, as (run, size, theme).
# The first case (fast) is the article's run in float64 with contract-form graphs attached
# (tests/graph_fixture.py); the others are real recordings of the matrix's runs with their first
# three steps' graphs: one sample a batch (single numbers), 32 (summaries), a diverging run.
GRAPH_VIEWS = ("fit", "graph", "loss", "params")
GRAPH_CASES = [("fixture", (960, 540), "dark"), ("noisy-adam-b32", (1280, 720), "light"),
               ("article-b1-shuffled", (1080, 1080), "light"), ("diverging", (720, 1280), "dark"),
               ("adam-200-b32", (1920, 1080), "dark"), ("noisy-momentum-b1", (960, 540), "light")]


ISSUE_CASES = {  # the issue's defects, each in the case that showed it
    Case("adam-200-b32", (960, 540), "dark"): "1. numbers columns ran together",
    Case("noisy-csv", (1280, 720), "light"): "2. the numbers ran off the frame; the y label was cut",
    Case("diverging", (1280, 720), "light"): "4. the loss ran through its legend",
}


def _second() -> list[Case]:
    """Every run once more, walking the size x theme pairs from halfway: each run at another
    size and in the other theme than covering() gives it."""
    pairs = [(size, th) for size in SIZES for th in THEMES]
    return [Case(r, *pairs[(i + len(pairs) // 2) % len(pairs)]) for i, r in enumerate(RUNS)]


SECOND = _second()
MPL_FAST = [*covering(), *(c for c in ISSUE_CASES if c not in covering())]


def mpl_slow_params() -> list:
    """The matplotlib cases of the slow test: SECOND but what the fast tests check; then the
    rest, marked full_matrix (run with --full-matrix)."""
    first = [pytest.param(c, id=c.slug) for c in SECOND if c not in MPL_FAST]
    return first + [pytest.param(c, marks=pytest.mark.full_matrix, id=c.slug)
                    for c in full_matrix() if c not in MPL_FAST and c not in SECOND]


def player_slow_params() -> list:
    """(run, theme, sizes) of the player's second look, all marked full_matrix: a page per run
    and theme at SECOND's size, then at the other sizes but covering()'s. The page's layout
    does not depend on its theme (the theme sets colours only), so covering() (every run, every
    size x theme pair) is the suite's check of the player; the rest runs with --full-matrix."""
    out, rest = [], []
    for r in RUNS:
        for th in THEMES:
            sizes = tuple(s for s in SIZES if Case(r, s, th) in SECOND)
            others = tuple(s for s in SIZES if Case(r, s, th) not in SECOND and Case(r, s, th) not in covering())
            if sizes:
                out.append(pytest.param(r, th, sizes, marks=pytest.mark.full_matrix, id=f"{th}-{r}"))
            if others:
                rest.append(pytest.param(r, th, others, marks=pytest.mark.full_matrix, id=f"{th}-{r}-rest"))
    return out + rest


# Manim: (run, theme, scene). Every run once, a quarter of them walkthroughs (the costly
# scene: 4 to 6 s each), the themes taking turns; the single views each on three neighbouring
# runs, which manim_cases() gives alternating themes: every scene meets both themes.
def _manim_suite() -> list[tuple[str, str, str]]:
    singles = MANIM_SCENES[1:]
    out, walks = [], 0
    for i, r in enumerate(RUNS):
        if i % 4 == 0:
            out.append((r, THEMES[walks % 2], "walkthrough"))
            walks += 1
        else:
            sc = singles[(i // 4) % len(singles)]
            out.append(next(c for c in manim_cases() if c[0] == r and c[2] == sc))
    return out


MANIM_SUITE = _manim_suite()

# The other models (issue 23) in Manim: in the suite, a network's landscape (its faithfulness
# strip, the plane's names, contours with holes) and logistic's walkthrough (its sigmoid, formulas
# and table in its words); every model run's scenes under --full-matrix, with each model's
# backprop scene (a network's crowded graph: 40 to 60 s a case, too dear for the suite)
# (benchmarks/layout_matrix.py --backend manim --family models --backprop checks them too).
MANIM_MODELS = [("mlp16-relu", "dark", "params"), ("logistic", "light", "walkthrough")]


def manim_model_params() -> list:
    return [pytest.param(*c, id="-".join(c)) for c in MANIM_MODELS] + [
        pytest.param(*c, marks=pytest.mark.full_matrix, id="-".join(c))
        for c in [*manim_cases(MODEL_RUNS), *backprop_cases(MODEL_RUNS)] if c not in MANIM_MODELS]
MANIM_SAMPLE = MANIM_SUITE[:2]  # also run by test_sampled_matrix_passes_manim, first


def manim_slow_params() -> list:
    first = [pytest.param(*c, id="-".join(c)) for c in MANIM_SUITE if c not in MANIM_SAMPLE]
    return first + [pytest.param(*c, marks=pytest.mark.full_matrix, id="-".join(c))
                    for c in manim_cases() if c not in MANIM_SUITE]
