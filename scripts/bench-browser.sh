#!/usr/bin/env bash
# The engine in headless Chromium: builds the site, then prints one JSON
# object per line (model, workers, ms_per_image, gflops, images_per_s) for the
# page's main thread (workers 0) and 1, 2, 4 Web Workers. BENCH_IMAGES sets
# the batch size (default 64). Same Chromium and playwright-core set-up as
# scripts/test-browser.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${GANOMALY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganomaly-go}"
SKIP_TESTS=1 source scripts/test-browser.sh >/dev/null
node tests/browser/bench.mjs
