"""Where recording the MLP's loop spends its time (docs/benchmarks.md, issue 24): the MLP of
benchmarks/bench_recording.py measured the same way with one part of the recording's hooks
switched off at a time, each variant in its own process (they patch training's internals, so
the traces they make are not whole: building them may fail, and is not counted).

    PYTHONPATH=. python benchmarks/bench_recording_parts.py [VARIANT ...]

Variants: base (all on), empty (hooks registered, doing nothing), nocopy (no copy of the
parameters, gradients and optimizer state), nobatch (no batch rows kept), nocopy+nobatch, rows
(the copies made, every step into the same row: no memory touched for the first time).
"""
from __future__ import annotations

import os
import subprocess
import sys

VARIANTS = ("base", "empty", "nocopy", "nobatch", "nocopy+nobatch", "rows")


def _patch(variant: str) -> None:
    from training import loop_columns, loop_recorder, loop_tensors
    R = loop_recorder.Recording
    if "rows" in variant:  # parameter-wide rows: the same one, over and over
        next_row = loop_columns.Grow.next_row

        def same_row(self):
            if self.width and self.width > 1000:
                self.n += 1
                return self._a[0]
            return next_row(self)
        loop_columns.Grow.next_row = same_row
    if "nocopy" in variant:
        loop_tensors.ParamViews.into = lambda self, row: None
        loop_tensors.StateViews.into = lambda self, out: None
        loop_recorder.grads_into = lambda params, out: None
    if "nobatch" in variant:
        loop_recorder.keep_batch = lambda rec, inputs, preds, targets: (rec.c_offsets.append(0), "")[1]
    if "empty" in variant:
        for name in ("_pre", "_post", "_on_forward", "_on_loss", "_on_any"):
            setattr(R, name, lambda self, *a, **k: None)
    whole = R.trace

    def trace(self):
        try:
            return whole.fget(self)
        except Exception:  # noqa: BLE001 - a patched recording's trace may not build
            return None
    R.trace = property(trace)


def run(variant: str, steps: int = 400, trials: int = 5) -> None:
    import torch
    from benchmarks.bench_recording import measure, mlp
    torch.set_num_threads(1)
    _patch(variant)
    m = measure(mlp, steps, trials)
    print(f"{variant:16s} bare {m['bare'] * 1e6:7.1f} µs/step  recorded {m['recorded'] * 1e6:7.1f} µs/step  "
          f"median ratio {m['ratio']:.3f} (trials {m['low']:.3f}..{m['high']:.3f})", flush=True)


def main() -> None:
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--one":
        return run(args[1])
    for variant in args or VARIANTS:
        if variant not in VARIANTS:
            sys.exit(f"unknown variant {variant!r}: one of {', '.join(VARIANTS)}")
        subprocess.run([sys.executable, __file__, "--one", variant], check=True,
                       env={**os.environ, "PYTHONWARNINGS": "ignore"})


if __name__ == "__main__":
    main()
