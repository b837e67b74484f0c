//go:build wasm && wasmsimd

package engine

// Built with the wasmsimd tag, the engine asks its JavaScript host for the
// matrix product first: the WebAssembly SIMD kernel of package
// engine/wasmsimd, which the script wasmsimd.LoaderJS provides (the site
// appends it to wasm_exec.js; scripts/wasm-exec.js loads it under node).
// The host answers 0 where it has no SIMD, and gemm then runs the Go
// kernel; the bits are the same either way. Without the tag there is no
// import, and any host that runs Go's WebAssembly runs the engine.

// hostGEMM is gemm's product by the host's kernel, or 0 if it has none.
//
//go:wasmimport ganomaly gemm
func hostGEMM(ap, bp, c *float32, mp, k, np int32) int32
