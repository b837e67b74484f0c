package ui

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// Chart colours, shared with the CSS (web/app.css).
const (
	colNormal    = "#2f7d4f"
	colAnomalous = "#c0392b"
	colLatentI   = "#2563eb"
	colLatentO   = "#ea7a14"
	colAxis      = "#555"
	colBar       = "#9db4d6"
)

func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

// HistogramSVG draws the calibration histogram of validation-normal scores
// with the threshold (dashed) and the current score (a marker coloured by
// the verdict). score may be NaN (no image yet).
func HistogramSVG(c *modelfile.Calibration, score, threshold, xmin, xmax float64) string {
	const W, H, L, R, T, B = 560.0, 200.0, 40.0, 16.0, 16.0, 34.0
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 0 %v %v" role="img" aria-label="calibration histogram">`, W, H)
	if c == nil || c.ValHistogram == nil || len(c.ValHistogram.Counts) == 0 {
		fmt.Fprintf(&sb, `<text x="%v" y="%v" text-anchor="middle" class="muted">This model has no calibration histogram.</text></svg>`, W/2, H/2)
		return sb.String()
	}
	h := c.ValHistogram
	if !(xmax > xmin) {
		xmin, xmax = h.Edges[0], h.Edges[len(h.Edges)-1]
	}
	maxCount := 1
	for _, n := range h.Counts {
		maxCount = max(maxCount, n)
	}
	px := func(v float64) float64 {
		return L + (math.Min(xmax, math.Max(xmin, v))-xmin)/(xmax-xmin)*(W-L-R)
	}
	py := func(n float64) float64 { return H - B - n/float64(maxCount)*(H-T-B) }
	for i, n := range h.Counts {
		if h.Edges[i+1] < xmin || h.Edges[i] > xmax {
			continue
		}
		x0, x1 := px(h.Edges[i]), px(h.Edges[i+1])
		fmt.Fprintf(&sb, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, f2(x0), f2(py(float64(n))), f2(math.Max(0.5, x1-x0-0.5)), f2(H-B-py(float64(n))), colBar)
	}
	fmt.Fprintf(&sb, `<line x1="%v" y1="%v" x2="%v" y2="%v" stroke="%s"/>`, L, H-B, W-R, H-B, colAxis)
	for i := 0; i <= 4; i++ {
		v := xmin + float64(i)/4*(xmax-xmin)
		anchor := map[int]string{0: "start", 4: "end"}[i]
		if anchor == "" {
			anchor = "middle"
		}
		fmt.Fprintf(&sb, `<text x="%s" y="%v" text-anchor="%s" class="tick">%s</text>`, f2(px(v)), H-B+16, anchor, formatTick(v))
	}
	fmt.Fprintf(&sb, `<text x="%v" y="%v" class="tick" text-anchor="end">%d validation normals</text>`, W-R, T+4, c.ValCount)
	if !math.IsNaN(threshold) {
		x := px(threshold)
		lx := math.Min(math.Max(x, L+30), W-R-30) // keep the label inside
		fmt.Fprintf(&sb, `<line x1="%s" y1="%v" x2="%s" y2="%v" stroke="#222" stroke-dasharray="5 4" stroke-width="2"/><text x="%s" y="%v" class="tick" text-anchor="middle">threshold</text>`, f2(x), T, f2(x), H-B, f2(lx), H-4)
	}
	if !math.IsNaN(score) {
		col := colNormal
		if score > threshold {
			col = colAnomalous
		}
		x := px(score)
		fmt.Fprintf(&sb, `<path d="M%s %v l-8 -14 h16 z" fill="%s"/><line x1="%s" y1="%v" x2="%s" y2="%v" stroke="%s" stroke-width="3"/>`, f2(x), H-B, col, f2(x), T+10, f2(x), H-B, col)
	}
	sb.WriteString(`</svg>`)
	return sb.String()
}

func formatTick(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 1:
		return fmt.Sprintf("%.2g", v)
	case a >= 0.001:
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.1e", v)
}

// LatentSVG plots the nz latent values of E1(x) and E2(x̂) side by side, with
// the squared differences (whose mean is the score) as a bar strip below.
func LatentSVG(li, lo []float32) string {
	const W, H, L, R, T = 560.0, 220.0, 30.0, 10.0, 12.0
	const mid, strip = 120.0, 60.0 // bottom of the line plot, height of the strip
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 0 %v %v" role="img" aria-label="latent vectors">`, W, H)
	n := min(len(li), len(lo))
	if n == 0 {
		sb.WriteString(`</svg>`)
		return sb.String()
	}
	m, maxSq := 1e-9, 1e-12
	for i := 0; i < n; i++ {
		m = math.Max(m, math.Max(math.Abs(float64(li[i])), math.Abs(float64(lo[i]))))
		d := float64(li[i] - lo[i])
		maxSq = math.Max(maxSq, d*d)
	}
	px := func(i int) float64 { return L + (float64(i)+0.5)/float64(n)*(W-L-R) }
	py := func(v float32) float64 { return T + (1-float64(v)/m)/2*(mid-T) }
	fmt.Fprintf(&sb, `<line x1="%v" y1="%s" x2="%v" y2="%s" stroke="#bbb"/>`, L, f2(py(0)), W-R, f2(py(0)))
	poly := func(v []float32, col string) {
		fmt.Fprintf(&sb, `<polyline fill="none" stroke="%s" stroke-width="1.6" points="`, col)
		for i := 0; i < n; i++ {
			fmt.Fprintf(&sb, "%s,%s ", f2(px(i)), f2(py(v[i])))
		}
		sb.WriteString(`"/>`)
	}
	poly(li, colLatentI)
	poly(lo, colLatentO)
	bw := (W - L - R) / float64(n)
	base := mid + 18 + strip
	for i := 0; i < n; i++ {
		d := float64(li[i] - lo[i])
		hgt := d * d / maxSq * strip
		fmt.Fprintf(&sb, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, f2(px(i)-bw/2), f2(base-hgt), f2(math.Max(0.6, bw-0.6)), f2(hgt), colAnomalous)
	}
	fmt.Fprintf(&sb, `<text x="%v" y="%v" class="tick" fill="%s">latentI = E1(x)</text><text x="%v" y="%v" class="tick" fill="%s">latentO = E2(x̂)</text>`, L, T+2, colLatentI, L+130, T+2, colLatentO)
	fmt.Fprintf(&sb, `<text x="%v" y="%v" class="tick">(latentI − latentO)² per dimension: their mean is the score</text>`, L, H-4)
	sb.WriteString(`</svg>`)
	return sb.String()
}

// ROCSVG draws a ROC curve (FPR on x, TPR on y) with its AUROC and, when
// at is not nil, a dot at the current threshold's rates.
func ROCSVG(pts []modelfile.ROCPoint, auroc float64, at *[2]float64, title string) string {
	const S, L, B = 260.0, 36.0, 30.0
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart roc" viewBox="0 0 %v %v" role="img" aria-label="ROC curve">`, S+L, S+B)
	px := func(f float64) float64 { return L + f*(S-10) }
	py := func(t float64) float64 { return 10 + (1-t)*(S-10) }
	fmt.Fprintf(&sb, `<rect x="%v" y="10" width="%v" height="%v" fill="none" stroke="%s"/>`, L, S-10, S-10, colAxis)
	fmt.Fprintf(&sb, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#bbb" stroke-dasharray="4 4"/>`, f2(px(0)), f2(py(0)), f2(px(1)), f2(py(1)))
	if len(pts) > 0 {
		sb.WriteString(`<polyline fill="none" stroke="` + colLatentI + `" stroke-width="2.5" points="`)
		for _, p := range pts {
			fmt.Fprintf(&sb, "%s,%s ", f2(px(p.FPR)), f2(py(p.TPR)))
		}
		sb.WriteString(`"/>`)
	}
	if at != nil {
		fmt.Fprintf(&sb, `<circle cx="%s" cy="%s" r="6" fill="%s"/>`, f2(px(at[0])), f2(py(at[1])), colAnomalous)
	}
	fmt.Fprintf(&sb, `<text x="%v" y="%v" class="tick" text-anchor="middle">false-positive rate</text>`, L+(S-10)/2, S+B-6)
	fmt.Fprintf(&sb, `<text x="12" y="%v" class="tick" text-anchor="middle" transform="rotate(-90 12 %v)">true-positive rate</text>`, 10+(S-10)/2, 10+(S-10)/2)
	// Bottom right: below any ROC curve worth drawing.
	fmt.Fprintf(&sb, `<text x="%v" y="%v" class="big" text-anchor="end">%s AUROC %.3f</text>`, L+S-22, S-14, html.EscapeString(title), auroc)
	sb.WriteString(`</svg>`)
	return sb.String()
}
