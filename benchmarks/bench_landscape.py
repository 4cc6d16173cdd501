"""What the loss landscape of an MLP costs: training.landscape on a 1 -> H -> 1 tanh network.

Trains the network with plain minibatch SGD written in numpy (no torch: the point is the
landscape's cost, not the recorder's), then times the PCA plane, the 61 x 61 grid (and 201 x
201, the cap) with a vectorised float64 forward pass, and the path's faithfulness.

    PYTHONPATH=$PWD python benchmarks/bench_landscape.py [--hidden 64] [--png out.png]

``--png`` draws the surface with the projected path, coloured by its distance from the plane.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from training.landscape import (ParamGroup, loss_grid, path_faithfulness, pca_plane, project,
                                random_plane)


def unpack(params: np.ndarray, h: int):
    """(K, P) in PyTorch's order: 0.weight (H,1), 0.bias (H,), 2.weight (1,H), 2.bias (1,)."""
    return params[:, :h], params[:, h:2 * h], params[:, 2 * h:3 * h], params[:, 3 * h]


def mlp_loss(x: np.ndarray, y: np.ndarray, h: int):
    """The full-data MSE of K parameter vectors at once: (K, P) -> (K,), float64."""
    def loss(params: np.ndarray) -> np.ndarray:
        w1, b1, w2, b2 = unpack(params, h)
        hidden = np.tanh(x[None, :, None] * w1[:, None, :] + b1[:, None, :])   # (K, N, H)
        pred = np.einsum("knh,kh->kn", hidden, w2) + b2[:, None]
        return np.mean((pred - y) ** 2, axis=1)
    return loss


def train(x, y, h, steps, lr, batch, seed):
    """Minibatch SGD with hand-written backprop; returns the (steps + 1, P) path."""
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(h)  # PyTorch's default uniform bounds for fan-in 1 and H
    theta = np.concatenate([rng.uniform(-1, 1, h), rng.uniform(-1, 1, h),
                            rng.uniform(-bound, bound, h), rng.uniform(-bound, bound, 1)])
    path = [theta.copy()]
    for _ in range(steps):
        idx = rng.choice(x.size, batch, replace=False)
        xb, yb = x[idx], y[idx]
        w1, b1, w2, b2 = (v[0] for v in unpack(theta[None], h))
        hid = np.tanh(np.outer(xb, w1) + b1)
        r = hid @ w2 + b2 - yb
        g_out = 2 * r / batch
        g_hid = np.outer(g_out, w2) * (1 - hid ** 2)
        grad = np.concatenate([g_hid.T @ xb, g_hid.sum(0), hid.T @ g_out, [g_out.sum()]])
        theta = theta - lr * grad
        path.append(theta.copy())
    return np.array(path)


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--points", type=int, default=200)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--png")
    args = ap.parse_args()
    h = args.hidden
    rng = np.random.default_rng(0)
    x = np.linspace(-3, 3, args.points)
    y = np.sin(x) + 0.1 * rng.standard_normal(x.size)
    f = mlp_loss(x, y, h)
    path = train(x, y, h, args.steps, lr=0.05, batch=16, seed=1)
    print(f"MLP 1-{h}-1 tanh, P = {path.shape[1]}, N = {x.size}, {args.steps} SGD steps: "
          f"loss {f(path[:1])[0]:.4f} -> {f(path[-1:])[0]:.4f}")
    plane, t_pca = timed(pca_plane, path)
    proj, t_proj = timed(project, plane, path)
    print(f"pca_plane {1e3 * t_pca:.1f} ms ({plane.label()}), project {1e3 * t_proj:.2f} ms")
    for n in (61, 201):
        grid, t_grid = timed(loss_grid, plane, f, n=n, cover=proj)
        print(f"loss_grid {n}x{n}: {t_grid:.2f} s ({n * n} forward passes, "
              f"{1e6 * t_grid / (n * n):.0f} us each)")
    grid = loss_grid(plane, f, n=61, cover=proj)
    fa, t_fa = timed(path_faithfulness, plane, path, loss_fn=f)
    print(f"path_faithfulness {1e3 * t_fa:.0f} ms: captured {100 * fa.captured:.1f} %, "
          f"max distance {fa.distance.max():.3g} (relative {fa.relative.max():.2f}), "
          f"max |true - surface| {np.abs(fa.gap).max():.4g}")
    groups = [ParamGroup("0.weight", (h, 1)), ParamGroup("0.bias", (h,)),
              ParamGroup("2.weight", (1, h)), ParamGroup("2.bias", (1,))]
    rplane, t_rand = timed(random_plane, path[-1], groups, seed=0)
    print(f"random_plane {1e3 * t_rand:.1f} ms {rplane.note or '(orthogonal)'}")
    if args.png:
        draw(plane, grid, fa, args.png)


def draw(plane, grid, fa, out: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.6))
    z = np.log10(grid.loss)
    cs = ax.contourf(grid.alpha, grid.beta, z, levels=30, cmap="viridis")
    ax.contour(grid.alpha, grid.beta, z, levels=15, colors="k", linewidths=0.3)
    fig.colorbar(cs, ax=ax, label="log10 full-data loss")
    p = fa.projection
    ax.plot(p.alpha, p.beta, color="w", lw=0.6)
    sc = ax.scatter(p.alpha, p.beta, c=fa.relative, s=6, cmap="magma", zorder=3)
    fig.colorbar(sc, ax=ax, label="distance from plane / distance from centre")
    ax.plot(0, 0, "r*", ms=10)
    ax.set(xlabel="alpha (PC1)", ylabel="beta (PC2)", title=plane.label())
    bx.semilogy(fa.path_loss, label="true loss of the path")
    bx.semilogy(fa.surface_loss, label="surface's loss at the projection")
    bx.set(xlabel="step", title="the path leaves the plane")
    bx.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=90)


if __name__ == "__main__":
    main()
