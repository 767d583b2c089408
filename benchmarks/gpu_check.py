"""One check of diffnb on a machine with one CUDA GPU (issue 14 section 4), ending in one summary table.

Parts (each catches its own errors: a FAIL row names the exception in one line, and the other parts still run):
  a  throughput of the `cifar10` U-Net preset in `EDMPrecond` on random 32x32 RGB data, through `diffusion_learner`,
     `Learner.to_precision` and the `Throughput` callback: fp32 / bf16 / fp16, eager and compiled; images/s, peak memory
  b  `diffnb-train` on the digits killed (SIGTERM) after its first checkpoint and resumed with --resume, against an
     uninterrupted run (final weights bitwise equal, or the max difference); the killed run's checkpoint resumed with --device cpu
  c  host-device synchronisations per training step (every formulation, fp32 and bf16, with EMA), counted over K steps after
     warm-up: `torch.cuda.set_sync_debug_mode('warn')` warnings on a GPU; on the CPU `aten::_local_scalar_dense` calls (what
     .item(), bool(t), float(t) reach)
  d  two processes on the one GPU under torchrun: NCCL (diffnb-train) and gloo (a DDP-wrapped Learner)
  e  every `#| cuda` cell of the notebooks, run with the notebook's other non-slow cells (stand-in data written by
     `diffnb.data.write_idx`, so nothing downloads); the executed notebooks are saved under OUT/notebooks
Needs no internet. Statuses: OK, FAIL (the part broke), MISS (ran, but missed issue 14's goal: bf16 >= 1.5x fp32,
0 syncs a step), SKIP (no GPU, or the --minutes budget was spent). Exit status 1 if any part FAILed (with --strict,
also on a MISS). The table is also written to OUT/summary.txt and OUT/summary.json.

    python benchmarks/gpu_check.py --out gpu_check_out              # on the GPU machine, about 5 minutes
    OMP_NUM_THREADS=1 python benchmarks/gpu_check.py --cpu --out /tmp/gc   # dry run on the CPU with tiny sizes (CI)
"""
import argparse, inspect, json, os, re, shutil, signal, subprocess, sys, textwrap, time, traceback, warnings
from collections import Counter
from pathlib import Path
warnings.filterwarnings('ignore', message='`torch.jit.script` is deprecated')
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))                 # diffnb from this checkout, installed or not
ROWS = []                                   # (part, case, result, status)
T0, DEADLINE, TOOK = time.time(), None, ''

def row(part, case, result, status='OK'):
    ROWS.append((part, case, result, status))
    print(f'  [{part}] {case}: {result} -> {status}', flush=True)

def left() -> float: return DEADLINE - time.time()

def one_line(e: BaseException) -> str:
    msg = ' '.join(str(e).split())
    return f'{type(e).__name__}: {msg[:220]}'

def guarded(part, case):
    "Run the decorated part; any exception becomes one FAIL row"
    def deco(f):
        def run(*args, **kw):
            try: return f(*args, **kw)
            except Exception as e:
                row(part, case, one_line(e), 'FAIL')
                traceback.print_exc()
        return run
    return deco

def mlp_net(shape):
    "The `mlp` preset of diffnb-train: `make_net` from diffnb.models (after issue 14k) or diffnb.cli"
    try: from diffnb.models import make_net
    except ImportError: from diffnb.cli import make_net
    return make_net('mlp', shape)

def cancel_validation():
    from fastai.callback.core import Callback, CancelValidException
    class NoValid(Callback):
        "Skip validation: the checks time and count training steps only (and a compiled model is not recompiled for eval)"
        order = -100
        def before_validate(self): raise CancelValidException
    return NoValid()

def mib(device): return torch.cuda.max_memory_allocated() / 2**20 if device == 'cuda' else float('nan')

def free(device):
    import gc; gc.collect()
    if device == 'cuda': torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()

# ---------------------------------------------------------------------------------------------------------------- a
def throughput(a, prec, compiled):
    "Images/s of one epoch of the U-Net preset (Throughput callback, after its warm-up batches) and the peak memory"
    from diffnb.models import unet_preset
    from diffnb.precond import EDMPrecond, EDMLoss
    from diffnb.data import get_dls
    from diffnb.learner import diffusion_learner, Throughput
    dev, S = a.device, a.S
    free(dev); torch.manual_seed(0)
    x = torch.randn(S['tp_n'], 3, S['img'], S['img']).clamp(-1, 1)
    dls = get_dls(x, bs=S['tp_bs'], valid_pct=0.05, device=dev)
    D = EDMPrecond(unet_preset(S['preset'], img_size=S['img'], in_channels=3), sigma_data=0.5)
    tp = Throughput(skip=S['tp_skip'])
    learn = diffusion_learner(dls, D, EDMLoss(sigma_data=0.5), cbs=[tp, cancel_validation()]).to_precision(prec)
    how = 'eager'
    if compiled:
        from fastai.learner import Learner
        kw = dict(backend='eager') if a.cpu else {}             # the CPU dry run traces with dynamo but skips inductor's C++ build
        args = ', '.join(f'{k}={v!r}' for k, v in kw.items())
        if hasattr(Learner, 'to_compile'): learn.to_compile(**kw); how = f'learn.to_compile({args})'
        else: D.compile(**kw); how = f'D.compile({args})'
    t = time.time()
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 2e-4)
    if not tp.rates: raise RuntimeError(f'Throughput measured nothing (an epoch of {len(dls.train)} batches, skip {tp.skip})')
    peak = mib(dev)
    if compiled: torch._dynamo.reset()
    return tp.rates[0], peak, how, time.time() - t

def part_a(a, compiled):
    rates = getattr(a, 'rates', {})
    a.rates = rates
    for prec in ('fp32', 'bf16', 'fp16'):
        case = f"{a.S['preset']} {prec} {'compiled' if compiled else 'eager'}"
        need = a.S['a_need_c' if compiled else 'a_need']
        if left() < need: row('a', case, f'budget: {left():.0f} s left, needs ~{need} s', 'SKIP'); continue
        try:
            r, peak, how, dt = throughput(a, prec, compiled)
            rates[(prec, compiled)] = r
            row('a', case, f"{r:,.0f} images/s, peak {peak:,.0f} MiB (bs {a.S['tp_bs']}, {how}, {dt:.0f} s)" if a.device == 'cuda'
                else f"{r:,.1f} images/s (bs {a.S['tp_bs']}, {how}, {dt:.0f} s)")
        except Exception as e:
            row('a', case, one_line(e), 'FAIL'); traceback.print_exc()
    tag = 'compiled' if compiled else 'eager'
    if ('fp32', compiled) in rates and ('bf16', compiled) in rates:
        q = rates[('bf16', compiled)] / rates[('fp32', compiled)]
        if a.device == 'cuda': row('a', f'bf16 / fp32, {tag}', f'{q:.2f}x (goal >= 1.5x)', 'OK' if q >= 1.5 else 'MISS')
        else: row('a', f'bf16 / fp32, {tag}', f'{q:.2f}x (the CPU dry run has no goal)')

# ---------------------------------------------------------------------------------------------------------------- b
def train_cmd(out, device, S, *extra):
    return [sys.executable, '-c', 'from diffnb.cli import train_cli; train_cli()', '--out', str(out), '--device', device,
            '--epochs', str(S['b_epochs']), '--n-train', str(S['b_n']), '--bs', str(S['b_bs']), '--every', str(S['b_epochs']),
            '--n-samples', '4', '--steps', '3', '--seed', '1', '--score-n', '0', *extra]

def sub_env(a):
    pp = os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))       # diffnb importable without an install
    env = dict(os.environ, CUBLAS_WORKSPACE_CONFIG=':4096:8', PYTHONWARNINGS='ignore', PYTHONPATH=pp)
    if a.cpu: env.setdefault('OMP_NUM_THREADS', '1')
    return env

def run_ok(cmd, a, timeout, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, env=sub_env(a), timeout=timeout, **kw)
    if p.returncode != 0:
        tail = (p.stderr.strip() or p.stdout.strip()).splitlines()
        raise RuntimeError(f"exit {p.returncode}: {tail[-1] if tail else '(no output)'}")
    return p

def final_weights(run):
    from safetensors.torch import load_file
    d = run / (run / 'latest').read_text().strip()
    return d.name, {f: load_file(str(d / f)) for f in ('model.safetensors', 'ema.safetensors') if (d / f).exists()}

def compare(wa, wb) -> tuple:
    "(bitwise equal, max |difference|) over every tensor of every file"
    if wa.keys() != wb.keys(): return False, float('inf')
    eq, md = True, 0.
    for f in wa:
        for k in wa[f]:
            x, y = wa[f][k], wb[f][k]
            eq &= torch.equal(x, y)
            if x.is_floating_point(): md = max(md, (x.double() - y.double()).abs().max().item())
    return eq, md

@guarded('b', 'diffnb-train killed and resumed')
def part_b(a):
    S, dev, out = a.S, a.device, a.out / 'resume'
    shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    if left() < S['b_need']: return row('b', 'diffnb-train killed and resumed', f'budget: {left():.0f} s left', 'SKIP')
    ref, killed, oncpu = out / 'uninterrupted', out / 'killed', out / 'killed-resumed-on-cpu'
    run_ok(train_cmd(ref, dev, S), a, timeout=300)
    p = subprocess.Popen(train_cmd(killed, dev, S), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=sub_env(a))
    t = time.time()
    while not (killed / 'latest').exists() and p.poll() is None and time.time() - t < 240: time.sleep(0.02)
    if p.poll() is None: p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    at = (killed / 'latest').read_text().strip() if (killed / 'latest').exists() else None
    if at is None: raise RuntimeError(f'no checkpoint before the end (exit {p.returncode}): {err.strip().splitlines()[-1:]}')
    interrupted = p.returncode != 0 and int(at.split('-')[1]) < S['b_epochs']
    if not interrupted:
        row('b', 'kill after the first checkpoint', f"not interrupted: exit {p.returncode}, latest {at} (the run ended before SIGTERM landed)", 'FAIL')
    else:
        row('b', 'kill after the first checkpoint', f"SIGTERM -> exit {p.returncode}, latest {at} of {S['b_epochs']} epochs; "
            f"message: {err.strip().splitlines()[-1][:90] if err.strip() else '(none)'}")
    shutil.copytree(killed, oncpu)
    run_ok(train_cmd(killed, dev, S, '--resume'), a, timeout=300)
    (na, wa), (nb, wb) = final_weights(killed), final_weights(ref)
    eq, md = compare(wa, wb)
    row('b', f'resumed on {dev} = uninterrupted', f"{'bitwise equal' if eq else f'max |diff| {md:.3g}'} ({na} vs {nb}; model + EMA weights)",
        'OK' if eq else ('MISS' if md < 1e-3 else 'FAIL'))
    case = f"{'CUDA' if dev == 'cuda' else 'CPU (dry run)'} checkpoint resumed with --device cpu"
    try:
        run_ok(train_cmd(oncpu, 'cpu', S, '--resume'), a, timeout=300)
        (nc, wc) = final_weights(oncpu)
        eq, md = compare(wc, wb)
        row('b', case, f"trained to {nc}; vs the uninterrupted {dev} run: {'bitwise equal' if eq else f'max |diff| {md:.3g}'}")
    except Exception as e: row('b', case, one_line(e), 'FAIL')

# ---------------------------------------------------------------------------------------------------------------- c
HOST_ONLY = ('fastai/callback/schedule.py',)   # fastai's one-cycle scheduler does its arithmetic in CPU tensors, on a GPU machine too

class SyncCounter:
    """On CUDA, the warnings of torch.cuda.set_sync_debug_mode('warn') (every sync: .item(), bool(t), device-to-host copies, ...),
    by the Python line that caused them. On the CPU, where nothing syncs, the calls of `aten::_local_scalar_dense` (what .item(),
    bool(t), float(t) reach; a TorchDispatchMode), except those of `HOST_ONLY` code, whose tensors stay on the CPU on a GPU
    machine too (counted apart in `host`). (Not both on CUDA: under a Python dispatch mode every warning would point at the mode.)"""
    def __init__(self, cuda):
        from torch.utils._python_dispatch import TorchDispatchMode
        self.cuda, self.scalar, self.host, self.where, self.warned, self.active = cuda, 0, 0, Counter(), Counter(), False
        outer = self
        class Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                if func is torch.ops.aten._local_scalar_dense.default and (not outer.cuda or args[0].device.type == 'cuda'):
                    fr = [f for f in traceback.extract_stack()[:-1] if f'{os.sep}torch{os.sep}' not in f.filename and f.filename != __file__]
                    if not outer.cuda and fr and any(h in fr[-1].filename.replace(os.sep, '/') for h in HOST_ONLY): outer.host += 1
                    else:
                        outer.scalar += 1
                        if fr: outer.where[f'{Path(fr[-1].filename).name}:{fr[-1].lineno}'] += 1
                return func(*args, **(kwargs or {}))
        self.mode = Mode()
    def start(self):
        self.active = True
        if not self.cuda: self.mode.__enter__()
        else:
            self.wctx = warnings.catch_warnings(record=True); self.wlist = self.wctx.__enter__()
            warnings.simplefilter('always'); torch.cuda.set_sync_debug_mode('warn')
    def stop(self):
        if not self.active: return
        self.active = False
        if self.cuda:
            torch.cuda.synchronize(); torch.cuda.set_sync_debug_mode('default')
            for w in self.wlist:
                if 'synchroniz' in str(w.message): self.warned[f'{Path(w.filename).name}:{w.lineno}'] += 1
            self.wctx.__exit__(None, None, None)
        else: self.mode.__exit__(None, None, None)

def count_syncs(a, formulation, prec):
    from fastai.callback.core import Callback, CancelFitException
    from diffnb.data import load_digits, get_dls
    from diffnb.learner import setup_formulation, diffusion_learner, EMA
    S, dev = a.S, a.device
    torch.manual_seed(0)
    x, y = load_digits()
    dls = get_dls(x, y, bs=S['c_bs'], device=dev)
    D, loss = setup_formulation(formulation, mlp_net(tuple(x.shape[1:])), sigma_data=0.5)
    W, K, ctr = S['c_warmup'], S['c_steps'], SyncCounter(dev == 'cuda')
    class Window(Callback):
        order = 1000                                        # last in after_batch: the window spans whole steps, loader included
        def after_batch(self):
            if not self.training: return
            if self.train_iter == W: ctr.start()              # fastai's TrainEvalCallback counted this step already
            elif self.train_iter == W + K: ctr.stop(); raise CancelFitException
    learn = diffusion_learner(dls, D, loss, cbs=[EMA(), Window(), cancel_validation()]).to_precision(prec)
    n_ep = -(-(W + K + 1) // len(dls.train))
    try:
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(n_ep, 1e-3)
    finally: ctr.stop()                                     # also when the fit raised inside the window
    if learn.train_iter != W + K: raise RuntimeError(f'{learn.train_iter} steps ran, not {W + K}')
    return ctr, K

@guarded('c', 'syncs per step')
def part_c(a):
    from diffnb.learner import FORMULATIONS
    for f in FORMULATIONS:
        for prec in ('fp32', 'bf16'):
            case = f'{f} {prec}'
            if left() < a.S['c_need']: row('c', case, f'budget: {left():.0f} s left', 'SKIP'); continue
            try:
                ctr, K = count_syncs(a, f, prec)
                n = max(ctr.scalar, sum(ctr.warned.values()))
                top = (ctr.warned or ctr.where).most_common(2)
                res = f'{n / K:.2f} per step over {K} steps (' + (f'sync-debug warnings {sum(ctr.warned.values())}' if ctr.cuda
                       else f".item()-like {ctr.scalar}; fastai scheduler's host-only {ctr.host} apart") + ')'
                if top: res += '; at ' + ', '.join(f'{k} x{v}' for k, v in top)
                row('c', case, res, 'OK' if n == 0 else 'MISS')
            except Exception as e:
                row('c', case, one_line(e), 'FAIL'); traceback.print_exc()

# ---------------------------------------------------------------------------------------------------------------- d
GLOO_SCRIPT = '''
import json, os, sys, warnings; warnings.filterwarnings('ignore')
import torch, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from fastai.callback.core import Callback, CancelFitException
dev = sys.argv[1]
dist.init_process_group('gloo')
rank, world = dist.get_rank(), dist.get_world_size()
if dev == 'cuda': torch.cuda.set_device(0)                  # both ranks on the one GPU
from diffnb.data import load_digits, get_dls
from diffnb.learner import setup_formulation, diffusion_learner
try: from diffnb.models import make_net
except ImportError: from diffnb.cli import make_net
torch.manual_seed(0)
x, y = load_digits()
D, loss = setup_formulation('edm', make_net('mlp', (1, 8, 8)), sigma_data=0.5)
D = D.to(dev)
model = DDP(D, device_ids=[0] if dev == 'cuda' else None)
class Stop(Callback):
    def after_batch(self):
        if self.training and self.train_iter == 5: raise CancelFitException
learn = diffusion_learner(get_dls(x, y, bs=32, device=dev), model, loss, seed=0, cbs=[Stop()])
with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3)
w = torch.cat([p.detach().flatten() for p in D.parameters()]).cpu()
ws = [torch.empty_like(w) for _ in range(world)]
dist.all_gather(ws, w)
if rank == 0: print(json.dumps(dict(world=world, device=str(next(D.parameters()).device), steps=learn.train_iter,
                                    equal=all(torch.equal(ws[0], v) for v in ws))))
dist.barrier(); dist.destroy_process_group()
sys.stdout.flush(); os._exit(0)   # skip interpreter teardown: 1 run in 4 here aborted there ('terminate called without an active exception')
'''

def torchrun(a, args, timeout):
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', *args]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=sub_env(a), start_new_session=True)
    try: out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL); out, err = p.communicate()
        rc = None
    else: rc = p.returncode
    with open(a.out / 'ddp' / 'torchrun.log', 'a') as f: f.write(f"$ {' '.join(cmd)}\nexit {rc}\n{out}\n{err}\n")
    return rc, out, err

def last_error(err):
    lines = [l.strip() for l in err.splitlines() if re.search(r'(\w+Error|NCCL|Duplicate|refus)', l) and 'elastic' not in l and 'ChildFailed' not in l]
    return (lines[-1] if lines else (err.strip().splitlines() or ['(no output)'])[-1])[:200]

@guarded('d', 'two processes on one device')
def part_d(a):
    if left() < a.S['d_need']: return row('d', 'two processes on one device', f'budget: {left():.0f} s left', 'SKIP')
    out = a.out / 'ddp'; shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    if a.device == 'cuda':
        entry = out / 'diffnb_train.py'; entry.write_text('from diffnb.cli import train_cli\ntrain_cli()\n')
        rc, o, err = torchrun(a, [str(entry), '--device', 'cuda:0', '--out', str(out / 'nccl'),
                                  '--epochs', '1', '--n-train', '256', '--bs', '64', '--n-samples', '4', '--steps', '3'], timeout=min(120, left()))
        res = 'hung: killed after the timeout' if rc is None else ('trained (exit 0): two NCCL ranks shared cuda:0' if rc == 0 else f'exit {rc}: {last_error(err)}')
        row('d', 'NCCL: torchrun x2 diffnb-train --device cuda:0', res, 'OK' if rc == 0 else 'MISS')
    else: row('d', 'NCCL: torchrun x2 diffnb-train --device cuda:0', 'needs a GPU', 'SKIP')
    script = out / 'ddp_gloo.py'; script.write_text(GLOO_SCRIPT)
    rc, o, err = torchrun(a, [str(script), a.device], timeout=min(240, left()))
    case = f"gloo: torchrun x2, DDP-wrapped Learner, both ranks on {'cuda:0' if a.device == 'cuda' else 'the CPU'}"
    if rc == 0:
        r = json.loads(o.strip().splitlines()[-1])
        row('d', case, f"{r['steps']} steps on {r['device']} x {r['world']}; weights equal across ranks: {r['equal']}", 'OK' if r['equal'] else 'FAIL')
    else: row('d', case, 'hung: killed after the timeout' if rc is None else f'exit {rc}: {last_error(err)}', 'FAIL')

# ---------------------------------------------------------------------------------------------------------------- e
def flags(src):
    "nbdev directives of a cell: {'cuda', 'slow', 'eval: false', ...} from its leading `#|` lines"
    out = set()
    for l in src.splitlines():
        if not l.startswith('#|'): break
        d = l[2:].strip()
        out.add(d.split()[0] if d.split() and ':' not in d else d.replace(' ', '').replace(':', ': '))
    return out

def cuda_notebooks():
    res = {}
    for f in sorted((ROOT / 'nbs').glob('*.ipynb')):
        nb = json.loads(f.read_text())
        n = sum('cuda' in flags(''.join(c['source'])) for c in nb['cells'] if c['cell_type'] == 'code')
        if n: res[f] = n
    return res

def write_standin_data(root, n):
    "Fashion-MNIST and MNIST stand-ins: the digits bilinearly upsampled to 28x28 (n train and n//6 test images), as idx files"
    import numpy as np, torch.nn.functional as F
    from diffnb.data import load_digits, write_idx
    x, y = load_digits()
    reps = -(-n // len(x))
    img = F.interpolate(x.repeat(reps, 1, 1, 1)[:n], size=28, mode='bilinear', align_corners=False)[:, 0]
    u8, lab = ((img.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy(), y.repeat(reps)[:n].numpy().astype(np.uint8)
    for name in ('fashion_mnist', 'mnist'):
        d = root / name; d.mkdir(parents=True, exist_ok=True)
        for split, sl in (('train', slice(None)), ('t10k', slice(0, max(1, n // 6)))):
            write_idx(u8[sl], d / f'{split}-images-idx3-ubyte.gz'); write_idx(lab[sl], d / f'{split}-labels-idx1-ubyte.gz')

RUNNER = '''
import json, sys, time, warnings; warnings.filterwarnings('ignore')
from fastcore.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
src, dst, cwd = sys.argv[1:4]
SKIP = {'slow', 'notest', 'eval: false'}
''' + inspect.getsource(flags) + '''nb = read_nb(src)
skipped = lambda c: c.cell_type != 'code' or bool(flags(c.source) & SKIP)
sh = CaptureShell(path=cwd)
t = time.time()
sh.run_all(nb, exc_stop=True, preproc=skipped)
write_nb(nb, dst)
outs = []
for c in nb.cells:
    if c.cell_type == 'code' and 'cuda' in flags(c.source):
        txt = ''.join(''.join(o.get('text', '')) for o in c.get('outputs', []) if o.get('output_type') == 'stream')
        outs.append(txt.strip().replace('\\n', ' | '))
print(json.dumps(dict(seconds=round(time.time() - t, 1), cuda_outputs=outs)))
'''

SYNTHETIC_NB = [
    ('from diffnb.data import load_fashion_mnist, get_dls\nfrom diffnb.learner import diffusion_learner, Throughput\n'
     'from diffnb.precond import EDMPrecond, EDMLoss\nfrom diffnb.models import unet_preset\nimport torch'),
    '#| slow\nraise RuntimeError("a slow cell must be skipped")',
    ('#| cuda\nxf, yf = load_fashion_mnist(download=False)\ndls_f = get_dls(xf[:64], yf[:64], bs=16, device=DEV)\ntp = Throughput(skip=1)\n'
     'lf = diffusion_learner(dls_f, EDMPrecond(unet_preset("tiny", 28, 1), sigma_data=0.5), EDMLoss(sigma_data=0.5), cbs=[tp]).to_precision("bf16")\n'
     'with lf.no_bar(), lf.no_logging(): lf.fit(1, 1e-3)\nprint(f"{DEV}, bf16: {tp.rates[0]:,.0f} images/s on {len(xf)} stand-in images")'),
]

def run_notebook(a, src, dst, cwd, timeout):
    env = dict(sub_env(a), DIFFNB_DATA=str(a.out / 'data'), MPLBACKEND='Agg')
    (a.out / 'runner.py').write_text(RUNNER)
    p = subprocess.run([sys.executable, str(a.out / 'runner.py'), str(src), str(dst), str(cwd)], capture_output=True, text=True, env=env,
                       timeout=timeout, cwd=cwd)                 # in the notebook's folder, as nbdev-test runs it
    if p.returncode != 0:
        err = [l for l in (p.stderr + p.stdout).strip().splitlines() if l.strip()]
        raise RuntimeError(f'exit {p.returncode}: ' + (next((l for l in reversed(err) if 'Error' in l), err[-1] if err else '(no output)'))[:200])
    return json.loads(p.stdout.strip().splitlines()[-1])

@guarded('e', '#| cuda cells')
def part_e(a):
    nbs = cuda_notebooks()
    out = a.out / 'notebooks'; out.mkdir(parents=True, exist_ok=True)
    write_standin_data(a.out / 'data', a.S['e_n'])
    if a.device != 'cuda':
        for f, n in nbs.items(): row('e', f.name, f'{n} #| cuda cell(s) found; they need a GPU', 'SKIP')
        cells = [dict(cell_type='code', execution_count=None, id=f'c{i}', metadata={}, outputs=[], source=c.replace('DEV', "'cpu'"))
                 for i, c in enumerate(SYNTHETIC_NB)]
        src = a.out / 'synthetic_cuda_cells.ipynb'
        src.write_text(json.dumps(dict(cells=cells, metadata={}, nbformat=4, nbformat_minor=5)))
        r = run_notebook(a, src, out / src.name, a.out, timeout=max(30, min(180, left())))
        return row('e', 'synthetic notebook (runner, flags, stand-in data)', f"{'; '.join(r['cuda_outputs'])} ({r['seconds']:.0f} s)")
    if not nbs: return row('e', 'notebooks', 'no #| cuda cell found', 'OK')
    for f, n in nbs.items():
        if left() < a.S['e_need']: row('e', f.name, f'budget: {left():.0f} s left', 'SKIP'); continue
        try:
            r = run_notebook(a, f, out / f.name, f.parent, timeout=max(30, left() - 10))
            row('e', f.name, f"{n} cuda cell(s) + the non-slow cells in {r['seconds']:.0f} s: {'; '.join(r['cuda_outputs'])[:160]}")
        except Exception as e: row('e', f.name, one_line(e), 'FAIL')

# ---------------------------------------------------------------------------------------------------------------- main
SIZES = dict(
    cuda=dict(preset='cifar10', img=32, tp_bs=128, tp_skip=3, tp_n=128 * 24, a_need=25, a_need_c=90,
              b_epochs=40, b_n=512, b_bs=64, b_need=60, c_bs=128, c_warmup=5, c_steps=20, c_need=10, d_need=30, e_n=8192, e_need=60),
    cpu=dict(preset='tiny', img=8, tp_bs=16, tp_skip=1, tp_n=16 * 4, a_need=2, a_need_c=5,
             b_epochs=6, b_n=256, b_bs=32, b_need=10, c_bs=32, c_warmup=2, c_steps=3, c_need=2, d_need=10, e_n=256, e_need=10))

def table():
    w = [max(len(str(r[i])) for r in ROWS + [('part', 'case', 'result', 'status')]) for i in range(4)]
    w[2] = min(w[2], 110)
    lines = [f"{'part':<4}  {'case':<{w[1]}}  {'status':<6}  result", '-' * (w[1] + 130)]
    for p, c, r, s in ROWS:
        wrapped = textwrap.wrap(r, 110) or ['']
        lines.append(f'{p:<4}  {c:<{w[1]}}  {s:<6}  {wrapped[0]}')
        lines += [f"{'':<4}  {'':<{w[1]}}  {'':<6}  {x}" for x in wrapped[1:]]
    n = Counter(s.split()[0] for *_, s in ROWS)
    lines.append(f"{n['OK']} OK, {n['MISS']} MISS, {n['SKIP']} SKIP, {n['FAIL']} FAIL in {time.time() - T0:.0f} s (parts: {TOOK})")
    return '\n'.join(lines)

def main(argv=None):
    global DEADLINE
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True, help='folder for the runs, the executed notebooks and summary.txt / summary.json')
    p.add_argument('--minutes', type=float, default=5., help='time budget; parts that would not fit are SKIPped')
    p.add_argument('--cpu', action='store_true', help='dry run on the CPU with tiny sizes: every code path that needs no GPU (what CI runs)')
    p.add_argument('--parts', default='abcde', help='which parts to run, e.g. "ac"')
    p.add_argument('--strict', action='store_true', help='exit 1 on a MISS too (a goal of issue 14 not met)')
    a = p.parse_args(argv)
    DEADLINE = T0 + 60 * a.minutes
    if not a.cpu and not torch.cuda.is_available():
        p.error('no CUDA device here: run on the GPU machine, or pass --cpu for the dry run')
    a.device, a.out = ('cpu' if a.cpu else 'cuda'), Path(a.out).resolve()
    a.S = SIZES[a.device]
    a.out.mkdir(parents=True, exist_ok=True)
    import diffnb, fastai
    dev = torch.cuda.get_device_name() if a.device == 'cuda' else 'CPU (dry run, tiny sizes)'
    print(f'diffnb {diffnb.__version__}, torch {torch.__version__}, fastai {fastai.__version__}, {dev}; budget {a.minutes:g} min; out {a.out}', flush=True)
    took = Counter()
    for part, title, f in (('a', 'throughput', lambda: part_a(a, compiled=False)), ('c', 'syncs per step', lambda: part_c(a)),
                           ('b', 'kill and resume', lambda: part_b(a)), ('d', 'two processes, one device', lambda: part_d(a)),
                           ('e', '#| cuda cells', lambda: part_e(a)), ('a', 'throughput, compiled', lambda: part_a(a, compiled=True))):
        if part not in a.parts: continue
        print(f'== {part}: {title} ({time.time() - T0:.0f} s)', flush=True)
        t = time.time(); f(); took[part] += time.time() - t
    global TOOK
    TOOK = ', '.join(f'{k} {v:.0f} s' for k, v in sorted(took.items()))
    ROWS.sort(key=lambda r: r[0])
    t = table()
    print('\n' + t)
    (a.out / 'summary.txt').write_text(f'{dev}\n{t}\n')
    (a.out / 'summary.json').write_text(json.dumps(dict(device=dev, torch=torch.__version__, rows=[dict(zip(('part', 'case', 'result', 'status'), r)) for r in ROWS]), indent=1))
    bad = any(r[3] == 'FAIL' or (a.strict and r[3] == 'MISS') for r in ROWS)
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main())
