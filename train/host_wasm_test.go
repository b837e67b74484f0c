//go:build wasm && wasmsimd

package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/spec"
)

// TestHostWinoMatchesGo: the host's SIMD transforms (engine.HostWino4; the
// kernels scripts/wasm/exec.js installs under node) give the Go code's
// bits for every F(4×4, 2×2) geometry of GANomaly's pyramid (small side 4,
// 8 and 16: one, two and four tiles per row) and for batches whose tile
// count is not a multiple of the four lanes (the short last group).
// bigInverse4's 5×5 tiles overlap, so the order of its adds is checked
// too. With GANOMALY_SIMD=0 the host declines every transform.
func TestHostWinoMatchesGo(t *testing.T) {
	want := os.Getenv("GANOMALY_SIMD") != "0"
	for _, sz := range []struct{ c, o, h, b int }{{1, 4, 16, 1}, {2, 3, 8, 3}, {3, 2, 4, 5}, {2, 2, 4, 2}, {1, 2, 8, 1}, {4, 8, 4, 64}} {
		t.Run(fmt.Sprintf("c%d-o%d-h%d-b%d", sz.c, sz.o, sz.h, sz.b), func(t *testing.T) {
			g := wgeom{c: sz.c, o: sz.o, h: sz.h, b: sz.b, m: 4, th: sz.h / 4, t: sz.b * (sz.h / 4) * (sz.h / 4)}
			rng := rand.New(rand.NewPCG(uint64(sz.h), uint64(sz.b)))
			var wb winoBuffers
			wb.reserve(g)
			H := 2 * g.h
			big := randSlice(rng, g.c*g.b*H*H, 0, 1)
			small := randSlice(rng, g.o*g.b*g.h*g.h, 0, 1)
			mBig := randSlice(rng, 25*g.kc()*g.t+4, 0, 1)
			mSmall := randSlice(rng, 25*g.o*g.t+4, 0, 1)
			run := func(tiles func(*winoBuffers) ([]int32, []int32)) (v, s, sm, bg []float32) {
				st, bt := tiles(&wb)
				v, s = make([]float32, len(wb.v)), make([]float32, len(wb.s))
				g.bigTransform4(big, v, wb.pad, bt)
				g.smallTransform4(small, s, st)
				sm = make([]float32, len(small))
				g.smallInverse4(mSmall, sm, st)
				bg = make([]float32, len(big))
				g.bigInverse4(mBig, bg, wb.pad, bt)
				return
			}
			hv, hs, hsm, hbg := run(func(wb *winoBuffers) ([]int32, []int32) { return wb.smallTiles, wb.bigTiles })
			gv, gs, gsm, gbg := run(func(*winoBuffers) ([]int32, []int32) { return nil, nil })
			for _, c := range []struct {
				name      string
				host, goc []float32
			}{{"bigTransform4", hv, gv}, {"smallTransform4", hs, gs}, {"smallInverse4", hsm, gsm}, {"bigInverse4", hbg, gbg}} {
				for i := range c.host {
					if math.Float32bits(c.host[i]) != math.Float32bits(c.goc[i]) {
						t.Fatalf("%s: element %d = %v, Go code %v", c.name, i, c.host[i], c.goc[i])
					}
				}
			}
			// Did the host run them? (One call with the tables.)
			ran := engine.HostWino4(engine.WinoSmallTransform4, small[:g.b*g.h*g.h], make([]float32, len(wb.s)), wb.smallTiles, 4*g.o*g.t, 4*g.h)
			if ran != want {
				t.Fatalf("host transform ran: %v, want %v (GANOMALY_SIMD=%q)", ran, want, os.Getenv("GANOMALY_SIMD"))
			}
		})
	}
}

// TestHostPackMatchesGo: packRows with the host's SIMD packing gives the
// panel layout element for element, for the layouts the kernel takes
// (row-major with 3- and 4-row panels, transposed with 4) and one it
// leaves to Go, with k not a multiple of 4 and a partial last panel.
func TestHostPackMatchesGo(t *testing.T) {
	want := os.Getenv("GANOMALY_SIMD") != "0"
	for _, c := range []struct {
		name       string
		m, k, w    int
		transposed bool
		host       bool
	}{
		{"row-major-w4", 8, 13, 4, false, true},
		{"row-major-w3", 9, 16, 3, false, true},
		{"row-major-w3-partial", 7, 5, 3, false, true},
		{"transposed-w4", 12, 7, 4, true, true},
		{"transposed-w4-partial", 6, 9, 4, true, true},
		{"transposed-w3", 6, 9, 3, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(c.m), uint64(c.k)))
			data := randSlice(rng, c.m*c.k, 0, 1)
			a := rowMajor(data, c.k)
			if c.transposed {
				a = rowMajor(data, c.m).t()
			}
			mp := roundUp(c.m, c.w)
			dst := make([]float32, mp*c.k)
			packRows(dst, a, c.m, c.k, mp, c.w)
			for i := 0; i < mp; i++ {
				for p := 0; p < c.k; p++ {
					var v float32
					if i < c.m {
						v = a.data[i*a.rs+p*a.cs]
					}
					if got := dst[(i/c.w)*c.w*c.k+p*c.w+i%c.w]; math.Float32bits(got) != math.Float32bits(v) {
						t.Fatalf("element (%d, %d) packed as %v, want %v", i, p, got, v)
					}
				}
			}
			full := c.m / c.w * c.w
			if ran := engine.HostPack(make([]float32, full*c.k), a.data, a.rs, a.cs, c.w, full, c.k); ran != (want && c.host) {
				t.Fatalf("host packing ran: %v, want %v", ran, want && c.host)
			}
		})
	}
}

// TestHostElementwiseMatchesGo: BatchNorm's normalisation with each fused
// activation, its backward pass and both forms of Adam's update give the
// Go code's bits in the host's SIMD kernels, for lengths with a scalar
// tail (not a multiple of four) and without.
func TestHostElementwiseMatchesGo(t *testing.T) {
	want := os.Getenv("GANOMALY_SIMD") != "0"
	same := func(t *testing.T, what string, host, goc []float32) {
		t.Helper()
		for i := range host {
			if math.Float32bits(host[i]) != math.Float32bits(goc[i]) {
				t.Fatalf("%s: element %d = %v, Go code %v", what, i, host[i], goc[i])
			}
		}
	}
	for _, n := range []int{1, 3, 4, 7, 64, 1023} {
		rng := rand.New(rand.NewPCG(uint64(n), 9))
		z := randSlice(rng, n, 0.1, 1)
		for _, act := range []spec.Act{spec.None, spec.LeakyReLU, spec.ReLU} {
			host, goc := make([]float32, n), make([]float32, n)
			ran := engine.HostBNApply(hostAct(act), z, host, 0.07, 1.3, -0.02, spec.LeakySlope)
			if ran != want {
				t.Fatalf("HostBNApply ran: %v, want %v", ran, want)
			}
			if !ran {
				continue
			}
			bnApply(act, z, goc, 0.07, 1.3, -0.02)
			same(t, fmt.Sprintf("bnApply %v n %d", act, n), host, goc)
		}
		d := randSlice(rng, n, 0, 1)
		host, goc := append([]float32(nil), d...), append([]float32(nil), d...)
		if engine.HostBNBackApply(host, z, 0.07, 2.1, 0.9, 0.013, -0.2) {
			bnBackApply(goc, z, 0.07, 2.1, 0.9, 0.013, -0.2)
			same(t, fmt.Sprintf("bnBackApply n %d", n), host, goc)
		}
		for _, w := range []float32{0.1, 0.5, 0.9} {
			g := randSlice(rng, n, 0, 1)
			val, m, v := randSlice(rng, n, 0, 1), randSlice(rng, n, 0, 0.1), randSlice(rng, n, 0.5, 0.1)
			for i := range v {
				v[i] *= v[i]
			}
			hv, hm, hvv := append([]float32(nil), val...), append([]float32(nil), m...), append([]float32(nil), v...)
			if engine.HostAdam(w >= 0.5, hv, g, hm, hvv, w, 1-w, 0.999, 1-0.999, 1e-8, -2e-4/0.5, 0.0447) {
				adamTensor(val, g, m, v, w, 0.999, 1-0.999, 1e-8, -2e-4/0.5, 0.0447)
				same(t, fmt.Sprintf("adam w %v n %d: m", w, n), hm, m)
				same(t, fmt.Sprintf("adam w %v n %d: v", w, n), hvv, v)
				same(t, fmt.Sprintf("adam w %v n %d: val", w, n), hv, val)
			}
		}
	}
}
