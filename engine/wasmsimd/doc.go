// Package wasmsimd writes the WebAssembly SIMD kernels that a JavaScript host
// may hand the engine's and the trainer's WebAssembly builds (the wasmsimd
// tag). Go's wasm port emits no SIMD instructions, so the hot loops (the
// matrix product, the trainer's Winograd transforms, operand packing,
// BatchNorm's elementwise passes and Adam) run four lanes at a time in a
// small separate module that shares the Go program's memory. Each kernel
// does the float32 operations of the Go code it stands in for, in the same
// order, so the results are bit-identical with and without the kernels,
// natively and in WebAssembly; a host without SIMD (or without this module)
// leaves the work to the Go code.
//
// The module is written here, instruction by instruction (asm.go), rather
// than assembled from text: nothing but Go is needed to build it. Module is
// its binary; LoaderJS the script that gives it to every Go program started
// after Go's wasm_exec.js (docs/gotrain.md, "WebAssembly SIMD kernels").
package wasmsimd
