#!/usr/bin/env bash
# scripts/bench-click.sh ROUNDS DIR[:REGEXP] ...: alternating cold loads of
# copies of a site in headless Chromium, each clicked as make bench-load
# clicks; per copy the medians of the click and of the first paint
# (tests/browser/bench-click.mjs; BENCH_CLICK_CPU=1 adds the page thread's
# CPU time and the machine's idle time).
# For comparing variants of the page: copy build/site, change the copy, run
# this with both. Same Chromium set-up as scripts/test-browser.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
SKIP_TESTS=1 source scripts/test-browser.sh >/dev/null
node tests/browser/bench-click.mjs "$@"
