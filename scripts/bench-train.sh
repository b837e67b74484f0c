#!/usr/bin/env bash
# Training speed of the pure-Go trainer and the class demo, one JSON object
# per line:
#   native:   images/s of one training step (batch 64, isize 32, nc 1, nz 100,
#             ngf = ndf = 16) from BenchmarkTrainStep (package app/trainjob);
#   chromium: the same step in the Train view's Web Worker (one worker), in
#             headless Chromium, with the default settings (the class demo),
#             and the class demo itself: seconds from pressing Start until
#             the eval-mode AUROC reaches 0.85 (BENCH_DEMO_AUROC), the
#             AUROC then, and at the end of the run.
# BENCH_TRAIN_STEPS sets the native benchmark's steps (default 30).
# BENCH_DEMO_TIMEOUT (seconds, default 900) bounds the browser run.
# Same Chromium and playwright-core set-up as scripts/test-browser.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
SKIP_TESTS=1 source scripts/test-browser.sh >/dev/null
ips=$(go test -run '^$' -bench '^BenchmarkTrainStep$' -benchtime "${BENCH_TRAIN_STEPS:-30}x" ./app/trainjob |
  awk '/BenchmarkTrainStep/ { for (i = 1; i <= NF; i++) if ($(i+1) == "images/s") print $i }')
echo "{\"bench\":\"train\",\"runtime\":\"native\",\"workers\":1,\"batch\":64,\"isize\":32,\"nc\":1,\"nz\":100,\"ngf\":16,\"images_per_s\":${ips:-null},\"cores\":$(nproc)}"
node tests/browser/bench-train.mjs
