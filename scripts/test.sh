#!/usr/bin/env bash
# Runs every test, or the sections named as arguments (go wasm python trainer browser).
# Installs what it needs (node is on the machine; Python packages, libtorch,
# Chromium and npm packages are fetched idempotently into caches outside the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(go wasm python trainer browser)
for s in "${sections[@]}"; do
  echo "=== test section: $s"
  bash "scripts/test-$s.sh"
done
echo "=== all requested test sections passed: ${sections[*]}"
echo "sections: ${#sections[@]} passed, 0 failed"
