//go:build wasm && !wasmsimd

package engine

// hostGEMM: no host kernel without the wasmsimd tag (see host_wasm.go).
func hostGEMM(ap, bp, c *float32, mp, k, np int32) int32 { return 0 }

func hostWino4(op WinoOp, src, dst *float32, tiles *int32, n, gs, rs int32) int32 { return 0 }

func hostPack(dst, src *float32, rs, cs, w, m, k int32) int32 { return 0 }
