#!/usr/bin/env bash
# Download the wheels a bare GPU machine (Python + PyTorch, no internet) lacks to run diffnb, its notebooks and
# benchmarks/gpu_check.py, into a folder that travels with the repository.
#
#   benchmarks/make_wheelhouse.sh [DEST] [--binary] [--have FILE]
#
# What it does: pip resolves `.[dev]` for this machine's Python and platform (`pip install --dry-run --report`),
# drops what a torch install brings (torch's own resolution: triton, nvidia-*, sympy, jinja2, ...) and the names in
# FILE (`pip freeze` of the target machine, if you have it), and `pip download --no-deps`s the exact versions of the
# rest into DEST (default: wheels/). By default only pure-Python wheels (*-none-any.whl); --binary adds the compiled ones
# (numpy, pandas, scipy, scikit-learn, matplotlib, pillow, ...), which must match the target's Python and platform.
# The wheels needed only by the notebooks' test runner and the docs (nbdev, execnb, IPython, fasthtml, selenium, ...)
# go to DEST/notebooks/, so that DEST alone (without that folder) is the library's set. It prints both sizes.
#
# Install on the target, offline, from the repository root:
#   pip install --no-index --no-deps wheels/*.whl wheels/notebooks/*.whl && pip install --no-index --no-deps --no-build-isolation -e .
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=wheels; BINARY=0; HAVE=
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) BINARY=1 ;;
    --have) HAVE=$2; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) DEST=$1 ;;
  esac; shift
done
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1
echo "resolving .[dev], . and torch with $PY ($($PY -V))"
$PY -m pip install --dry-run --ignore-installed --quiet --report "$TMP/dev.json" ".[dev]" 2>/dev/null
$PY -m pip install --dry-run --ignore-installed --quiet --report "$TMP/lib.json" "." 2>/dev/null
TORCH=$($PY - "$TMP/dev.json" <<'EOF'
import json, sys
print(next(f"torch=={i['metadata']['version']}" for i in json.load(open(sys.argv[1]))['install'] if i['metadata']['name'].lower() == 'torch'))
EOF
)
$PY -m pip install --dry-run --ignore-installed --quiet --report "$TMP/torch.json" "$TORCH" 2>/dev/null
$PY - "$TMP" "$BINARY" "$HAVE" <<'EOF' > "$TMP/plan.txt"
import json, re, sys
tmp, binary, have = sys.argv[1], sys.argv[2] == '1', sys.argv[3]
norm = lambda n: re.sub(r'[-_.]+', '-', n).lower()
load = lambda f: {norm(i['metadata']['name']): (i['metadata']['version'], i['download_info']['url'].rsplit('/', 1)[-1])
                  for i in json.load(open(f'{tmp}/{f}.json'))['install']}
dev, lib, torch_chain = load('dev'), load('lib'), load('torch')
skip = (set(torch_chain) - {'setuptools'}) | {'diffnb'}   # setuptools >= 77 builds diffnb itself (`pip install -e .`)
if have:
    for l in open(have):
        m = re.match(r'\s*([A-Za-z0-9_.-]+)\s*(==|@|$)', l)
        if m: skip.add(norm(m.group(1)))
for n, (v, f) in sorted(dev.items()):
    if n in skip: continue
    pure = f.endswith('-none-any.whl')
    where = 'lib' if n in lib else 'notebooks'
    print(('get' if pure or binary else 'binary-missing'), where, f'{n}=={v}')
EOF
get() { awk -v w="$1" '$1 == "get" && $2 == w {print $3}' "$TMP/plan.txt"; }
mkdir -p "$DEST/notebooks"
quiet() { "$@" 2>&1 | { grep -v 'is ignored: it is neither' || true; }; }    # a pip.conf here lists absent local indexes
[ -z "$(get lib)" ] || quiet $PY -m pip download --quiet --no-deps --only-binary=:all: -d "$DEST" $(get lib)
[ -z "$(get notebooks)" ] || quiet $PY -m pip download --quiet --no-deps --only-binary=:all: -d "$DEST/notebooks" $(get notebooks)
echo "library wheels:   $(ls "$DEST"/*.whl 2>/dev/null | wc -l) files, $(du -sh --exclude=notebooks "$DEST" | cut -f1) in $DEST"
echo "notebook runner:  $(ls "$DEST"/notebooks/*.whl 2>/dev/null | wc -l) files, $(du -sh "$DEST/notebooks" | cut -f1) in $DEST/notebooks"
echo "total:            $(du -sh "$DEST" | cut -f1)"
miss=$(awk '$1 == "binary-missing" {printf "%s%s", sep, $3; sep=" "}' "$TMP/plan.txt")
[ -z "$miss" ] || echo "compiled wheels not downloaded (the target must have them, or rerun with --binary): $miss"
