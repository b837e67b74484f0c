package engine

// The register-tiled GEMM micro-kernel, the portable tanh and (in
// winograd.go) the 1-D Winograd F(4, 2) transforms, exported for
// the pure-Go trainer (package train), so that training and inference share
// one implementation and the same platform-independent rounding.

const (
	// GEMMTileM is the number of rows of A per packed panel (2 natively, 3 in
	// WebAssembly).
	GEMMTileM = tileM
	// GEMMTileN is the number of columns of B per packed panel.
	GEMMTileN = tileN
	// GEMMSlack is the extra capacity GEMM needs past the last panel of its
	// packed operands.
	GEMMSlack = gemmSlack
)

// GEMM computes c[i][j] = Σ_k A[i][k]·B[k][j] for i < mp, j < np. A is
// packed in panels of GEMMTileM rows, k-major (element (i, k) at
// ap[(i/GEMMTileM)·k·GEMMTileM + k·GEMMTileM + i%GEMMTileM]); B in panels of
// GEMMTileN columns, k-major; mp and np are multiples of the tile sizes and
// both operands have GEMMSlack elements of capacity past their end. c has mp
// rows of stride np. Every sum runs over k in increasing order, one
// float32-rounded product at a time, so results are bit-identical natively
// and in WebAssembly.
func GEMM(ap, bp, c []float32, mp, k, np int) { gemm(ap, bp, c, mp, k, np) }

// Tanh is tanh for float32, identical on every platform.
func Tanh(x float32) float32 { return tanh32(x) }

// hostKernels records that one of the JavaScript host's SIMD kernels has
// done its work (WebAssembly builds with the wasmsimd tag; see host.go).
var hostKernels bool

// HostKernels reports whether the host's WebAssembly SIMD kernels have run
// (the matrix products, and the trainer's loops of host.go) rather than the
// Go code: false natively, without the kernels, and before the first one.
func HostKernels() bool { return hostKernels }
