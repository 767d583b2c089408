#!/usr/bin/env bash
# The docs check: saved outputs free of stderr and machine paths (output_check.py), nbdev-proc-nbs (the step of nbdev-docs before Quarto), a stand-in render with pandoc, and every
# page opened in headless Chromium. Installs what it needs: Debian packages with apt-get (as root) when missing,
# selenium into .venv (it is in the `dev` extra). Screenshots and report.json go to _docs_check/ (git-ignored).
# Usage: .ci/docs/build.sh   (from anywhere; run `pip install -e ".[dev]"` into .venv first, as .ci/run does)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.venv/bin
need=()
command -v pandoc >/dev/null || need+=(pandoc)
{ command -v chromium >/dev/null || command -v chromium-browser >/dev/null; } || need+=(chromium)
{ command -v chromedriver >/dev/null || [ -x /usr/lib/chromium/chromedriver ]; } || need+=(chromium-driver)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} with apt-get"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
$BIN/python -c "import selenium, yaml" 2>/dev/null || $BIN/python -m pip install -q selenium pyyaml
# each stage runs even if the one before failed on some notebook, so one run shows every problem
rc=0
$BIN/python .ci/docs/output_check.py || rc=1   # no stderr stream, no path of this machine in any saved output
$BIN/python .ci/docs/proc_nbs.py "${DOCS_WORKERS:-2}" || rc=1
$BIN/python .ci/docs/render.py _proc _site || rc=1
$BIN/python .ci/docs/browser_check.py _site _docs_check || rc=1
exit $rc
