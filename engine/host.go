package engine

// WinoOp names a Winograd F(4×4, 2×2) data transform of the pure-Go
// trainer (package train, wino4.go) that a WebAssembly host may run in its
// SIMD kernels (host_wasm.go; package engine/wasmsimd, wino.go).
type WinoOp int32

// The transforms, as train names them.
const (
	WinoSmallTransform4 WinoOp = iota // S = A s Aᵀ of 4×4 tiles
	WinoSmallInverse4                 // small = Aᵀ M A
	WinoBigTransform4                 // V = Bᵀ d B of 5×5 phase tiles
	WinoBigInverse4                   // d += B M Bᵀ
)

// HostWino4 runs op in the host's SIMD kernel over the tiles at the byte
// offsets tiles of the tiled plane (src for the forward transforms, dst for
// the inverse ones), the 25 transformed planes gs bytes apart, the tiles'
// rows rs bytes apart, with the same float32 operations in the same order
// as train's Go code. It returns false where there is no such kernel
// (natively; in WebAssembly without the wasmsimd tag, or without SIMD):
// then the caller runs its Go code (as it does for no tiles). The caller vouches that every element
// the transform touches lies inside src and dst.
func HostWino4(op WinoOp, src, dst []float32, tiles []int32, gs, rs int) bool {
	if len(tiles) == 0 {
		return false
	}
	if hostWino4(op, &src[0], &dst[0], &tiles[0], int32(len(tiles)), int32(gs), int32(rs)) == 0 {
		return false
	}
	hostKernels = true
	return true
}

// HostPack packs the m×k matrix src (element (i, p) at src[i·rs + p·cs])
// into panels of w rows, k-major (element (i, p) at dst[(i/w)·w·k + p·w +
// i%w]) in the host's SIMD kernel, for m a multiple of w, and reports
// whether it did: false natively, without the kernels, or for a layout the
// kernel leaves to Go (it packs row-major operands, cs = 1, with w 3 or 4,
// and transposed ones, rs = 1, with w 4). It checks that both slices hold
// what it touches.
func HostPack(dst, src []float32, rs, cs, w, m, k int) bool {
	if m <= 0 || k <= 0 || m%w != 0 {
		return false
	}
	_, _ = dst[m*k-1], src[(m-1)*rs+(k-1)*cs]
	if hostPack(&dst[0], &src[0], int32(rs), int32(cs), int32(w), int32(m), int32(k)) == 0 {
		return false
	}
	hostKernels = true
	return true
}
