//go:build wasm

package engine

import "unsafe"

// The GEMM micro-kernel for WebAssembly: 3×4 register tiles (see gemm).
// gemm_other.go has the native one. Both sum every output over k in
// increasing order, one float32-rounded product at a time, so they give
// bit-identical results.

const tileM = 3 // rows of A per register tile

// gemm computes c[i][j] = Σ_k A[i][k]·B[k][j] for i < mp, j < np, with A
// packed in panels of tileM = 3 rows (ap, mp rows, k-major) and B packed in
// panels of tileN = 4 columns (bp, k-major). c has mp rows of stride np. Each
// sum runs over k in increasing order.
//
// Go's wasm backend has 16 float32 registers. Column by column (3 values of
// A held, one of B at a time), a 3×4 tile needs 12 accumulators + 4 operands
// while the products stay on the wasm operand stack; unrolled 4 times over
// k it measured 5-10 percent faster under node than the 2×4 tile of native
// code, and twice as fast as 4×4, which spills on every step.
//
// The inner loop walks A and B with pointers (package unsafe) once the
// slices' lengths have been checked: with slices, every step of 4 k
// re-slices both operands (pointer, length and capacity, each with its own
// wasm arithmetic), and the kernel ran 10-15% slower in node (an index or
// offset counter instead of moving pointers was slower still). Go's wasm
// backend cannot fold a constant offset into a float load, so each of the
// 28 loads of a step still costs an address add. After a panel's last step
// the pointers point one element past it, so ap and bp must have at least
// one element of capacity beyond mp·k and np·k (gemmSlack; checked).
//
// Built with the wasmsimd tag, gemm first offers the product to the
// JavaScript host's SIMD kernel (host_wasm.go), which sums in the same
// order: four times the multiply-adds per instruction, the same bits.
func gemm(ap, bp, c []float32, mp, k, np int) {
	if mp <= 0 || np <= 0 || k <= 0 {
		return
	}
	// The pointers below stay inside these (the capacity included).
	ap, bp, c = ap[:mp*k+1], bp[:np*k+1], c[:mp*np]
	if !ran(hostGEMM(&ap[0], &bp[0], &c[0], int32(mp), int32(k), int32(np))) {
		gemmGo(ap, bp, c, mp, k, np)
	}
}

// gemmGo is gemm in Go, for operands that gemm has checked.
func gemmGo(ap, bp, c []float32, mp, k, np int) {
	k4 := k &^ 3
	for i0 := 0; i0 < mp; i0 += tileM {
		for j0 := 0; j0 < np; j0 += tileN {
			pa, pb := unsafe.Pointer(&ap[i0*k]), unsafe.Pointer(&bp[j0*k])
			end := uintptr(pa) + uintptr(4*tileM*k4)
			var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23 float32
			var a0, a1, a2, b float32
			for uintptr(pa) < end {
				a := (*[4 * tileM]float32)(pa)
				bb := (*[4 * tileN]float32)(pb)
				a0, a1, a2 = a[0], a[1], a[2]
				b = bb[0]
				c00 += float32(a0 * b)
				c10 += float32(a1 * b)
				c20 += float32(a2 * b)
				b = bb[1]
				c01 += float32(a0 * b)
				c11 += float32(a1 * b)
				c21 += float32(a2 * b)
				b = bb[2]
				c02 += float32(a0 * b)
				c12 += float32(a1 * b)
				c22 += float32(a2 * b)
				b = bb[3]
				c03 += float32(a0 * b)
				c13 += float32(a1 * b)
				c23 += float32(a2 * b)
				a0, a1, a2 = a[3], a[4], a[5]
				b = bb[4]
				c00 += float32(a0 * b)
				c10 += float32(a1 * b)
				c20 += float32(a2 * b)
				b = bb[5]
				c01 += float32(a0 * b)
				c11 += float32(a1 * b)
				c21 += float32(a2 * b)
				b = bb[6]
				c02 += float32(a0 * b)
				c12 += float32(a1 * b)
				c22 += float32(a2 * b)
				b = bb[7]
				c03 += float32(a0 * b)
				c13 += float32(a1 * b)
				c23 += float32(a2 * b)
				a0, a1, a2 = a[6], a[7], a[8]
				b = bb[8]
				c00 += float32(a0 * b)
				c10 += float32(a1 * b)
				c20 += float32(a2 * b)
				b = bb[9]
				c01 += float32(a0 * b)
				c11 += float32(a1 * b)
				c21 += float32(a2 * b)
				b = bb[10]
				c02 += float32(a0 * b)
				c12 += float32(a1 * b)
				c22 += float32(a2 * b)
				b = bb[11]
				c03 += float32(a0 * b)
				c13 += float32(a1 * b)
				c23 += float32(a2 * b)
				a0, a1, a2 = a[9], a[10], a[11]
				b = bb[12]
				c00 += float32(a0 * b)
				c10 += float32(a1 * b)
				c20 += float32(a2 * b)
				b = bb[13]
				c01 += float32(a0 * b)
				c11 += float32(a1 * b)
				c21 += float32(a2 * b)
				b = bb[14]
				c02 += float32(a0 * b)
				c12 += float32(a1 * b)
				c22 += float32(a2 * b)
				b = bb[15]
				c03 += float32(a0 * b)
				c13 += float32(a1 * b)
				c23 += float32(a2 * b)
				pa, pb = unsafe.Add(pa, 4*4*tileM), unsafe.Add(pb, 4*4*tileN)
			}
			for q := k4; q < k; q++ {
				a := (*[tileM]float32)(pa)
				bb := (*[tileN]float32)(pb)
				a0, a1, a2 = a[0], a[1], a[2]
				b = bb[0]
				c00 += float32(a0 * b)
				c10 += float32(a1 * b)
				c20 += float32(a2 * b)
				b = bb[1]
				c01 += float32(a0 * b)
				c11 += float32(a1 * b)
				c21 += float32(a2 * b)
				b = bb[2]
				c02 += float32(a0 * b)
				c12 += float32(a1 * b)
				c22 += float32(a2 * b)
				b = bb[3]
				c03 += float32(a0 * b)
				c13 += float32(a1 * b)
				c23 += float32(a2 * b)
				pa, pb = unsafe.Add(pa, 4*tileM), unsafe.Add(pb, 4*tileN)
			}
			r := c[i0*np+j0 : i0*np+j0+tileN]
			r[0], r[1], r[2], r[3] = c00, c01, c02, c03
			r = c[(i0+1)*np+j0 : (i0+1)*np+j0+tileN]
			r[0], r[1], r[2], r[3] = c10, c11, c12, c13
			r = c[(i0+2)*np+j0 : (i0+2)*np+j0+tileN]
			r[0], r[1], r[2], r[3] = c20, c21, c22, c23
		}
	}
}
