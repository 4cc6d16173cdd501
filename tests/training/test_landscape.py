"""training.landscape and landscape_io against independent float64 computations.

PCA against numpy's eigendecomposition of the path's scatter matrix (and its SVD), projections
against np.linalg.lstsq, the grid against the closed form of a quadratic bowl on the plane,
random directions against their definition (filter norms, orthogonality, the seed), and the
JSON forms against json round trips and malformed documents.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

from training.errors import InputError
from training.landscape import (MAX_N, ParamGroup, Plane, cover_extent, filter_slices,
                                grid_axis, loss_grid, path_faithfulness, pca_plane, project,
                                random_plane)
from training.landscape_io import grid_from_dict, grid_to_dict, plane_from_dict, plane_to_dict

ROOT = Path(__file__).resolve().parents[2]


def spd(p: int, seed: int = 0) -> np.ndarray:
    """A symmetric positive definite matrix with condition number ~30."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((p, p)))
    return q @ np.diag(np.linspace(0.1, 3.0, p)) @ q.T


def bowl(a: np.ndarray):
    """loss(theta) = theta^T A theta, vectorised over rows."""
    return lambda x: np.einsum("kp,pq,kq->k", x, a, x)


def walk(t: int = 40, p: int = 12, seed: int = 1) -> np.ndarray:
    """A trajectory with a dominant drift, a slower second direction and noise."""
    rng = np.random.default_rng(seed)
    s = np.linspace(1.0, 0.0, t)[:, None]
    u, v = rng.standard_normal(p), rng.standard_normal(p)
    return 3 * s * u + np.sin(4 * s) * v + 0.05 * rng.standard_normal((t, p))


def mlp_groups(h: int) -> list[ParamGroup]:
    return [ParamGroup("0.weight", (h, 1)), ParamGroup("0.bias", (h,)),
            ParamGroup("2.weight", (1, h)), ParamGroup("2.bias", (1,))]


# ------------------------------------------------------------------------------------ PCA
@pytest.mark.parametrize("centring", ["final", "mean"])
@pytest.mark.parametrize("t, p", [(40, 12), (8, 30)])   # T > P goes through QR first
def test_pca_directions_are_the_scatter_matrix_eigenvectors(centring, t, p):
    path = walk(t, p)
    plane = pca_plane(path, centring=centring)
    rel = path - path[-1]
    if centring == "mean":
        rel = rel - rel.mean(axis=0)
    w, v = np.linalg.eigh(rel.T @ rel)                    # ascending
    assert abs(abs(plane.d1 @ v[:, -1]) - 1) < 1e-10
    assert abs(abs(plane.d2 @ v[:, -2]) - 1) < 1e-10
    assert np.allclose(plane.basis.T @ plane.basis, np.eye(2), atol=1e-12)
    s = np.linalg.svd(rel, compute_uv=False)
    assert plane.shares == pytest.approx((s[0] ** 2 / np.sum(s ** 2), s[1] ** 2 / np.sum(s ** 2)),
                                         rel=1e-12)
    assert plane.shares == pytest.approx((w[-1] / w.sum(), w[-2] / w.sum()), rel=1e-9)
    assert 0 < sum(plane.shares) <= 1
    assert np.array_equal(plane.centre, path[-1]) and plane.note == ""
    assert (path[0] - path[-1]) @ plane.d1 <= 0          # the start lies at alpha <= 0


def test_pca_label_and_explicit_centre():
    path = walk()
    centre = path[-1] + 0.01
    plane = pca_plane(path, centre)
    assert np.array_equal(plane.centre, centre)
    assert plane.label() == ", ".join(f"PC{i + 1} {100 * s:.0f} %"
                                      for i, s in enumerate(plane.shares))
    assert plane.label().startswith("PC1 ") and "%, PC2 " in plane.label()


def test_pca_degenerate_paths_fall_back_and_say_so():
    one = pca_plane(np.array([[1.0, 2.0, 3.0]]))
    assert np.array_equal(one.d1, [1, 0, 0]) and np.array_equal(one.d2, [0, 1, 0])
    assert one.shares == (0.0, 0.0) and "does not move" in one.note
    still = pca_plane(np.tile([1.0, 2.0, 3.0], (5, 1)))
    assert "does not move" in still.note
    u = np.array([1.0, -2.0, 0.5, 4.0])
    line = pca_plane(np.linspace(1, 0, 7)[:, None] * u + 3.0)
    assert abs(abs(line.d1 @ u) / np.linalg.norm(u) - 1) < 1e-12
    assert abs(line.d1 @ line.d2) < 1e-12 and abs(np.linalg.norm(line.d2) - 1) < 1e-12
    assert line.shares == pytest.approx((1.0, 0.0)) and "straight line" in line.note
    g = loss_grid(line, bowl(spd(4)), n=5)               # a fallback plane still draws
    # the views' axis labels name the directions each plane really has
    assert one.axis_labels() == ("α (parameter 0)", "β (parameter 1)")
    assert line.axis_labels() == ("α (PC1 direction)", "β (orthogonal axis)")
    full = pca_plane(np.random.default_rng(0).standard_normal((9, 4)))
    assert full.axis_labels() == ("α (PC1 direction)", "β (PC2 direction)")
    assert random_plane(np.zeros(4)).axis_labels() == ("α (random direction 1)", "β (random direction 2)")
    assert g.loss[g.origin[1], g.origin[0]] == bowl(spd(4))(line.centre[None])[0]


@pytest.mark.parametrize("path", [np.zeros((0, 3)), np.zeros((4, 1)), np.zeros(3),
                                  np.array([[0.0, np.nan]])])
def test_pca_refuses_what_is_not_a_path(path):
    with pytest.raises(ValueError):
        pca_plane(path)


# ----------------------------------------------------------------------------- projection
def test_projection_is_least_squares_for_skewed_directions():
    rng = np.random.default_rng(2)
    p = 9
    d1 = rng.standard_normal(p)
    d2 = 0.8 * d1 + 0.3 * rng.standard_normal(p)         # far from orthogonal, not unit
    plane = Plane("random", rng.standard_normal(p), d1, d2, None, 0)
    pts = rng.standard_normal((25, p))
    proj = project(plane, pts)
    a = np.stack([d1, d2], axis=1)
    coef, *_ = np.linalg.lstsq(a, (pts - plane.centre).T, rcond=None)
    assert np.allclose(proj.alpha, coef[0], rtol=1e-10, atol=1e-10)
    assert np.allclose(proj.beta, coef[1], rtol=1e-10, atol=1e-10)
    resid = pts - plane.centre - (a @ coef).T
    assert np.allclose(proj.distance, np.linalg.norm(resid, axis=1), rtol=1e-10)
    # points in the plane: their coordinates back, distance ~0
    back = project(plane, plane.at([0.5, -2.0], [1.5, 0.0]))
    assert np.allclose(back.alpha, [0.5, -2.0]) and np.allclose(back.beta, [1.5, 0.0])
    assert np.all(back.distance < 1e-12)
    single = project(plane, pts[3])
    assert single.alpha.shape == (1,) and single.alpha[0] == pytest.approx(coef[0, 3])
    with pytest.raises(ValueError):
        project(plane, pts[:, :5])


# ----------------------------------------------------------------------------------- grid
def test_grid_axis_holds_zero_exactly_and_covers():
    for lo, hi, n in [(-3.3, 0.4, 61), (0.0, 1.0, 5), (-1.0, 0.0, 4), (-0.7, 0.7, 61),
                      (-1e-9, 5.0, 201)]:
        ax = grid_axis(lo, hi, n)
        assert ax.size == n and (ax == 0.0).sum() == 1
        assert ax[0] <= lo and ax[-1] >= hi and np.all(np.diff(ax) > 0)
        assert np.allclose(np.diff(ax), (hi - lo) / (n - 2))
    for bad in [(0.1, 1.0, 5), (-1.0, -0.1, 5), (0.0, 0.0, 5), (-1.0, 1.0, 2)]:
        with pytest.raises(ValueError):
            grid_axis(*bad)


def test_quadratic_bowl_gives_the_analytic_surface():
    p = 10
    a = spd(p, 3)
    path = walk(p=p, seed=4)
    plane = pca_plane(path)
    grid = loss_grid(plane, bowl(a), n=21, cover=project(plane, path))
    al, be = np.meshgrid(grid.alpha, grid.beta)
    c, d1, d2 = plane.centre, plane.d1, plane.d2
    # (c + al d1 + be d2)^T A (c + al d1 + be d2), expanded by hand
    want = (c @ a @ c + 2 * al * (d1 @ a @ c) + 2 * be * (d2 @ a @ c) + al ** 2 * (d1 @ a @ d1)
            + 2 * al * be * (d1 @ a @ d2) + be ** 2 * (d2 @ a @ d2))
    assert grid.loss.shape == (21, 21)
    assert np.allclose(grid.loss, want, rtol=1e-11, atol=1e-12)


def test_grid_origin_is_exactly_the_centre_loss():
    # a loss_fn whose batched calls round differently from a lone call (as BLAS may)
    a = spd(6)
    f = bowl(a)
    skewed = lambda x: f(x) + (1e-9 if x.shape[0] > 1 else 0.0)  # noqa: E731
    plane = pca_plane(walk(p=6))
    grid = loss_grid(plane, skewed, n=61, cover=project(plane, walk(p=6)), chunk=100)
    i, j = grid.origin
    assert grid.alpha[i] == 0.0 and grid.beta[j] == 0.0
    assert grid.loss[j, i] == f(plane.centre[None])[0]


def test_grid_covers_the_projected_path_with_a_margin():
    path = walk()
    plane = pca_plane(path)
    proj = project(plane, path)
    grid = loss_grid(plane, bowl(spd(12)), n=31, cover=proj)
    assert grid.alpha[0] < proj.alpha.min() and grid.alpha[-1] > proj.alpha.max()
    assert grid.beta[0] < proj.beta.min() and grid.beta[-1] > proj.beta.max()
    span_a, span_b = np.ptp(grid.alpha), np.ptp(grid.beta)
    assert min(span_a, span_b) >= 0.25 * np.ptp(proj.alpha) > 0
    assert cover_extent([0.0], [0.0]) == (-1.0, 1.0, -1.0, 1.0)
    default = loss_grid(plane, bowl(spd(12)), n=3)
    assert default.alpha[0] <= -1 and default.alpha[-1] >= 1


@pytest.mark.parametrize("n", [2, MAX_N + 1, True, 30.0])
def test_grid_size_is_bounded(n):
    with pytest.raises(ValueError):
        loss_grid(pca_plane(walk()), bowl(spd(12)), n=n)


def test_grid_refuses_bad_loss_values():
    plane = pca_plane(walk())
    with pytest.raises(ValueError, match="non-finite"):
        loss_grid(plane, lambda x: np.full(x.shape[0], np.inf), n=3)
    with pytest.raises(ValueError, match="shape"):
        loss_grid(plane, lambda x: np.zeros((x.shape[0], 1)), n=3)


def test_bilinear_interpolation_is_exact_for_a_linear_loss():
    rng = np.random.default_rng(5)
    w = rng.standard_normal(12)
    plane = pca_plane(walk())
    grid = loss_grid(plane, lambda x: x @ w, n=11)      # linear in alpha, beta
    a = rng.uniform(grid.alpha[0], grid.alpha[-1], 50)
    b = rng.uniform(grid.beta[0], grid.beta[-1], 50)
    assert np.allclose(grid.interpolate(a, b), plane.at(a, b) @ w, rtol=1e-11, atol=1e-11)
    assert np.isnan(grid.interpolate(grid.alpha[-1] + 1, 0.0))


# --------------------------------------------------------------------------- faithfulness
def test_faithfulness_of_an_off_plane_path():
    a = spd(12, 6)
    f = bowl(a)
    path = walk()
    plane = pca_plane(path)
    fa = path_faithfulness(plane, path, loss_fn=f)
    # independent: projection by lstsq, losses by hand
    coef, *_ = np.linalg.lstsq(plane.basis, (path - plane.centre).T, rcond=None)
    on = plane.centre + (plane.basis @ coef).T
    assert np.allclose(fa.path_loss, [x @ a @ x for x in path], rtol=1e-12)
    assert np.allclose(fa.surface_loss, [x @ a @ x for x in on], rtol=1e-12)
    assert np.allclose(fa.gap, fa.path_loss - fa.surface_loss)
    assert np.allclose(fa.distance, np.linalg.norm(path - on, axis=1), atol=1e-12)
    far = np.linalg.norm(path - plane.centre, axis=1)
    assert fa.relative[-1] == 0.0 and np.allclose(fa.relative[:-1], fa.distance[:-1] / far[:-1])
    assert fa.captured == pytest.approx(sum(plane.shares), rel=1e-12)   # PCA, centring final
    assert np.max(np.abs(fa.gap)) > 1e-3                 # the path does leave the plane
    # from the grid instead of loss_fn: bilinear, close to the exact surface on a fine grid
    grid = loss_grid(plane, f, n=121, cover=fa.projection)
    fb = path_faithfulness(plane, path, grid=grid, path_loss=fa.path_loss)
    scale = np.ptp(grid.loss)
    assert np.max(np.abs(fb.surface_loss - fa.surface_loss)) < 1e-3 * scale


def test_faithfulness_of_a_path_in_the_plane_is_perfect():
    plane = pca_plane(walk())
    path = plane.at(np.linspace(-2, 0, 9), np.linspace(0.5, 0, 9) ** 2)
    fa = path_faithfulness(plane, path, loss_fn=bowl(spd(12)))
    assert np.all(fa.distance < 1e-12) and np.allclose(fa.gap, 0, atol=1e-12)
    assert fa.captured == pytest.approx(1.0)
    with pytest.raises(ValueError):
        path_faithfulness(plane, path)
    with pytest.raises(ValueError):
        path_faithfulness(plane, path, loss_fn=bowl(spd(12)), path_loss=[1.0])


# ------------------------------------------------------------------------- random planes
def filter_norms(v, slices):
    return np.array([np.linalg.norm(v[f]) for f in slices])


@pytest.mark.parametrize("h", [8, 64])
def test_random_directions_are_filter_normalised_orthogonal_and_seeded(h):
    groups = mlp_groups(h)
    p = 3 * h + 1
    centre = np.random.default_rng(h).standard_normal(p)
    plane = random_plane(centre, groups, seed=7)
    # the filters by hand: 0.weight (h,1) -> h filters of 1; biases and 2.weight (1,h) -> 1 each
    slices = [slice(k, k + 1) for k in range(h)] + [slice(h, 2 * h), slice(2 * h, 3 * h),
                                                     slice(3 * h, 3 * h + 1)]
    assert filter_slices(groups, p) == slices
    want = filter_norms(centre, slices)
    assert np.allclose(filter_norms(plane.d1, slices), want, rtol=1e-12)
    assert np.allclose(filter_norms(plane.d2, slices), want, rtol=1e-12)
    assert abs(plane.d1 @ plane.d2) < 1e-12 * np.linalg.norm(plane.d1) * np.linalg.norm(plane.d2)
    assert plane.note == "" and plane.seed == 7 and plane.shares is None
    again = random_plane(centre.copy(), groups, seed=7)
    assert np.array_equal(again.d1, plane.d1) and np.array_equal(again.d2, plane.d2)
    other = random_plane(centre, groups, seed=8)
    assert not np.allclose(other.d1, plane.d1)
    assert plane.label() == "random directions (seed 7)"


def test_random_plane_rules_and_fallbacks():
    c = np.array([3.0, 4.0, 0.0, 0.0, 1.0])
    whole = random_plane(c, None, seed=1)                # one filter: the whole vector
    assert np.linalg.norm(whole.d1) == pytest.approx(np.linalg.norm(c))
    assert abs(whole.d1 @ whole.d2) < 1e-12
    zero_filter = random_plane(c, [ParamGroup("w", (2, 2)), ParamGroup("b", (1,))], seed=1)
    assert np.allclose(zero_filter.d1[2:4], 0) and np.allclose(zero_filter.d2[2:4], 0)
    zero = random_plane(np.zeros(4), None, seed=2)
    assert "centre is 0" in zero.note
    assert np.allclose(zero.basis.T @ zero.basis, np.eye(2))
    line = random_plane(np.array([0.0, 0.0, 2.0]), [ParamGroup("a", (3, 1))], seed=3)
    assert "a line" in line.note and abs(line.d1 @ line.d2) < 1e-12
    with pytest.raises(ValueError):
        random_plane(c, [ParamGroup("w", (2, 2))])       # 4 values for a vector of 5
    with pytest.raises(ValueError):
        random_plane(np.array([1.0]))


# ------------------------------------------------------------------------------ JSON forms
def test_json_round_trip_is_bit_exact():
    path = walk()
    for plane in (pca_plane(path), random_plane(path[-1], None, seed=11)):
        back = plane_from_dict(json.loads(json.dumps(plane_to_dict(plane))))
        for name in ("centre", "d1", "d2"):
            assert np.array_equal(getattr(back, name), getattr(plane, name))
        assert (back.kind, back.shares, back.seed, back.centring, back.note) == \
            (plane.kind, plane.shares, plane.seed, plane.centring, plane.note)
    grid = loss_grid(pca_plane(path), bowl(spd(12)), n=7)
    back = grid_from_dict(json.loads(json.dumps(grid_to_dict(grid))))
    assert np.array_equal(back.loss, grid.loss) and np.array_equal(back.alpha, grid.alpha)
    assert back.origin == grid.origin


def _plane_doc(**change):
    doc = plane_to_dict(pca_plane(walk(p=3)))
    doc.update(change)
    return doc


def _grid_doc(**change):
    doc = grid_to_dict(loss_grid(pca_plane(walk(p=3)), bowl(spd(3)), n=5))
    doc.update(change)
    return doc


@pytest.mark.parametrize("doc, words", [
    ([], "an object"),
    ({"kind": "pca"}, "lacks"),
    (_plane_doc(extra=1), "unknown key"),
    (_plane_doc(kind="hessian"), "kind"),
    (_plane_doc(centre=[1.0, float("nan"), 2.0]), "non-finite"),
    (_plane_doc(d1=[1.0, True, 0.0]), "not a number"),
    (_plane_doc(d2=[1.0, 0.0]), "2 values, not 3"),
    (_plane_doc(d2=[[1.0], [0.0], [0.0]]), "not a number"),
    (_plane_doc(centre=[1.0], d1=[1.0], d2=[1.0]), "2 or more"),
    (_plane_doc(d1=[1.0, 0.0, 0.0], d2=[-2.0, 0.0, 0.0]), "span a plane"),
    (_plane_doc(shares=[0.8, 0.3]), "sum to at most 1"),
    (_plane_doc(seed=3), "seed null"),
    (_plane_doc(kind="random", shares=None, centring=None, seed=-1), "seed"),
    (_plane_doc(note="two\nlines"), "note"),
])
def test_bad_plane_documents_are_refused_in_one_line(doc, words):
    with pytest.raises(InputError, match=words) as err:
        plane_from_dict(doc)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("doc, words", [
    (_grid_doc(loss=_grid_doc()["loss"][:4]), "5 rows"),
    (_grid_doc(loss=[r[:4] if k == 2 else r for k, r in enumerate(_grid_doc()["loss"])]),
     "loss row 2 has 4 values, not 5"),
    (_grid_doc(loss=[[float("inf")] * 5] * 5), "non-finite"),
    (_grid_doc(alpha=[0.0, 2.0, 1.0, 3.0, 4.0]), "not increasing"),
    (_grid_doc(beta=[1.0, 2.0, 3.0, 4.0, 5.0]), "does not hold 0"),
    (_grid_doc(alpha=list(np.arange(MAX_N + 1.0) - 3)), f"3..{MAX_N}"),
    (_grid_doc(alpha="0 1 2"), "list of numbers"),
])
def test_bad_grid_documents_are_refused_in_one_line(doc, words):
    with pytest.raises(InputError, match=words) as err:
        grid_from_dict(doc)
    assert "\n" not in str(err.value)


def test_the_landscape_modules_import_no_torch():
    allowed = {"__future__", "math", "dataclasses", "typing", "numpy", "training"}
    for name in ("landscape.py", "landscape_io.py"):
        tree = ast.parse((ROOT / "training" / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                tops = {(node.module or "").split(".")[0]}
            else:
                continue
            assert tops <= allowed, (name, tops)
