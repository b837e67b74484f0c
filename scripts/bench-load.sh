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
#
# Side by side: BENCH_LOAD_BASE=COMMIT also builds the site of COMMIT (in a
# temporary git worktree) and runs BENCH_LOAD_ROUNDS (default 2) rounds, each
# the base's loads then this checkout's, printing only the median lines, each
# with "site": "base" or "this" and its round.
set -euo pipefail
cd "$(dirname "$0")/.."
SKIP_TESTS=1 source scripts/test-browser.sh >/dev/null
if [ -z "${BENCH_LOAD_BASE:-}" ]; then
  node tests/browser/bench-load.mjs
  exit
fi
root="$PWD"
base="$root/build/bench-load-base"
src="$(mktemp -d)/src" # outside build/, whose go.work is this checkout's
trap 'git worktree remove --force "$src" 2>/dev/null || true' EXIT
git worktree add --detach -f "$src" "$BENCH_LOAD_BASE" >/dev/null
(cd "$src" && SITE_OUT="$base" GOWORK=off bash scripts/site.sh build) >&2
for r in $(seq 1 "${BENCH_LOAD_ROUNDS:-2}"); do
  for s in base this; do
    dir="$base"; [ "$s" = this ] && dir="$root/build/site"
    SITE_DIR="$dir" node tests/browser/bench-load.mjs | tail -1 |
      node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const m=JSON.parse(d);console.log(JSON.stringify({site:process.argv[1],round:+process.argv[2],load_average:require("os").loadavg().map(x=>+x.toFixed(2)),...m}))})' "$s" "$r"
  done
done
