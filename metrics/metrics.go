package metrics

import (
	"math"
	"slices"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// MaxROCPoints bounds the number of points [ROC] returns, so that a model
// file's calibration stays small whatever the size of the test set.
const MaxROCPoints = 256

// DefaultQuantiles are the probabilities [Calibrate] stores in
// Calibration.ValQuantiles.
var DefaultQuantiles = []float64{0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99}

// HistogramBins is the number of bins of Calibration.ValHistogram.
const HistogramBins = 30

// IsAnomalous is the verdict rule used everywhere: a score strictly above
// the threshold is anomalous, and a NaN score is always anomalous.
func IsAnomalous(score, threshold float64) bool {
	return math.IsNaN(score) || score > threshold
}

// compareScores orders scores ascending with NaN above everything (+Inf
// included); NaNs compare equal to each other.
func compareScores(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// labelled is one score with its class.
type labelled struct {
	score     float64
	anomalous bool
}

// group is a run of equal scores (a single threshold) with its class counts.
type group struct {
	score    float64
	pos, neg int
}

// groupsDescending sorts by score, highest first, and merges equal scores.
// It also returns the class totals. ok is false when the input is unusable.
func groupsDescending(scores []float64, anomalous []bool) (gs []group, pos, neg int, ok bool) {
	if len(scores) != len(anomalous) || len(scores) == 0 {
		return nil, 0, 0, false
	}
	items := make([]labelled, len(scores))
	for i, s := range scores {
		items[i] = labelled{s, anomalous[i]}
		if anomalous[i] {
			pos++
		} else {
			neg++
		}
	}
	slices.SortFunc(items, func(a, b labelled) int { return compareScores(b.score, a.score) })
	for i, it := range items {
		if i == 0 || compareScores(it.score, gs[len(gs)-1].score) != 0 {
			gs = append(gs, group{score: it.score})
		}
		g := &gs[len(gs)-1]
		if it.anomalous {
			g.pos++
		} else {
			g.neg++
		}
	}
	return gs, pos, neg, true
}

// AUROC is the area under the ROC curve: the probability that a random
// anomaly scores above a random normal image, ties counting 1/2 (the
// Mann-Whitney U statistic divided by the number of pairs). It is NaN when
// either class is empty or the slices differ in length.
func AUROC(scores []float64, anomalous []bool) float64 {
	gs, pos, neg, ok := groupsDescending(scores, anomalous)
	if !ok || pos == 0 || neg == 0 {
		return math.NaN()
	}
	// Walking from the highest score down, every anomaly beats the normals
	// still below it and ties with the normals in its own group. Credits are
	// multiples of 1/2 below 2^53, so the sum is exact.
	negBelow := neg
	var credit float64
	for _, g := range gs {
		negBelow -= g.neg
		credit += float64(g.pos) * (float64(negBelow) + 0.5*float64(g.neg))
	}
	return credit / (float64(pos) * float64(neg))
}

// AUPRC is the average precision, the area under the precision-recall curve
// as scikit-learn's average_precision_score defines it:
// sum over thresholds of (R_k - R_(k-1)) * P_k, one threshold per distinct
// score (tied scores enter together). It is NaN when either class is empty or
// the slices differ in length.
func AUPRC(scores []float64, anomalous []bool) float64 {
	gs, pos, neg, ok := groupsDescending(scores, anomalous)
	if !ok || pos == 0 || neg == 0 {
		return math.NaN()
	}
	var tp, fp int
	var ap, prevRecall float64
	for _, g := range gs {
		tp += g.pos
		fp += g.neg
		recall := float64(tp) / float64(pos)
		precision := float64(tp) / float64(tp+fp)
		ap += (recall - prevRecall) * precision
		prevRecall = recall
	}
	return ap
}

// countPoint is a ROC point in integer counts, exact for geometry tests.
type countPoint struct {
	threshold float64
	fp, tp    int
}

// ROC returns the ROC curve from (0, 0) to (1, 1): at each point's Threshold,
// images scoring strictly above it are called anomalous, giving FPR and TPR.
// Thresholds decrease along the curve. The last point's threshold is just
// below the lowest score. Thresholds are clamped to ±math.MaxFloat64 (NaN and
// +Inf scores become MaxFloat64) so the curve can be stored as JSON.
//
// The full curve has one point per distinct score; it is reduced to at most
// [MaxROCPoints] points by first dropping points that lie exactly on the
// straight line between their neighbours (which changes nothing, not even
// the area) and then, if still too many, by the Ramer-Douglas-Peucker
// simplification with the smallest tolerance that fits. ROC is nil when
// either class is empty or the slices differ in length.
func ROC(scores []float64, anomalous []bool) []modelfile.ROCPoint {
	gs, pos, neg, ok := groupsDescending(scores, anomalous)
	if !ok || pos == 0 || neg == 0 {
		return nil
	}
	pts := make([]countPoint, 0, len(gs)+1)
	var tp, fp int
	for i, g := range gs {
		// At threshold g.score, the groups before i are above it.
		pts = append(pts, countPoint{threshold: g.score, fp: fp, tp: tp})
		tp += g.pos
		fp += g.neg
		if i == len(gs)-1 {
			pts = append(pts, countPoint{threshold: below(g.score), fp: fp, tp: tp})
		}
	}
	pts = dropCollinear(pts)
	if len(pts) > MaxROCPoints {
		pts = simplify(pts, pos, neg, MaxROCPoints)
	}
	out := make([]modelfile.ROCPoint, len(pts))
	for i, p := range pts {
		out[i] = modelfile.ROCPoint{
			Threshold: clampFinite(p.threshold),
			FPR:       float64(p.fp) / float64(neg),
			TPR:       float64(p.tp) / float64(pos),
		}
	}
	return out
}

// below returns the largest float strictly below s (for NaN and +Inf:
// MaxFloat64, since NaN ranks above +Inf).
func below(s float64) float64 {
	if math.IsNaN(s) || math.IsInf(s, 1) {
		return math.MaxFloat64
	}
	if math.IsInf(s, -1) {
		return -math.MaxFloat64
	}
	return math.Nextafter(s, math.Inf(-1))
}

func clampFinite(v float64) float64 {
	switch {
	case math.IsNaN(v), math.IsInf(v, 1):
		return math.MaxFloat64
	case math.IsInf(v, -1):
		return -math.MaxFloat64
	}
	return v
}

// dropCollinear removes interior points on the segment between their kept
// neighbours. Counts are integers, so the test is exact.
func dropCollinear(pts []countPoint) []countPoint {
	if len(pts) < 3 {
		return pts
	}
	out := []countPoint{pts[0]}
	for i := 1; i < len(pts)-1; i++ {
		a, b, c := out[len(out)-1], pts[i], pts[i+1]
		cross := int64(b.fp-a.fp)*int64(c.tp-b.tp) - int64(b.tp-a.tp)*int64(c.fp-b.fp)
		if cross != 0 {
			out = append(out, b)
		}
	}
	return append(out, pts[len(pts)-1])
}

// simplify keeps at most max points (first and last always) with the
// Ramer-Douglas-Peucker algorithm in (FPR, TPR) space, bisecting the
// tolerance to the smallest one that fits.
func simplify(pts []countPoint, pos, neg, max int) []countPoint {
	xy := make([][2]float64, len(pts))
	for i, p := range pts {
		xy[i] = [2]float64{float64(p.fp) / float64(neg), float64(p.tp) / float64(pos)}
	}
	lo, hi := 0.0, 2.0 // every distance in the unit square is below 2
	keep := rdp(xy, hi)
	for range 60 {
		mid := (lo + hi) / 2
		k := rdp(xy, mid)
		if countTrue(k) <= max {
			hi, keep = mid, k
		} else {
			lo = mid
		}
	}
	out := make([]countPoint, 0, max)
	for i, k := range keep {
		if k {
			out = append(out, pts[i])
		}
	}
	return out
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// rdp marks the points Ramer-Douglas-Peucker keeps at tolerance eps
// (iterative, so long curves do not recurse deeply).
func rdp(xy [][2]float64, eps float64) []bool {
	keep := make([]bool, len(xy))
	keep[0], keep[len(xy)-1] = true, true
	stack := [][2]int{{0, len(xy) - 1}}
	for len(stack) > 0 {
		seg := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		a, b := seg[0], seg[1]
		if b-a < 2 {
			continue
		}
		ax, ay := xy[a][0], xy[a][1]
		dx, dy := xy[b][0]-ax, xy[b][1]-ay
		norm := math.Hypot(dx, dy)
		best, bestD := -1, -1.0
		for i := a + 1; i < b; i++ {
			px, py := xy[i][0]-ax, xy[i][1]-ay
			var d float64
			if norm == 0 {
				d = math.Hypot(px, py)
			} else {
				d = math.Abs(dx*py-dy*px) / norm
			}
			if d > bestD {
				best, bestD = i, d
			}
		}
		if bestD > eps {
			keep[best] = true
			stack = append(stack, [2]int{a, best}, [2]int{best, b})
		}
	}
	return keep
}

// F1 is the F1 score of the anomalous class when scores strictly above
// threshold (and NaN scores) are called anomalous: 2TP / (2TP + FP + FN).
// It is 0 when that denominator is 0 and NaN when the slices differ in
// length or are empty.
func F1(scores []float64, anomalous []bool, threshold float64) float64 {
	if len(scores) != len(anomalous) || len(scores) == 0 {
		return math.NaN()
	}
	var tp, fp, fn int
	for i, s := range scores {
		pred := IsAnomalous(s, threshold)
		switch {
		case pred && anomalous[i]:
			tp++
		case pred:
			fp++
		case anomalous[i]:
			fn++
		}
	}
	if 2*tp+fp+fn == 0 {
		return 0
	}
	return float64(2*tp) / float64(2*tp+fp+fn)
}

// Quantile returns the p-quantile of values with linear interpolation
// between order statistics (NumPy's default, Hyndman-Fan type 7):
// h = (n-1)p, q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
// p is clamped to [0, 1]; NaN values sort last. Quantile is NaN for an empty
// slice or a NaN p. values is not modified.
func Quantile(values []float64, p float64) float64 {
	if len(values) == 0 || math.IsNaN(p) {
		return math.NaN()
	}
	sorted := slices.Clone(values)
	slices.SortFunc(sorted, compareScores)
	return quantileSorted(sorted, p)
}

func quantileSorted(sorted []float64, p float64) float64 {
	p = math.Min(math.Max(p, 0), 1)
	h := float64(len(sorted)-1) * p
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	a, b := sorted[lo], sorted[lo+1]
	frac := h - float64(lo)
	if frac == 0 || a == b {
		return a
	}
	return a + frac*(b-a)
}

// Calibrate derives a model's calibration from the scores of held-out normal
// images: Threshold is the lowest validation score that leaves at most a
// fraction fpr of the validation normals strictly above it (exactly fpr when
// fpr*n is a whole number and the scores are distinct), ThresholdFPR the
// fraction actually above it, quantiles at [DefaultQuantiles], a
// [HistogramBins]-bin histogram from the lowest to the highest score, and
// ScoreScale spanning the same range. Non-finite scores (NaN, ±Inf) are left
// out and not counted in ValCount. Calibrate is nil when no finite score is
// left or fpr is not in [0, 1].
func Calibrate(valScores []float64, fpr float64) *modelfile.Calibration {
	if !(fpr >= 0 && fpr <= 1) {
		return nil
	}
	var s []float64
	for _, v := range valScores {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			s = append(s, v)
		}
	}
	if len(s) == 0 {
		return nil
	}
	slices.Sort(s)
	n := len(s)
	// The epsilon absorbs representation error such as 0.29*100 = 28.999...
	k := int(math.Floor(fpr*float64(n) + 1e-9))
	var threshold float64
	if k >= n {
		threshold = clampFinite(math.Nextafter(s[0], math.Inf(-1)))
	} else {
		threshold = s[n-1-k]
	}
	above := n - upperBound(s, threshold)
	c := &modelfile.Calibration{
		Threshold:    threshold,
		ThresholdFPR: float64(above) / float64(n),
		ValCount:     n,
		ValHistogram: Histogram(s, HistogramBins),
		ScoreScale:   modelfile.ScoreScale{Min: s[0], Max: s[n-1]},
	}
	for _, p := range DefaultQuantiles {
		c.ValQuantiles = append(c.ValQuantiles, modelfile.Quantile{P: p, Score: quantileSorted(s, p)})
	}
	if c.ScoreScale.Max == c.ScoreScale.Min {
		c.ScoreScale.Max = c.ValHistogram.Edges[len(c.ValHistogram.Edges)-1]
	}
	return c
}

// upperBound is the index of the first element of sorted greater than v.
func upperBound(sorted []float64, v float64) int {
	i, _ := slices.BinarySearchFunc(sorted, v, func(e, t float64) int {
		if e <= t {
			return -1
		}
		return 1
	})
	return i
}

// Histogram counts finite values in bins equal-width bins from the lowest to
// the highest value; the last bin includes its upper edge. When all values
// are equal there is one bin [v, v + max(|v|, 1)·1e-6] so that every bin has
// a positive width. Non-finite values are ignored; the result is nil when no
// finite value is left or bins < 1.
func Histogram(values []float64, bins int) *modelfile.Histogram {
	if bins < 1 {
		return nil
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if lo > hi {
		return nil
	}
	if lo == hi {
		bins = 1
		hi = lo + math.Max(math.Abs(lo), 1)*1e-6
	}
	h := &modelfile.Histogram{Edges: make([]float64, bins+1), Counts: make([]int, bins)}
	width := (hi - lo) / float64(bins)
	for i := range h.Edges {
		h.Edges[i] = lo + float64(i)*width
	}
	h.Edges[bins] = hi
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		b := int((v - lo) / width)
		b = min(max(b, 0), bins-1)
		h.Counts[b]++
	}
	return h
}

// Evaluate summarises a labelled test set scored by a model with the given
// threshold: AUROC, AUPRC, F1 at threshold, class counts and the reduced ROC
// curve. It is nil when either class is empty or the slices differ in length
// (AUROC is undefined then).
func Evaluate(scores []float64, anomalous []bool, threshold float64) *modelfile.TestResult {
	_, pos, neg, ok := groupsDescending(scores, anomalous)
	if !ok || pos == 0 || neg == 0 {
		return nil
	}
	return &modelfile.TestResult{
		AUROC:     AUROC(scores, anomalous),
		AUPRC:     AUPRC(scores, anomalous),
		F1:        F1(scores, anomalous, threshold),
		Normals:   neg,
		Anomalies: pos,
		ROC:       ROC(scores, anomalous),
	}
}
