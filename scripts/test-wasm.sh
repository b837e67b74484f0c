#!/usr/bin/env bash
# The same pure-Go tests compiled to WebAssembly and run under node through Go's
# go_js_wasm_exec (node is required; it is on the machine).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null || { echo "node is required for the wasm tests (apt-get install nodejs)" >&2; exit 1; }
export PATH="$(go env GOROOT)/lib/wasm:$(go env GOROOT)/misc/wasm:$PATH"
pkgs=$(go list ./... | grep -v -E '/(wasm|app)(/|$)' )
GOOS=js GOARCH=wasm go test -count=1 $pkgs
