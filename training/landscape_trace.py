"""The loss landscape of a recorded run: the plane, its loss grid and the projected path.

For a schema-2 trace of a model with P > 2 parameters (poly of degree 2+, the MLP),
:func:`landscape_of` computes once, at record time, everything the plane view draws:

- the plane through the final parameters: the first two principal directions of the path
  (``"pca"``, the default) or two random filter-normalised directions (``"random"``, the
  filters from the model's tensor shapes, :attr:`training.models.Model.param_shapes`);
- the model's real full-data loss (its float64 numpy forward pass over the trace's x, y) on an
  n x n grid over the plane whose origin node is the final parameters;
- the path projected onto the plane (least-squares coordinates) with, per point, its distance
  from the plane, its true loss and the surface's loss at its projection (both exact, float64):
  the picture is not the run, and these numbers say by how much.

Points are numbered like steps: point k (0 <= k < T) holds the parameters before step k, point
T the final parameters. Every point is stored when there are at most MAX_PATH_POINTS of them,
else an even sample that always holds the first and the last (``Landscape.steps`` says which),
so the stored landscape stays under a megabyte. :func:`path_of` projects every step on load
(cheap: no forward pass). P = 2 models (line, logistic, poly of degree 1) get None: their
views keep the exact two-parameter plane. numpy only: no torch here or in what it imports.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from training.landscape import (DEFAULT_N, PLANE_KINDS, Grid, ParamGroup, Plane, Projection, loss_grid,
                                path_faithfulness, pca_plane, project, random_plane)

__all__ = ["Landscape", "VectorProjection", "landscape_of", "path_of", "project_vectors",
           "path_points", "sample_steps", "param_groups", "MAX_PATH_POINTS", "PLANE_KINDS"]

MAX_PATH_POINTS = 4001  # points stored: 5 numbers each, ~0.45 MB of JSON at most
SEED_MASK = 2 ** 63 - 1  # the stored seed is a JSON integer < 2^63 (the run's may reach 2^64 - 1)


@dataclass(frozen=True, eq=False)
class Landscape:
    """A run's loss landscape. ``steps`` (S,) int64: the points stored (0..T, T = the final
    parameters); per stored point (S,) float64: ``alpha``, ``beta`` (least-squares plane
    coordinates), ``distance`` (from the plane), ``loss`` (the true full-data loss at the
    point) and ``surface_loss`` (the loss at its projection, what the picture shows there).
    ``captured``: the share of the whole path's sum |theta_k - centre|^2 lying in the plane."""
    plane: Plane
    grid: Grid
    steps: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    distance: np.ndarray
    loss: np.ndarray
    surface_loss: np.ndarray
    captured: float

    @property
    def label(self) -> str:
        """``"PC1 91 %, PC2 6 %"`` (pca) or ``"random directions (seed 0)"``."""
        return self.plane.label()

    @property
    def kind(self) -> str:
        return self.plane.kind

    @property
    def gap(self) -> np.ndarray:
        """True loss minus the surface's loss under it, per stored point."""
        return self.loss - self.surface_loss

    def project(self, points) -> Projection:
        """Plane coordinates and distances of any parameter vectors (T, P) or (P,)."""
        return project(self.plane, points)

    def vectors(self, vectors) -> "VectorProjection":
        """In-plane components of per-step vectors (gradients, updates, velocity): see
        :func:`project_vectors`."""
        return project_vectors(self.plane, vectors)


class VectorProjection(NamedTuple):
    """A vector v ≈ dalpha·d1 + dbeta·d2 + rest: ``dalpha``, ``dbeta`` the least-squares
    coordinates (the arrow in the plane's units), ``off`` = |rest|, the part the picture cannot
    show (compare with |v|). (T,) each, or scalars for one vector."""
    dalpha: np.ndarray
    dbeta: np.ndarray
    off: np.ndarray


def project_vectors(plane: Plane, vectors) -> VectorProjection:
    """Least-squares coordinates in (d1, d2) of direction vectors (no centre subtracted): an
    update u of the parameters moves the projected point by exactly (dalpha, dbeta), since the
    projection is linear. Exact for directions that are not orthonormal (thin QR of [d1 d2])."""
    v = np.asarray(vectors, dtype=np.float64)
    v2 = v.reshape(1, -1) if v.ndim == 1 else v
    if v2.ndim != 2 or v2.shape[1] != plane.centre.size:
        raise ValueError(f"vectors of shape {v.shape} for a plane in R^{plane.centre.size}")
    q, r = np.linalg.qr(plane.basis)
    coef = np.linalg.solve(r, q.T @ v2.T)                # (2, T)
    off = np.linalg.norm(v2.T - plane.basis @ coef, axis=0)
    if v.ndim == 1:
        return VectorProjection(coef[0, 0], coef[1, 0], off[0])
    return VectorProjection(coef[0], coef[1], off)


def path_points(trace) -> np.ndarray:
    """Every point of the path: the parameters before each step, then the final ones, (T+1, P)."""
    return np.vstack([np.asarray(trace.params, dtype=np.float64).reshape(-1, len(trace.param_names)),
                      np.asarray(trace.final_params, dtype=np.float64)[None, :]])


def path_of(landscape: Landscape, trace) -> Projection:
    """Every point of ``trace``'s path (T+1: the steps, then the final parameters) in the
    stored plane: the per-frame positions for the views, a projection of the recorded numbers
    (least squares, a few ms: no forward pass)."""
    return project(landscape.plane, path_points(trace))


def sample_steps(n_points: int, most: int = MAX_PATH_POINTS) -> np.ndarray:
    """Which of ``n_points`` path points are stored: all, or ``most`` evenly spaced ones that
    hold the first and the last."""
    if n_points <= most:
        return np.arange(n_points, dtype=np.int64)
    return np.unique(np.round(np.linspace(0, n_points - 1, most)).astype(np.int64))


def param_groups(model) -> list[ParamGroup]:
    """The model's tensors as :class:`ParamGroup` (filters of the random plane)."""
    groups = [ParamGroup(name, tuple(int(k) for k in shape)) for name, shape in model.param_shapes]
    if sum(g.size for g in groups) != model.n_params:
        raise ValueError(f"{model.kind}: param_shapes hold {sum(g.size for g in groups)} values, "
                         f"param_names {model.n_params}")
    return groups


def landscape_of(trace, plane: str = "pca", n: int = DEFAULT_N, seed: int = 0,
                 most: int = MAX_PATH_POINTS, loss=None) -> Landscape | None:
    """The landscape of ``trace`` (any schema) on a ``plane`` (``"pca"`` or ``"random"``, the
    latter drawn from ``seed``), an n x n grid; None for a model of 2 parameters (its views
    draw the exact plane). Raises ValueError when the loss is not finite over the plane (a run
    that diverged far away). ``loss``: the full-data loss of a stack of parameter vectors
    (..., P) -> (...), for a model without a numpy forward pass (a recorded module,
    :mod:`training.loop_views`: its own forward pass in float64)."""
    if plane not in PLANE_KINDS:
        raise ValueError(f"plane is one of {', '.join(PLANE_KINDS)}, not {plane!r}")
    if len(trace.param_names) <= 2:
        return None
    model = trace.model if loss is None else None
    x, y = np.asarray(trace.x, np.float64), np.asarray(trace.y, np.float64)

    def loss_fn(params: np.ndarray) -> np.ndarray:
        return loss(params) if loss is not None else model.loss(params, x, y)

    points = path_points(trace)
    centre = points[-1].copy()
    if plane == "pca":
        the_plane = pca_plane(points, centre=centre)
    else:
        the_plane = random_plane(centre, param_groups(model or trace.model), seed=int(seed) & SEED_MASK)
    whole = project(the_plane, points)
    grid = loss_grid(the_plane, loss_fn, n=n, cover=whole)
    steps = sample_steps(len(points), most)
    faith = path_faithfulness(the_plane, points[steps], loss_fn=loss_fn)
    far = np.linalg.norm(points - centre, axis=1)
    total = float(np.sum(far * far))
    captured = 1.0 - float(np.sum(whole.distance ** 2)) / total if total > 0 else 1.0
    proj = faith.projection
    return Landscape(the_plane, grid, steps, proj.alpha, proj.beta, proj.distance, faith.path_loss,
                     faith.surface_loss, min(1.0, max(0.0, captured)))
