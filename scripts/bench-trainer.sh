#!/usr/bin/env bash
# Training speed side by side on the same libtorch 2.1.0, batch 64, isize 32,
# nc 1, random batches (no data loading). One JSON line per measurement.
#
# Per round (ROUNDS, default 3): the Go trainer's step alone
# (trainer/gan BenchmarkStep, STEPS steps, default 30), then the original
# optimize_params() alone in PyTorch (trainer/bench/original_step.py bench),
# then BenchmarkStepVsOriginal, which alternates the Go step with the
# original's step written on the same bindings (originalStep) inside one
# process and reports the ratio of their medians, a figure that the load of
# other processes hardly moves. Alternating rounds let such load hit both
# sides alike; compare the rounds, not single lines.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
steps=${STEPS:-30}
source scripts/gotch-env.sh
(cd trainer && go test -c -o ../build/bin/gan.test ./gan)
pyenv=$(bash scripts/python-env.sh)
metric() { echo "$1" | awk -v m="$2" '{for (i=1;i<=NF;i++) if ($i==m) print $(i-1)}'; }
for r in $(seq 1 "$rounds"); do
  line=$(cd trainer/gan && ../../build/bin/gan.test -test.run '^$' -test.bench '^BenchmarkStep$' -test.benchtime "${steps}x" | grep '^BenchmarkStep')
  echo "{\"impl\": \"ganomaly-go (gotch)\", \"round\": $r, \"batch\": 64, \"isize\": 32, \"nc\": 1, \"steps\": $steps, \"images_per_s\": $(metric "$line" img/s)}"
  (eval "$pyenv" && python3 trainer/bench/original_step.py bench --steps "$steps") | sed "s/^{/{\"round\": $r, /"
  line=$(cd trainer/gan && ../../build/bin/gan.test -test.run '^$' -test.bench '^BenchmarkStepVsOriginal$' -test.benchtime "${steps}x" | grep '^BenchmarkStepVsOriginal')
  echo "{\"impl\": \"one process: ganomaly-go step / original step on gotch\", \"round\": $r, \"steps\": $steps, \"images_per_s\": $(metric "$line" img/s), \"original_images_per_s\": $(metric "$line" orig-img/s), \"speedup\": $(metric "$line" speedup)}"
done

# End to end (E2E=1): training images per second including data loading, the
# Go trainer (one epoch of 2560 MNIST images; dataset preparation and
# evaluation excluded) against the original's loop with torchvision's MNIST
# pipeline and its default 8 DataLoader workers (torchvision 0.16.0 and
# pillow 10.4.0 are installed into the cache for this).
if [ -n "${E2E:-}" ]; then
  cache="${GANOMALY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganomaly-go}"
  [ -d "$cache/bench-py/torchvision" ] || python3 -m pip install --quiet --no-deps --target "$cache/bench-py" torchvision==0.16.0 pillow==10.4.0 >&2
  raw="$cache/bench-mnist/MNIST/raw"
  mkdir -p "$raw"
  for f in "$GANOMALY_MNIST"/*.gz; do
    b=$(basename "$f" .gz); [ -f "$raw/$b" ] || gunzip -c "$f" > "$raw/$b"
  done
  (cd trainer && go build -o ../build/bin/trainer .)
  out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
  for r in $(seq 1 "$rounds"); do
    build/bin/trainer --niter 1 --max_images 2560 --max_test 64 --outf "$out" --name e2e$r --quiet --no_report --device cpu 2>/dev/null >/dev/null
    ips=$(sed -n 's/.*"images_per_s": \([0-9.]*\).*/\1/p' "$out/e2e$r/metrics.json" | head -1)
    echo "{\"impl\": \"ganomaly-go trainer end to end\", \"round\": $r, \"images\": 2560, \"images_per_s\": $ips}"
    (eval "$pyenv" && PYTHONPATH="$cache/bench-py:$PYTHONPATH" python3 trainer/bench/original_step.py e2e --dataroot "$cache/bench-mnist" --steps 40 2>/dev/null) | sed "s/^{/{\"round\": $r, /"
  done
fi
