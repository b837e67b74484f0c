#!/usr/bin/env bash
# The engine in headless Chromium: builds the site, then prints one JSON
# object per line (model, workers, ms_per_image, gflops, images_per_s) for the
# page's main thread (workers 0) and 1, 2, 4 Web Workers; then TensorFlow.js
# 4.22's WebAssembly backend (SIMD, 1 thread) side by side with the engine in
# the same page (BENCH_TFJS=0 skips it). BENCH_IMAGES sets the batch size
# (default 64); BENCH_TFJS_ROUNDS and BENCH_TFJS_IMAGES the alternating
# rounds (default 15 of 4 images). Same Chromium and playwright-core set-up
# as scripts/test-browser.sh; TF.js is installed into the same npm cache
# (never into the repo) and served to the page from there; so is
# onnxruntime-web (installed by scripts/test-browser.sh; BENCH_ORT=0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${GANOMALY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganomaly-go}"
SKIP_TESTS=1 source scripts/test-browser.sh >/dev/null
source scripts/tfjs.sh
node tests/browser/bench.mjs
