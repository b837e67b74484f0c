package train

import (
	"unsafe"

	"github.com/ganomaly-go/ganomaly/engine"
)

// Packing of the GEMM's operands into the engine's panel layout. A panel
// holds w rows of A (or columns of B) k-major; both operands reach the
// packing in every layout (row-major, transposed, and the Winograd
// products' strided views), so packPanel reads any strides. It walks source
// and destination with pointers once both ends have been bounds-checked:
// with slices, every element paid an index computation and a bounds check,
// and in WebAssembly packing the transposed operands of a weight gradient
// cost more than the product itself (docs/gotrain.md, Speed). A pointer is
// only ever advanced to an element that is read or written next, never past
// an operand's end.

// packA writes A (m×k) in panels of tileM rows, k-major, zero rows past m.
func packA(ap []float32, a matrix, m, k, mp int) { packRows(ap, a, m, k, mp, tileM) }

// packB writes B (k×n) in panels of tileN columns, k-major, zero columns
// past n: the rows of Bᵀ.
func packB(bp []float32, b matrix, k, n, np int) { packRows(bp, b.t(), n, k, np, tileN) }

// packRows writes the m×k matrix a in panels of w rows, k-major, zero rows
// past m (up to mp).
func packRows(dst []float32, a matrix, m, k, mp, w int) {
	i0 := 0
	// The full panels in the host's SIMD kernel where there is one (the
	// same bits; engine.HostPack).
	if full := m / w * w; engine.HostPack(dst, a.data, a.rs, a.cs, w, full, k) {
		i0 = full
	}
	for ; i0 < mp; i0 += w {
		panel := dst[i0*k : (i0+w)*k]
		if i0+w <= m {
			packPanel(panel, a.data[i0*a.rs:], a.rs, a.cs, w, k)
			continue
		}
		for r := 0; r < w; r++ {
			i := i0 + r
			for p := 0; p < k; p++ {
				v := float32(0)
				if i < m {
					v = a.data[i*a.rs+p*a.cs]
				}
				panel[p*w+r] = v
			}
		}
	}
}

// packPanel writes dst[p·w + r] = src[r·rs + p·ps] for r < w, p < k
// (w is 2, 3 or 4: the tile sizes).
func packPanel(dst, src []float32, rs, ps, w, k int) {
	if k <= 0 {
		return
	}
	_, _ = dst[w*k-1], src[(w-1)*rs+(k-1)*ps]
	s, d := unsafe.Pointer(&src[0]), unsafe.Pointer(&dst[0])
	dp := 4 * ps
	r1, r2, r3 := 4*rs, 8*rs, 12*rs
	var v0, v1, v2, v3 float32
	p := 0
	switch w {
	case 2:
		// four at a time while a fifth follows, then one at a time
		for ; p+4 < k; p += 4 {
			v0, v1 = ld(s, 0), ld(s, r1)
			st(d, 0, v0)
			st(d, 4, v1)
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 8)
			v0, v1 = ld(s, 0), ld(s, r1)
			st(d, 0, v0)
			st(d, 4, v1)
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 8)
			v0, v1 = ld(s, 0), ld(s, r1)
			st(d, 0, v0)
			st(d, 4, v1)
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 8)
			v0, v1 = ld(s, 0), ld(s, r1)
			st(d, 0, v0)
			st(d, 4, v1)
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 8)
		}
		for {
			v0, v1 = ld(s, 0), ld(s, r1)
			st(d, 0, v0)
			st(d, 4, v1)
			if p++; p == k {
				break
			}
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 8)
		}
	case 3:
		// four at a time while a fifth follows, then one at a time
		for ; p+4 < k; p += 4 {
			v0, v1, v2 = ld(s, 0), ld(s, r1), ld(s, r2)
			st(d, 0, v0)
			st(d, 4, v1)
			st(d, 8, v2)
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 12)
			v0, v1, v2 = ld(s, 0), ld(s, r1), ld(s, r2)
			st(d, 0, v0)
			st(d, 4, v1)
			st(d, 8, v2)
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 12)
			v0, v1, v2 = ld(s, 0), ld(s, r1), ld(s, r2)
			st(d, 0, v0)
			st(d, 4, v1)
			st(d, 8, v2)
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 12)
			v0, v1, v2 = ld(s, 0), ld(s, r1), ld(s, r2)
			st(d, 0, v0)
			st(d, 4, v1)
			st(d, 8, v2)
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 12)
		}
		for {
			v0, v1, v2 = ld(s, 0), ld(s, r1), ld(s, r2)
			st(d, 0, v0)
			st(d, 4, v1)
			st(d, 8, v2)
			if p++; p == k {
				break
			}
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 12)
		}
	case 4:
		// four at a time while a fifth follows, then one at a time
		for ; p+4 < k; p += 4 {
			v0, v1, v2, v3 = ld(s, 0), ld(s, r1), ld(s, r2), ld(s, r3)
			st(d, 0, v0)
			st(d, 4, v1)
			st(d, 8, v2)
			st(d, 12, v3)
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 16)
			v0, v1, v2, v3 = ld(s, 0), ld(s, r1), ld(s, r2), ld(s, r3)
			st(d, 0, v0)
			st(d, 4, v1)
			st(d, 8, v2)
			st(d, 12, v3)
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 16)
			v0, v1, v2, v3 = ld(s, 0), ld(s, r1), ld(s, r2), ld(s, r3)
			st(d, 0, v0)
			st(d, 4, v1)
			st(d, 8, v2)
			st(d, 12, v3)
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 16)
			v0, v1, v2, v3 = ld(s, 0), ld(s, r1), ld(s, r2), ld(s, r3)
			st(d, 0, v0)
			st(d, 4, v1)
			st(d, 8, v2)
			st(d, 12, v3)
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 16)
		}
		for {
			v0, v1, v2, v3 = ld(s, 0), ld(s, r1), ld(s, r2), ld(s, r3)
			st(d, 0, v0)
			st(d, 4, v1)
			st(d, 8, v2)
			st(d, 12, v3)
			if p++; p == k {
				break
			}
			s, d = unsafe.Add(s, dp), unsafe.Add(d, 16)
		}
	default:
		for p := 0; p < k; p++ {
			for r := 0; r < w; r++ {
				dst[p*w+r] = src[r*rs+p*ps]
			}
		}
	}
}
