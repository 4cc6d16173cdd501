"""What recording your own loop costs (training.recording, issue 24): CPU time per step of a
bare loop and of the same loop inside ``recording(...)``, one thread.

- the article's model (nn.Linear(1, 1), six points, batch 2) with x, y and the loss given:
  its full-data loss is in the trace for every step (computed after the block, all steps at
  once: training.loop_full_loss) (target: at most +50 %);
- an MLP 1 -> 100 -> 100 -> 1 (10,401 parameters, Adam), batch 256 of 4,096 points, no x, y
  and no loss given (so no full-data loss; the loss module is found by the recording)
  (target: at most +10 %).

The machine is shared and noisy, so the two loops run side by side in one process: two copies
of the model, one recorded, the other bare, take turns a few steps at a time (which goes first
alternates), CPU time (``time.process_time``) is summed for each. Building the trace after the
block is a one-off, shown apart (per step recorded) and with it. That is one trial; the figure is the median ratio of a
few trials, with the trials' spread.

    PYTHONPATH=. python benchmarks/bench_recording.py [--steps N] [--trials T]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn, optim

from training import recording

CHUNK = 10  # steps a turn


def article():
    X = torch.tensor([0.2, 0.4, 0.6, 0.8, 1.0, 1.2]).view(-1, 1)
    Y = torch.tensor([0.18, 0.32, 0.42, 0.48, 0.58, 0.72]).view(-1, 1)
    model = nn.Linear(1, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    crit = nn.MSELoss()

    def steps(first: int, count: int) -> None:
        for k in range(first, first + count):
            s = (k % 3) * 2
            loss = crit(model(X[s:s + 2]), Y[s:s + 2])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model, opt, steps, dict(x=X, y=Y, loss_fn=crit)


def mlp():
    torch.manual_seed(0)
    X = torch.linspace(-2, 2, 4096).view(-1, 1)
    Y = torch.sin(2 * X)
    model = nn.Sequential(nn.Linear(1, 100), nn.Tanh(), nn.Linear(100, 100), nn.Tanh(), nn.Linear(100, 1))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    crit = nn.MSELoss()

    def steps(first: int, count: int) -> None:
        for k in range(first, first + count):
            s = (k % 16) * 256
            loss = crit(model(X[s:s + 256]), Y[s:s + 256])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model, opt, steps, {}


def trial(make, n_steps: int) -> tuple[float, float, float]:
    """CPU seconds per step of the bare loop and of the recorded one, side by side, and of
    building the trace after the block (per step recorded)."""
    _, _, bare_steps, _ = make()
    model, opt, rec_steps, kw = make()
    bare = recorded = 0.0
    with recording(model, opt, **kw) as rec:
        for turn, first in enumerate(range(0, n_steps, CHUNK)):
            count = min(CHUNK, n_steps - first)
            order = (bare_steps, rec_steps) if turn % 2 == 0 else (rec_steps, bare_steps)
            for run in order:
                t0 = time.process_time()
                run(first, count)
                dt = time.process_time() - t0
                if run is bare_steps:
                    bare += dt
                else:
                    recorded += dt
    t0 = time.process_time()
    rec.trace
    build = time.process_time() - t0
    return bare / n_steps, recorded / n_steps, build / n_steps


def measure(make, n_steps: int, trials: int) -> dict:
    trial(make, min(n_steps, 50))  # warm-up: imports, the allocator
    runs = [trial(make, n_steps) for _ in range(trials)]
    ratios = sorted(r / b for b, r, _ in runs)
    whole = sorted((r + t) / b for b, r, t in runs)
    return {"bare": statistics.median(b for b, _, _ in runs), "recorded": statistics.median(r for _, r, _ in runs),
            "build": statistics.median(t for _, _, t in runs), "ratio": statistics.median(ratios),
            "low": ratios[0], "high": ratios[-1], "whole": statistics.median(whole)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--trials", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    for name, make, target in (("article, x and y given", article, 50), ("MLP, 10,401 parameters", mlp, 10)):
        m = measure(make, args.steps, args.trials)
        print(f"{name:24s} bare {m['bare'] * 1e6:7.1f} µs/step  recorded {m['recorded'] * 1e6:7.1f} µs/step  "
              f"median ratio {m['ratio']:.3f} (+{100 * (m['ratio'] - 1):4.1f} %, trials {m['low']:.3f}..{m['high']:.3f}; "
              f"target <= +{target} %);  building the trace after the block {m['build'] * 1e6:6.1f} µs a step "
              f"(with it: ratio {m['whole']:.3f})", flush=True)


if __name__ == "__main__":
    main()
