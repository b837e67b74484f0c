package wasmsimd

import (
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Module returns the kernels' WebAssembly module: it imports its memory
// as env.mem (the Go program's) and exports the functions named by
// Exports: gemm(ap, bp, c, mp, k, np) → 1 (gemm.go), the four Winograd
// transforms (wino.go), pack (pack.go) and the trainer's elementwise
// passes (elem.go).
func Module() []byte { return module(functions()) }

// functions are the module's functions, in index order: the GEMM's tiles
// first (gemmFn calls them by index).
func functions() []*fn {
	tiles := []*fn{tileFn(1), tileFn(2), tileFn(3)}
	fns := append(tiles, gemmFn([]uint32{0, 1, 2}))
	for k := range winoExports {
		fns = append(fns, winoFn(winoKind(k)))
	}
	fns = append(fns, packFn())
	fns = append(fns, bnApplyFns()...)
	fns = append(fns, bnBackApplyFn())
	return append(fns, adamFns()...)
}

//go:embed loader.js
var loaderJS string

// LoaderJS returns the script that installs the kernels: run after Go's
// wasm_exec.js (which defines Go), it makes every new Go() provide the
// engine's imports, backed by the kernels where the host has WebAssembly
// SIMD and by "not done" (the Go code) where it has not.
func LoaderJS() string {
	names, _ := json.Marshal(Exports())
	js := strings.Replace(loaderJS, "MODULE_BASE64", base64.StdEncoding.EncodeToString(Module()), 1)
	return strings.Replace(js, "EXPORT_NAMES", string(names), 1)
}

// Exports are the module's functions: the names under which the Go
// program imports them from the module "ganomaly".
func Exports() []string {
	names := append([]string{"gemm"}, winoExports...)
	return append(names, "pack", "bnApply", "bnApplyLeaky", "bnApplyReLU", "bnBackApply", "adamSmallW", "adamLargeW")
}
