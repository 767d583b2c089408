"""main_job_quality.py NAME [diffnb-train options]: train one variant of the main job and score it as issue 16 asks.

Trains `diffnb-train --out OUT/NAME [options]` (grids and sample draws during training turned off), then draws 400 images with
`diffnb-sample`'s defaults (Heun, 18 levels, NFE 35, EMA weights, seed 0) and prints one JSON line: the classifier score of the
samples by the digits' feature net (10_metrics), real digits' score, their ratio (the goal is >= 0.95), and the process's CPU
seconds and wall seconds of the whole run (training dominates). Options: --out DIR (default runs/quality), --threads T (default 2).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/main_job_quality.py tiny400 --threads 1 --preset tiny --epochs 400
"""
import argparse, json, sys, time
import torch
import diffnb.cli as C
from diffnb.metrics import feature_net, classifier_score
from diffnb.data import load_digits

p = argparse.ArgumentParser(usage=__doc__.splitlines()[0])
p.add_argument('name'); p.add_argument('--out', default='runs/quality'); p.add_argument('--threads', type=int, default=2)
a, rest = p.parse_known_args()
torch.set_num_threads(a.threads)
run = f'{a.out}/{a.name}'
t0, w0 = time.process_time(), time.time()
C.train_main(['--out', run, '--every', '1000000', '--n-samples', '4', '--steps', '3'] + rest)
draw = argparse.Namespace(sampler='heun', steps=18, churn=0., n=400, seed=0, batch=400, progress='off')
D, cfg = C.load_denoiser(run)
x, _ = C._draw(D, cfg, draw, torch.device('cpu'))
cpu, wall = time.process_time() - t0, time.time() - w0
net = feature_net('digits', verbose=False)
cs, cr = classifier_score(net, x), classifier_score(net, load_digits()[0])
print(json.dumps(dict(name=a.name, options=rest, threads=a.threads, cpu_s=round(cpu), wall_s=round(wall),
                      classifier_score=round(cs, 3), real=round(cr, 3), ratio=round(cs / cr, 4))), flush=True)
