#!/usr/bin/env bash
# Training speed side by side on the same libtorch 2.1.0: the Go trainer's
# step (trainer/gan BenchmarkStep) and the original optimize_params() in
# PyTorch (trainer/bench/original_step.py), batch 64, isize 32, nc 1, random
# batches (no data loading), alternating ROUNDS times (default 3) so that load
# from other processes hits both alike. One JSON line per measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
steps=${STEPS:-30}
source scripts/gotch-env.sh
(cd trainer && go test -c -o ../build/bin/gan.test ./gan)
pyenv=$(bash scripts/python-env.sh)
for r in $(seq 1 "$rounds"); do
  line=$(cd trainer/gan && ../../build/bin/gan.test -test.run '^$' -test.bench '^BenchmarkStep$' -test.benchtime "${steps}x" | grep '^BenchmarkStep')
  ips=$(echo "$line" | awk '{for (i=1;i<=NF;i++) if ($i=="img/s") print $(i-1)}')
  echo "{\"impl\": \"ganomaly-go (gotch)\", \"round\": $r, \"batch\": 64, \"isize\": 32, \"nc\": 1, \"steps\": $steps, \"images_per_s\": $ips}"
  (eval "$pyenv" && python3 trainer/bench/original_step.py bench --steps "$steps") | sed "s/^{/{\"round\": $r, /"
done
