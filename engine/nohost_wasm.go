//go:build wasm && !wasmsimd

package engine

// hostGEMM: no host kernel without the wasmsimd tag (see host_wasm.go).
func hostGEMM(ap, bp, c *float32, mp, k, np int32) int32 { return 0 }
