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
// then the caller runs its Go code (as it does for no tiles). The caller
// vouches that every element the transform touches lies inside src and dst.
func HostWino4(op WinoOp, src, dst []float32, tiles []int32, gs, rs int) bool {
	if len(tiles) == 0 {
		return false
	}
	return ran(hostWino4(op, &src[0], &dst[0], &tiles[0], int32(len(tiles)), int32(gs), int32(rs)))
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
	return ran(hostPack(&dst[0], &src[0], int32(rs), int32(cs), int32(w), int32(m), int32(k)))
}

// The activations HostBNApply applies after BatchNorm.
const (
	BNNone      = 0
	BNLeakyReLU = 1 // slope·x below 0, in the branch-free form of train's act.go
	BNReLU      = 2
)

// HostBNApply writes out[i] = act(float32(float32(z[i]−mean)·a) + bb) for
// every i in the host's SIMD kernel (train's batchNorm), with act BNNone,
// BNLeakyReLU (negative slope slope) or BNReLU, and reports whether it did.
func HostBNApply(act int, z, out []float32, mean, a, bb, slope float32) bool {
	if len(z) == 0 || len(out) < len(z) {
		return false
	}
	return ran(hostBN(act, &z[0], &out[0], int32(len(z)), mean, a, bb, slope))
}

// HostBNBackApply writes d[i] = float32(k·((d[i]−my) − float32(xh·mx)))
// with xh = float32(float32(z[i]−mean)·istd) in the host's SIMD kernel
// (the last pass of train's batchNormBackward), and reports whether it did.
func HostBNBackApply(d, z []float32, mean, istd, k, my, mx float32) bool {
	if len(d) == 0 || len(z) < len(d) {
		return false
	}
	return ran(hostBNBackApply(&d[0], &z[0], int32(len(d)), mean, istd, k, my, mx))
}

// HostAdam is the loop of train's Adam update for one tensor in the host's
// SIMD kernel: the first moment m by torch.lerp with weight w (largeW: the
// form for w ≥ 0.5, with omw = 1 − w), the second moment v, and val, with
// the constants of that step; it reports whether it ran.
func HostAdam(largeW bool, val, g, m, v []float32, w, omw, b2, c2, eps, stepSize, bc2Sqrt float32) bool {
	n := len(val)
	if n == 0 || len(g) < n || len(m) < n || len(v) < n {
		return false
	}
	return ran(hostAdam(largeW, &val[0], &g[0], &m[0], &v[0], int32(n), w, omw, b2, c2, eps, stepSize, bc2Sqrt))
}

// ran reports whether a host kernel answered r ≠ 0 (it did the work), and
// records it for HostKernels.
func ran(r int32) bool {
	if r == 0 {
		return false
	}
	hostKernels = true
	return true
}
