"""The CPU's rsqrtps table that the twin's square root (scenes/web/twin/sqrt.js) holds.

torch's float32 sqrt is MKL's vsSqrt; on the machine the twin was measured on (AMD EPYC) MKL
runs its generic SSE kernel, which starts from rsqrtps, the CPU's 12-bit approximate
reciprocal square root. Intel does not specify rsqrtps bit for bit and AMD's differs, so the
twin carries this CPU's. This script measures it with a small C program (gcc, x86-64) over
every float32 in [1, 4), checks that it depends only on the exponent's parity and the top 12
mantissa bits and scales exactly by powers of 4, and prints the encoding sqrt.js stores
(FIRST and STEPS); ``--check`` compares it with sqrt.js instead (exit 1 if they differ: then
this CPU's table is not the twin's, and the twin's roots can be one unit off torch's here).
It also compares torch.sqrt with the kernel's formula computed from the measured table.

    .venv/bin/python benchmarks/twin_rsqrt_table.py [--check]
"""
from __future__ import annotations

import argparse
import base64
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SQRT_JS = ROOT / "scenes" / "web" / "twin" / "sqrt.js"

C_SOURCE = r"""
#include <immintrin.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
static uint32_t out[1 << 24];
int main(void) {  /* rsqrtps of every float32 in [1, 4), as bits */
  for (uint32_t i = 0; i < (1u << 24); i += 4) {
    uint32_t b[4]; __m128 v, r;
    for (int k = 0; k < 4; k++) b[k] = 0x3f800000u + i + k;
    memcpy(&v, b, 16); r = _mm_rsqrt_ps(v); memcpy(out + i, &r, 16);
  }
  fwrite(out, 4, 1u << 24, stdout);
  return 0;
}
"""


def measure() -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = Path(tmp) / "rsqrt.c", Path(tmp) / "rsqrt"
        src.write_text(C_SOURCE, encoding="utf-8")
        subprocess.run(["gcc", "-O2", "-msse2", "-o", str(exe), str(src)], check=True)
        return np.frombuffer(subprocess.run([str(exe)], capture_output=True, check=True).stdout, np.uint32)


def encode(bits: np.ndarray) -> tuple[int, str]:
    entries = bits.reshape(8192, 2048)
    if not np.all(entries == entries[:, :1]) or np.any(bits & 0x7FF):
        raise SystemExit("error: this CPU's rsqrtps is not a 13-bit table of 12-bit values; sqrt.js cannot hold it")
    table = entries[:, 0].astype(np.int64) >> 11
    steps = np.append(-np.diff(table), 0)
    if not set(steps.tolist()) <= {0, 1, 2}:
        raise SystemExit("error: this CPU's rsqrtps table has steps other than 0, 1, 2 units")
    packed = bytes(int(a | b << 2 | c << 4 | d << 6) for a, b, c, d in steps.reshape(-1, 4))
    return int(table[0]), base64.b64encode(packed).decode()


def kernel_formula(x: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """MKL's generic kernel (each float32 operation rounded alone) from the measured rsqrtps."""
    f = np.float32
    xb = x.view(np.uint32).astype(np.int64)
    e = (xb >> 23) - 127
    y = (bits[((e & 1) << 23) | (xb & 0x7FFFFF)].view(np.float32) * np.ldexp(1.0, -(e >> 1))).astype(f)
    s, h = x * y, y * f(0.5)
    e1 = f(0.5) - s * h
    s1, h1 = s * e1 + s, h * e1 + h
    return (x - s1 * s1) * h1 + s1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with sqrt.js rather than print")
    args = ap.parse_args()
    if shutil.which("gcc") is None:
        print("error: gcc is needed to run rsqrtps", file=sys.stderr)
        return 2
    bits = measure()
    first, steps = encode(bits)
    import torch
    x = np.random.default_rng(1).integers(0x00800000, 0x7F7FF000, 1_000_000, dtype=np.uint32).view(np.float32)
    torch_roots = torch.sqrt(torch.from_numpy(x)).numpy()
    same = np.count_nonzero(kernel_formula(x, bits) == torch_roots)
    print(f"torch.sqrt equals MKL's generic kernel with this rsqrtps on {same:,} of {len(x):,} float32s; "
          f"IEEE's root on {np.count_nonzero(np.sqrt(x) == torch_roots):,}")
    if not args.check:
        print(f"FIRST = {first}\nSTEPS = {steps}")
        return 0
    text = SQRT_JS.read_text(encoding="utf-8")
    stored_first = int(re.search(r"const FIRST = (\d+);", text).group(1))
    stored = "".join(re.findall(r'"([A-Za-z0-9+/=]+)"', text.split("const STEPS =", 1)[1].split(";", 1)[0]))
    ok = stored_first == first and stored == steps
    print("sqrt.js holds this CPU's table" if ok else "sqrt.js holds another CPU's table")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
