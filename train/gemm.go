package train

import "github.com/ganomaly-go/ganomaly/engine"

const (
	tileM = engine.GEMMTileM
	tileN = engine.GEMMTileN
)

// matrix is a strided view of a float32 matrix: element (i, j) is
// data[i·rs + j·cs]. A transposed view swaps the strides.
type matrix struct {
	data   []float32
	rs, cs int
}

func rowMajor(data []float32, cols int) matrix { return matrix{data, cols, 1} }

func (a matrix) t() matrix { return matrix{a.data, a.cs, a.rs} }

// gemmer computes matrix products with the engine's register-tiled kernel,
// packing both operands into its panel layout. Its buffers grow to the
// largest product and are then reused: no allocation per step.
type gemmer struct {
	ap, bp, c []float32
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// mul computes dst[i][j] (row-major, m×n) = Σ_p A[i][p]·B[p][j], or adds it
// to dst when acc is set. Every sum runs over p in increasing order.
func (g *gemmer) mul(a, b matrix, m, k, n int, dst []float32, acc bool) {
	mp, np := roundUp(m, tileM), roundUp(n, tileN)
	g.ap = grow(g.ap, mp*k+engine.GEMMSlack)
	g.bp = grow(g.bp, np*k+engine.GEMMSlack)
	g.c = grow(g.c, mp*np)
	packA(g.ap, a, m, k, mp)
	packB(g.bp, b, k, n, np)
	engine.GEMM(g.ap, g.bp, g.c, mp, k, np)
	dst = dst[:m*n]
	for i := 0; i < m; i++ {
		row, out := g.c[i*np:i*np+n], dst[i*n:i*n+n]
		if acc {
			for j, v := range row {
				out[j] += v
			}
		} else {
			copy(out, row)
		}
	}
}

func roundUp(x, t int) int { return (x + t - 1) / t * t }

// packA writes A (m×k) in panels of tileM rows, k-major, zero rows past m.
func packA(ap []float32, a matrix, m, k, mp int) {
	for i0 := 0; i0 < mp; i0 += tileM {
		panel := ap[i0*k : (i0+tileM)*k]
		for r := 0; r < tileM; r++ {
			i := i0 + r
			if i >= m {
				for p := 0; p < k; p++ {
					panel[p*tileM+r] = 0
				}
				continue
			}
			if a.cs == 1 {
				src := a.data[i*a.rs : i*a.rs+k]
				for p, v := range src {
					panel[p*tileM+r] = v
				}
				continue
			}
			off := i * a.rs
			for p := 0; p < k; p++ {
				panel[p*tileM+r] = a.data[off+p*a.cs]
			}
		}
	}
}

// packB writes B (k×n) in panels of tileN columns, k-major, zero columns
// past n.
func packB(bp []float32, b matrix, k, n, np int) {
	for j0 := 0; j0 < np; j0 += tileN {
		panel := bp[j0*k : (j0+tileN)*k]
		if j0+tileN <= n && b.cs == 1 {
			for p := 0; p < k; p++ {
				src, dst := b.data[p*b.rs+j0:p*b.rs+j0+tileN], panel[p*tileN:p*tileN+tileN]
				dst[0], dst[1], dst[2], dst[3] = src[0], src[1], src[2], src[3]
			}
			continue
		}
		for t := 0; t < tileN; t++ {
			j := j0 + t
			if j >= n {
				for p := 0; p < k; p++ {
					panel[p*tileN+t] = 0
				}
				continue
			}
			if b.rs == 1 {
				src := b.data[j*b.cs : j*b.cs+k]
				for p, v := range src {
					panel[p*tileN+t] = v
				}
				continue
			}
			off := j * b.cs
			for p := 0; p < k; p++ {
				panel[p*tileN+t] = b.data[off+p*b.rs]
			}
		}
	}
}
