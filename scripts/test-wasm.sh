#!/usr/bin/env bash
# The same pure-Go tests compiled to WebAssembly and run under node through Go's
# go_js_wasm_exec (node is required; it is on the machine); then the engine
# and the trainers again with the WebAssembly SIMD kernels (tag wasmsimd,
# as the site builds them; scripts/wasm/go_js_wasm_exec installs the
# kernels), and once with the kernels declined (GANOMALY_SIMD=0): the same
# golden hashes pass all three ways.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null || { echo "node is required for the wasm tests (apt-get install nodejs)" >&2; exit 1; }
gopath="$(go env GOROOT)/lib/wasm:$(go env GOROOT)/misc/wasm"
pkgs=$(go list ./... | grep -v -E '/(wasm|app)(/|$)' )
PATH="$gopath:$PATH" GOOS=js GOARCH=wasm go test -count=1 $pkgs
mkdir -p build/wasm
go run ./engine/wasmsimd/writeloader build/wasm/wasmsimd-loader.js
simd=(./engine ./train)
echo "# with the SIMD kernels (wasmsimd)" >&2
PATH="$PWD/scripts/wasm:$gopath:$PATH" GOOS=js GOARCH=wasm go test -count=1 -tags wasmsimd "${simd[@]}"
echo "# with the SIMD kernels declined (GANOMALY_SIMD=0)" >&2
GANOMALY_SIMD=0 PATH="$PWD/scripts/wasm:$gopath:$PATH" GOOS=js GOARCH=wasm go test -count=1 -tags wasmsimd "${simd[@]}"
