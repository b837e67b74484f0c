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

// The charts' text alternatives: the latest numbers in words.
func TestTrainChartTexts(t *testing.T) {
	pts := []lossPoint{{Steps: 1, G: 40, Adv: 0.1, Con: 0.8, Enc: 0.01, D: 0.7}, {Steps: 2, G: 30, Adv: 0.05, Con: 0.6, Enc: 0.02, D: 0.5}}
	ev := &trainspec.Eval{Steps: 7, Edges: []float64{0, 1, 2}, Normals: []int{3, 1}, Anomalies: []int{0, 4}, Threshold: ptr(1.5)}
	for _, tc := range []struct {
		name, got string
		want      []string
	}{
		{"losses", lossText(pts), []string{"After step 2", "errG 30", "con 0.600", "errD 0.500", "started at 0.800"}},
		{"no losses", lossText(nil), []string{"No losses yet"}},
		{"auroc", aurocText([]aurocPoint{{Steps: 5, Epoch: 0, AUROC: 0.7}, {Steps: 10, Epoch: 1, AUROC: 0.9}}), []string{"AUROC 0.900 at step 10;", "before that 0.70", "chance"}},
		{"no auroc", aurocText(nil), []string{"No evaluation yet"}},
		{"histogram", trainHistText(ev), []string{"after step 7", "4 held-out normals, most near 0.500", "4 anomalies, most near 1.5", "threshold 1.5"}},
		{"no anomalies", trainHistText(&trainspec.Eval{Edges: []float64{0, 1}, Normals: []int{2}, Anomalies: []int{0}}), []string{"2 held-out normals"}},
		{"no histogram", trainHistText(nil), []string{"No scores yet"}},
	} {
		for _, w := range tc.want {
			if !strings.Contains(tc.got, w) {
				t.Errorf("%s: %q missing in %q", tc.name, w, tc.got)
			}
		}
		if tc.name == "no anomalies" && strings.Contains(tc.got, "anomalies") {
			t.Errorf("%s: %q speaks of anomalies", tc.name, tc.got)
		}
	}
}

// Own images: what the Train view says about picked or dropped files.
func TestTrainSetFolder(t *testing.T) {
	files := func(n int, dir string) []trainFile {
		var f []trainFile
		for i := range n {
			f = append(f, trainFile{Name: dir + "img" + strings.Repeat("x", i) + ".png"})
		}
		return f
	}
	for _, tc := range []struct {
		name     string
		got      []trainFile
		skipped  []string
		wantErr  string
		wantNote []string
	}{
		{"enough", append(files(100, ""), files(4, "d/0.normal/")...), []string{"notes.txt: not an image"}, "",
			[]string{"100 normal images for training, 4 labelled", "1 files skipped: notes.txt: not an image"}},
		{"too few", files(20, ""), nil, "20 usable normal images", []string{"no AUROC"}},
		{"labelled only", files(5, "d/1.abnormal/"), nil, "0 usable normal images", nil},
		{"no images", nil, []string{"a.txt: not an image"}, "No images among the 1 files", nil},
	} {
		var st trainState
		st.init()
		st.setFolder(tc.got, tc.skipped)
		if tc.wantErr == "" && st.err != "" || !strings.Contains(st.err, tc.wantErr) {
			t.Errorf("%s: error %q, want %q", tc.name, st.err, tc.wantErr)
		}
		for _, w := range tc.wantNote {
			if !strings.Contains(st.folderNote, w) {
				t.Errorf("%s: note %q lacks %q", tc.name, st.folderNote, w)
			}
		}
		if st.st.Source != "folder" {
			t.Errorf("%s: source %q", tc.name, st.st.Source)
		}
		if tc.name == "enough" {
			// 100 normals: 10 held out, 90 to train on.
			if _, n := st.estimate(); n != 90 {
				t.Errorf("%s: the estimate counts %d training images, want 90", tc.name, n)
			}
		}
	}
}
