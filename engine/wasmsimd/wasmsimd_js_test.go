//go:build js && wasm

package wasmsimd

import (
	"math"
	"syscall/js"
	"testing"
)

// TestModuleRunsInV8: the host's WebAssembly (node's V8 under
// scripts/test-wasm.sh) accepts the module, and its gemm computes the
// product of packed panels summed over k in order, on a memory of its own.
func TestModuleRunsInV8(t *testing.T) {
	mod := Module()
	wasm := js.Global().Get("WebAssembly")
	buf := js.Global().Get("Uint8Array").New(len(mod))
	js.CopyBytesToJS(buf, mod)
	if !wasm.Call("validate", buf).Bool() {
		t.Fatal("WebAssembly.validate rejects the module")
	}
	mem := wasm.Get("Memory").New(map[string]any{"initial": 1})
	inst := wasm.Get("Instance").New(wasm.Get("Module").New(buf), map[string]any{"env": map[string]any{"mem": mem}})
	f32 := js.Global().Get("Float32Array").New(mem.Get("buffer"))
	// A (6×5) in panels of 3 rows, B (5×8) in panels of 4 columns, c (6×8).
	const mp, k, np = 6, 5, 8
	a := func(i, p int) float32 { return float32(i+1) * float32(math.Pow(0.7, float64(p))) }
	b := func(p, j int) float32 { return float32(j-3) / float32(p+2) }
	ap, bp, c := 0, 1024, 2048 // float offsets
	for i := range mp {
		for p := range k {
			f32.SetIndex(ap+(i/3)*3*k+p*3+i%3, a(i, p))
		}
	}
	for j := range np {
		for p := range k {
			f32.SetIndex(bp+(j/4)*4*k+p*4+j%4, b(p, j))
		}
	}
	if r := inst.Get("exports").Call("gemm", 4*ap, 4*bp, 4*c, mp, k, np).Int(); r != 1 {
		t.Fatalf("gemm returned %d, want 1", r)
	}
	for i := range mp {
		for j := range np {
			var want float32
			for p := range k {
				want += float32(a(i, p) * b(p, j))
			}
			if got := float32(f32.Index(c + i*np + j).Float()); math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("c[%d][%d] = %v, want %v", i, j, got, want)
			}
		}
	}
}
