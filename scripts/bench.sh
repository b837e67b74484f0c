#!/usr/bin/env bash
# Engine benchmarks, native and WebAssembly (node), in one run, with the fast
# path's speed-up over the direct-convolution baseline measured side by side.
# BENCHTIME (default 3s) sets go test's -benchtime.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOROOT)/lib/wasm:$(go env GOROOT)/misc/wasm:$PATH"
bt="${BENCHTIME:-3s}"
out=$(mktemp -d)
echo "# native ($(go env GOARCH), GOAMD64=$(go env GOAMD64))"
go test -run '^$' -bench 'Forward|Direct' -benchtime "$bt" ./engine | tee "$out/native.txt"
echo "# wasm (node $(node --version))"
GOOS=js GOARCH=wasm go test -run '^$' -bench 'Forward|Direct' -benchtime "$bt" ./engine | tee "$out/wasm.txt"
ratio() { # file arch
  awk -v a="$2" '
    $1 ~ "^BenchmarkForward/"a"-" { for (i=1;i<=NF;i++) if ($(i+1)=="ms/image") f=$i }
    $1 ~ "^BenchmarkDirect/"a"-"  { for (i=1;i<=NF;i++) if ($(i+1)=="ms/image") d=$i }
    END { if (f>0) printf "%s: engine %.2f ms/image, direct %.2f ms/image, speed-up %.2fx\n", a, f, d, d/f }' "$1"
}
echo "# summary"
for t in native wasm; do
  for a in 32x32x1 32x32x3; do printf '%-6s ' "$t"; ratio "$out/$t.txt" "$a"; done
done
