#!/usr/bin/env bash
# Training speed at batch 64, isize 32, nc 1, nz 100, ngf = ndf = 16 (the
# class demo's model), one JSON object per line, all in one run:
#   native, pure Go:  images/s of one training step (BenchmarkTrainStep,
#                     package app/trainjob, one goroutine), then one epoch of
#                     2560 MNIST digits end to end with `ganomaly train`
#                     (data loading included, evaluation excluded);
#   native, libtorch: the same epoch with the libtorch trainer (trainer/,
#                     `make train`), 2 OpenMP threads (LIBTORCH=0 skips it;
#                     libtorch comes from the cache scripts/libtorch.sh fills);
#   chromium:         the class demo in the Train view's Web Worker (default
#                     settings, timed from pressing Start: images/s, seconds
#                     until the eval-mode AUROC reaches 0.85, every
#                     evaluation), then TensorFlow.js 4.22 training the same
#                     network in the same page, backend by backend (wasm,
#                     webgl, cpu; one that cannot train says why), and the
#                     ratio of the Go worker to the fastest TF.js backend.
#                     See tests/browser/bench-train.mjs.
# BENCH_TRAIN_STEPS sets the native step benchmark's steps (default 30),
# BENCH_TRAIN_ROUNDS the end-to-end rounds (default 2).
# BENCH_DEMO_TIMEOUT (seconds, default 900) bounds the class demo;
# BENCH_DEMO=0 skips it, BENCH_TFJS=0 skips TF.js, BENCH_TFJS_SECONDS is each
# backend's timed span (default 20). The machine is shared: compare lines of
# one run, and read the load average printed first.
# Same Chromium and playwright-core set-up as scripts/test-browser.sh; TF.js
# is installed into the same npm cache (never into the repo) and served to
# the benchmark page only.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${GANOMALY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganomaly-go}"
echo "{\"bench\":\"machine\",\"date\":\"$(date -u +%FT%TZ)\",\"cores\":$(nproc),\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
SKIP_TESTS=1 source scripts/test-browser.sh >/dev/null
source scripts/tfjs.sh
size='"batch":64,"isize":32,"nc":1,"nz":100,"ngf":16,"ndf":16'
ips=$(go test -run '^$' -bench '^BenchmarkTrainStep$' -benchtime "${BENCH_TRAIN_STEPS:-30}x" ./app/trainjob |
  awk '/BenchmarkTrainStep/ { for (i = 1; i <= NF; i++) if ($(i+1) == "images/s") print $i }')
echo "{\"bench\":\"train\",\"runtime\":\"native pure Go, step alone\",\"workers\":1,$size,\"images_per_s\":${ips:-null}}"
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
flags="--niter 1 --max_images 2560 --max_test 64 --ngf 16 --ndf 16 --batchsize 64 --isize 32 --nc 1 --nz 100 --outf $out"
metric() { sed -n 's/.*"images_per_s": \([0-9.]*\).*/\1/p' "$1" 2>/dev/null | head -1 | awk '{ printf "%.1f", $1 }'; }
# Alternating rounds (BENCH_TRAIN_ROUNDS, default 2): libtorch's OpenMP
# threads slow down by an order of magnitude when other processes take the
# cores, so a single line can mislead; compare the rounds.
[ "${LIBTORCH:-1}" != 0 ] && (source scripts/gotch-env.sh && cd trainer && go build -o ../build/bin/trainer .)
for r in $(seq 1 "${BENCH_TRAIN_ROUNDS:-2}"); do
  build/bin/ganomaly train $flags --name go$r >/dev/null 2>&1 || true
  goe2e=$(metric "$out/go$r/metrics.json")
  echo "{\"bench\":\"train\",\"runtime\":\"native pure Go, ganomaly train end to end\",\"round\":$r,\"workers\":$(nproc),$size,\"images\":2560,\"images_per_s\":${goe2e:-null},\"loadavg\":\"$(cut -d' ' -f1 /proc/loadavg)\"}"
  [ "${LIBTORCH:-1}" = 0 ] && continue
  OMP_NUM_THREADS=2 build/bin/trainer $flags --name lt$r --quiet --no_report --device cpu >/dev/null 2>&1 || true
  lt=$(metric "$out/lt$r/metrics.json")
  ratio=null
  [ -n "$lt" ] && [ -n "$goe2e" ] && ratio=$(awk -v a="$goe2e" -v b="$lt" 'BEGIN { printf "%.2f", a / b }')
  echo "{\"bench\":\"train\",\"runtime\":\"native libtorch 2.1.0 (trainer/, make train) end to end\",\"round\":$r,\"threads\":2,$size,\"images\":2560,\"images_per_s\":${lt:-null},\"pure_go_over_libtorch\":$ratio,\"loadavg\":\"$(cut -d' ' -f1 /proc/loadavg)\"}"
done
node tests/browser/bench-train.mjs
