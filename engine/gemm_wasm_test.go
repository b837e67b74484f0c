//go:build wasm

package engine

import (
	"math"
	"slices"
	"testing"
	"time"
)

// gemmSlices is the previous wasm kernel (the same 3×4 tile and summation
// order, walking A and B by re-slicing), kept to check and measure gemm.

func gemmSlices(ap, bp, c []float32, mp, k, np int) {
	for i0 := 0; i0 < mp; i0 += tileM {
		panel := ap[i0*k : (i0+tileM)*k]
		for j0 := 0; j0 < np; j0 += tileN {
			a, bb := panel, bp[j0*k:(j0+tileN)*k]
			var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23 float32
			var a0, a1, a2, b float32
			for len(a) >= 4*tileM && len(bb) >= 4*tileN {
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
				a, bb = a[4*tileM:], bb[4*tileN:]
			}
			for len(a) >= tileM && len(bb) >= tileN {
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
				a, bb = a[tileM:], bb[tileN:]
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

// TestGemmMatchesSlices: the pointer kernel gives the same bits as the
// slice kernel, for k not a multiple of 4 too.
func TestGemmMatchesSlices(t *testing.T) {
	for _, sh := range [][3]int{{3, 1, 4}, {6, 7, 8}, {12, 16, 4}, {9, 33, 12}, {129, 256, 16}} {
		mp, k, np := sh[0], sh[1], sh[2]
		ap := randomInput(mp*k, 1)
		ap = append(ap, make([]float32, gemmSlack)...)[:mp*k]
		bp := randomInput(np*k, 2)
		bp = append(bp, make([]float32, gemmSlack)...)[:np*k]
		c1, c2 := make([]float32, mp*np), make([]float32, mp*np)
		gemm(ap, bp, c1, mp, k, np)
		gemmSlices(ap, bp, c2, mp, k, np)
		for i := range c1 {
			if math.Float32bits(c1[i]) != math.Float32bits(c2[i]) {
				t.Fatalf("%v: c[%d] = %v, slice kernel %v", sh, i, c1[i], c2[i])
			}
		}
	}
}

// BenchmarkGemmKernels alternates the pointer and the slice kernel on the
// product groups of every Winograd layer of the default 32×32×1 model and
// reports the ratio of their median times (same process, same data).
func BenchmarkGemmKernels(b *testing.B) {
	m, err := Load(Init(benchArchs[0], 1))
	if err != nil {
		b.Fatal(err)
	}
	run := func(l *layer, f func(ap, bp, c []float32, mp, k, np int)) time.Duration {
		t0 := time.Now()
		as, vs, cs := l.mp*l.k, l.k*l.np, l.mp*l.np
		for g := 0; g < l.groups; g++ {
			f(l.ap[g*as:(g+1)*as], m.ws.bp[g*vs:(g+1)*vs], m.ws.c[g*cs:(g+1)*cs], l.mp, l.k, l.np)
		}
		return time.Since(t0)
	}
	var fast, slow []time.Duration
	for i := 0; i < b.N; i++ {
		var tf, ts time.Duration
		for _, l := range m.layers() {
			if l.kind == kindWinoConv || l.kind == kindWinoConvT {
				tf += run(l, gemm)
				ts += run(l, gemmSlices)
			}
		}
		fast, slow = append(fast, tf), append(slow, ts)
	}
	slices.Sort(fast)
	slices.Sort(slow)
	mf, ms := float64(fast[len(fast)/2].Nanoseconds()), float64(slow[len(slow)/2].Nanoseconds())
	b.ReportMetric(mf/1e6, "ms/image")
	b.ReportMetric(ms/1e6, "slices-ms/image")
	b.ReportMetric(ms/mf, "speedup")
	b.ReportMetric(0, "ns/op")
}
