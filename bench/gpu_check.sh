#!/usr/bin/env bash
# bench/gpu_check.py on a GPU machine that cannot install the pinned stack (no network; its own Python / torch /
# nvcc / ninja, e.g. the lent H200 with Python 3.12 and torch 2.11): razor_lava runs from the working tree with
# lava-dl 0.6.0's `slayer` package carried in.
#   bash bench/gpu_check.sh prepare     # here, with PyPI: .gpu/site gets slayer (without its .pt weights) and
#                                       # PyYAML / h5py wheels for Python 3.12, in case the image lacks them
#   bash bench/gpu_check.sh             # there (carry .gpu): the check, its report in $OUT (or /tmp/gpu-check)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = prepare ]; then
  mkdir -p .gpu/site .gpu/whl
  grep -qxF '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.10 -d .gpu/whl lava-dl==0.6.0
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 \
    -d .gpu/whl pyyaml h5py
  unzip -q -o .gpu/whl/lava_dl-0.6.0-py3-none-any.whl 'lava/lib/dl/slayer/*' -x '*.pt' -d .gpu/site
  mkdir -p .gpu/extra && for w in .gpu/whl/[pP]y[yY][aA][mM][lL]*.whl .gpu/whl/h5py*.whl; do unzip -q -o "$w" -d .gpu/extra; done
  rm -rf .gpu/whl; du -sh .gpu; exit 0
fi
OUT=${OUT:-/tmp/gpu-check}; mkdir -p "$OUT"
PY=${PY:-$(command -v python3)}
# The image's own packages first; the carried PyYAML / h5py only where it has none.
export PYTHONPATH="$PWD:$PWD/.gpu/site:$PWD/.gpu/extra" PYTHONUNBUFFERED=1 MPLBACKEND=Agg
export TORCH_EXTENSIONS_DIR=$(mktemp -d /tmp/torch_ext.XXXX)   # fresh: no stale lock of a killed build
timeout 480 "$PY" bench/gpu_check.py --out "$OUT/GPU_CHECK.md" 2>&1 | tee "$OUT/log.txt"
