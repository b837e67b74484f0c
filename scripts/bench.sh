#!/usr/bin/env bash
# Engine benchmarks, native and WebAssembly (node), in one run, with the fast
# path's speed-up over two baselines measured side by side:
#   - the baseline engine (im2col + 4x4 GEMM + col2im), kept in
#     engine/baseline_test.go; BenchmarkSpeedup alternates it with the engine
#     image by image, so the ratio holds even when the machine's load changes;
#   - a plain direct convolution (BenchmarkDirect).
# The wasm benchmarks run under node (with and without the SIMD kernels)
# and, when chromium is installed, in headless Chromium too. Then native throughput with one goroutine per core
# (BenchmarkThroughput).
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
# As the site builds it (tag wasmsimd): the products in the WebAssembly SIMD
# kernel of engine/wasmsimd, the same bits.
mkdir -p build/wasm
go run ./engine/wasmsimd/writeloader build/wasm/wasmsimd-loader.js
run "wasm-node$(node --version)-simd" GOOS=js GOARCH=wasm GOFLAGS=-tags=wasmsimd PATH="$PWD/scripts/wasm:$PATH"
# The same wasm test binary in headless Chromium (skipped when chromium is
# missing; CHROMIUM=path overrides): the browser's V8 rather than node's.
chromium_bin="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -n "$chromium_bin" ] && command -v python3 >/dev/null; then
  label="wasm-chromium$("$chromium_bin" --version 2>/dev/null | awk '{print $2}')"
  echo "# $label"
  page=$(mktemp -d)
  GOOS=js GOARCH=wasm go test -c -o "$page/engine.wasm" ./engine
  cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$page/"
  cat > "$page/index.html" <<'HTML'
<!doctype html><html><body><script src="wasm_exec.js"></script><script>
(async () => {
  const q = new URLSearchParams(location.search);
  const go = new Go();
  go.argv = ["engine.test", "-test.run=^$", "-test.bench=" + q.get("bench"), "-test.benchtime=" + q.get("bt")];
  go.exit = (code) => console.log("EXIT " + code);
  const r = await WebAssembly.instantiateStreaming(fetch("engine.wasm"), go.importObject);
  await go.run(r.instance);
})().catch(e => console.log("EXIT error " + e));
</script></body></html>
HTML
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server "$port" --bind 127.0.0.1 --directory "$page" >/dev/null 2>&1 &
  server=$!
  sleep 1
  browse() { # bench regexp, benchtime: print the page's console lines
    local log="$page/chromium.log" pid i
    "$chromium_bin" --headless=new --no-sandbox --disable-gpu --enable-logging=stderr --v=0 \
      --user-data-dir="$page/profile" "http://127.0.0.1:$port/index.html?bench=$1&bt=$2" >"$log" 2>&1 &
    pid=$!
    for i in $(seq 1200); do # at most 10 minutes
      if grep -q 'CONSOLE.*"EXIT' "$log" || ! kill -0 "$pid" 2>/dev/null; then break; fi
      sleep 0.5
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    grep 'CONSOLE' "$log" | sed -e 's/^[^"]*"//' -e 's/", source: .*$//'
  }
  { browse '^Benchmark(Forward|ForwardBaseline)$' "$bt"; browse '^BenchmarkSpeedup$' "${sn}x"; } | grep -v -e '^EXIT 0' -e 'Go program has already exited' | tee "$out/$label.txt"
  kill "$server"
  rm -rf "$page"
fi
echo "# native throughput, one goroutine (own Clone) per core"
go test -run '^$' -bench '^BenchmarkThroughput$' -benchtime "$bt" ./engine | tee "$out/throughput.log"
ratio() { # file arch
  awk -v a="$2" '
    function val(unit,   i) { for (i = 1; i < NF; i++) if ($(i+1) == unit) return $i; return 0 }
    $1 ~ "^BenchmarkForward/"a"(-|$)"         { f = val("ms/image"); g = val("GFLOP/s") }
    $1 ~ "^BenchmarkForwardBaseline/"a"(-|$)" { b = val("ms/image") }
    $1 ~ "^BenchmarkDirect/"a"(-|$)"          { d = val("ms/image") }
    $1 ~ "^BenchmarkSpeedup/"a"(-|$)"         { s = val("speedup"); sf = val("ms/image"); sb = val("baseline-ms/image") }
    END {
      if (f <= 0) exit
      printf "%s: engine %.2f ms/image (%.2f GFLOP/s eff.), baseline %.2f", a, f, g, b
      if (d > 0) printf ", direct %.2f", d
      printf "; speed-up vs baseline %.2fx (alternating medians %.2f vs %.2f ms: %.2fx)", b/f, sf, sb, s
      if (d > 0) printf ", vs direct %.2fx", d/f
      printf "\n"
    }' "$1"
}
echo "# summary (isize 32, nz 100, ngf 64; GFLOP/s counts 2 per multiply-add of the direct convolution: 52.3 M for nc 1)"
for t in "$out"/*.txt; do
  for a in 32x32x1 32x32x3; do printf '%-24s ' "$(basename "$t" .txt)"; ratio "$t" "$a"; done
done
awk '$1 ~ /workers=1(-|$)/ { for (i = 1; i < NF; i++) if ($(i+1) == "images/s") one = $i }
     $1 ~ /workers=/ && $1 !~ /workers=1(-|$)/ { for (i = 1; i < NF; i++) if ($(i+1) == "images/s") { many = $i; w = $1; sub(/.*workers=/, "", w); sub(/-.*/, "", w) } }
     END { if (one > 0 && many > 0) printf "native throughput: %.1f images/s with 1 worker, %.1f with %s: %.2fx\n", one, many, w, many/one }' "$out/throughput.log"
