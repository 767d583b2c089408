"""Sampler accuracy against NFE, and the samplers' own overhead per step.

Accuracy: the ideal denoiser of the 1,797 digits (float64), 64 fixed starting noises (seed 0) at sigma_max = 80,
EDM's rho = 7 levels; every ODE solver is compared with one converged reference (Heun, 1024 steps), since all of
them solve the same ODE with sigma(t) = t. The ideal denoiser snaps onto training digits, so the error is also
reported as the fraction of samples that end on a different digit than the reference.

Overhead: a near-free denoiser (D(x, sigma) = x / (1 + sigma^2), no learned part) and 200 steps, so the time per
step is the sampler's own bookkeeping; printed per step and as a ratio to Euler's, side by side.

Run:  OMP_NUM_THREADS=1 python benchmarks/sampler_accuracy.py
"""
import time, torch
from diffnb.data import load_digits
from diffnb.score import IdealDenoiser
from diffnb.ode import edm_sigmas
from diffnb.ddpm import sample_ddpm
from diffnb.sampling import (sample_euler, sample_heun, sample_dpmpp_2m, sample_ddim,
                             sample_euler_maruyama, NFECounter)

def accuracy(nfe_targets=(10, 20, 35, 80), n=64):
    x, _ = load_digits()
    D = IdealDenoiser(x.double())
    z = 80. * torch.randn(n, 1, 8, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ref = sample_heun(D, z, edm_sigmas(1024))
    # steps N for a target NFE: Heun uses 2N - 1 evaluations, the others N
    solvers = {'euler': (sample_euler, lambda nfe: nfe), 'heun': (sample_heun, lambda nfe: max(1, round((nfe + 1) / 2))),
               'dpmpp_2m': (sample_dpmpp_2m, lambda nfe: nfe), 'ddim': (sample_ddim, lambda nfe: nfe)}
    print(f"{'sampler':<10}" + ''.join(f"{'NFE~' + str(t):>24}" for t in nfe_targets))
    for name, (f, steps) in solvers.items():
        cells = []
        for t in nfe_targets:
            c = NFECounter(D)
            out = f(c, z, edm_sigmas(steps(t)))
            e = ((out - ref)**2).flatten(1).sum(1).sqrt()
            cells.append(f'{e.pow(2).mean().sqrt().item():9.3g} {(e > 0.5).float().mean().item():4.0%} (NFE {c.nfe:>2})')
        print(f'{name:<10}' + ''.join(f'{c:>24}' for c in cells))
    print('cells: RMS error vs the converged reference, % of samples on another digit, actual NFE')

def overhead(steps=200, shape=(64, 3, 32, 32), reps=3):
    D = lambda x, sigma: x / (1 + sigma.view(-1, *[1] * (x.ndim - 1))**2)
    sig = edm_sigmas(steps, dtype=torch.float32)
    g = torch.Generator().manual_seed(0)
    x = 80 * torch.randn(shape, generator=g)
    samplers = {'euler': lambda: sample_euler(D, x, sig), 'heun': lambda: sample_heun(D, x, sig),
                'heun churn': lambda: sample_heun(D, x, sig, S_churn=40, generator=g),
                'dpmpp_2m': lambda: sample_dpmpp_2m(D, x, sig), 'ddim': lambda: sample_ddim(D, x, sig),
                'ddpm': lambda: sample_ddpm(D, x, sig, generator=g), 'euler_maruyama': lambda: sample_euler_maruyama(D, x, sig, generator=g)}
    times = {}
    for name, f in samplers.items():
        f()                                              # warm-up
        best = min((lambda t0: (f(), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(reps))
        times[name] = best / steps
    print(f'\nper-step time with a near-free denoiser, x of shape {list(shape)} float32, {steps} steps (best of {reps}):')
    for name, t in times.items(): print(f'{name:<16} {t * 1e6:9.1f} us/step   {t / times["euler"]:5.2f}x euler')

if __name__ == '__main__':
    print(f'torch {torch.__version__}, {torch.get_num_threads()} thread(s)\n')
    accuracy()
    overhead()
