"""Images per second of `diffnb.data.render_glyphs` on one thread, at every resolution, grey and RGB.

Run from the repository root: `OMP_NUM_THREADS=1 python benchmarks/glyphs_rate.py [--rounds 5]`.
Variants run in interleaved rounds (each round: every variant once, in a rotated order); the table gives the median over rounds
of the rate by the process's CPU time (steady on a shared machine) and by the wall clock, and the CPU-time spread
(half the interquartile range, % of the median)."""
import argparse, time, warnings
warnings.filterwarnings('ignore', message='`torch.jit.script` is deprecated')   # raised by a dependency's import
import numpy as np, torch
from diffnb.data import render_glyphs, _atlas, GLYPH_CHARS

p = argparse.ArgumentParser(); p.add_argument('--rounds', type=int, default=5); a = p.parse_args()
torch.set_num_threads(1)
t0 = time.perf_counter(); _atlas(GLYPH_CHARS); print(f'torch {torch.__version__}, 1 thread; atlas built in {time.perf_counter() - t0:.2f} s (once per process)')
variants = [(r, rgb) for rgb in (False, True) for r in (8, 16, 32, 64)]
n_of = lambda r: 10_000 if r <= 32 else 2_500
for r, rgb in variants: render_glyphs(range(200), r, rgb=rgb)               # warm-up
cpu, wall = {v: [] for v in variants}, {v: [] for v in variants}
for k in range(a.rounds):
    for r, rgb in variants[k % len(variants):] + variants[:k % len(variants)]:
        n = n_of(r); c0, w0 = time.process_time(), time.perf_counter()
        render_glyphs(range(k * n, (k + 1) * n), r, rgb=rgb)                  # fresh indices each round
        cpu[(r, rgb)].append(n / (time.process_time() - c0)); wall[(r, rgb)].append(n / (time.perf_counter() - w0))
print(f"{'variant':14s} {'images/s (CPU)':>15s} {'spread':>7s} {'images/s (wall)':>16s}")
for v in variants:
    c = np.array(cpu[v]); q1, med, q3 = np.percentile(c, [25, 50, 75])
    print(f"{v[0]:2d}x{v[0]:<2d} {'RGB' if v[1] else 'grey':4s}    {med:15,.0f} {100 * (q3 - q1) / 2 / med:6.1f}% {np.median(wall[v]):16,.0f}")
