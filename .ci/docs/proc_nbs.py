"""Run nbdev's `nbdev-proc-nbs` (the step of `nbdev-docs` before Quarto) without Quarto, and fail loudly.

nbdev-proc-nbs tries to install Quarto when it is missing (with sudo; that fails without it) and prints pages of
warnings. Here we skip the install, keep its output in `_docs_check/proc_nbs.log`, print the error of a notebook
that fails, and check that every notebook came out in `_proc/`; otherwise the exit status is non-zero.
"""
import os, sys, tempfile, time
from pathlib import Path
import nbdev.quarto as nq
from nbdev.config import get_config
from nbdev.doclinks import nbglob

def main():
    nq._ensure_quarto = lambda: None  # Quarto is not needed to process notebooks; do not try to install it
    cfg = get_config()
    t0 = time.time()
    # the worker processes write to file descriptors 1 and 2 directly: catch those in a file, not just sys.stdout
    sys.stdout.flush(); sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile(mode='w+') as tmp:
        os.dup2(tmp.fileno(), 1); os.dup2(tmp.fileno(), 2)
        try: cache, cfg, path = nq._pre_docs(n_workers=int(sys.argv[1]) if len(sys.argv) > 1 else 2, force=True)
        except BaseException as e: cache = None; exc = f'nbdev-proc-nbs raised {type(e).__name__}: {e}'
        finally:
            sys.stdout.flush(); sys.stderr.flush()
            os.dup2(saved[0], 1); os.dup2(saved[1], 2)
        tmp.seek(0); log = tmp.read()
    if cache is None: print(exc); log += '\n' + exc
    nbs = sorted(nbglob(cfg.nbs_path, func=Path))
    missing = [nb.name for nb in nbs if not (cfg.config_path/'_proc'/nb.relative_to(cfg.nbs_path)).exists()]
    logf = cfg.config_path/'_docs_check'/'proc_nbs.log'
    logf.parent.mkdir(exist_ok=True); logf.write_text(log)
    n_mixed = log.count('Found cells containing imports and other code')
    if missing or cache is None:
        print(f'nbdev-proc-nbs FAILED: missing from _proc/: {missing or "none"} (full log: {logf.relative_to(cfg.config_path)})')
        sys.exit(1)
    if n_mixed: print(f'note: {n_mixed} cells mix imports with other code; nbdev-proc-nbs runs them all (see {logf.relative_to(cfg.config_path)})')
    print(f'nbdev-proc-nbs: {len(nbs)} notebooks processed into _proc/ in {time.time()-t0:.0f}s')

if __name__ == '__main__': main()
