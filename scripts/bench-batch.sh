#!/usr/bin/env bash
# The batch view at scale in headless Chromium (tests/browser/bench-batch.mjs):
# images/s and the longest main-thread stall for 300, 3,000 and 10,000
# generated images (BENCH_BATCH_SIZES=a,b,c to change), the workers' raw
# scoring rate in the same run (BENCH_RAW_IMAGES, default 600), the stall of
# sorting, filtering and the CSV download at the largest size, and the page's
# memory. One JSON object per line. The images are generated into
# build/bench-batch/ (ignored by git). Same Chromium and playwright-core
# set-up as scripts/test-browser.sh. Heavy: run it under the shared lock on a
# shared machine. BENCH_PROFILE=MS writes a CPU profile of the first MS ms of
# each batch (build/bench-batch/batch-N.cpuprofile).
set -euo pipefail
cd "$(dirname "$0")/.."
SKIP_TESTS=1 source scripts/test-browser.sh >/dev/null
node tests/browser/bench-batch.mjs
