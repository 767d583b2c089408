"""ranking.py DATA [--out DIR] [--n N] [--threads T] [diffnb-train options]: does the metric rank the default run above a 10x shorter one?

Issue 16's done-criterion for its metrics: on a data set, the default main job (`diffnb-train --data DATA` with that set's defaults of
--preset, --epochs and --lr) and the same command with a tenth of the epochs are scored by `diffnb-eval` (Heun, 18 levels, NFE 35, EMA
weights, seed 0) against images neither run trained on (the digits: `--reference held-out`, the 180-image validation split; the glyphs:
their test split), and the two are ranked apart when their FID bootstrap intervals and their classifier-score intervals do not overlap.
Prints one table (and writes OUT/ranking-DATA-REFERENCE-N.json). `--reference all` scores the digits against all images but the
floor's n, training images included, as diffnb-eval does by default for the fixed sets. Runs already in OUT are reused (delete them to retrain).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/ranking.py digits --n 300
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/ranking.py digits --n 500 --reference all
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/ranking.py glyphs --n 500
"""
import argparse, json, time
from pathlib import Path
import torch
import diffnb.cli as C

p = argparse.ArgumentParser(usage=__doc__.splitlines()[0])
p.add_argument('data'); p.add_argument('--out', default='runs/ranking'); p.add_argument('--n', type=int, default=300)
p.add_argument('--threads', type=int, default=1)
p.add_argument('--reference', default=None, help="diffnb-eval's --reference (default: held-out for the fixed sets; the glyphs' test split)")
a, rest = p.parse_known_args()
torch.set_num_threads(a.threads)
t = C.train_parser().parse_args(['--data', a.data] + rest); C._fill_defaults(t)
rows = {}
for name, epochs in (('default', t.epochs), ('tenth', max(1, t.epochs // 10))):
    run = Path(a.out) / f'{a.data}-{name}'
    t0 = time.process_time()
    if not (run / 'latest').exists():
        C.train_main(['--out', str(run), '--data', a.data, '--epochs', str(epochs), '--every', '1000000', '--n-samples', '4', '--steps', '3',
                      '--score-n', '0'] + rest)
    train_cpu = time.process_time() - t0
    ref = a.reference or (None if a.data.startswith('glyphs') else 'held-out')
    ev = ['--n', str(a.n), '--out', str(run / f'eval-{a.n}-{ref or "test"}.json')] + (['--reference', ref] if ref else [])
    r = C.eval_main([str(run)] + ev)
    rows[name] = dict(epochs=epochs, train_cpu_s=round(train_cpu), fid=r['fid'], fid_ci=r['fid_ci'], cs=r['classifier_score'],
                      cs_ci=r['classifier_score_ci'], cs_real=r['classifier_score_real'], floor=round(r['fid_floor_mean'], 2), floor_sd=round(r['fid_floor_sd'], 2),
                      precision=r['precision'], recall=r['recall'], reference=r['reference'])
apart = lambda lo, hi: lo[1] < hi[0] or hi[1] < lo[0]
d, s = rows['default'], rows['tenth']
fid_apart, cs_apart = apart(d['fid_ci'], s['fid_ci']), apart(d['cs_ci'], s['cs_ci'])
print(f"\n{a.data}: train options {rest or '(defaults)'}, diffnb-eval --n {a.n}; reference: {d['reference']}")
print(f"{'run':<9}{'epochs':>7}{'FID [95% bootstrap]':>28}{'classifier score [95%]':>28}{'precision':>11}{'recall':>8}")
for k, r in rows.items():
    print(f"{k:<9}{r['epochs']:>7}{r['fid']:>10.2f} [{r['fid_ci'][0]:.2f}, {r['fid_ci'][1]:.2f}]".ljust(44) +
          f"{r['cs']:>10.2f} [{r['cs_ci'][0]:.2f}, {r['cs_ci'][1]:.2f}]".ljust(28) + f"{r['precision']:>9.3f}{r['recall']:>8.3f}")
print(f"real images' classifier score {d['cs_real']:.2f}; FID floor {d['floor']} +- {d['floor_sd']} (sd over 5 real sets); intervals apart: FID {fid_apart}, classifier score {cs_apart}")
Path(a.out).mkdir(parents=True, exist_ok=True)
(Path(a.out) / f'ranking-{a.data}-{a.reference or "default"}-{a.n}.json').write_text(json.dumps(dict(rows=rows, fid_apart=fid_apart, cs_apart=cs_apart, n=a.n, options=rest), indent=2))
