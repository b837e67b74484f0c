#!/usr/bin/env bash
# Builds the browser demo: the go-app UI (wasm/app) and the engine-only Web
# Worker (wasm/worker) compiled to WebAssembly, then the static site in
# build/site (app/cmd/site: copies web/, indexes web/models/*.safetensors,
# app.GenerateStaticWebsite, Go's own wasm_exec.js).
#
#   scripts/site.sh build    write build/site/            (make site)
#   scripts/site.sh serve    build, then serve on localhost (make demo)
#
# Environment: SITE_PREFIX=/repo for a site served under a sub-path (GitHub
# Pages project sites); SITE_OUT (default build/site); DEMO_ADDR (default
# localhost:8080) for serve.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-build}"
out="${SITE_OUT:-build/site}"
case "$mode" in build|serve) ;; *) echo "usage: scripts/site.sh build|serve" >&2; exit 2 ;; esac
mkdir -p build/wasm
echo "building wasm (app + worker)…" >&2
GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o build/wasm/app.wasm ./wasm/app
GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o build/wasm/worker.wasm ./wasm/worker
extra=()
if ! compgen -G "web/models/*.safetensors" >/dev/null; then
  # No bundled model yet (make default-model trains and exports it): build
  # the site around a random-weight placeholder so that everything else can
  # be developed and tested. The page says plainly that it is untrained.
  echo "WARNING: web/models has no model file; bundling a RANDOM-WEIGHT placeholder (run make default-model for the trained one)" >&2
  mkdir -p build/placeholder-models
  [ -f build/placeholder-models/mnist.safetensors ] ||
    go run ./cmd/ganomaly init -out build/placeholder-models/mnist.safetensors -isize 32 -nc 1 -dtype f16 -seed 1
  extra=(-models build/placeholder-models)
fi
mkdir -p build/bin
go build -o build/bin/site ./app/cmd/site
build/bin/site -out "$out" -wasm build/wasm -prefix "${SITE_PREFIX:-}" "${extra[@]}"
if [ "$mode" = serve ]; then
  exec build/bin/site -out "$out" -no-build -prefix "${SITE_PREFIX:-}" -serve "${DEMO_ADDR:-localhost:8080}"
fi
