package metrics

import (
	"math"
	"slices"
	"sort"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// OnlineROC is the ROC and AUROC of a growing set of scores: each Add costs
// a binary search (and a memmove of the class's sorted scores) instead of
// the sort over everything that [AUROC] and [ROC] do, so a live view can
// show both after every new score. Its numbers follow the package's
// conventions (ties 1/2, NaN above everything) and equal [AUROC]'s exactly.
// The zero value is empty and ready to use.
type OnlineROC struct {
	pos, neg []float64 // scores of each class, ascending (compareScores)
	credit   float64   // Mann-Whitney credit: pairs won by the anomaly, ties 1/2
}

// Add records one score with its class.
func (o *OnlineROC) Add(score float64, anomalous bool) {
	if anomalous {
		// It beats the normals below it and ties with the equal ones.
		lo, hi := span(o.neg, score)
		o.credit += float64(lo) + 0.5*float64(hi-lo)
		o.pos = slices.Insert(o.pos, hi2(o.pos, score), score)
		return
	}
	lo, hi := span(o.pos, score)
	o.credit += float64(len(o.pos)-hi) + 0.5*float64(hi-lo)
	o.neg = slices.Insert(o.neg, hi2(o.neg, score), score)
}

// span returns the range [lo, hi) of the scores in s equal to v.
func span(s []float64, v float64) (lo, hi int) {
	lo = sort.Search(len(s), func(i int) bool { return compareScores(s[i], v) >= 0 })
	hi = lo + sort.Search(len(s)-lo, func(i int) bool { return compareScores(s[lo+i], v) > 0 })
	return lo, hi
}

// hi2 is the insertion index after every score equal to v.
func hi2(s []float64, v float64) int {
	_, hi := span(s, v)
	return hi
}

// Counts returns the number of anomalous and normal scores added.
func (o *OnlineROC) Counts() (anomalous, normal int) { return len(o.pos), len(o.neg) }

// AUROC is [AUROC] of everything added: NaN while either class is empty.
func (o *OnlineROC) AUROC() float64 {
	if len(o.pos) == 0 || len(o.neg) == 0 {
		return math.NaN()
	}
	return o.credit / (float64(len(o.pos)) * float64(len(o.neg)))
}

// Curve returns the ROC from (0, 0) to (1, 1) in [ROC]'s form, without its
// simplification: every threshold where the curve bends. When res > 0 a
// point closer than res (in FPR and in TPR) to the last one kept is left out,
// the first and last always kept: res = 1/500 draws a 250-pixel chart
// exactly at a fraction of the points. Curve is nil while either class is
// empty. It walks every score once.
func (o *OnlineROC) Curve(res float64) []modelfile.ROCPoint {
	P, N := len(o.pos), len(o.neg)
	if P == 0 || N == 0 {
		return nil
	}
	pts := make([]countPoint, 0, 64)
	i, j := P-1, N-1 // walk both classes from the highest score down
	var tp, fp int
	for i >= 0 || j >= 0 {
		var s float64
		switch {
		case i < 0:
			s = o.neg[j]
		case j < 0:
			s = o.pos[i]
		case compareScores(o.pos[i], o.neg[j]) >= 0:
			s = o.pos[i]
		default:
			s = o.neg[j]
		}
		pts = append(pts, countPoint{threshold: s, fp: fp, tp: tp})
		for i >= 0 && compareScores(o.pos[i], s) == 0 {
			tp, i = tp+1, i-1
		}
		for j >= 0 && compareScores(o.neg[j], s) == 0 {
			fp, j = fp+1, j-1
		}
		if i < 0 && j < 0 {
			pts = append(pts, countPoint{threshold: below(s), fp: fp, tp: tp})
		}
	}
	pts = dropCollinear(pts)
	out := make([]modelfile.ROCPoint, 0, len(pts))
	for k, p := range pts {
		pt := modelfile.ROCPoint{Threshold: clampFinite(p.threshold), FPR: float64(p.fp) / float64(N), TPR: float64(p.tp) / float64(P)}
		if res > 0 && k > 0 && k < len(pts)-1 {
			last := out[len(out)-1]
			if math.Abs(pt.FPR-last.FPR) < res && math.Abs(pt.TPR-last.TPR) < res {
				continue
			}
		}
		out = append(out, pt)
	}
	return out
}
