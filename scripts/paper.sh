#!/usr/bin/env bash
# make paper: the paper's MNIST protocol — each abnormal digit × seeds 0, 1, 2,
# 15 epochs, one-class split with 80/20 pooling — then a markdown table of
# the AUROCs (last epoch and validation-selected with eval-mode BatchNorm, the
# original's batch-statistics AUROC, and the optimistic test-selected best).
# Meant for a GPU (about 30 runs); runs anywhere. Limit it with
#   PAPER_CLASSES="2 5" PAPER_SEEDS="0" PAPER_NITER=3 make paper ARGS="--max_images 5000"
# PAPER_DATASET=cifar10 (with ARGS="--dataroot DIR --nc 3") runs CIFAR-10
# classes instead. Finished runs are kept and not retrained (--resume), so an
# interrupted table continues. Output: $PAPER_OUT (default output/paper)/results.md
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=${PAPER_DATASET:-mnist}
if [ "$dataset" = cifar10 ]; then default_classes="plane car bird cat deer dog frog horse ship truck"; else default_classes="0 1 2 3 4 5 6 7 8 9"; fi
classes=${PAPER_CLASSES:-$default_classes}
seeds=${PAPER_SEEDS:-0 1 2}
niter=${PAPER_NITER:-15}
outdir=${PAPER_OUT:-output/paper}
source scripts/torch-layout.sh
GANOMALY_TORCH=$(torch_mode "$@")
export GANOMALY_TORCH
source scripts/gotch-env.sh
mkdir -p build/bin "$outdir"
(cd trainer && go build -o ../build/bin/trainer . && go build -o ../build/bin/papertable ./cmd/papertable)
runs=()
for c in $classes; do
  for s in $seeds; do
    name="${dataset}_${c}_seed${s}"
    echo "=== paper run: $dataset abnormal $c, seed $s, $niter epochs" >&2
    build/bin/trainer --dataset "$dataset" --abnormal_class "$c" --manualseed "$s" --niter "$niter" \
      --outf "$outdir" --name "$name" --resume --quiet "$@"
    runs+=("$outdir/$name/metrics.json")
  done
done
build/bin/papertable -title "GANomaly, $dataset, $niter epochs, seeds $seeds" -command "PAPER_CLASSES=\"$classes\" PAPER_SEEDS=\"$seeds\" PAPER_NITER=$niter make paper ARGS=\"$*\"" "${runs[@]}" > "$outdir/results.md.tmp"
mv "$outdir/results.md.tmp" "$outdir/results.md"
cat "$outdir/results.md"
