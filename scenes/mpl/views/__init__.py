"""The matplotlib views: Fit, Loss, Parameter space and Numbers, plus the header of live values.

Every artist is created once; ``update`` only sets data, text and visibility. Artists that
change between frames are marked animated (and drawn above the static ones), so the fast
saver can draw the static figure once and blit only these.

Layout: the frame is cut into cells (a header band, one cell per view) by its shape: 2x2 for
wide frames, fit and parameters side by side over a full-width loss and numbers for square
ones, one column for tall ones. Each plot's axes are then shrunk until its title, ticks and
labels (measured, not guessed) sit inside its cell; texts are sized from the widest value
they can show. :mod:`scenes.mpl.layout_check` verifies the result on any run and size.

One job a module:

- :mod:`.registry`: the view names and the check of a list of them;
- :mod:`.style`: the themed axes and the base class of a view;
- :mod:`.legend`: where a legend covers none of the run's marks;
- :mod:`.formatting`: how a number is written;
- :mod:`.fit`, :mod:`.loss`, :mod:`.params`, :mod:`.numbers` (with its table's layout in
  :mod:`.numbers_layout`) and :mod:`.header`: one part of the frame each;
- :mod:`.cells`: the frame cut into cells by its shape;
- :mod:`.scene`: the figure that holds them and updates them frame by frame.
"""
from __future__ import annotations

from scenes.mpl.views.cells import arrangement
from scenes.mpl.views.fit import FitView
from scenes.mpl.views.formatting import fmt
from scenes.mpl.views.header import Header
from scenes.mpl.views.loss import LossView
from scenes.mpl.views.numbers import NumbersView
from scenes.mpl.views.numbers_layout import NumbersLayout, numbers_lines
from scenes.mpl.views.params import ParamView
from scenes.mpl.views.registry import DEFAULT_VIEWS, VIEWS, check_views
from scenes.mpl.views.scene import Scene, build_scene
from scenes.mpl.views.style import theme_axes

_fmt = fmt  # the name the tests and the web player's comments know it by

__all__ = ["VIEWS", "DEFAULT_VIEWS", "Scene", "build_scene", "check_views", "arrangement", "theme_axes",
           "FitView", "LossView", "ParamView", "NumbersView", "NumbersLayout", "Header",
           "numbers_lines", "fmt"]
