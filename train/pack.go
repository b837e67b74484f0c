package train

import "unsafe"

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
func packA(ap []float32, a matrix, m, k, mp int) {
	for i0 := 0; i0 < mp; i0 += tileM {
		panel := ap[i0*k : (i0+tileM)*k]
		if i0+tileM <= m {
			packPanel(panel, a.data[i0*a.rs:], a.rs, a.cs, tileM, k)
			continue
		}
		for r := 0; r < tileM; r++ {
			i := i0 + r
			for p := 0; p < k; p++ {
				v := float32(0)
				if i < m {
					v = a.data[i*a.rs+p*a.cs]
				}
				panel[p*tileM+r] = v
			}
		}
	}
}

// packB writes B (k×n) in panels of tileN columns, k-major, zero columns
// past n.
func packB(bp []float32, b matrix, k, n, np int) {
	for j0 := 0; j0 < np; j0 += tileN {
		panel := bp[j0*k : (j0+tileN)*k]
		if j0+tileN <= n {
			packPanel(panel, b.data[j0*b.cs:], b.cs, b.rs, tileN, k)
			continue
		}
		for t := 0; t < tileN; t++ {
			j := j0 + t
			for p := 0; p < k; p++ {
				v := float32(0)
				if j < n {
					v = b.data[p*b.rs+j*b.cs]
				}
				panel[p*tileN+t] = v
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
