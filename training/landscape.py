"""The loss landscape on a plane through parameter space, for models with P > 2 parameters.

A run's parameters move in R^P; a picture has two axes. Following Li et al. 2018 ("Visualizing
the Loss Landscape of Neural Nets", tomgoldstein/loss-landscape) and loss-landscape-anim, the
picture is the plane  theta(alpha, beta) = centre + alpha*d1 + beta*d2  through the final
parameters, and the surface drawn on it is the model's real full-data loss there. numpy only;
the model enters as a vectorised float64 loss callable, so no torch is needed here.

API (every array float64):

- ``pca_plane(path, centre=None, centring="final") -> Plane``: d1, d2 are the first two
  principal directions of the trajectory ``path`` (T, P) taken relative to ``centre`` (default:
  the path's last row), orthonormal; ``shares`` the share of the path's variance each explains.
  ``centring="final"`` (default) is the uncentred SVD of ``path - centre``: the plane through
  ``centre`` nearest to the path (least squares), and the shares are exact shares of
  sum_t |theta_t - centre|^2. ``centring="mean"`` mean-centres first, as Li et al.'s code does
  (sklearn's PCA on theta_t - theta_final). Degenerate paths (one point, a path that does not
  move, a straight line) fall back to coordinate axes, said in ``Plane.note``.
- ``random_plane(centre, groups=None, seed=0) -> Plane``: two Gaussian directions, each filter
  scaled to the norm of the centre's filter (Li et al.'s filter normalisation) and made exactly
  orthogonal; a filter is one row (output unit) of a tensor of 2+ dimensions and the whole
  tensor for biases and scalars (see :class:`ParamGroup`).
- ``project(plane, points) -> Projection(alpha, beta, distance)``: the exact least-squares
  coordinates of each parameter vector in the plane and its Euclidean distance from it.
- ``loss_grid(plane, loss_fn, n=61, extent=None, cover=None) -> Grid``: the loss on an n x n
  grid whose origin is a grid node, holding exactly ``loss_fn(centre)``; ``loss_fn`` maps
  (K, P) parameter vectors to (K,) losses.
- ``path_faithfulness(plane, path, ...) -> Faithfulness``: the path's true loss against the
  surface's loss at its projection, and its distance from the plane.

JSON forms (for the trace) are in :mod:`training.landscape_io`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, NamedTuple, Sequence

import numpy as np

__all__ = ["Plane", "ParamGroup", "Projection", "Grid", "Faithfulness", "LossFn",
           "pca_plane", "random_plane", "filter_slices", "project", "grid_axis", "cover_extent",
           "loss_grid", "path_faithfulness", "DEFAULT_N", "MAX_N", "PLANE_KINDS"]

LossFn = Callable[[np.ndarray], np.ndarray]  # (K, P) float64 -> (K,) float64
DEFAULT_N = 61   # grid nodes a side: 3721 evaluations
MAX_N = 201      # a side's cap: 40401 values, ~0.8 MB of JSON
PLANE_KINDS = ("pca", "random")


@dataclass(frozen=True, eq=False)
class Plane:
    """``centre + alpha*d1 + beta*d2``. ``shares``: for ``pca`` the variance share of each
    direction (``"PC1 91 %, PC2 6 %"``), for ``random`` None. ``note`` says what fallback, if
    any, made the plane (empty when none)."""
    kind: str
    centre: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    shares: tuple[float, float] | None = None
    seed: int | None = None
    centring: str | None = None
    note: str = ""

    @property
    def basis(self) -> np.ndarray:
        """(P, 2): the directions as columns."""
        return np.stack([self.d1, self.d2], axis=1)

    def at(self, alpha, beta) -> np.ndarray:
        """Parameter vectors at plane coordinates: (..., P)."""
        a = np.asarray(alpha, dtype=np.float64)[..., None]
        b = np.asarray(beta, dtype=np.float64)[..., None]
        return self.centre + a * self.d1 + b * self.d2

    def axis_labels(self) -> tuple[str, str]:
        """What the views write on the plane's two axes: the directions this plane really has."""
        if self.shares is None:
            return "α (random direction 1)", "β (random direction 2)"
        if self.shares[0] == 0.0:  # the path does not move: the axes of parameters 0 and 1
            return "α (parameter 0)", "β (parameter 1)"
        if self.shares[1] == 0.0:  # a straight path: PC1 and an axis orthogonal to it
            return "α (PC1 direction)", "β (orthogonal axis)"
        return "α (PC1 direction)", "β (PC2 direction)"

    def label(self) -> str:
        """``"PC1 91 %, PC2 6 %"`` for a PCA plane, ``"random directions (seed 0)"`` else."""
        if self.shares is None:
            return f"random directions (seed {self.seed})"
        return ", ".join(f"PC{i + 1} {100 * s:.0f} %" for i, s in enumerate(self.shares))


# ------------------------------------------------------------------------------- the PCA plane
def _as_path(path, centre) -> tuple[np.ndarray, np.ndarray]:
    path = np.asarray(path, dtype=np.float64)
    if path.ndim != 2 or path.shape[0] < 1:
        raise ValueError(f"a path is a (T, P) array with T >= 1, not shape {path.shape}")
    if path.shape[1] < 2:
        raise ValueError(f"a plane needs at least 2 parameters, the path has {path.shape[1]}")
    centre = path[-1].copy() if centre is None else np.asarray(centre, dtype=np.float64)
    if centre.shape != (path.shape[1],):
        raise ValueError(f"the centre has shape {centre.shape}, the path's rows {path.shape[1]}")
    if not (np.isfinite(path).all() and np.isfinite(centre).all()):
        raise ValueError("the path or centre holds a non-finite value")
    return path, centre


def _axis_off(d: np.ndarray) -> np.ndarray:
    """A unit vector orthogonal to unit ``d``: the coordinate axis least aligned with it
    (deterministic), Gram-Schmidt against d, renormalised."""
    e = np.zeros_like(d)
    e[int(np.argmin(np.abs(d)))] = 1.0
    e -= (e @ d) * d
    return e / np.linalg.norm(e)


def _signed(d: np.ndarray) -> np.ndarray:
    """SVD's sign is arbitrary: make the largest-magnitude component positive (ties: the first)."""
    return -d if d[int(np.argmax(np.abs(d)))] < 0 else d


def pca_plane(path, centre=None, centring: str = "final") -> Plane:
    """The plane of the trajectory's first two principal directions, through ``centre``.

    Sign rule: d1 points from the path's start towards the centre's side (the start has
    alpha <= 0), d2's largest component is positive. Rank is numerical (numpy's matrix_rank
    tolerance). Fallbacks: rank 0 (one point, or a path that never moves) takes the axes of
    parameters 0 and 1; rank 1 (a straight path) takes PC1 and the coordinate axis least
    aligned with it, made orthogonal, with share 0.
    """
    if centring not in ("final", "mean"):
        raise ValueError(f"centring is 'final' or 'mean', not {centring!r}")
    path, centre = _as_path(path, centre)
    rel = path - centre
    if centring == "mean":
        rel = rel - rel.mean(axis=0)
    # A long path (T > P): the SVD of QR's R has the same singular values and right vectors
    # and costs a third of the SVD of the path (20,000 x 193: 0.3 s against 0.7 s, one core).
    small = np.linalg.qr(rel, mode="r") if rel.shape[0] > rel.shape[1] else rel
    _, s, vt = np.linalg.svd(small, full_matrices=False)
    total = float(np.sum(s * s))
    tol = (s[0] * max(rel.shape) * np.finfo(np.float64).eps) if s.size else 0.0
    rank = int(np.sum(s > tol)) if total > 0 else 0
    if rank == 0:
        p = path.shape[1]
        d1, d2 = np.eye(p)[0], np.eye(p)[1]
        note = "the path does not move: the plane of parameters 0 and 1"
        return Plane("pca", centre, d1, d2, (0.0, 0.0), None, centring, note)
    d1 = _signed(vt[0])
    start = path[0] - centre
    if start @ d1 > 0:
        d1 = -d1
    if rank == 1:
        d2, note = _axis_off(d1), "the path is a straight line: PC2 is an axis orthogonal to it"
        shares = (float(s[0] ** 2 / total), 0.0)
    else:
        d2, note = _signed(vt[1]), ""
        shares = (float(s[0] ** 2 / total), float(s[1] ** 2 / total))
    return Plane("pca", centre, d1, d2, shares, None, centring, note)


# ---------------------------------------------------------------------------- the random plane
@dataclass(frozen=True)
class ParamGroup:
    """One parameter tensor, flattened C-order (PyTorch's ``flatten``) into the vector in the
    order of the groups. Filters (Li et al.): a tensor of 2+ dimensions has ``shape[0]`` filters,
    one per output unit (a Linear weight's row); a bias or scalar is one filter."""
    name: str
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(math.prod(self.shape))


def filter_slices(groups: Sequence[ParamGroup] | None, p: int) -> list[slice]:
    """The flat index range of each filter. ``groups=None``: the whole vector is one filter."""
    if groups is None:
        return [slice(0, p)]
    out, start = [], 0
    for g in groups:
        if any(int(k) < 1 for k in g.shape):
            raise ValueError(f"parameter group {g.name!r} has an empty shape {g.shape}")
        rows = g.shape[0] if len(g.shape) >= 2 else 1
        width = g.size // rows
        out.extend(slice(start + r * width, start + (r + 1) * width) for r in range(rows))
        start += g.size
    if start != p:
        raise ValueError(f"the parameter groups hold {start} values, the vector {p}")
    return out


def _unit_plane(centre, g1, g2, seed, note) -> Plane:
    """The fallback: the Gaussian draws made orthonormal (Gram-Schmidt)."""
    d1 = g1 / np.linalg.norm(g1)
    d2 = g2 - (g2 @ d1) * d1
    return Plane("random", centre, d1, d2 / np.linalg.norm(d2), None, int(seed), None, note)


def random_plane(centre, groups: Sequence[ParamGroup] | None = None, seed: int = 0) -> Plane:
    """Two random filter-normalised directions, exactly orthogonal, the same for the same seed.

    d1: Gaussian, each filter scaled to the norm of the centre's filter. d2: Gaussian, made
    orthogonal to d1 within every filter of 2+ values, then scaled the same way. Filters of one
    value cannot be made orthogonal inside themselves (both entries are +-|c|); their dot product
    R is taken out of the larger filters, each turned towards -d1 by the same cosine
    R / sum |c_f|^2, which keeps every filter norm. Where that is impossible (|cosine| > 1, e.g.
    every filter a single value) d2 stays as drawn and the note gives the cosine of d1 and d2.
    A filter whose centre norm is 0 stays 0 (it does not move, as in Li et al.); if every
    filter is 0 (centre = 0) the directions are unit Gaussian vectors, said in the note.
    """
    centre = np.asarray(centre, dtype=np.float64)
    if centre.ndim != 1 or centre.size < 2 or not np.isfinite(centre).all():
        raise ValueError("the centre is a finite vector of at least 2 parameters")
    filters = filter_slices(groups, centre.size)
    rng = np.random.default_rng(seed)
    g1, g2 = rng.standard_normal(centre.size), rng.standard_normal(centre.size)
    norms = [float(np.linalg.norm(centre[f])) for f in filters]
    if max(norms) == 0.0:
        return _unit_plane(centre, g1, g2, seed, "the centre is 0: unit random directions, "
                           "not filter-normalised")
    d1, d2 = np.zeros_like(centre), np.zeros_like(centre)
    for f, n in zip(filters, norms):
        a, b = g1[f], g2[f]
        if a.size >= 2:
            b = b - (b @ a) / (a @ a) * a
        d1[f] = a * (n / np.linalg.norm(a))
        d2[f] = b * (n / np.linalg.norm(b))
    wide = [(f, n) for f, n in zip(filters, norms) if f.stop - f.start >= 2 and n > 0]
    single = [f.start for f in filters if f.stop - f.start == 1]
    residual = float(d1[single] @ d2[single])
    room = sum(n * n for _, n in wide)
    if abs(residual) > room:  # too much to take out: choose d2's single signs to cancel first
        residual = 0.0
        for k in sorted(single, key=lambda k: -abs(d1[k])):
            d2[k] = -math.copysign(abs(d2[k]), residual * d1[k]) if residual else d2[k]
            residual += float(d1[k] * d2[k])
    note = ""
    if residual != 0.0 and room > 0 and abs(residual) <= room:
        cos = -residual / room
        sin = math.sqrt(max(0.0, 1.0 - cos * cos))
        for f, _ in wide:
            d2[f] = cos * d1[f] + sin * d2[f]
    elif residual != 0.0:
        cosine = float(d1 @ d2 / (np.linalg.norm(d1) * np.linalg.norm(d2)))
        if abs(cosine) > 1.0 - 1e-9:  # e.g. one non-zero filter of one value: no plane left
            return _unit_plane(centre, g1, g2, seed, "filter normalisation leaves a line: "
                               "unit random directions instead")
        note = f"the directions cannot be made orthogonal filter by filter: cosine {cosine:.3g}"
    return Plane("random", centre, d1, d2, None, int(seed), None, note)


# ------------------------------------------------------------------------------ the projection
class Projection(NamedTuple):
    """Plane coordinates of T parameter vectors and their distances from the plane: (T,) each."""
    alpha: np.ndarray
    beta: np.ndarray
    distance: np.ndarray


def project(plane: Plane, points) -> Projection:
    """Least-squares coordinates: argmin |centre + alpha*d1 + beta*d2 - theta| for each row
    theta of ``points`` (T, P) (or one vector), via the thin QR of [d1 d2], exact also when the
    directions are not orthonormal; the distance is the residual's norm."""
    pts = np.asarray(points, dtype=np.float64)
    pts2 = pts.reshape(1, -1) if pts.ndim == 1 else pts
    if pts2.ndim != 2 or pts2.shape[1] != plane.centre.size:
        raise ValueError(f"points of shape {pts.shape} for a plane in R^{plane.centre.size}")
    rel = (pts2 - plane.centre).T                        # (P, T)
    q, r = np.linalg.qr(plane.basis)                     # (P, 2), (2, 2)
    coef = np.linalg.solve(r, q.T @ rel)                 # (2, T)
    distance = np.linalg.norm(rel - plane.basis @ coef, axis=0)
    return Projection(coef[0], coef[1], distance)


# ------------------------------------------------------------------------------------ the grid
def grid_axis(lo: float, hi: float, n: int) -> np.ndarray:
    """n evenly spaced values covering [lo, hi] (lo <= 0 <= hi) with 0.0 exactly a node: the
    spacing is (hi - lo) / (n - 2), one interval spare so that the nodes can shift onto 0."""
    if not (lo <= 0.0 <= hi and lo < hi) or n < 3:
        raise ValueError(f"an axis needs lo <= 0 <= hi, lo < hi and n >= 3, not {lo}, {hi}, {n}")
    h = (hi - lo) / (n - 2)
    k = min(n - 1, math.ceil(-lo / h))
    return h * (np.arange(n, dtype=np.float64) - k)


def cover_extent(alpha, beta, margin: float = 0.15,
                 min_ratio: float = 0.25) -> tuple[float, float, float, float]:
    """(alpha_lo, alpha_hi, beta_lo, beta_hi) holding 0 and every (alpha, beta) with ``margin``
    of the larger span on each side; the smaller span is at least ``min_ratio`` of the larger
    (PC2 is often tiny, and a sliver of a grid shows no landscape). All zero: +-1."""
    a = np.append(np.asarray(alpha, dtype=np.float64).ravel(), 0.0)
    b = np.append(np.asarray(beta, dtype=np.float64).ravel(), 0.0)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("the coordinates to cover hold a non-finite value")
    span = max(np.ptp(a), np.ptp(b))
    if span == 0.0:
        return (-1.0, 1.0, -1.0, 1.0)
    pad = margin * span
    out = []
    for v in (a, b):
        lo, hi = float(v.min()) - pad, float(v.max()) + pad
        short = min_ratio * span + 2 * pad - (hi - lo)
        if short > 0:
            lo, hi = lo - short / 2, hi + short / 2
        out += [min(lo, -pad), max(hi, pad)]
    return tuple(out)


@dataclass(frozen=True, eq=False)
class Grid:
    """``loss[j, i]`` is the loss at ``(alpha[i], beta[j])`` (rows are beta, as matplotlib's
    ``contour(alpha, beta, loss)`` wants); ``origin`` is the (i, j) of alpha = beta = 0."""
    alpha: np.ndarray
    beta: np.ndarray
    loss: np.ndarray

    @property
    def origin(self) -> tuple[int, int]:
        return int(np.flatnonzero(self.alpha == 0.0)[0]), int(np.flatnonzero(self.beta == 0.0)[0])

    def interpolate(self, alpha, beta) -> np.ndarray:
        """Bilinear interpolation of the loss at plane coordinates; NaN outside the grid."""
        a = np.asarray(alpha, dtype=np.float64)
        b = np.asarray(beta, dtype=np.float64)
        i = np.clip(np.searchsorted(self.alpha, a) - 1, 0, self.alpha.size - 2)
        j = np.clip(np.searchsorted(self.beta, b) - 1, 0, self.beta.size - 2)
        ta = (a - self.alpha[i]) / (self.alpha[i + 1] - self.alpha[i])
        tb = (b - self.beta[j]) / (self.beta[j + 1] - self.beta[j])
        z = self.loss
        out = ((1 - ta) * (1 - tb) * z[j, i] + ta * (1 - tb) * z[j, i + 1]
               + (1 - ta) * tb * z[j + 1, i] + ta * tb * z[j + 1, i + 1])
        inside = ((a >= self.alpha[0]) & (a <= self.alpha[-1])
                  & (b >= self.beta[0]) & (b <= self.beta[-1]))
        return np.where(inside, out, np.nan)


def _losses(loss_fn: LossFn, params: np.ndarray, chunk: int) -> np.ndarray:
    """``loss_fn`` over the rows of ``params`` in chunks (the caller's forward pass may hold
    K x N x H values at once), checked: (K,) finite values."""
    out = np.empty(params.shape[0], dtype=np.float64)
    for s in range(0, params.shape[0], chunk):
        part = np.asarray(loss_fn(params[s:s + chunk]), dtype=np.float64)
        if part.shape != (min(chunk, params.shape[0] - s),):
            raise ValueError(f"loss_fn returned shape {part.shape} for {params[s:s + chunk].shape}")
        out[s:s + chunk] = part
    if not np.isfinite(out).all():
        raise ValueError("loss_fn returned a non-finite loss on the plane; use a smaller extent")
    return out


def loss_grid(plane: Plane, loss_fn: LossFn, n: int = DEFAULT_N,
              extent: tuple[float, float, float, float] | None = None,
              cover: Projection | None = None, chunk: int = 256) -> Grid:
    """The loss at ``centre + alpha*d1 + beta*d2`` on an n x n grid (3 <= n <= MAX_N).

    ``extent`` (alpha_lo, alpha_hi, beta_lo, beta_hi) must hold 0; else it covers the projection
    ``cover`` (see :func:`cover_extent`), else +-1. The origin node is evaluated alone, so it is
    exactly ``loss_fn(centre[None])[0]`` whatever a batched BLAS does with the other rows."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 3 <= n <= MAX_N:
        raise ValueError(f"a grid has 3..{MAX_N} nodes a side, not {n!r}")
    if extent is None:
        extent = (cover_extent(cover.alpha, cover.beta) if cover is not None
                  else (-1.0, 1.0, -1.0, 1.0))
    alpha = grid_axis(float(extent[0]), float(extent[1]), int(n))
    beta = grid_axis(float(extent[2]), float(extent[3]), int(n))
    aa, bb = np.meshgrid(alpha, beta)                    # (n, n): rows are beta
    loss = _losses(loss_fn, plane.at(aa.ravel(), bb.ravel()), max(1, int(chunk))).reshape(aa.shape)
    grid = Grid(alpha, beta, loss)
    i, j = grid.origin
    loss[j, i] = _losses(loss_fn, plane.centre[None, :].copy(), 1)[0]
    return grid


# ------------------------------------------------------------------------------ faithfulness
@dataclass(frozen=True, eq=False)
class Faithfulness:
    """How far the picture is from the run, per path point (T,): ``path_loss`` the true loss,
    ``surface_loss`` the surface's loss at the projection, ``gap`` their difference,
    ``distance`` from the plane and ``relative`` = distance / |theta_t - centre| (0 at the
    centre). ``captured``: the share of sum_t |theta_t - centre|^2 that lies in the plane."""
    projection: Projection
    path_loss: np.ndarray
    surface_loss: np.ndarray
    gap: np.ndarray
    relative: np.ndarray
    captured: float

    @property
    def distance(self) -> np.ndarray:
        return self.projection.distance


def path_faithfulness(plane: Plane, path, *, loss_fn: LossFn | None = None,
                      grid: Grid | None = None, path_loss=None) -> Faithfulness:
    """The path against the picture. ``path_loss``: given (e.g. the recorded full loss) or
    ``loss_fn(path)``. The surface's loss at each projection: exact ``loss_fn`` when given,
    else bilinear from ``grid`` (NaN outside it)."""
    path = np.asarray(path, dtype=np.float64)
    proj = project(plane, path)
    path2 = path.reshape(1, -1) if path.ndim == 1 else path
    if path_loss is None:
        if loss_fn is None:
            raise ValueError("path_faithfulness needs path_loss or loss_fn")
        path_loss = _losses(loss_fn, path2, 256)
    path_loss = np.asarray(path_loss, dtype=np.float64)
    if path_loss.shape != proj.alpha.shape:
        raise ValueError(f"path_loss has shape {path_loss.shape}, the path {proj.alpha.shape}")
    if loss_fn is not None:
        surface = _losses(loss_fn, plane.at(proj.alpha, proj.beta), 256)
    elif grid is not None:
        surface = grid.interpolate(proj.alpha, proj.beta)
    else:
        raise ValueError("path_faithfulness needs loss_fn or grid for the surface's loss")
    far = np.linalg.norm(path2 - plane.centre, axis=1)
    relative = np.divide(proj.distance, far, out=np.zeros_like(far), where=far > 0)
    total = float(np.sum(far * far))
    captured = 1.0 - float(np.sum(proj.distance ** 2)) / total if total > 0 else 1.0
    return Faithfulness(proj, path_loss, surface, path_loss - surface, relative,
                        min(1.0, max(0.0, captured)))
