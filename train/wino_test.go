package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ganomaly-go/ganomaly/spec"
)

// winoTol bounds |Winograd − direct| / max|direct| (in float64) of the
// three products of a stride-2 layer at GANomaly's sizes. F(2×2, 2×2) only
// adds and subtracts; F(4×4, 2×2) multiplies by the constants of G (up to
// 8/3) and sums more terms per transformed value, so its float32 rounding
// error is a few times larger, still far below what training notices
// (the parity tests against PyTorch bound the weights after 5 steps).
var winoTol = map[int]float64{2: 2e-6, 4: 1e-5}

// TestWinogradError compares F(2×2, 2×2) and F(4×4, 2×2) with the direct
// sums for the forward product L, its adjoint Lᵀ and the weight gradient,
// on the shapes of GANomaly's pyramid at ngf 16 (isize 32) and on a wide
// one, with weights of the reference initialisation's scale.
func TestWinogradError(t *testing.T) {
	for _, sz := range []struct{ c, o, h int }{{1, 16, 16}, {16, 32, 8}, {32, 64, 4}, {64, 32, 4}, {3, 8, 16}} {
		s := spec.LayerSpec{Op: spec.Conv, InC: sz.c, OutC: sz.o, K: 4, S: 2, P: 1, InH: 2 * sz.h, OutH: sz.h}
		rng := rand.New(rand.NewPCG(uint64(sz.c), uint64(sz.h)))
		w := randSlice(rng, sz.o*sz.c*16, 0, 0.02)
		big := randSlice(rng, sz.c*testBatch*4*sz.h*sz.h, 0, 1)
		small := randSlice(rng, sz.o*testBatch*sz.h*sz.h, 0, 1)
		wantL := naiveForward(s, f64(w), nil, nil, nil, nil, f64(big), Train)
		wantLT, wantDW := naiveConvGrads(s, f64(w), f64(big), f64(small))
		for _, m := range []int{2, 4} {
			if sz.h%m != 0 {
				continue
			}
			t.Run(fmt.Sprintf("%dto%d-h%d-F%d", sz.c, sz.o, sz.h, m), func(t *testing.T) {
				g := wgeom{c: sz.c, o: sz.o, h: sz.h, b: testBatch, m: m, th: sz.h / m, t: testBatch * (sz.h / m) * (sz.h / m)}
				var wb winoBuffers
				wb.reserve(g)
				var gm gemmer
				g.weights(w, &wb)
				g.transformBig(big, &wb)
				gotL := make([]float32, len(small))
				g.lmap(&wb, gotL, &gm)
				g.transformSmall(small, &wb)
				gotLT := make([]float32, len(big))
				g.lmapT(&wb, gotLT, &gm)
				gotDW := make([]float32, len(w))
				g.weightGrad(&wb, gotDW, &gm)
				for _, c := range []struct {
					name string
					got  []float32
					want []float64
				}{{"L", gotL, wantL}, {"Lᵀ", gotLT, wantLT}, {"dw", gotDW, wantDW}} {
					d := maxRel(t, c.name, c.got, c.want)
					t.Logf("%s: %.3g", c.name, d)
					if d > winoTol[m] {
						t.Errorf("%s differs from the direct sum by %.3g (relative) > %g", c.name, d, winoTol[m])
					}
				}
			})
		}
	}
}
