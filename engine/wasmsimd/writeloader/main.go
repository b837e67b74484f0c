// Command writeloader writes wasmsimd.LoaderJS to the file named by its
// argument: the script scripts/wasm/exec.js loads after Go's wasm_exec.js
// to run the engine's WebAssembly tests and benchmarks with the SIMD
// kernels under node (scripts/test-wasm.sh).
package main

import (
	"fmt"
	"os"

	"github.com/ganomaly-go/ganomaly/engine/wasmsimd"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./engine/wasmsimd/writeloader FILE.js")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], []byte(wasmsimd.LoaderJS()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "writeloader:", err)
		os.Exit(1)
	}
}
