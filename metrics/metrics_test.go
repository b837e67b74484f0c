package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// exact is the tolerance for values computed by hand: the formulas are a
// handful of float64 operations, so only rounding of the last bit differs.
const exact = 1e-12

var nan = math.NaN()

func close(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}

func TestAUROCAndAUPRC(t *testing.T) {
	tests := []struct {
		name      string
		scores    []float64
		anomalous []bool
		auroc     float64
		auprc     float64
	}{
		// scikit-learn's documentation example: roc_auc 0.75, AP 0.8333.
		{"sklearn example", []float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.75, 5.0 / 6},
		{"perfect", []float64{0, 1}, []bool{false, true}, 1, 1},
		{"inverted", []float64{1, 0}, []bool{false, true}, 0, 0.5},
		{"single tie gets half credit", []float64{1, 1}, []bool{false, true}, 0.5, 0.5},
		// pairs (anomaly, normal): (2,1)=1 (2,2)=1/2 (3,1)=1 (3,2)=1 -> 3.5/4.
		// AP: threshold 3: R=1/2 P=1; threshold 2: R=1 P=2/3 -> 1/2 + 1/3.
		{"ties across classes", []float64{1, 2, 2, 3}, []bool{false, false, true, true}, 0.875, 5.0 / 6},
		{"all equal", []float64{7, 7, 7, 7}, []bool{false, true, false, true}, 0.5, 0.5},
		{"NaN ranks highest", []float64{nan, 5}, []bool{true, false}, 1, 1},
		{"NaN beats +Inf", []float64{math.Inf(1), nan}, []bool{true, false}, 0, 0.5},
		{"NaNs tie", []float64{nan, nan}, []bool{true, false}, 0.5, 0.5},
		{"no anomalies", []float64{1, 2}, []bool{false, false}, nan, nan},
		{"no normals", []float64{1, 2}, []bool{true, true}, nan, nan},
		{"empty", nil, nil, nan, nan},
		{"length mismatch", []float64{1, 2}, []bool{true}, nan, nan},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AUROC(tc.scores, tc.anomalous); !close(got, tc.auroc, exact) {
				t.Errorf("AUROC = %v, want %v", got, tc.auroc)
			}
			if got := AUPRC(tc.scores, tc.anomalous); !close(got, tc.auprc, exact) {
				t.Errorf("AUPRC = %v, want %v", got, tc.auprc)
			}
		})
	}
}

func TestROCHandComputed(t *testing.T) {
	scores := []float64{0.1, 0.4, 0.35, 0.8}
	anomalous := []bool{false, false, true, true}
	want := []modelfile.ROCPoint{
		{Threshold: 0.8, FPR: 0, TPR: 0},
		{Threshold: 0.4, FPR: 0, TPR: 0.5},
		{Threshold: 0.35, FPR: 0.5, TPR: 0.5},
		{Threshold: 0.1, FPR: 0.5, TPR: 1},
		{Threshold: math.Nextafter(0.1, -1), FPR: 1, TPR: 1},
	}
	got := ROC(scores, anomalous)
	if !slices.Equal(got, want) {
		t.Fatalf("ROC =\n%v\nwant\n%v", got, want)
	}
	// Each point's rates must be what its threshold gives with IsAnomalous.
	for _, p := range got {
		var fp, tp int
		for i, s := range scores {
			if IsAnomalous(s, p.Threshold) {
				if anomalous[i] {
					tp++
				} else {
					fp++
				}
			}
		}
		if float64(fp)/2 != p.FPR || float64(tp)/2 != p.TPR {
			t.Errorf("threshold %v: rates (%v, %v) but the scores give (%v, %v)", p.Threshold, p.FPR, p.TPR, float64(fp)/2, float64(tp)/2)
		}
	}
}

func TestROCDropsCollinearAndClampsNonFinite(t *testing.T) {
	// Three normals strictly below three anomalies: the full curve walks up
	// the TPR axis and then right; the interior points are collinear.
	scores := []float64{1, 2, 3, 4, 5, 6}
	anomalous := []bool{false, false, false, true, true, true}
	got := ROC(scores, anomalous)
	want := []modelfile.ROCPoint{{Threshold: 6, FPR: 0, TPR: 0}, {Threshold: 3, FPR: 0, TPR: 1}, {Threshold: math.Nextafter(1, 0), FPR: 1, TPR: 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("ROC = %v, want %v", got, want)
	}
	got = ROC([]float64{nan, math.Inf(1), 0}, []bool{true, false, false})
	for _, p := range got {
		if math.IsNaN(p.Threshold) || math.IsInf(p.Threshold, 0) {
			t.Errorf("threshold %v is not finite", p.Threshold)
		}
	}
	if ROC([]float64{1}, []bool{true}) != nil {
		t.Error("ROC with one class must be nil")
	}
}

// naiveAUROC compares every anomaly with every normal.
func naiveAUROC(scores []float64, anomalous []bool) float64 {
	var credit, pairs float64
	for i := range scores {
		if !anomalous[i] {
			continue
		}
		for j := range scores {
			if anomalous[j] {
				continue
			}
			pairs++
			switch compareScores(scores[i], scores[j]) {
			case 1:
				credit++
			case 0:
				credit += 0.5
			}
		}
	}
	return credit / pairs
}

// naiveAUPRC recomputes precision and recall from scratch at every distinct
// score, counting the images with a score at or above it.
func naiveAUPRC(scores []float64, anomalous []bool) float64 {
	distinct := slices.Clone(scores)
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	slices.Reverse(distinct)
	var pos int
	for _, a := range anomalous {
		if a {
			pos++
		}
	}
	var ap, prevRecall float64
	for _, th := range distinct {
		var tp, fp int
		for i, s := range scores {
			if s >= th {
				if anomalous[i] {
					tp++
				} else {
					fp++
				}
			}
		}
		recall := float64(tp) / float64(pos)
		ap += (recall - prevRecall) * float64(tp) / float64(tp+fp)
		prevRecall = recall
	}
	return ap
}

func randomSet(rng *rand.Rand, n int, levels int, shift float64) ([]float64, []bool) {
	scores := make([]float64, n)
	anomalous := make([]bool, n)
	for i := range scores {
		anomalous[i] = rng.IntN(3) == 0
		v := rng.NormFloat64()
		if anomalous[i] {
			v += shift
		}
		if levels > 0 { // quantise to force ties
			v = math.Round(v*float64(levels)) / float64(levels)
		}
		scores[i] = v
	}
	anomalous[0], anomalous[1] = true, false
	return scores, anomalous
}

func TestAgainstNaiveOnRandomData(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 60 {
		n := 2 + rng.IntN(400)
		levels := []int{0, 1, 4, 20}[trial%4]
		scores, anomalous := randomSet(rng, n, levels, rng.Float64()*2)
		if got, want := AUROC(scores, anomalous), naiveAUROC(scores, anomalous); !close(got, want, 1e-12) {
			t.Fatalf("trial %d (n=%d, levels=%d): AUROC %v, naive %v", trial, n, levels, got, want)
		}
		if got, want := AUPRC(scores, anomalous), naiveAUPRC(scores, anomalous); !close(got, want, 1e-9) {
			t.Fatalf("trial %d (n=%d, levels=%d): AUPRC %v, naive %v", trial, n, levels, got, want)
		}
	}
}

// TestAgainstGonum checks AUROC against gonum's ROC integrated with the
// trapezoidal rule (gonum's ROC counts y > cutoff as positive, as we do).
func TestAgainstGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 20 {
		scores, anomalous := randomSet(rng, 50+rng.IntN(300), []int{0, 5}[trial%2], 1)
		y := slices.Clone(scores)
		classes := slices.Clone(anomalous)
		stat.SortWeightedLabeled(y, classes, nil)
		tpr, fpr, _ := stat.ROC(nil, y, classes, nil)
		want := integrate.Trapezoidal(fpr, tpr)
		if got := AUROC(scores, anomalous); !close(got, want, 1e-12) {
			t.Fatalf("trial %d: AUROC %v, gonum %v", trial, got, want)
		}
	}
}

func rocArea(pts []modelfile.ROCPoint) float64 {
	var a float64
	for i := 1; i < len(pts); i++ {
		a += (pts[i].FPR - pts[i-1].FPR) * (pts[i].TPR + pts[i-1].TPR) / 2
	}
	return a
}

func TestROCReduction(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{10, 300, 5000, 40000} {
		scores, anomalous := randomSet(rng, n, 0, 1.2)
		pts := ROC(scores, anomalous)
		if len(pts) > MaxROCPoints {
			t.Fatalf("n=%d: %d points, want at most %d", n, len(pts), MaxROCPoints)
		}
		first, last := pts[0], pts[len(pts)-1]
		if first.FPR != 0 || first.TPR != 0 || last.FPR != 1 || last.TPR != 1 {
			t.Fatalf("n=%d: curve runs from %v to %v, want (0,0) to (1,1)", n, first, last)
		}
		for i := 1; i < len(pts); i++ {
			if pts[i].Threshold >= pts[i-1].Threshold || pts[i].FPR < pts[i-1].FPR || pts[i].TPR < pts[i-1].TPR {
				t.Fatalf("n=%d: point %d %v does not follow %v monotonically", n, i, pts[i], pts[i-1])
			}
		}
		// The simplification keeps the shape: its area stays within 0.005
		// of the exact AUROC (RDP tolerance at 256 points is far smaller).
		if a, auc := rocArea(pts), AUROC(scores, anomalous); math.Abs(a-auc) > 0.005 {
			t.Errorf("n=%d: reduced curve area %v, AUROC %v", n, a, auc)
		}
		if n <= 300 && len(pts) < MaxROCPoints {
			// Only collinear points were dropped: the area is exact.
			if a, auc := rocArea(pts), AUROC(scores, anomalous); !close(a, auc, 1e-12) {
				t.Errorf("n=%d: unreduced curve area %v, AUROC %v", n, a, auc)
			}
		}
	}
}

func TestF1(t *testing.T) {
	scores := []float64{0.1, 0.4, 0.35, 0.8}
	anomalous := []bool{false, false, true, true}
	tests := []struct {
		threshold, want float64
	}{
		{0.3, 0.8},     // TP 2, FP 1, FN 0 -> 4/5
		{0.5, 2.0 / 3}, // TP 1, FP 0, FN 1 -> 2/3
		{0.8, 0},       // nothing above: TP 0, FN 2
		{0.0, 2.0 / 3}, // everything anomalous: TP 2, FP 2 -> 4/6
		{0.35, 0.5},    // 0.35 itself is not above: TP 1, FP 1, FN 1
	}
	for _, tc := range tests {
		if got := F1(scores, anomalous, tc.threshold); !close(got, tc.want, exact) {
			t.Errorf("F1 at %v = %v, want %v", tc.threshold, got, tc.want)
		}
	}
	if got := F1([]float64{nan}, []bool{true}, 1); got != 1 {
		t.Errorf("F1 with a NaN anomaly = %v, want 1 (NaN is anomalous)", got)
	}
	if got := F1([]float64{0}, []bool{false}, 1); got != 0 {
		t.Errorf("F1 with nothing positive = %v, want 0", got)
	}
	if !math.IsNaN(F1(nil, nil, 0)) {
		t.Error("F1 of nothing must be NaN")
	}
}

func TestQuantile(t *testing.T) {
	tests := []struct {
		values []float64
		p      float64
		want   float64
	}{
		{[]float64{4, 1, 3, 2}, 0.5, 2.5},
		{[]float64{4, 1, 3, 2}, 0.25, 1.75}, // numpy.quantile([1,2,3,4], .25)
		{[]float64{4, 1, 3, 2}, 0, 1},
		{[]float64{4, 1, 3, 2}, 1, 4},
		{[]float64{4, 1, 3, 2}, 2, 4},
		{[]float64{4, 1, 3, 2}, -1, 1},
		{[]float64{5}, 0.3, 5},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 0.95, 10.5},
		{[]float64{3, nan, 1}, 0.5, 3}, // NaN sorts last
		{nil, 0.5, nan},
		{[]float64{1}, nan, nan},
	}
	for _, tc := range tests {
		orig := slices.Clone(tc.values)
		if got := Quantile(tc.values, tc.p); !close(got, tc.want, exact) {
			t.Errorf("Quantile(%v, %v) = %v, want %v", tc.values, tc.p, got, tc.want)
		}
		if !slices.EqualFunc(orig, tc.values, func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }) {
			t.Errorf("Quantile modified its input")
		}
	}
}

func TestCalibrate(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100 .. 1, unsorted on purpose
	}
	tests := []struct {
		name      string
		scores    []float64
		fpr       float64
		threshold float64
		gotFPR    float64
		count     int
	}{
		{"5% of 100", hundred, 0.05, 95, 0.05, 100},
		{"29% of 100 (0.29*100 rounds below 29)", hundred, 0.29, 71, 0.29, 100},
		{"0% keeps the maximum", hundred, 0, 100, 0, 100},
		{"100% goes below the minimum", hundred, 1, math.Nextafter(1, 0), 1, 100},
		{"fewer than 1/fpr scores", []float64{3, 1, 2}, 0.05, 3, 0, 3},
		{"ties at the threshold", []float64{1, 2, 2, 2, 3}, 0.2, 2, 0.2, 5},
		{"ties reduce the rate", []float64{1, 2, 2, 2, 2}, 0.2, 2, 0, 5},
		{"non-finite left out", []float64{nan, math.Inf(1), 1, 2, 3, 4}, 0.25, 3, 0.25, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Calibrate(tc.scores, tc.fpr)
			if c == nil {
				t.Fatal("nil calibration")
			}
			if c.Threshold != tc.threshold || !close(c.ThresholdFPR, tc.gotFPR, exact) || c.ValCount != tc.count {
				t.Errorf("threshold %v at FPR %v over %d, want %v at %v over %d", c.Threshold, c.ThresholdFPR, c.ValCount, tc.threshold, tc.gotFPR, tc.count)
			}
			var total int
			for _, n := range c.ValHistogram.Counts {
				total += n
			}
			if total != c.ValCount || len(c.ValHistogram.Edges) != len(c.ValHistogram.Counts)+1 {
				t.Errorf("histogram %+v does not hold %d values", c.ValHistogram, c.ValCount)
			}
			if len(c.ValQuantiles) != len(DefaultQuantiles) {
				t.Errorf("%d quantiles, want %d", len(c.ValQuantiles), len(DefaultQuantiles))
			}
			if !(c.ScoreScale.Max > c.ScoreScale.Min) {
				t.Errorf("score scale %+v is empty", c.ScoreScale)
			}
		})
	}
	c := Calibrate(hundred, 0.05)
	if c.ValQuantiles[3].P != 0.5 || c.ValQuantiles[3].Score != 50.5 {
		t.Errorf("median %+v, want 50.5", c.ValQuantiles[3])
	}
	if c.ScoreScale != (modelfile.ScoreScale{Min: 1, Max: 100}) {
		t.Errorf("score scale %+v, want 1..100", c.ScoreScale)
	}
	if len(c.ValHistogram.Counts) != HistogramBins || c.ValHistogram.Edges[0] != 1 || c.ValHistogram.Edges[HistogramBins] != 100 {
		t.Errorf("histogram edges %v", c.ValHistogram.Edges)
	}
	for _, bad := range []float64{-0.1, 1.1, nan} {
		if Calibrate(hundred, bad) != nil {
			t.Errorf("Calibrate with fpr %v must be nil", bad)
		}
	}
	if Calibrate([]float64{nan}, 0.05) != nil || Calibrate(nil, 0.05) != nil {
		t.Error("Calibrate without finite scores must be nil")
	}
	one := Calibrate([]float64{2, 2, 2}, 0.05)
	if len(one.ValHistogram.Counts) != 1 || one.ValHistogram.Counts[0] != 3 {
		t.Errorf("equal scores: histogram %+v, want one bin of 3", one.ValHistogram)
	}
}

func TestHistogramCounts(t *testing.T) {
	h := Histogram([]float64{0, 0.5, 1, 1.5, 2, nan}, 4)
	if want := []int{1, 1, 1, 2}; !slices.Equal(h.Counts, want) {
		t.Errorf("counts %v, want %v (last bin includes its upper edge)", h.Counts, want)
	}
	if want := []float64{0, 0.5, 1, 1.5, 2}; !slices.Equal(h.Edges, want) {
		t.Errorf("edges %v, want %v", h.Edges, want)
	}
}

func TestEvaluate(t *testing.T) {
	scores := []float64{0.1, 0.4, 0.35, 0.8}
	anomalous := []bool{false, false, true, true}
	r := Evaluate(scores, anomalous, 0.3)
	if r == nil {
		t.Fatal("nil result")
	}
	if !close(r.AUROC, 0.75, exact) || !close(r.AUPRC, 5.0/6, exact) || !close(r.F1, 0.8, exact) ||
		r.Normals != 2 || r.Anomalies != 2 || len(r.ROC) != 5 {
		t.Errorf("Evaluate = %+v", r)
	}
	if Evaluate(scores, []bool{true, true, true, true}, 0) != nil {
		t.Error("Evaluate without normals must be nil")
	}
}

func TestIsAnomalous(t *testing.T) {
	tests := []struct {
		score, threshold float64
		want             bool
	}{{1, 1, false}, {1.0000001, 1, true}, {0, 1, false}, {nan, 1, true}, {math.Inf(1), 1, true}}
	for _, tc := range tests {
		if got := IsAnomalous(tc.score, tc.threshold); got != tc.want {
			t.Errorf("IsAnomalous(%v, %v) = %v, want %v", tc.score, tc.threshold, got, tc.want)
		}
	}
}

func BenchmarkAUROC(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	scores, anomalous := randomSet(rng, 10000, 0, 1)
	for b.Loop() {
		AUROC(scores, anomalous)
	}
}
