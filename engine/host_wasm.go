//go:build wasm && wasmsimd

package engine

// Built with the wasmsimd tag, the engine (and through engine.Host*, the
// trainer) asks its JavaScript host first for its hot loops: the
// WebAssembly SIMD kernels of package engine/wasmsimd, which the script
// wasmsimd.LoaderJS provides (the site appends it to wasm_exec.js;
// scripts/wasm/exec.js loads it under node). The host answers 0 where it
// has no SIMD, and the caller runs its Go code; the bits are the same
// either way. Without the tag there is no import (nohost.go), and any host
// that runs Go's WebAssembly runs the engine.

// hostGEMM is gemm's product by the host's kernel, or 0 if it has none.
//
//go:wasmimport ganomaly gemm
func hostGEMM(ap, bp, c *float32, mp, k, np int32) int32

// The Winograd F(4×4, 2×2) transforms of package train (wasmsimd's
// wino.go): n tiles at the byte offsets tiles[0…n) of the tiled plane, the
// 25 transformed planes gs bytes apart, rows rs bytes apart.
//
//go:wasmimport ganomaly smallTransform4
func hostSmallTransform4(src, dst *float32, tiles *int32, n, gs, rs int32) int32

//go:wasmimport ganomaly smallInverse4
func hostSmallInverse4(src, dst *float32, tiles *int32, n, gs, rs int32) int32

//go:wasmimport ganomaly bigTransform4
func hostBigTransform4(src, dst *float32, tiles *int32, n, gs, rs int32) int32

//go:wasmimport ganomaly bigInverse4
func hostBigInverse4(src, dst *float32, tiles *int32, n, gs, rs int32) int32

func hostWino4(op WinoOp, src, dst *float32, tiles *int32, n, gs, rs int32) int32 {
	switch op {
	case WinoSmallTransform4:
		return hostSmallTransform4(src, dst, tiles, n, gs, rs)
	case WinoSmallInverse4:
		return hostSmallInverse4(src, dst, tiles, n, gs, rs)
	case WinoBigTransform4:
		return hostBigTransform4(src, dst, tiles, n, gs, rs)
	case WinoBigInverse4:
		return hostBigInverse4(src, dst, tiles, n, gs, rs)
	}
	return 0
}

// hostPack is train's packRows for whole panels (wasmsimd's pack.go), or 0
// for a layout it leaves to Go.
//
//go:wasmimport ganomaly pack
func hostPack(dst, src *float32, rs, cs, w, m, k int32) int32

// The trainer's elementwise passes (wasmsimd's elem.go).
//
//go:wasmimport ganomaly bnApply
func hostBNApply(z, out *float32, n int32, mean, a, bb, slope float32) int32

//go:wasmimport ganomaly bnApplyLeaky
func hostBNApplyLeaky(z, out *float32, n int32, mean, a, bb, slope float32) int32

//go:wasmimport ganomaly bnApplyReLU
func hostBNApplyReLU(z, out *float32, n int32, mean, a, bb, slope float32) int32

//go:wasmimport ganomaly bnBackApply
func hostBNBackApply(d, z *float32, n int32, mean, istd, k, my, mx float32) int32

//go:wasmimport ganomaly adamSmallW
func hostAdamSmallW(val, g, m, v *float32, n int32, w, omw, b2, c2, eps, stepSize, bc2Sqrt float32) int32

//go:wasmimport ganomaly adamLargeW
func hostAdamLargeW(val, g, m, v *float32, n int32, w, omw, b2, c2, eps, stepSize, bc2Sqrt float32) int32

func hostBN(act int, z, out *float32, n int32, mean, a, bb, slope float32) int32 {
	switch act {
	case BNLeakyReLU:
		return hostBNApplyLeaky(z, out, n, mean, a, bb, slope)
	case BNReLU:
		return hostBNApplyReLU(z, out, n, mean, a, bb, slope)
	}
	return hostBNApply(z, out, n, mean, a, bb, slope)
}

func hostAdam(largeW bool, val, g, m, v *float32, n int32, w, omw, b2, c2, eps, stepSize, bc2Sqrt float32) int32 {
	if largeW {
		return hostAdamLargeW(val, g, m, v, n, w, omw, b2, c2, eps, stepSize, bc2Sqrt)
	}
	return hostAdamSmallW(val, g, m, v, n, w, omw, b2, c2, eps, stepSize, bc2Sqrt)
}
