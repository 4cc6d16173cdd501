"""The parameter plane a story draws, for any model: which two coordinates the view's axes
are, the path in them, and how a step (a vector of P numbers) becomes an arrow in them.

Two parameters (the line's a, b; logistic's w, b): the exact plane of the model's pair
(``Model.plane``), the path and the arrows exact. More (poly, the MLP): a plane through
parameter space (:func:`scenes.story.landscape.landscape`), the path and the arrows projected
onto it, with what the picture leaves out (each point's distance from the plane). No drawing.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenes.story.landscape import Landscape, landscape
from training.trace import Trace

__all__ = ["PlaneStory", "plane_of"]

ROLES = {"a": "weight", "w": "weight", "b": "bias"}  # the axis labels' words for a pair


@dataclass(frozen=True, eq=False)
class PlaneStory:
    """The plane's axes and the path on it (n + 1 points: before each step, then the final)."""

    exact: bool                    # the model's own pair of parameters, not a projection
    names: tuple[str, str]         # the axes' symbols: ("a", "b") or ("α", "β")
    labels: tuple[str, str]        # the axes' labels: "a (weight)" or "α (PC1)"
    columns: tuple[int, int]       # exact: the pair's places in the parameter vector
    path_u: np.ndarray
    path_v: np.ndarray
    land: Landscape | None = None  # the landscape (P > 2)

    @property
    def title(self) -> str:
        return "Parameter space" if self.exact else "Loss landscape"

    @property
    def contour_label(self) -> str:
        """What the contours are, for the note above the view."""
        if self.exact:
            return f"L({self.names[0]}, {self.names[1]}) contours"
        return f"plane of {self.land.label}" if self.land is not None else "a plane"

    def coords(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Steps (n, P) as arrows in the plane: their two components (exact) or their
        least-squares components in the plane (projected)."""
        v = np.asarray(vectors, dtype=np.float64)
        if self.exact:
            return v[:, self.columns[0]], v[:, self.columns[1]]
        c = self.land.coordinates(v)
        return c[:, 0], c[:, 1]


def plane_of(trace: Trace) -> PlaneStory:
    """The plane of a trace: its model's pair when it has two parameters, else the landscape."""
    pair = trace.model.plane
    names = tuple(trace.param_names)
    if pair is not None:
        i, j = names.index(pair[0]), names.index(pair[1])
        if trace.schema_version == 1:  # the line's own columns, as every line view always read them
            pu, pv = np.append(trace.steps["a"], trace.final_a), np.append(trace.steps["b"], trace.final_b)
        else:
            path = np.vstack([trace.params, trace.final_params[None, :]])
            pu, pv = path[:, i].copy(), path[:, j].copy()
        labels = tuple(f"{p} ({ROLES[p]})" if p in ROLES else p for p in pair)
        return PlaneStory(True, (pair[0], pair[1]), labels, (i, j), pu, pv)
    land = landscape(trace)
    return PlaneStory(False, ("α", "β"), land.axes, (0, 1),
                      land.alpha, land.beta, land)
