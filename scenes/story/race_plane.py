"""One plane for every run of a race of a model of more than 2 parameters, and the model's
words and numbers the race's views need for any model (its curve, its loss over the view).

Each recorded run of a model of P > 2 parameters stores its own plane (the PCA plane of its
own path through its own final parameters); paths on different planes cannot share a
picture. So a race computes, once, at race time, one plane for all its runs
(:func:`race_plane`):

- the centre: the final parameters of the run whose full-data loss ends lowest (the plane's
  origin is where the best run arrived; a run that did not end finite is never the centre);
- the directions: the first two principal directions of every run's path taken relative to
  that centre (the uncentred SVD of :func:`training.landscape.pca_plane`), each run weighted
  so that it counts the same however many steps it took (a run of batch size 1 must not
  outvote one of batch size 32); points of a diverging run farther than 4x the calm runs'
  reach are left out (they would turn the plane towards the blow-up);
- the faithfulness: the share of the (weighted) squared distances from the centre that the
  plane holds ("PC1 88 %, PC2 9 %"), and per run each point's distance from the plane;
- the surface: the model's real full-data loss (its float64 numpy forward pass, no torch) on
  an n x n grid over the plane, covering every calm run's projected path.

Every run's path is projected onto that plane by least squares (:func:`training.landscape.project`).
Two parameters (the line, logistic, poly of degree 1): None; the exact plane of the model's
pair is already shared.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenes.story.landscape import HUGE, Landscape
from scenes.story.plane import PlaneStory
from training import landscape as land
from training.trace import Trace

__all__ = ["RacePlane", "race_plane", "path_params", "path_loss", "pair_loss_grid", "FAR"]

FAR = 4.0  # a diverging run's points farther than FAR x the calm runs' reach are not the plane's


def path_params(trace: Trace) -> np.ndarray:
    """The path as parameter vectors (n + 1, P): before each step, then the final ones."""
    return np.vstack([trace.params, trace.final_params[None, :]])


def path_loss(trace: Trace) -> np.ndarray:
    """The true full-data loss (float64) at every path point of a run of any model."""
    if trace.schema_version == 1:
        return trace.full_loss_at(np.append(trace.steps["a"], trace.final_a),
                                  np.append(trace.steps["b"], trace.final_b))
    with np.errstate(all="ignore"):
        return np.asarray(trace.loss_at(path_params(trace)), dtype=np.float64)


def _loss_fn(trace: Trace):
    def loss_fn(p: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = trace.model.loss(p, trace.x, trace.y)
        return np.nan_to_num(out, nan=HUGE, posinf=HUGE)
    return loss_fn


def pair_loss_grid(trace: Trace, columns: tuple[int, int], x: np.ndarray, y: np.ndarray,
                   n: int) -> np.ndarray:
    """The exact loss of a two-parameter model over the grid ``x`` (across), ``y`` (up)."""
    A, B = np.meshgrid(x, y)
    vec = np.zeros(A.shape + (trace.model.n_params,))
    vec[..., columns[0]], vec[..., columns[1]] = A, B
    with np.errstate(all="ignore"):
        return np.asarray(trace.loss_at(vec), dtype=np.float64)


@dataclass(frozen=True, eq=False)
class RacePlane:
    """The race's one plane: ``plane`` (centre, directions, shares), ``grid`` (the loss of the
    first run's data over it), ``captured`` (the share of the runs' weighted squared distances
    from the centre that lies in the plane), ``centre_run`` (whose end is the centre) and one
    :class:`~scenes.story.plane.PlaneStory` a run (its path projected, its distances)."""

    plane: land.Plane
    grid: land.Grid
    captured: float
    centre_run: int
    planes: tuple[PlaneStory, ...]
    calm: tuple[bool, ...]  # per run: it did not diverge (all True when every run did)

    @property
    def label(self) -> str:
        """``"PC1 99 %, PC2 <1 %"``: a share that rounds to 0 but is not 0 says so."""
        if self.plane.shares is None:
            return self.plane.label()
        return ", ".join(f"PC{i + 1} " + ("<1 %" if 0 < v < 0.005 else f"{100 * v:.0f} %")
                         for i, v in enumerate(self.plane.shares))

    def note(self, labels: list[str]) -> str:
        """What the picture is and how faithful, in two short lines."""
        calm = [p for p, ok in zip(self.planes, self.calm) if ok]  # a diverged run's blow-up aside
        far = max(float(np.nanmax(p.land.distance)) if np.isfinite(p.land.distance).any() else 0.0
                  for p in calm)
        span = max(float(np.nanmax(np.hypot(p.path_u, p.path_v))) if np.isfinite(p.path_u).any() else 0.0
                   for p in calm)
        extra = f" ({self.plane.note})" if self.plane.note else ""
        # Modules recorded from their own loops: their loss is known on their paths only, so
        # the shared plane has no surface to draw, and says so.
        unknown = "" if np.mean(self.grid.loss < HUGE / 10) > 0.5 else "\nno loss surface: known on each path only"
        return (f"one plane for all runs: {self.label}{extra}\n"
                f"centred where {labels[self.centre_run]} ended\n"
                f"paths leave it by up to {far:.2g} (their span {span:.2g}){unknown}")


def race_plane(runs: list[tuple[str, Trace]], n: int = land.DEFAULT_N) -> RacePlane | None:
    """The shared plane of a race (see the module docstring), or None for a two-parameter model."""
    traces = [t for _, t in runs]
    if traces[0].model.plane is not None:
        return None
    paths = [path_params(t) for t in traces]
    finite = [np.isfinite(p).all(axis=1) for p in paths]
    ends = []  # each run's final full-data loss (on the first run's data: the surface's)
    for p, ok in zip(paths, finite):
        with np.errstate(all="ignore"):
            end = float(traces[0].loss_at(p[-1])) if ok[-1] else np.inf
        ends.append(end if np.isfinite(end) else np.inf)
    centre_run = int(np.argmin(ends)) if np.isfinite(min(ends)) else 0
    centre = paths[centre_run][-1] if finite[centre_run][-1] else paths[centre_run][finite[centre_run]][0]
    calm = [not t.status.diverged for t in traces]
    if not any(calm):
        calm = [True] * len(traces)
    reach = max((float(np.linalg.norm(p[ok] - centre, axis=1).max()) for p, ok, c in zip(paths, finite, calm)
                 if c and ok.any()), default=0.0)
    used, cover = [], []
    for p, ok, c in zip(paths, finite, calm):
        pts = p[ok]
        if not c and reach > 0:
            pts = pts[np.linalg.norm(pts - centre, axis=1) <= FAR * reach]
        if len(pts):
            used.append((pts - centre) / np.sqrt(len(pts)))  # each run weighs the same
            if c:
                cover.append(pts)
    plane = land.pca_plane(centre + np.vstack(used), centre=centre)
    weighted = np.vstack(used)
    total = float(np.sum(weighted * weighted))
    inside = land.project(plane, centre + weighted)
    captured = 1.0 - float(np.sum(inside.distance ** 2)) / total if total > 0 else 1.0
    grid = land.loss_grid(plane, _loss_fn(traces[0]), n=n, cover=land.project(plane, np.vstack(cover)))
    planes = []
    for t, p, ok in zip(traces, paths, finite):
        alpha, beta, dist = (np.full(len(p), np.nan) for _ in range(3))
        proj = land.project(plane, p[ok])
        alpha[ok], beta[ok], dist[ok] = proj
        loss = path_loss(t)
        with np.errstate(all="ignore"):
            surface = np.where(ok, _loss_fn(t)(plane.at(np.nan_to_num(alpha), np.nan_to_num(beta))), np.nan)
        far = np.linalg.norm(np.where(ok[:, None], p - centre, np.nan), axis=1)
        relative = np.divide(dist, far, out=np.zeros_like(far), where=far > 0)
        lc = Landscape(plane.label(), plane.basis, alpha, beta, dist, loss, surface, relative,
                       min(1.0, max(0.0, captured)), grid.alpha, grid.beta, grid.loss, plane.axis_labels())
        planes.append(PlaneStory(False, ("α", "β"), lc.axes, (0, 1),
                                 alpha, beta, lc))
    return RacePlane(plane, grid, min(1.0, max(0.0, captured)), centre_run, tuple(planes), tuple(calm))
