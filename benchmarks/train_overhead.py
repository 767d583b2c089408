"""Training overhead of diffnb's fastai Learner + callbacks against a hand-written PyTorch loop.

Same denoiser (EDMPrecond around an MLP, or a U-Net preset with --net), same data (the digits, in memory), same batch size, same EDM loss, same
optimiser (torch.optim.Adam) and the same K steps. Each variant runs in its own process (clean peak memory), the
timed steps follow untimed warm-up steps, and the best of R repeats is kept. The last line is `ratio N.NN`
(Learner time / hand-loop time). Run from the repository root:
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_overhead.py
"""
import argparse, json, os, resource, subprocess, sys, time

def run(variant, steps, warmup, bs, width, device, net='mlp'):
    import warnings; warnings.filterwarnings('ignore')
    import torch, torch.nn as nn
    from functools import partial
    from fastai.optimizer import OptimWrapper
    from diffnb.core import append_dims, make_generator, noise_like
    from diffnb.data import load_digits, get_dls
    from diffnb.precond import EDMPrecond, EDMLoss
    from diffnb.learner import diffusion_learner, weighted_mse
    torch.manual_seed(0)
    x, y = load_digits()
    class Net(nn.Module):
        def __init__(self, d=64, w=width):
            super().__init__(); self.emb = nn.Linear(1, w)
            self.body = nn.Sequential(nn.Linear(d + w, w), nn.SiLU(), nn.Linear(w, w), nn.SiLU(), nn.Linear(w, d))
        def forward(self, x, c_noise, class_labels=None):
            return self.body(torch.cat([x.flatten(1), self.emb(c_noise.float()[:, None]).sin()], 1)).view(x.shape)
    if net == 'mlp': F = Net()
    else:
        from diffnb.models import unet_preset
        F = unet_preset(net.split('-', 1)[1], img_size=8, in_channels=1)
    D, loss = EDMPrecond(F, sigma_data=0.5).to(device), EDMLoss()
    n = warmup + steps
    if variant == 'hand':
        opt = torch.optim.Adam(D.parameters(), lr=1e-4)
        g, xs = make_generator(0, device), x.to(device)
        def step():
            idx = torch.randint(0, len(xs), (bs,), device=device)
            yb = xs[idx]
            sigma = loss.sample_sigma(bs, generator=g, device=device)
            xn = yb + noise_like(yb, g) * append_dims(sigma, yb.ndim)
            l = weighted_mse(D(xn, sigma), yb, loss.weight(sigma))
            opt.zero_grad(); l.backward(); opt.step()
            if not torch.isfinite(l): raise FloatingPointError
        for _ in range(warmup): step()
        if device == 'cuda': torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(steps): step()
        if device == 'cuda': torch.cuda.synchronize()
        dt = time.perf_counter() - t0
    else:
        from fastai.callback.core import Callback, CancelFitException
        # the digits repeated so one epoch has n batches: the timing covers only steps, not epoch ends
        reps = (n * bs) // len(x) + 2
        dls = get_dls(x.repeat(reps, 1, 1, 1), y.repeat(reps), bs=bs, valid_pct=0.01, device=device)
        opt_func = partial(OptimWrapper, opt=torch.optim.Adam) if variant == 'learner' else None
        kw = dict(opt_func=opt_func) if opt_func else {}
        learn = diffusion_learner(dls, D, loss, **kw)
        times = {}
        class Clock(Callback):
            order = 200
            def after_batch(self):
                if not self.training: return
                if self.iter + 1 == warmup:
                    if device == 'cuda': torch.cuda.synchronize()
                    times['t0'] = time.perf_counter()
                if self.iter + 1 == n:
                    if device == 'cuda': torch.cuda.synchronize()
                    times['t1'] = time.perf_counter(); raise CancelFitException
        with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-4, cbs=Clock())
        dt = times['t1'] - times['t0']
    peak = torch.cuda.max_memory_allocated() / 2**20 if device == 'cuda' else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(variant=variant, ms_per_step=1e3 * dt / steps, peak_mib=peak)))

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--steps', type=int, default=300); p.add_argument('--warmup', type=int, default=30)
    p.add_argument('--bs', type=int, default=128); p.add_argument('--width', type=int, default=256)
    p.add_argument('--repeats', type=int, default=3); p.add_argument('--device', default='cpu')
    p.add_argument('--net', default='mlp', choices=('mlp', 'unet-tiny', 'unet-small'), help='the network F: the MLP (width --width) or a U-Net preset')
    p.add_argument('--variant', help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.variant:
        run(a.variant, a.steps, a.warmup, a.bs, a.width, a.device, a.net); sys.exit()
    import torch
    print(f'torch {torch.__version__}, {torch.get_num_threads()} thread(s), device {a.device}; EDMPrecond(' + (f'MLP width {a.width}' if a.net == 'mlp' else a.net) + '), '
          f'batch {a.bs} of 8x8 digits, {a.steps} timed steps after {a.warmup} warm-up, best of {a.repeats}')
    res = {}
    for v in ('hand', 'learner', 'learner_fastai_adam'):
        outs = [json.loads(subprocess.run([sys.executable, __file__, '--variant', v] + [f'--{k}={getattr(a, k)}' for k in ('steps', 'warmup', 'bs', 'width', 'device', 'net')],
                                          capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]) for _ in range(a.repeats)]
        res[v] = dict(ms=min(o['ms_per_step'] for o in outs), peak=max(o['peak_mib'] for o in outs))
    names = dict(hand='hand-written loop (torch Adam)', learner='diffnb Learner + DiffusionCallback (torch Adam)',
                 learner_fastai_adam="diffnb Learner + DiffusionCallback (fastai's Adam)")
    for v, r in res.items():
        print(f"{names[v]:<52} {r['ms']:8.3f} ms/step  {r['ms'] / res['hand']['ms']:5.2f}x   peak {r['peak']:7.1f} MiB")
    print(f"ratio {res['learner']['ms'] / res['hand']['ms']:.2f}")
