"""The matplotlib race: several runs of one comparison on one clock, drawn from a RaceStory.

Panels: the parameter view (every path on the same exact loss contours, a direct label at
each head, a mark where a diverging run left the view), the full-data loss of every run on
one axis (x: samples seen, so batch sizes compare fairly), the fit view (every run's line;
small multiples when there are more than four), and the leaderboard (loss now, epoch,
status). More runs than palette colours (8): the parameter view becomes a grid of small
multiples, one run each, and the loss and fit views make way for it.

Like :mod:`scenes.mpl.render`, every artist is made once and updated in place; the static
figure is drawn once and each frame blits the animated artists on it (the leaderboard's
pixels are reused while its text does not change).

One job a module: :mod:`.grid` (the shape of a grid of small multiples), :mod:`.figure`
(what the panels share), :mod:`.paths`, :mod:`.loss`, :mod:`.fit` and :mod:`.leaderboard`
(one panel each, built and updated), :mod:`.scene` (the figure: the panels in their cells)
and :mod:`.renderer` (the frames, by blitting).
"""
from __future__ import annotations

from scenes.mpl.race.grid import grid_shape
from scenes.mpl.race.renderer import RaceRenderer
from scenes.mpl.race.scene import RaceScene

_grid_shape = grid_shape  # the name scenes.manim.race imports

__all__ = ["RaceScene", "RaceRenderer", "grid_shape"]
