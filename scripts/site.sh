#!/usr/bin/env bash
# Builds the browser demo: the page's program (wasm/app: the go-app UI, and
# the engine alone in the page's Web Workers) and the Train view's trainer
# (wasm/trainworker) compiled to WebAssembly, then the static site in
# build/site (app/cmd/site: copies web/, indexes web/models/*.safetensors,
# app.GenerateStaticWebsite, Go's own wasm_exec.js followed by the loader of
# the SIMD kernels, engine/wasmsimd).
#
#   scripts/site.sh build    write build/site/            (make site)
#   scripts/site.sh serve    build, then serve on localhost (make demo)
#
# Environment: SITE_PREFIX=/repo for a site served under a sub-path (GitHub
# Pages project sites); SITE_OUT (default build/site); DEMO_ADDR (default
# localhost:8080) for serve; SITE_MODELS=DIR bundles the model files in DIR
# besides web/models (your own, from make export) and SITE_DEFAULT=FILE.safetensors
# names the one the page opens with (default mnist.safetensors);
# SITE_GALLERY=DIR makes the labelled folder DIR (0.normal/, 1.abnormal/) the
# default model's gallery (a model NAME.safetensors in SITE_MODELS may also
# have its own, NAME.gallery/ beside it).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-build}"
out="${SITE_OUT:-build/site}"
case "$mode" in build|serve) ;; *) echo "usage: scripts/site.sh build|serve" >&2; exit 2 ;; esac
mkdir -p build/wasm
echo "building wasm (app + trainer)…" >&2
# Tag wasmsimd: the matrix products go to the WebAssembly SIMD kernels that
# the site's wasm_exec.js provides (engine/wasmsimd; the Go code where the
# browser has no SIMD).
GOOS=js GOARCH=wasm go build -tags wasmsimd -trimpath -ldflags="-s -w" -o build/wasm/app.wasm ./wasm/app
# The Train view's trainer: loaded only when that view opens (web/train/).
GOOS=js GOARCH=wasm go build -tags wasmsimd -trimpath -ldflags="-s -w" -o build/wasm/trainer.wasm ./wasm/trainworker
extra=()
if [ -n "${SITE_MODELS:-}" ]; then
  compgen -G "$SITE_MODELS/*.safetensors" >/dev/null ||
    { echo "SITE_MODELS=$SITE_MODELS: no .safetensors model file there (make export writes one)" >&2; exit 2; }
  extra=(-models "$SITE_MODELS")
elif ! compgen -G "web/models/*.safetensors" >/dev/null; then
  # No bundled model yet (make default-model trains and exports it): build
  # the site around a random-weight placeholder so that everything else can
  # be developed and tested. The page says plainly that it is untrained.
  echo "WARNING: web/models has no model file; bundling a RANDOM-WEIGHT placeholder (run make default-model for the trained one)" >&2
  mkdir -p build/placeholder-models
  [ -f build/placeholder-models/mnist.safetensors ] ||
    go run ./cmd/ganomaly init -out build/placeholder-models/mnist.safetensors -isize 32 -nc 1 -dtype f16 -seed 1
  extra=(-models build/placeholder-models)
fi
if [ -n "${SITE_DEFAULT:-}" ] && [ ! -f "web/models/$SITE_DEFAULT" ] && [ ! -f "${SITE_MODELS:-web/models}/$SITE_DEFAULT" ]; then
  echo "SITE_DEFAULT=$SITE_DEFAULT: no such file in web/models${SITE_MODELS:+ or $SITE_MODELS}" >&2; exit 2
fi
if [ -n "${SITE_GALLERY:-}" ]; then
  [ -d "$SITE_GALLERY" ] ||
    { echo "SITE_GALLERY=$SITE_GALLERY: not a folder (want one with 0.normal/ and 1.abnormal/ images)" >&2; exit 2; }
  extra+=(-gallery "$SITE_GALLERY")
fi
mkdir -p build/bin
go build -o build/bin/site ./app/cmd/site
build/bin/site -out "$out" -wasm build/wasm -prefix "${SITE_PREFIX:-}" -default "${SITE_DEFAULT:-mnist.safetensors}" "${extra[@]}"
if [ "$mode" = serve ]; then
  exec build/bin/site -out "$out" -no-build -prefix "${SITE_PREFIX:-}" -serve "${DEMO_ADDR:-localhost:8080}"
fi
