package calibration

import (
	"bytes"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/metrics"
	"github.com/ganomaly-go/ganomaly/modelfile"
)

func writeGrey(t *testing.T, path string, rng *rand.Rand, noise bool) {
	t.Helper()
	m := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range m.Pix {
		m.Pix[i] = 120
		if noise {
			m.Pix[i] = uint8(rng.IntN(256))
		}
	}
	var b bytes.Buffer
	png.Encode(&b, m)
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDecide runs every rule of Decide on a random-weight model with a
// folder of normal images and a labelled folder.
func TestDecide(t *testing.T) {
	f, err := engine.Fold(engine.Init(modelfile.Arch{ISize: 16, NC: 1, NZ: 8, NGF: 8}, 3))
	if err != nil {
		t.Fatal(err)
	}
	model, err := engine.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	normals, test := filepath.Join(dir, "val"), filepath.Join(dir, "test")
	for i := range 8 {
		n := string(rune('a' + i))
		writeGrey(t, filepath.Join(normals, n+".png"), rng, i%2 == 0)
		writeGrey(t, filepath.Join(test, "0.normal", n+".png"), rng, false)
		writeGrey(t, filepath.Join(test, "1.abnormal", n+".png"), rng, true)
	}
	paths, err := ListImages(normals)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := Score(model, paths, 2)
	if err != nil {
		t.Fatal(err)
	}
	fresh := metrics.Calibrate(scores, 0.25)
	stored := &modelfile.Calibration{Threshold: 123, ValCount: 99, Test: &modelfile.TestResult{AUROC: 0.7, AUPRC: 0.6, F1: 0.5, Normals: 3, Anomalies: 3}}

	for _, tc := range []struct {
		name     string
		req      Request
		stored   *modelfile.Calibration
		wantErr  string
		nilCal   bool
		thresh   float64 // 0: not checked
		testAUC  float64 // -1: no test numbers; 0: not checked
		f1Zero   bool
		freshAUC bool // test numbers scored on the labelled folder
	}{
		{name: "normals recompute the threshold", req: Request{Normals: normals, FPR: 0.25}, thresh: fresh.Threshold, testAUC: -1},
		{name: "same scores keep the stored calibration whole", req: Request{SameScores: true}, stored: stored, thresh: 123, testAUC: 0.7},
		{name: "other scores refuse the stored calibration", req: Request{DType: "i8", Source: "ckpt"}, stored: stored, wantErr: "-calibrate DIR"},
		{name: "keep-calibration carries it over", req: Request{KeepStored: true, DType: "i8"}, stored: stored, thresh: 123, testAUC: 0.7},
		{name: "nothing stored, no normals: no calibration", req: Request{}, nilCal: true},
		{name: "test without a threshold", req: Request{Test: test}, wantErr: "-test needs a threshold"},
		{name: "recomputed, same scores: AUROC kept, F1 dropped", req: Request{Normals: normals, FPR: 0.25, SameScores: true}, stored: stored, thresh: fresh.Threshold, testAUC: 0.7, f1Zero: true},
		{name: "recomputed, other scores: stored test numbers dropped", req: Request{Normals: normals, FPR: 0.25, DType: "i8"}, stored: stored, thresh: fresh.Threshold, testAUC: -1},
		{name: "test folder scored", req: Request{Normals: normals, FPR: 0.25, Test: test, Workers: 3}, stored: stored, thresh: fresh.Threshold, freshAUC: true},
		{name: "labelled folder without anomalies", req: Request{Normals: normals, FPR: 0.25, Test: normals}, wantErr: "1.abnormal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st *modelfile.Calibration
			if tc.stored != nil {
				c := *tc.stored
				tr := *c.Test
				c.Test = &tr
				st = &c
			}
			cal, err := Decide(tc.req, st, model, nil)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one with %q", err, tc.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			case tc.nilCal:
				if cal != nil {
					t.Fatalf("calibration %+v, want none", cal)
				}
				return
			case cal == nil:
				t.Fatal("no calibration")
			}
			if tc.thresh != 0 && cal.Threshold != tc.thresh {
				t.Errorf("threshold %v, want %v", cal.Threshold, tc.thresh)
			}
			switch {
			case tc.freshAUC:
				if cal.Test == nil || cal.Test.Normals != 8 || cal.Test.Anomalies != 8 || cal.Test.AUROC == 0.7 {
					t.Errorf("test numbers %+v, want the labelled folder's (8 + 8)", cal.Test)
				}
			case tc.testAUC == -1:
				if cal.Test != nil {
					t.Errorf("test numbers %+v, want none", cal.Test)
				}
			case tc.testAUC != 0:
				if cal.Test == nil || cal.Test.AUROC != tc.testAUC || (cal.Test.F1 == 0) != tc.f1Zero {
					t.Errorf("test numbers %+v, want AUROC %v (F1 dropped: %v)", cal.Test, tc.testAUC, tc.f1Zero)
				}
			}
		})
	}
	if st := stored; st.Threshold != 123 || st.Test.F1 != 0.5 {
		t.Error("Decide changed the stored calibration")
	}
}
