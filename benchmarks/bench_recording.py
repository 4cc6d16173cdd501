"""What recording your own loop costs (training.recording, issue 24): time per step of a bare
loop and of the same loop inside ``recording(...)``, interleaved pairs, median ratio, one thread.

- the article's model (nn.Linear(1, 1), six points, batch 2) with x, y given: the full-data
  loss is computed before every step (target: at most +50 %);
- an MLP 1 -> 100 -> 100 -> 1 (10,401 parameters), batch 256 of 4,096 points, no x, y (the
  full-data loss not counted; target: at most +10 %).

    PYTHONPATH=. python benchmarks/bench_recording.py [--steps N]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn, optim

from training import recording


def article(steps: int):
    X = torch.tensor([0.2, 0.4, 0.6, 0.8, 1.0, 1.2]).view(-1, 1)
    Y = torch.tensor([0.18, 0.32, 0.42, 0.48, 0.58, 0.72]).view(-1, 1)
    model = nn.Linear(1, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    crit = nn.MSELoss()

    def loop():
        for k in range(steps):
            s = (k % 3) * 2
            loss = crit(model(X[s:s + 2]), Y[s:s + 2])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model, opt, loop, dict(x=X, y=Y, loss_fn=crit)


def mlp(steps: int):
    torch.manual_seed(0)
    X = torch.linspace(-2, 2, 4096).view(-1, 1)
    Y = torch.sin(2 * X)
    model = nn.Sequential(nn.Linear(1, 100), nn.Tanh(), nn.Linear(100, 100), nn.Tanh(), nn.Linear(100, 1))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    crit = nn.MSELoss()

    def loop():
        for k in range(steps):
            s = (k % 16) * 256
            loss = crit(model(X[s:s + 256]), Y[s:s + 256])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model, opt, loop, {}


def timed(make, steps: int, record: bool) -> float:
    """Seconds per step of one run: the loop, bare or inside recording(...) (and the trace
    built from it: that counts too)."""
    model, opt, loop, kw = make(steps)
    t0 = time.process_time()
    if record:
        with recording(model, opt, **kw) as rec:
            loop()
        rec.trace
    else:
        loop()
    return (time.process_time() - t0) / steps


def ratios(make, steps: int, pairs: int) -> tuple[float, float, float]:
    """The machine is shared and noisy: bare and recorded runs alternate (which goes first
    alternates too), each pair gives a ratio, and the median ratio is the figure; the median
    times per step are shown beside it."""
    timed(make, steps, True)  # warm-up: imports, allocator
    bare, rec, r = [], [], []
    for i in range(pairs):
        first, second = (False, True) if i % 2 == 0 else (True, False)
        t = {first: timed(make, steps, first), second: timed(make, steps, second)}
        bare.append(t[False])
        rec.append(t[True])
        r.append(t[True] / t[False])
    return statistics.median(bare), statistics.median(rec), statistics.median(r)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--pairs", type=int, default=9)
    args = ap.parse_args()
    torch.set_num_threads(1)
    for name, make, target in (("article, x and y given", article, 50), ("MLP, 10,401 parameters", mlp, 10)):
        bare, rec, ratio = ratios(make, args.steps, args.pairs)
        print(f"{name:24s} bare {bare * 1e6:7.1f} µs/step  recorded {rec * 1e6:7.1f} µs/step  "
              f"median ratio {ratio:.3f} (+{100 * (ratio - 1):4.1f} %, target <= +{target} %)", flush=True)


if __name__ == "__main__":
    main()
