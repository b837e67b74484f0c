#!/usr/bin/env bash
# Engine benchmarks, native and WebAssembly (node), in one run, with the fast
# path's speed-up over two baselines measured side by side:
#   - the foundation engine (issue 3: im2col + 4x4 GEMM + col2im), kept in
#     engine/baseline_test.go; BenchmarkSpeedup alternates it with the engine
#     image by image, so the ratio holds even when the machine's load changes;
#   - a plain direct convolution (BenchmarkDirect).
# Then native throughput with one goroutine per core (BenchmarkThroughput).
# BENCHTIME (default 3s) sets go test's -benchtime; SPEEDUP_N (default 100)
# the images per model in BenchmarkSpeedup.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOROOT)/lib/wasm:$(go env GOROOT)/misc/wasm:$PATH"
bt="${BENCHTIME:-3s}"
sn="${SPEEDUP_N:-100}"
out=$(mktemp -d)
run() { # label, then env for go test
  local label=$1; shift
  echo "# $label"
  env "$@" go test -run '^$' -bench '^Benchmark(Forward|ForwardBaseline|Direct)$' -benchtime "$bt" ./engine | tee "$out/$label.txt"
  env "$@" go test -run '^$' -bench '^BenchmarkSpeedup$' -benchtime "${sn}x" ./engine | tee -a "$out/$label.txt"
}
run "native-$(go env GOARCH)-$(go env GOAMD64 2>/dev/null || true)"
run "wasm-node$(node --version)" GOOS=js GOARCH=wasm
echo "# native throughput, one goroutine (own Clone) per core"
go test -run '^$' -bench '^BenchmarkThroughput$' -benchtime "$bt" ./engine | tee "$out/throughput.log"
ratio() { # file arch
  awk -v a="$2" '
    function val(unit,   i) { for (i = 1; i < NF; i++) if ($(i+1) == unit) return $i; return 0 }
    $1 ~ "^BenchmarkForward/"a"(-|$)"         { f = val("ms/image"); g = val("GFLOP/s") }
    $1 ~ "^BenchmarkForwardBaseline/"a"(-|$)" { b = val("ms/image") }
    $1 ~ "^BenchmarkDirect/"a"(-|$)"          { d = val("ms/image") }
    $1 ~ "^BenchmarkSpeedup/"a"(-|$)"         { s = val("speedup"); sf = val("ms/image"); sb = val("foundation-ms/image") }
    END {
      if (f > 0) printf "%s: engine %.2f ms/image (%.2f GFLOP/s eff.), foundation %.2f, direct %.2f; speed-up vs foundation %.2fx (alternating medians %.2f vs %.2f ms: %.2fx), vs direct %.2fx\n",
        a, f, g, b, d, b/f, sf, sb, s, d/f
    }' "$1"
}
echo "# summary (isize 32, nz 100, ngf 64; GFLOP/s counts 2 per multiply-add of the direct convolution: 52.3 M for nc 1)"
for t in "$out"/*.txt; do
  for a in 32x32x1 32x32x3; do printf '%-24s ' "$(basename "$t" .txt)"; ratio "$t" "$a"; done
done
awk '$1 ~ /workers=1(-|$)/ { for (i = 1; i < NF; i++) if ($(i+1) == "images/s") one = $i }
     $1 ~ /workers=/ && $1 !~ /workers=1(-|$)/ { for (i = 1; i < NF; i++) if ($(i+1) == "images/s") { many = $i; w = $1; sub(/.*workers=/, "", w); sub(/-.*/, "", w) } }
     END { if (one > 0 && many > 0) printf "native throughput: %.1f images/s with 1 worker, %.1f with %s: %.2fx\n", one, many, w, many/one }' "$out/throughput.log"
