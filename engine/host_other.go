//go:build !wasm

package engine

func hostWino4(op WinoOp, src, dst *float32, tiles *int32, n, gs, rs int32) int32 { return 0 }

func hostPack(dst, src *float32, rs, cs, w, m, k int32) int32 { return 0 }
