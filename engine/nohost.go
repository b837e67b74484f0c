//go:build !wasm || !wasmsimd

package engine

// Without the wasmsimd tag (and natively) there are no host kernels: every
// host* function answers 0 and the callers run their Go code (see
// host_wasm.go).

func hostGEMM(ap, bp, c *float32, mp, k, np int32) int32 { return 0 }

func hostWino4(op WinoOp, src, dst *float32, tiles *int32, n, gs, rs int32) int32 { return 0 }

func hostPack(dst, src *float32, rs, cs, w, m, k int32) int32 { return 0 }

func hostBN(act int, z, out *float32, n int32, mean, a, bb, slope float32) int32 { return 0 }

func hostBNBackApply(d, z *float32, n int32, mean, istd, k, my, mx float32) int32 { return 0 }

func hostAdam(largeW bool, val, g, m, v *float32, n int32, w, omw, b2, c2, eps, stepSize, bc2Sqrt float32) int32 {
	return 0
}
