package ui

import (
	"math"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/app/trainspec"
)

func TestTrainCharts(t *testing.T) {
	pts := []lossPoint{{Steps: 1, G: 40, Adv: 0.1, Con: 0.8, Enc: 0.01, D: 0.7}, {Steps: 2, G: 30, Adv: 0.05, Con: 0.6, Enc: 0.02, D: 0.5}}
	for _, tc := range []struct {
		name, svg string
		want      []string
	}{
		{"losses", lossSVG(pts), []string{`data-points="2"`, `data-con-first="0.8"`, `data-con-last="0.6"`, "errG", "errD", "1e-2"}},
		{"no losses", lossSVG(nil), []string{"after the first step"}},
		{"auroc", aurocSVG([]aurocPoint{{Steps: 5, AUROC: 0.7}, {Steps: 10, AUROC: 0.9}}, 20), []string{`data-points="2"`, "0.900 at step 10", "chance"}},
		{"histogram", trainHistSVG(&trainspec.Eval{Edges: []float64{0, 1, 2}, Normals: []int{3, 1}, Anomalies: []int{0, 4}, Threshold: ptr(1.5)}), []string{`data-bins="2"`, "threshold", "anomalies"}},
		{"no histogram", trainHistSVG(nil), []string{"first evaluation"}},
	} {
		for _, w := range tc.want {
			if !strings.Contains(tc.svg, w) {
				t.Errorf("%s: %q missing", tc.name, w)
			}
		}
		if strings.Contains(tc.svg, "NaN") {
			t.Errorf("%s: NaN in the SVG", tc.name)
		}
	}
}

func ptr(v float64) *float64 { return &v }

func TestTrainEstimateAndSentence(t *testing.T) {
	d := &Demo{}
	d.train.init()
	secs, images := d.train.estimate()
	// The class demo at the assumed speed: 3000 × 5 images at 115 images/s.
	if images != 3000 || math.Abs(secs-130.4) > 10 {
		t.Errorf("estimate %v s for %d images, want about 130 s for 3000", secs, images)
	}
	if s := d.trainSentence(); !strings.Contains(s, "Press Start") {
		t.Errorf("idle sentence %q", s)
	}
	d.train.status = trainspec.Running
	d.train.aurocs = []aurocPoint{{Steps: 10, AUROC: 0.9}, {Steps: 20, AUROC: 0.6}}
	if s := d.trainSentence(); !strings.Contains(s, "AUROC 0.60") || !strings.Contains(s, "swing") {
		t.Errorf("sentence after a drop %q", s)
	}
	for _, tc := range []struct {
		s    float64
		want string
	}{{12, "12 s"}, {125, "2 min 05 s"}, {math.NaN(), "–"}} {
		if got := fmtDuration(tc.s); got != tc.want {
			t.Errorf("fmtDuration(%v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}
