#!/usr/bin/env bash
# Fetches libtorch 2.1.0 (the C++ library under PyTorch 2.1.0) into a cache outside
# the repository and prints the folder that holds lib/ and include/.
#
# gotch v0.9.1 binds libtorch 2.1.0 exactly. The official libtorch archives are not
# reachable from every machine, but the PyPI wheel torch==2.1.0 carries the same
# library (torch/lib, torch/include; built with _GLIBCXX_USE_CXX11_ABI=0). Its
# libtorch_cpu.so needs libcudart.so.12 and libcupti.so.12 even on the CPU, found
# through the RPATH $ORIGIN/../../nvidia/*/lib, so the two small nvidia wheels are
# laid out beside torch/ exactly as pip would.
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
cache="${GANOMALY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganomaly-go}"
dest="$cache/torch-2.1.0"
if [ ! -f "$dest/.complete" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "fetching libtorch 2.1.0 from the PyPI wheel torch==2.1.0 (670 MB, once) into $dest" >&2
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --python-version 3.11 --implementation cp --abi cp311 --platform manylinux1_x86_64 \
    -d "$tmp/whl" torch==2.1.0 nvidia-cuda-runtime-cu12==12.1.105 nvidia-cuda-cupti-cu12==12.1.105 >&2
  mkdir -p "$tmp/site"
  for w in "$tmp"/whl/*.whl; do
    case "$w" in
      *torch-*) (cd "$tmp/site" && python3 -m zipfile -e "$w" . >/dev/null) ;;
      *) (cd "$tmp/site" && python3 -m zipfile -e "$w" . >/dev/null) ;;
    esac
  done
  # Keep only what linking and running need.
  rm -rf "$tmp/site/torch/bin" "$tmp/site/torch/test" "$tmp/site"/*.dist-info
  rm -rf "$dest"; mv "$tmp/site" "$dest"
  touch "$dest/.complete"
fi
echo "$dest/torch"
