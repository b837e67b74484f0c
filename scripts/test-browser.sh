#!/usr/bin/env bash
# Browser tests of the demo site in a real headless Chromium (Debian's
# chromium driven by npm playwright-core; `npx playwright install` needs
# network access we do not assume). Builds the site (scripts/site.sh) and the
# CLI, then runs tests/browser with node's built-in test runner.
# Screenshots and timings land in build/test-artifacts/ (ignored by git).
#
# Installs idempotently: chromium with apt-get when missing, playwright-core
# axe-core and onnxruntime-web into ${GANOMALY_CACHE:-$HOME/.cache/ganomaly-go}/npm
# (never into the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${GANOMALY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganomaly-go}"
pw_version=1.65.1
axe_version=4.14.1

if ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium (apt-get)…" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
fi
export CHROMIUM="${CHROMIUM:-$(command -v chromium || echo /usr/bin/chromium)}"
command -v node >/dev/null || { echo "node is required for the browser tests (apt-get install nodejs)" >&2; exit 1; }

npmdir="$cache/npm"
if [ "$(node -e "try{console.log(require('$npmdir/node_modules/playwright-core/package.json').version)}catch(e){}" 2>/dev/null)" != "$pw_version" ]; then
  echo "installing playwright-core@$pw_version into $npmdir…" >&2
  mkdir -p "$npmdir"
  npm install --silent --no-audit --no-fund --prefix "$npmdir" "playwright-core@$pw_version" >&2
fi
# axe-core: the accessibility checks of tests/browser/a11y.test.mjs.
if [ "$(node -e "try{console.log(require('$npmdir/node_modules/axe-core/package.json').version)}catch(e){}" 2>/dev/null)" != "$axe_version" ]; then
  echo "installing axe-core@$axe_version into $npmdir…" >&2
  mkdir -p "$npmdir"
  npm install --silent --no-audit --no-fund --prefix "$npmdir" "axe-core@$axe_version" >&2
fi
# onnxruntime-web for the ONNX export's test (tests/browser/onnx.test.mjs)
# and its column in `make bench-browser`, same cache.
ort_version=1.22.0
if [ "$(node -e "try{console.log(require('$npmdir/node_modules/onnxruntime-web/package.json').version)}catch(e){}" 2>/dev/null)" != "$ort_version" ]; then
  echo "installing onnxruntime-web@$ort_version into $npmdir…" >&2
  npm install --silent --no-audit --no-fund --prefix "$npmdir" "onnxruntime-web@$ort_version" >&2
fi
export GANOMALY_NPM="$npmdir/node_modules"

bash scripts/site.sh build
# The same site for a sub-path, as a GitHub Pages project site would need,
# with a model of one's own bundled beside web/models and opened first
# (SITE_MODELS, SITE_DEFAULT: here a random-weight RGB model).
mkdir -p build/site-extra-models
[ -f build/site-extra-models/own-rgb.safetensors ] ||
  go run ./cmd/ganomaly init -out build/site-extra-models/own-rgb.safetensors -isize 32 -nc 3 -seed 5
SITE_OUT=build/site-prefixed SITE_PREFIX=/ganomaly-go SITE_MODELS=build/site-extra-models SITE_DEFAULT=own-rgb.safetensors bash scripts/site.sh build
# A demo of one's own samples and words: the bundled MNIST model with a
# labelled gallery folder (SITE_GALLERY), and a second model, exported with
# -title/-description/-class_names, with its own gallery beside it
# (NAME.gallery/); both folders hold files that must be listed and left out.
g=build/site-gallery-src
rm -rf "$g" && mkdir -p "$g/mnist/0.normal" "$g/mnist/1.abnormal" "$g/models/second.gallery/0.normal" "$g/models/second.gallery/1.abnormal" "$g/calib" build/test-artifacts
for f in web/gallery/mnist/digit-*.png; do
  case "$f" in *digit-2-*) cp "$f" "$g/mnist/1.abnormal/" ;; *) cp "$f" "$g/mnist/0.normal/" ;; esac
done
printf 'not an image\n' > "$g/mnist/1.abnormal/broken.png"
t=preprocess/testdata
cp "$t/base.png" "$t/base.bmp" "$t/base.tiff" "$t/base.webp" "$t/base_lossy.webp" "$t/cmyk.jpg" "$t/orient_1.jpg" "$t/gray16.tiff" "$g/models/second.gallery/0.normal/"
cp "$t/orient_3.jpg" "$t/orient_6.jpg" "$t/orient_8.jpg" "$t/alpha.png" "$t/alpha.webp" "$t/resize_src_rgb.png" "$t/tiff_offset_bomb.tiff" "$g/models/second.gallery/1.abnormal/"
printf 'notes\n' > "$g/models/second.gallery/0.normal/README.txt"
cp "$t/base.png" "$t/base.bmp" "$t/orient_1.jpg" "$t/cmyk.jpg" "$g/calib/"
go run ./cmd/ganomaly init -out "$g/init.safetensors" -isize 32 -nc 3 -nz 16 -ngf 16 -dtype f32 -seed 9 >/dev/null
go run ./exporter -checkpoint "$g/init.safetensors" -out "$g/models/second.safetensors" -dtype f16 -calibrate "$g/calib" \
  -title "Colour photos, upright" -class_names "an upright photo,a turned or see-through one" \
  -description "A random-weight RGB test model: its words, gallery and scores must follow it when it is picked."
SITE_OUT=build/site-gallery SITE_MODELS="$g/models" SITE_GALLERY="$g/mnist" bash scripts/site.sh build 2>&1 | tee build/test-artifacts/site-gallery.log
mkdir -p build/bin build/test-artifacts
go build -o build/bin/ganomaly ./cmd/ganomaly
go build -o build/bin/site ./app/cmd/site
go build -o build/bin/exporter ./exporter
go build -o build/bin/goforward ./tests/python/goforward
export EXPORTER_BIN="$PWD/build/bin/exporter" GOFORWARD_BIN="$PWD/build/bin/goforward"
export GANOMALY_BIN="$PWD/build/bin/ganomaly" SITE_BIN="$PWD/build/bin/site" SITE_DIR="$PWD/build/site" ARTIFACTS="$PWD/build/test-artifacts"
# scripts/bench-browser.sh sources this file for the set-up only.
[ -n "${SKIP_TESTS:-}" ] || node --test --test-concurrency=1 tests/browser/
