"""Training overhead of diffnb's fastai Learner + callbacks against a hand-written PyTorch loop.

The main job's own case: the same denoiser (`EDMPrecond` around diffnb's `MLPNet`, the `mlp` preset of `diffnb-train`;
or a U-Net preset with --net), the same in-memory digits, batch size, EDM loss and K steps, trained by
- `hand`: a hand-written loop with torch.optim.Adam (the one-cycle learning rate set by hand every step);
- `hand_fused`: the same loop with torch's fused AdamW (fastai's Adam's defaults), one parameter group;
- `hand_same`: the same loop with the Learner's own default optimiser, 09's `fused_adam` (torch's fused AdamW in two groups:
  no weight decay on norm layers and biases, as fastai's Adam): the same optimiser as `default`;
- `default`: `diffusion_learner(...).fit_one_cycle` with its default `opt_func` (what `diffnb-train` runs): 09's
  `DiffusionLearner` (events only to the callbacks that handle them, a float one-cycle schedule, ...);
- `plain`: the same callbacks and optimiser in a plain fastai `Learner`, trained by fastai's own `fit_one_cycle` (what
  `diffusion_learner` returned before the `DiffusionLearner`);
- `fastai_adam`: the same Learner with `opt_func=fastai.optimizer.Adam` (fastai's own Adam, a Python walk over the parameters);
- `proposed`: the same Learner with `FastaiAdamW` below: fastai's Adam exactly (no weight decay on norm layers and biases,
  as fastai's `wd_bn_bias=False`), as torch's fused AdamW;
- (with --variants) `torch_adam`, `torch_adamw_foreach`, `torch_adamw_fused`: OptimWrapper around those torch optimisers.
All variants live in one process, start from the same weights and run in interleaved rounds (A B C D, B C D A, ...):
each round runs K timed steps of every variant after W untimed ones. On the CPU the clock is the process's CPU time
(one thread), which other jobs on a shared machine move far less than the wall clock. The table gives each variant's
median ms/step over the rounds, its spread (half the interquartile range, in % of the median) and the median of the
per-round ratios to the hand loop (paired within a round). The last line is `ratio N.NN` (default / hand).
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_overhead.py
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_overhead.py --profile default   # cProfile: where the time goes
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_overhead.py --check-adam        # which optimisers are fastai's Adam
"""
import argparse, math, statistics, time, warnings
from functools import partial
warnings.filterwarnings('ignore')
import torch

VARIANTS = ('hand', 'hand_fused', 'hand_same', 'default', 'plain', 'fastai_adam', 'torch_adam', 'torch_adamw_foreach', 'torch_adamw_fused', 'proposed')
NAMES = dict(hand='hand-written loop (torch Adam)', fastai_adam="Learner, opt_func=fastai's Adam", default="Learner, diffusion_learner's default opt_func",
             torch_adam='Learner, OptimWrapper(torch Adam)', torch_adamw_foreach='Learner, OptimWrapper(AdamW foreach)',
             hand_fused='hand-written loop (torch AdamW fused)', hand_same="hand-written loop (fused_adam: the Learner's)",
             plain="plain fastai Learner, same callbacks and optimiser", torch_adamw_fused='Learner, OptimWrapper(AdamW fused)',
             proposed="Learner, FastaiAdamW (fused; fastai's Adam exactly)")

def mlp_net(shape=(1, 8, 8)):
    "The `mlp` preset of `diffnb-train` for 8x8 images: `MLPNet` from diffnb.models (after issue 14k) or diffnb.cli"
    try: from diffnb.models import MLPNet
    except ImportError: from diffnb.cli import MLPNet
    return MLPNet(shape=shape, width=256)

FASTAI_ADAM = dict(betas=(0.9, 0.99), eps=1e-5, weight_decay=0.01)   # fastai's Adam defaults, decoupled weight decay

class FastaiAdamW:
    """The optimiser this benchmark proposes for `diffusion_learner` (issue 14 section 2): fastai's `Adam` -- its defaults, decoupled
    weight decay, none on norm layers' weights and on biases (fastai's `wd_bn_bias=False`) -- as torch's fused AdamW, one kernel
    (or a few) for all parameters instead of fastai's Python walk over them. `FastaiAdamW(model)` is an `opt_func`."""
    def __init__(self, model, fused=True): self.model, self.fused = model, fused
    def __call__(self, params, lr, mom=0.9, sqr_mom=0.99, eps=1e-5, wd=0.01):
        from fastai.optimizer import OptimWrapper
        from fastai.torch_core import norm_bias_params
        class _Wrapper(OptimWrapper):
            def _set_hyper(self, k, v):               # `wd` set by fastai (Learner.fit(wd=...)) leaves the no-decay group at 0
                super()._set_hyper(k, [v_ if k != 'wd' or i == 0 else 0. for i, v_ in enumerate(v)])
        ps = list(params)
        if ps and not isinstance(ps[0], torch.Tensor): raise ValueError('FastaiAdamW takes one parameter group (the default splitter)')
        nb = {id(p) for p in norm_bias_params(self.model)}
        groups = [dict(params=[p for p in ps if id(p) not in nb]), dict(params=[p for p in ps if id(p) in nb], weight_decay=0.)]
        kw = dict(fused=True) if self.fused else dict(foreach=True)
        return _Wrapper(opt=torch.optim.AdamW(groups, lr=lr, betas=(mom, sqr_mom), eps=eps, weight_decay=wd, **kw))

def opt_funcs():
    from fastai.optimizer import OptimWrapper
    from fastai.optimizer import Adam
    return dict(default=None, plain=None, fastai_adam=Adam, torch_adam=partial(OptimWrapper, opt=torch.optim.Adam),
                torch_adamw_foreach=partial(OptimWrapper, opt=torch.optim.AdamW, **FASTAI_ADAM, foreach=True),
                torch_adamw_fused=partial(OptimWrapper, opt=torch.optim.AdamW, **FASTAI_ADAM, fused=True), proposed=FastaiAdamW)

CLOCK = time.perf_counter   # main() sets it: the process's CPU time on the CPU (other jobs on a shared machine barely move it)

def _sync(device):
    if device == 'cuda': torch.cuda.synchronize()

def make_variants(a, variants=VARIANTS):
    "{name: run(n_steps) -> seconds of the last `a.steps` of them}; all start from the same weights"
    from fastai.callback.core import Callback, CancelFitException
    from diffnb.core import append_dims, make_generator, noise_like
    from diffnb.data import load_digits, get_dls
    from diffnb.precond import EDMPrecond, EDMLoss
    from diffnb.learner import diffusion_learner, weighted_mse, fused_adam, DiffusionCallback, SmoothLossOnHost
    from fastai.torch_core import norm_bias_params
    import copy
    from fastai.learner import Learner, CastToTensor
    torch.manual_seed(0)
    x, y = load_digits()
    if a.net == 'mlp': F = mlp_net(tuple(x.shape[1:]))
    else:
        from diffnb.models import unet_preset
        F = unet_preset(a.net.split('-', 1)[1], img_size=8, in_channels=1)
    D0, loss = EDMPrecond(F, sigma_data=0.5), EDMLoss()
    n = a.warmup + a.steps
    reps = (n * a.bs) // len(x) + 2                       # one epoch holds a whole round: no epoch ends inside the timing
    dls = get_dls(x.repeat(reps, 1, 1, 1), y.repeat(reps), bs=a.bs, valid_pct=0.01, device=a.device)
    total = a.rounds * 10_000                             # the one-cycle schedule's length (only its cost matters here)
    lr_at = lambda i: a.lr * (0.04 + 0.96 * 0.5 * (1 - math.cos(math.pi * min(i / (0.25 * total), 1))))
    out = {}
    # the hand-written loops
    def hand_loop(fused):
        D = copy.deepcopy(D0).to(a.device)
        if fused == 'same': opt = fused_adam(list(D.parameters()), lr=a.lr, no_wd=norm_bias_params(D)).opt   # torch's AdamW inside
        else: opt = torch.optim.AdamW(D.parameters(), lr=a.lr, **FASTAI_ADAM, fused=True) if fused else torch.optim.Adam(D.parameters(), lr=a.lr)
        g, xs, it = make_generator(0, a.device), x.to(a.device), [0]
        def hand(k):
            for i in range(k):
                if i == a.warmup: _sync(a.device); t0 = CLOCK()
                for pg in opt.param_groups: pg['lr'] = lr_at(it[0])
                idx = torch.randint(0, len(xs), (a.bs,), device=a.device)
                yb = xs[idx]
                sigma = loss.sample_sigma(a.bs, generator=g, device=a.device)
                xn = yb + noise_like(yb, g) * append_dims(sigma, yb.ndim)
                l = weighted_mse(D(xn, sigma), yb, loss.weight(sigma))
                opt.zero_grad(); l.backward(); opt.step(); it[0] += 1
            _sync(a.device); return CLOCK() - t0
        return hand
    out['hand'], out['hand_fused'], out['hand_same'] = hand_loop(False), hand_loop(True), hand_loop('same')
    # the Learner variants: one Learner each, `fit_one_cycle` cancelled after k steps of an epoch
    class Clock(Callback):
        order = 200
        def __init__(self, k): self.k, self.t = k, {}
        def after_batch(self):
            if not self.training: return
            if self.iter + 1 == a.warmup: _sync(a.device); self.t['t0'] = CLOCK()
            if self.iter + 1 == self.k: _sync(a.device); self.t['t1'] = CLOCK(); raise CancelFitException
    for name, of in opt_funcs().items():
        if name not in variants: continue
        D = copy.deepcopy(D0)
        learn = diffusion_learner(dls, D, loss, **(dict(opt_func=of(D) if of is FastaiAdamW else of) if of else {}))
        if name == 'plain':                               # the same callbacks and optimiser in fastai's own Learner (and its fit_one_cycle)
            learn = Learner(dls, D, loss_func=weighted_mse, cbs=[DiffusionCallback(loss), SmoothLossOnHost()],
                            opt_func=partial(fused_adam, no_wd=norm_bias_params(D)))
            learn.remove_cb(CastToTensor)
        def run(k, learn=learn):
            c = Clock(k)
            with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, a.lr, cbs=c)
            return c.t['t1'] - c.t['t0']
        out[name] = run
    return out

def check_adam(steps=50):
    """fastai's Adam (the Learner's default) against the torch AdamW variants under fit_one_cycle, from the same weights and data:
    max |weight difference| after `steps` steps, in float32 and float64 (where only a different formula can leave more than ~1e-15)"""
    from diffnb.data import load_digits, get_dls
    from diffnb.learner import setup_formulation, diffusion_learner
    from fastai.callback.core import Callback, CancelFitException
    from fastai.torch_core import set_seed
    x, y = load_digits()
    class Stop(Callback):
        def after_batch(self):
            if self.training and self.train_iter == steps: raise CancelFitException
    flat = lambda m: torch.cat([p.detach().flatten().double() for p in m.parameters()])
    print(f"max |weight difference| from fastai's Adam after {steps} fit_one_cycle steps (lr 2e-3, wd 0.01 and wd 0.1 given to fit):")
    for wd in (None, 0.1):
        for dt in (torch.float32, torch.float64):
            ws = {}
            for name, of in opt_funcs().items():
                if name in ('torch_adam', 'torch_adamw_foreach'): continue
                set_seed(0)
                D, loss = setup_formulation('edm', mlp_net(), sigma_data=0.5)
                D = D.to(dt); w0 = flat(D)
                learn = diffusion_learner(get_dls(x.to(dt), y, bs=128, seed=0), D, loss, **(dict(opt_func=of(D) if of is FastaiAdamW else of) if of else {}))
                with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(3, 2e-3, wd=wd, cbs=Stop())
                ws[name] = flat(D)
            print(f"  wd {wd or 0.01}, {str(dt)[6:]}: the weights moved by up to {(ws['fastai_adam'] - w0).abs().max():.1e}; " +
                  ', '.join(f"{k} {(ws['fastai_adam'] - v).abs().max():.1e}" for k, v in ws.items() if k != 'fastai_adam'))

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--steps', type=int, default=40, help='timed steps per variant per round')
    p.add_argument('--warmup', type=int, default=5, help='untimed steps before them, every round')
    p.add_argument('--rounds', type=int, default=15, help='interleaved rounds (the median is over them)')
    p.add_argument('--clock', choices=('auto', 'cpu', 'wall'), default='auto',
                   help="'cpu': this process's CPU time (needs one thread: OMP_NUM_THREADS=1); 'wall': elapsed time; auto: cpu on the CPU, wall on a GPU")
    p.add_argument('--bs', type=int, default=128); p.add_argument('--lr', type=float, default=2e-3)
    p.add_argument('--device', default='cpu')
    p.add_argument('--net', default='mlp', choices=('mlp', 'unet-tiny', 'unet-small'), help="F: diffnb's MLPNet (width 256) or a U-Net preset")
    p.add_argument('--variants', default='hand,hand_fused,hand_same,default,plain', help='comma-separated subset of ' + ', '.join(VARIANTS))
    p.add_argument('--profile', choices=VARIANTS, help='cProfile one variant over --steps steps instead: top 20 functions by own time, then fastai\'s, diffnb\'s and torch.optim\'s by cumulative time')
    p.add_argument('--check-adam', action='store_true', help="compare fastai's Adam with the AdamW-foreach variant's weights, then exit")
    a = p.parse_args()
    if a.check_adam: return check_adam()
    global CLOCK
    clock = ('cpu' if a.device == 'cpu' else 'wall') if a.clock == 'auto' else a.clock
    if clock == 'cpu' and torch.get_num_threads() > 1: p.error('--clock cpu needs one thread (OMP_NUM_THREADS=1): CPU time adds up over threads')
    CLOCK = time.process_time if clock == 'cpu' else time.perf_counter
    variants = a.variants.split(',')
    for v in variants:
        if v not in VARIANTS: p.error(f"--variants: unknown {v!r}; choose from {', '.join(VARIANTS)}")
    if 'hand' not in variants: variants.insert(0, 'hand')
    if a.profile and a.profile not in variants: variants.append(a.profile)
    runs = make_variants(a, variants)
    if a.profile:
        import cProfile, pstats
        runs[a.profile](a.warmup + a.steps)
        pr = cProfile.Profile(); pr.enable(); runs[a.profile](a.warmup + a.steps); pr.disable()
        st = pstats.Stats(pr); st.sort_stats('tottime').print_stats(20); st.sort_stats('cumulative').print_stats(r'fastai|diffnb|optim', 40); return
    print(f'torch {torch.__version__}, {torch.get_num_threads()} thread(s), device {a.device}; EDMPrecond(' +
          ('MLPNet width 256' if a.net == 'mlp' else a.net) + f'), batch {a.bs} of 8x8 digits; {a.rounds} interleaved rounds of '
          f'{a.steps} timed steps after {a.warmup} warm-up per variant; fit_one_cycle; {clock} clock')
    ms = {v: [] for v in variants}
    for r in range(a.rounds):
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        for v in order: ms[v].append(1e3 * runs[v](a.warmup + a.steps) / a.steps)
    q = lambda xs: statistics.quantiles(xs, n=4, method='inclusive')
    print(f"{'variant':<46} {'ms/step':>8} {'spread':>7} {'/ hand':>7} {'spread':>7}")
    for v in variants:
        med, (q1, _, q3) = statistics.median(ms[v]), q(ms[v])
        rat = [t / h for t, h in zip(ms[v], ms['hand'])]
        rmed, (r1, _, r3) = statistics.median(rat), q(rat)
        print(f"{NAMES[v]:<46} {med:8.3f} {50 * (q3 - q1) / med:6.1f}% {rmed:7.3f} {50 * (r3 - r1) / rmed:6.1f}%")
    print('spread: half the interquartile range over the rounds, in % of the median; / hand: median of the per-round ratios')
    for base in ('hand_fused', 'hand_same'):
        if base in ms and 'default' in ms:
            rat = [t / h for t, h in zip(ms['default'], ms[base])]
            (r1, rm, r3) = q(rat)
            print(f"the Learner's own overhead (default / {base}): median {statistics.median(rat):.3f}, quartiles {r1:.3f} .. {r3:.3f}")
    if 'default' in ms: print(f"ratio {statistics.median([t / h for t, h in zip(ms['default'], ms['hand'])]):.2f}")

if __name__ == '__main__': main()
