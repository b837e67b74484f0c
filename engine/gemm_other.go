//go:build !wasm

package engine

// The GEMM micro-kernel for native code: 2×4 register tiles (see gemm).
// gemm_wasm.go has the WebAssembly one. Both sum every output over k in
// increasing order, one float32-rounded product at a time, so they give
// bit-identical results.

const tileM = 2 // rows of A per register tile

// gemm computes c[i][j] = Σ_k A[i][k]·B[k][j] for i < mp, j < np, with A
// packed in panels of tileM = 2 rows (ap, mp rows, k-major) and B packed in
// panels of tileN = 4 columns (bp, k-major). c has mp rows of stride np. Each
// sum runs over k in increasing order.
//
// With 16 SSE registers (GOAMD64=v1) the 2×4 tile, unrolled 4 times over k,
// measured fastest natively: 8 accumulators, 4 + 2 operands and the product
// temporaries fit without spilling; 4×4 runs at half its speed, 3×4 at 80%.
func gemm(ap, bp, c []float32, mp, k, np int) {
	for i0 := 0; i0 < mp; i0 += tileM {
		panel := ap[i0*k : (i0+tileM)*k]
		for j0 := 0; j0 < np; j0 += tileN {
			a, b := panel, bp[j0*k:(j0+tileN)*k]
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			var a0, a1, b0, b1, b2, b3 float32
			for len(a) >= 4*tileM && len(b) >= 4*tileN {
				b0, b1, b2, b3 = b[0], b[1], b[2], b[3]
				a0, a1 = a[0], a[1]
				c00 += float32(a0 * b0)
				c01 += float32(a0 * b1)
				c02 += float32(a0 * b2)
				c03 += float32(a0 * b3)
				c10 += float32(a1 * b0)
				c11 += float32(a1 * b1)
				c12 += float32(a1 * b2)
				c13 += float32(a1 * b3)
				b0, b1, b2, b3 = b[4], b[5], b[6], b[7]
				a0, a1 = a[2], a[3]
				c00 += float32(a0 * b0)
				c01 += float32(a0 * b1)
				c02 += float32(a0 * b2)
				c03 += float32(a0 * b3)
				c10 += float32(a1 * b0)
				c11 += float32(a1 * b1)
				c12 += float32(a1 * b2)
				c13 += float32(a1 * b3)
				b0, b1, b2, b3 = b[8], b[9], b[10], b[11]
				a0, a1 = a[4], a[5]
				c00 += float32(a0 * b0)
				c01 += float32(a0 * b1)
				c02 += float32(a0 * b2)
				c03 += float32(a0 * b3)
				c10 += float32(a1 * b0)
				c11 += float32(a1 * b1)
				c12 += float32(a1 * b2)
				c13 += float32(a1 * b3)
				b0, b1, b2, b3 = b[12], b[13], b[14], b[15]
				a0, a1 = a[6], a[7]
				c00 += float32(a0 * b0)
				c01 += float32(a0 * b1)
				c02 += float32(a0 * b2)
				c03 += float32(a0 * b3)
				c10 += float32(a1 * b0)
				c11 += float32(a1 * b1)
				c12 += float32(a1 * b2)
				c13 += float32(a1 * b3)
				a, b = a[4*tileM:], b[4*tileN:]
			}
			for len(a) >= tileM && len(b) >= tileN {
				b0, b1, b2, b3 = b[0], b[1], b[2], b[3]
				a0, a1 = a[0], a[1]
				c00 += float32(a0 * b0)
				c01 += float32(a0 * b1)
				c02 += float32(a0 * b2)
				c03 += float32(a0 * b3)
				c10 += float32(a1 * b0)
				c11 += float32(a1 * b1)
				c12 += float32(a1 * b2)
				c13 += float32(a1 * b3)
				a, b = a[tileM:], b[tileN:]
			}
			r := c[i0*np+j0 : i0*np+j0+tileN]
			r[0], r[1], r[2], r[3] = c00, c01, c02, c03
			r = c[(i0+1)*np+j0 : (i0+1)*np+j0+tileN]
			r[0], r[1], r[2], r[3] = c10, c11, c12, c13
		}
	}
}
