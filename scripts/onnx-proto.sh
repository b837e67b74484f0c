#!/usr/bin/env bash
# Regenerates onnx/onnxpb/onnx.pb.go, the Go types of ONNX's own protobuf
# schema, used by the onnx package to write .onnx files. Run it only to move to
# another ONNX release; the generated file is committed, so building needs none
# of this.
#
#   bash scripts/onnx-proto.sh
#
# onnx.proto comes from the `onnx` PyPI wheel (ONNX ships it there), protoc
# from Debian's protobuf-compiler, protoc-gen-go from the Go module proxy at
# the version of google.golang.org/protobuf in go.mod. Downloads go to a cache
# outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
onnx_version=1.17.0
cache="${GANOMALY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ganomaly-go}/onnx-proto"
mkdir -p "$cache"

if ! command -v protoc >/dev/null; then
  echo "installing protobuf-compiler (apt-get)…" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq protobuf-compiler >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq protobuf-compiler >/dev/null; fi
fi
pb_version=$(go list -m -f '{{.Version}}' google.golang.org/protobuf)
GOBIN="$cache/bin-$pb_version" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$pb_version"

whl=$(ls "$cache"/onnx-"$onnx_version"-*.whl 2>/dev/null | head -1 || true)
if [ -z "$whl" ]; then
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$cache" "onnx==$onnx_version"
  whl=$(ls "$cache"/onnx-"$onnx_version"-*.whl | head -1)
fi
python3 - "$whl" onnx/onnxpb/onnx.proto <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("onnx/onnx.proto"))
PY

PATH="$cache/bin-$pb_version:$PATH" protoc -I onnx/onnxpb \
  --go_out=onnx/onnxpb --go_opt=paths=source_relative \
  --go_opt=Monnx.proto=github.com/ganomaly-go/ganomaly/onnx/onnxpb \
  onnx/onnxpb/onnx.proto
gofmt -l onnx/onnxpb
echo "regenerated onnx/onnxpb/onnx.pb.go from onnx $onnx_version's onnx.proto (protoc $(protoc --version | cut -d' ' -f2), protoc-gen-go $pb_version)" >&2
