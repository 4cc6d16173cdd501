"""The loss landscape a story draws for a model of P > 2 parameters: the plane through
parameter space, the loss on a grid over it, the path projected and how faithful that is.

:func:`landscape` is the story's one door to it: every view reads the plane through
:class:`scenes.story.plane.PlaneStory`, which asks this function once. The maths is
:mod:`training.landscape` (the PCA plane of the trajectory through the final parameters, the
least-squares projection, the real full-data loss on a 61×61 grid, in float64). No drawing.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from training import landscape as land
from training.trace import Trace

__all__ = ["Landscape", "landscape"]

HUGE = 1e30  # a diverging path's grid corners: drawn as the highest band, not refused


@dataclass(frozen=True, eq=False)
class Landscape:
    """What the plane view and the loss view need: plane coordinates (alpha, beta) of the path
    (every step's parameters before it, then the final ones: n + 1 points), the grid, and the
    faithfulness (distance of each path point from the plane, its true loss and the surface's
    loss at its projection)."""

    label: str               # "PC1 91 %, PC2 6 %"
    basis: np.ndarray        # (P, 2): d1, d2
    alpha: np.ndarray        # (n + 1,)
    beta: np.ndarray
    distance: np.ndarray     # (n + 1,): |θ − its projection|
    path_loss: np.ndarray    # (n + 1,): the true full-data loss of the path
    surface_loss: np.ndarray  # (n + 1,): the plane's loss at the path's projection
    relative: np.ndarray     # (n + 1,): distance / |θ − centre| (0 at the centre)
    captured: float          # share of Σ|θ − centre|² that lies in the plane
    grid_alpha: np.ndarray   # (m,)
    grid_beta: np.ndarray    # (m,)
    grid_loss: np.ndarray    # (m, m): rows are beta
    axes: tuple[str, str] = ("α (PC1 direction)", "β (PC2 direction)")  # the axes' labels: Plane.axis_labels

    def coordinates(self, vectors: np.ndarray) -> np.ndarray:
        """Least-squares plane components (..., 2) of steps ``vectors`` (..., P): the arrows
        as the plane shows them (a step from θ_k ends at the projection of θ_k + step)."""
        v = np.asarray(vectors, dtype=np.float64)
        pinv = np.linalg.pinv(self.basis)  # (2, P)
        return v @ pinv.T

    @property
    def off_plane(self) -> str | None:
        """How far the path leaves the plane, in words, against how far it travels in it:
        "path off the plane by up to 0.42 (its span 1.6)". None for a run of no steps (one
        diverging at its first): its one point is the plane's centre, there is no path to be off
        it, and "up to 0 (its span 0)" would say nothing; the views show no note then."""
        if len(self.alpha) < 2:
            return None
        d = float(np.max(self.distance))
        span = float(np.max(np.hypot(self.alpha, self.beta)))
        return f"path off the plane by up to {d:.2g} (its span {span:.2g})"


def landscape(trace: Trace, n: int = land.DEFAULT_N) -> Landscape:
    """The landscape of a trace of any model. Its plane and grid are the ones recorded with the
    trace (``trace.landscape``, :mod:`training.landscape_trace`: the plane the run asked for,
    ``--plane pca|random``), else, for a trace written without one, the PCA plane of its path
    through its final parameters and the loss on an n×n grid covering the projected path. The
    path's projection and faithfulness are cheap and computed here for every step."""
    model, x, y = trace.model, trace.x, trace.y
    path = np.vstack([trace.params, trace.final_params[None, :]]) if trace.n_steps else trace.final_params[None, :]

    def loss_fn(p: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = model.loss(p, x, y)
        return np.nan_to_num(out, nan=HUGE, posinf=HUGE)

    stored = getattr(trace, "landscape", None)
    plane = stored.plane if stored is not None else land.pca_plane(path)
    proj = land.project(plane, path)
    grid = stored.grid if stored is not None else land.loss_grid(plane, loss_fn, n=n, cover=proj)
    if stored is None or _knows_loss_off_path(model):
        faith = land.path_faithfulness(plane, path, loss_fn=loss_fn)
    else:  # a recorded module: its loss is known on its path only; the surface is the stored grid's
        faith = land.path_faithfulness(plane, path, grid=grid, path_loss=loss_fn(path))
        surface = np.nan_to_num(faith.surface_loss, nan=HUGE, posinf=HUGE)
        surface[stored.steps] = stored.surface_loss  # exact where the recording kept the point
        faith = replace(faith, surface_loss=surface, gap=faith.path_loss - surface)
    label = stored.label if stored is not None else plane.label()
    label += f" ({plane.note})" if plane.note and plane.note not in label else ""
    return Landscape(label, plane.basis, proj.alpha, proj.beta, proj.distance, faith.path_loss,
                     faith.surface_loss, faith.relative, faith.captured, grid.alpha, grid.beta, grid.loss,
                     plane.axis_labels())


def _knows_loss_off_path(model) -> bool:
    """Whether the model's loss is known off its recorded path (every model of the registry;
    a module recorded from its own loop knows it on its path and its stored grid only)."""
    return getattr(model, "kind", None) != "module"
