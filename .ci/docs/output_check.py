"""Fail when a notebook's saved outputs (what the docs site shows) keep a stderr stream or a path of the machine
they ran on: a home folder (/root, /home/NAME, /Users/NAME, or this machine's $HOME), a temporary folder (/tmp/...,
/var/tmp, /var/folders), the virtual environment or an installed package's folder (site-packages, dist-packages, the
running interpreter's prefix), a cache folder written out in full (/.../.cache/...), or this checkout's absolute path.
Print such paths relative to a run folder, or name them TMP / ~ as people type them.

Scanned: stream outputs, text/* and */json data of display and execute-result outputs, and error tracebacks.
Images are not scanned. Usage: python .ci/docs/output_check.py [NOTEBOOK ...]   (default: nbs/*.ipynb)
"""
import json, os, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

def _machine_paths():
    "Literal absolute paths of this machine that must not appear (longest first, so the report names the most specific)"
    ps = {str(ROOT), sys.prefix, os.path.realpath(sys.prefix), os.path.expanduser('~'), os.environ.get('VIRTUAL_ENV', '')}
    return sorted((p for p in ps if p and p != '/' and len(p) > 4), key=len, reverse=True)

_PATTERN = re.compile(r"""(?x)
    (?<![\w.~])/root(?:/|\b)               # root's home
  | (?<![\w.~])/home/[\w.-]+               # a user's home
  | (?<![\w.~])/Users/[\w.-]+              # a macOS home
  | (?<![\w.~])/(?:var/)?tmp/              # temporary folders
  | (?<![\w.~])/var/folders/               # macOS temporary folders
  | (?<![\w.~])/private/var/
  | [/\\](?:site|dist)-packages\b          # an installed package's folder
  | (?<![\w~])/\S*?/\.cache/               # a cache folder written out in full (~/.cache/... is allowed)
  | (?<![\w.~])/\S*/\.?venv/               # a virtual environment
""")

def _texts(out):
    "The text a reader would see in one output"
    if out.get('output_type') == 'stream': yield ''.join(out.get('text', ''))
    for k, v in out.get('data', {}).items():
        if k.startswith('text/') or k.endswith('json'): yield v if isinstance(v, str) else ''.join(v) if isinstance(v, list) else json.dumps(v)
    if out.get('output_type') == 'error': yield '\n'.join(out.get('traceback', []))

def problems(nb_path):
    "(cell index, what) for each stderr stream and each machine path in `nb_path`'s outputs"
    nb, lits, res = json.loads(Path(nb_path).read_text()), _machine_paths(), []
    for i, cell in enumerate(nb.get('cells', [])):
        for out in cell.get('outputs', []):
            if out.get('output_type') == 'stream' and out.get('name') == 'stderr':
                res.append((i, f"stderr stream: {''.join(out.get('text', ''))[:80]!r}"))
                continue
            for t in _texts(out):
                hits = list(dict.fromkeys([m.group(0) for m in _PATTERN.finditer(t)] + [p for p in lits if p in t]))
                if hits:
                    j = t.find(hits[0])
                    res.append((i, f'machine path {", ".join(map(repr, hits))} in {t[max(0, j - 40):j + len(hits[0]) + 40]!r}'))
    return res

def main(args):
    nbs = [Path(a) for a in args] or sorted((ROOT / 'nbs').glob('*.ipynb'))
    bad = 0
    for nb in nbs:
        for i, what in problems(nb):
            bad += 1
            print(f'{nb.name} cell {i}: {what}')
    if bad:
        print(f'output check FAILED: {bad} outputs keep stderr or a machine path (see above); '
              'silence the warning or print the path relative to the run folder, re-execute, nbdev-clean --fname')
        return 1
    print(f'output check: {len(nbs)} notebooks, no stderr stream and no machine path in their outputs')
    return 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
