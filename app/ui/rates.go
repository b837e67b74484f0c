package ui

import (
	"math"
	"sort"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// Rates are the error rates of a threshold, read from the model's
// calibration: FPR on validation normals (always, when calibrated) and the
// test ROC's FPR and TPR (when the model was tested on labelled data).
type Rates struct {
	ValFPR           float64 // share of validation normals scoring above the threshold
	HasVal           bool
	TestFPR, TestTPR float64
	HasTest          bool
}

// RatesAt returns the rates at threshold t.
func RatesAt(c *modelfile.Calibration, t float64) Rates {
	var r Rates
	if c == nil || math.IsNaN(t) {
		return r
	}
	if h := c.ValHistogram; h != nil && len(h.Counts) > 0 && len(h.Edges) == len(h.Counts)+1 {
		r.ValFPR, r.HasVal = histogramAbove(h, t), true
	}
	if c.Test != nil && len(c.Test.ROC) > 0 {
		r.TestFPR, r.TestTPR = rocAt(c.Test.ROC, t)
		r.HasTest = true
	}
	return r
}

// histogramAbove is the share of the histogram's mass above t, assuming
// values spread evenly inside each bin.
func histogramAbove(h *modelfile.Histogram, t float64) float64 {
	total, above := 0.0, 0.0
	for i, n := range h.Counts {
		lo, hi := h.Edges[i], h.Edges[i+1]
		total += float64(n)
		switch {
		case t <= lo:
			above += float64(n)
		case t < hi && hi > lo:
			above += float64(n) * (hi - t) / (hi - lo)
		}
	}
	if total == 0 {
		return 0
	}
	return above / total
}

// rocAt interpolates the ROC linearly in the threshold. Points are ordered
// by decreasing threshold (metrics.ROC); above the first point nothing is
// anomalous, below the last everything is.
func rocAt(roc []modelfile.ROCPoint, t float64) (fpr, tpr float64) {
	pts := append([]modelfile.ROCPoint(nil), roc...)
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].Threshold > pts[j].Threshold })
	if t >= pts[0].Threshold {
		return pts[0].FPR, pts[0].TPR
	}
	last := pts[len(pts)-1]
	if t <= last.Threshold {
		return last.FPR, last.TPR
	}
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i] // a.Threshold > t >= b.Threshold
		if t >= b.Threshold {
			if a.Threshold == b.Threshold {
				return b.FPR, b.TPR
			}
			w := (a.Threshold - t) / (a.Threshold - b.Threshold)
			return a.FPR + w*(b.FPR-a.FPR), a.TPR + w*(b.TPR-a.TPR)
		}
	}
	return last.FPR, last.TPR
}

// SliderRange is the range of the threshold slider and of the calibration
// histogram's axis (so the two line up): from a little below the lowest
// validation score (or 0) to a little above the largest score of interest
// (threshold, histogram, ROC, scores seen).
func SliderRange(c *modelfile.Calibration, seen ...float64) (lo, hi float64) {
	hi = 0
	lo = math.Inf(1)
	consider := func(v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) && v < math.MaxFloat64/2 && v > hi {
			hi = v
		}
	}
	if c != nil {
		consider(c.Threshold * 1.5)
		if h := c.ValHistogram; h != nil && len(h.Edges) > 1 {
			first, last := h.Edges[0], h.Edges[len(h.Edges)-1]
			consider(last + 0.25*(last-first))
			lo = math.Max(0, first-0.25*(last-first))
		}
		if c.Test != nil {
			for _, p := range c.Test.ROC {
				consider(p.Threshold)
			}
		}
	}
	for _, s := range seen {
		consider(s * 1.25)
		lo = math.Min(lo, s*0.8)
	}
	if hi == 0 {
		hi = 1
	}
	if !(lo < hi) || lo < 0 {
		lo = 0
	}
	return lo, hi
}

// SliderSteps is the resolution of every slider on the page. Sliders run
// from 0 to 100 (step 0.1) and map to their real range in Go: go-app sets an
// element's attributes in map order, and a value set before min, max or
// step would be clamped to the browser's defaults (0, 100, 1).
const SliderSteps = 100.0

// ToSlider maps v in [lo, hi] to a slider position in [0, SliderSteps].
func ToSlider(v, lo, hi float64) float64 {
	if !(hi > lo) {
		return 0
	}
	p := (v - lo) / (hi - lo) * SliderSteps
	return math.Round(math.Min(SliderSteps, math.Max(0, p))*10) / 10
}

// FromSlider maps a slider position back to [lo, hi].
func FromSlider(p, lo, hi float64) float64 {
	return lo + (hi-lo)*math.Min(SliderSteps, math.Max(0, p))/SliderSteps
}
