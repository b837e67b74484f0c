// Package wasmsimd writes the WebAssembly SIMD kernels that a JavaScript host
// may hand the engine's WebAssembly build (built with the wasmsimd tag):
// Go's wasm port emits no SIMD instructions, so the matrix product, 90 % of
// the work of a training step, runs four lanes at a time in a small
// separate module that shares the Go program's memory. The kernels do the
// same float32 operations in the same order as the Go code they stand in
// for: results are bit-identical with and without them, natively and in
// WebAssembly. A host without SIMD (or without this module) leaves the Go
// code to do the work.
//
// Module is the module's binary; LoaderJS is the script that gives it to
// every Go program started after Go's wasm_exec.js (docs/gotrain.md, "SIMD
// kernels").
package wasmsimd
