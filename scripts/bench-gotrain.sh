#!/usr/bin/env bash
# Training speed of the pure-Go trainer (package train), one JSON line per
# measurement:
#  - the step alone (train BenchmarkStep: batch 64, isize 32, nc 1, nz 100,
#    ngf = ndf = 8 and 16, one and two workers, random-looking batches);
#  - end to end beside the libtorch trainer (LIBTORCH=0 skips it): one epoch
#    of 2560 MNIST images at ngf = ndf = 16, data loading included,
#    evaluation excluded (metrics.json's images_per_s), `ganomaly train`
#    and trainer/ alternately, ROUNDS times (default 2). Machines here are
#    shared: compare the rounds, not single lines.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-2}
go test -run '^$' -bench '^BenchmarkStep$' -benchtime "${STEPS:-10}x" ./train | awk '/^BenchmarkStep/ {
  for (i = 1; i <= NF; i++) if ($i == "images/s") ips = $(i-1)
  split($1, p, "-"); printf "{\"impl\": \"train (pure Go) step\", \"case\": \"%s\", \"batch\": 64, \"isize\": 32, \"nc\": 1, \"images_per_s\": %s}\n", $1, ips }'
[ "${LIBTORCH:-1}" = 0 ] && exit 0
source scripts/gotch-env.sh
mkdir -p build/bin
(cd trainer && go build -o ../build/bin/trainer .)
go build -o build/bin/ganomaly ./cmd/ganomaly
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
flags="--niter 1 --max_images 2560 --max_test 64 --ngf 16 --ndf 16 --outf $out"
ips() { sed -n 's/.*"images_per_s": \([0-9.]*\).*/\1/p' "$1" | head -1; }
for r in $(seq 1 "$rounds"); do
  build/bin/ganomaly train $flags --name go$r >/dev/null 2>&1
  echo "{\"impl\": \"ganomaly train (pure Go, $(nproc) workers) end to end\", \"round\": $r, \"ngf\": 16, \"images\": 2560, \"images_per_s\": $(ips "$out/go$r/metrics.json")}"
  build/bin/trainer $flags --name lt$r --quiet --no_report --device cpu >/dev/null 2>&1
  echo "{\"impl\": \"make train (libtorch, CPU) end to end\", \"round\": $r, \"ngf\": 16, \"images\": 2560, \"images_per_s\": $(ips "$out/lt$r/metrics.json")}"
done
