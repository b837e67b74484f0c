#!/usr/bin/env bash
# make bench-load: cold loads of the demo site (make site) in headless
# Chromium, a fresh profile each, served from localhost: per load one JSON
# line with the time to first paint, to an answered click on a gallery
# sample, to data-ready and to that sample's verdict, the page's phase marks,
# the gzip size of what was fetched before the verdict and in all, and the
# verdict after an offline reload (service worker); then a median line with
# the gzip size of the whole site. BENCH_LOADS (default 5) loads;
# BENCH_LOAD_GZIP=1 serves the precompressed .gz files. Same Chromium and
# playwright-core set-up as scripts/test-browser.sh. Run it on an idle
# machine: every number is wall-clock time on the machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."
SKIP_TESTS=1 source scripts/test-browser.sh >/dev/null
node tests/browser/bench-load.mjs
