package metrics

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestOnlineROCEqualsBatch adds scores one at a time (ties, NaN and
// infinities included) and compares with AUROC and ROC over the same scores
// after every step: AUROC exactly, the curve point for point while ROC has
// no reason to simplify.
func TestOnlineROCEqualsBatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n      int
		levels int // distinct score values (few: many ties)
	}{
		{"ties", 120, 5},
		{"distinct", 150, 0},
		{"special values", 60, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.n)))
			var o OnlineROC
			var scores []float64
			var anomalous []bool
			for k := 0; k < tc.n; k++ {
				s := rng.Float64()
				if tc.levels > 0 {
					s = float64(rng.IntN(tc.levels))
				}
				if tc.name == "special values" && k%7 == 3 {
					s = []float64{math.NaN(), math.Inf(1), math.Inf(-1)}[k%3]
				}
				a := rng.IntN(3) == 0
				o.Add(s, a)
				scores, anomalous = append(scores, s), append(anomalous, a)
				want, got := AUROC(scores, anomalous), o.AUROC()
				if !(want == got || math.IsNaN(want) && math.IsNaN(got)) {
					t.Fatalf("after %d scores: AUROC %v, online %v", k+1, want, got)
				}
				if roc := ROC(scores, anomalous); len(roc) < MaxROCPoints && !reflect.DeepEqual(roc, o.Curve(0)) {
					t.Fatalf("after %d scores: ROC %v\nonline %v", k+1, roc, o.Curve(0))
				}
			}
			if p, n := o.Counts(); p+n != tc.n {
				t.Fatalf("counts %d+%d, want %d", p, n, tc.n)
			}
		})
	}
}

// TestOnlineROCCurveResolution: a coarse curve keeps both ends and never
// moves less than res between kept points (but the last).
func TestOnlineROCCurveResolution(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	var o OnlineROC
	for k := 0; k < 10000; k++ {
		a := rng.IntN(2) == 0
		s := rng.NormFloat64()
		if a {
			s += 1
		}
		o.Add(s, a)
	}
	full, coarse := o.Curve(0), o.Curve(1.0/500)
	if len(coarse) >= len(full) || len(coarse) > 1100 {
		t.Fatalf("%d points of %d kept", len(coarse), len(full))
	}
	if coarse[0] != full[0] || coarse[len(coarse)-1] != full[len(full)-1] {
		t.Fatalf("ends moved: %v %v vs %v %v", coarse[0], coarse[len(coarse)-1], full[0], full[len(full)-1])
	}
	for i := 1; i < len(coarse)-1; i++ {
		a, b := coarse[i-1], coarse[i]
		if math.Abs(a.FPR-b.FPR) < 1.0/500 && math.Abs(a.TPR-b.TPR) < 1.0/500 {
			t.Fatalf("points %d and %d closer than the resolution: %v %v", i-1, i, a, b)
		}
	}
}

func BenchmarkOnlineROCAdd10k(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	s := make([]float64, 10000)
	for i := range s {
		s[i] = rng.Float64()
	}
	for b.Loop() {
		var o OnlineROC
		for i, v := range s {
			o.Add(v, i%2 == 0)
		}
	}
}
