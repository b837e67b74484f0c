#!/usr/bin/env bash
# Fetches libtorch 2.1.0 (the C++ library under PyTorch 2.1.0) into a cache outside
# the repository and prints the folder that holds lib/ and include/.
#
# gotch v0.9.1 binds libtorch 2.1.0 exactly. The official libtorch archives are not
# reachable from every machine, but the PyPI wheel torch==2.1.0 carries the same
# library (torch/lib, torch/include; built with _GLIBCXX_USE_CXX11_ABI=0). Its
# libtorch_cpu.so needs libcudart.so.12 and libcupti.so.12 even on the CPU, found
# through the RPATH $ORIGIN/../../nvidia/*/lib, so the two small nvidia wheels are
# laid out beside torch/ exactly as pip would (scripts/torch-layout.sh: the same
# copy of torch the Python environment of scripts/python-env.sh imports).
# GANOMALY_TORCH=cuda also lays out every CUDA library torch 2.1.0 needs on a GPU.
#
# Set LIBTORCH to any libtorch 2.1.0 folder (for example an official cpu, cu118 or
# cu121 archive) to skip the download altogether.
#
# Idempotent: a second run downloads nothing.
set -euo pipefail
if [ -n "${LIBTORCH:-}" ]; then
  [ -f "$LIBTORCH/lib/libtorch_cpu.so" ] || { echo "LIBTORCH=$LIBTORCH has no lib/libtorch_cpu.so" >&2; exit 1; }
  echo "$LIBTORCH"; exit 0
fi
source "$(dirname "${BASH_SOURCE[0]}")/torch-layout.sh"
layer=cpu
[ "${GANOMALY_TORCH:-cpu}" != cuda ] || layer=cuda
torch_layout "$layer"
echo "$TORCH_TREE/torch"
