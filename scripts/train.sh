#!/usr/bin/env bash
# make train ARGS="...": builds the native trainer against libtorch 2.1.0
# (fetched into the cache on first use, see scripts/libtorch.sh and
# scripts/gotch-env.sh) and runs it with the given flags. Without flags it runs
# the default recipe: MNIST, isize 32, nc 1, 15 epochs, digit 2 abnormal, seed 0,
# into output/ganomaly_mnist_2_seed0/. `bash scripts/train.sh --help` lists
# every flag.
#
# The libtorch build: GANOMALY_TORCH=cpu|cuda when set; otherwise CUDA when
# --device is cuda or auto (the default) and nvidia-smi lists a GPU. CUDA
# fetches every CUDA library torch 2.1.0 needs, once, into the cache
# (scripts/torch-layout.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/torch-layout.sh
GANOMALY_TORCH=$(torch_mode "$@")
export GANOMALY_TORCH
[ "$GANOMALY_TORCH" = cpu ] || echo "train.sh: linking the trainer with CUDA libtorch (GANOMALY_TORCH=$GANOMALY_TORCH)" >&2
source scripts/gotch-env.sh
mkdir -p build/bin
(cd trainer && go build -o ../build/bin/trainer .)
exec build/bin/trainer "$@"
