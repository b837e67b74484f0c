package trainjob

import (
	"bytes"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
	"github.com/ganomaly-go/ganomaly/train"
)

// mnistJob is a job with settings st on the MNIST subset sub.
func mnistJob(tb testing.TB, sub *Subset, st Settings) *Job {
	tb.Helper()
	d, err := MNISTData(sub, st)
	if err != nil {
		tb.Fatal(err)
	}
	j, err := New(st, d)
	if err != nil {
		tb.Fatal(err)
	}
	return j
}

func loadSubset(t testing.TB) *Subset {
	t.Helper()
	b, err := os.ReadFile("../../web/train/mnist-subset.bin.gz")
	if err != nil {
		t.Fatal(err)
	}
	s, err := DecodeSubset(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSubsetRoundTrip(t *testing.T) {
	s := loadSubset(t)
	if len(s.Images) != 5000 {
		t.Fatalf("%d digits in the bundled subset, want 5000 (500 per digit)", len(s.Images))
	}
	var count [10]int
	for _, l := range s.Labels {
		count[l]++
	}
	for d, c := range count {
		if c != 500 {
			t.Errorf("digit %d: %d images, want 500", d, c)
		}
	}
	var buf bytes.Buffer
	if err := EncodeSubset(&buf, s); err != nil {
		t.Fatal(err)
	}
	back, err := DecodeSubset(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Labels, s.Labels) || !bytes.Equal(back.Images[4999], s.Images[4999]) {
		t.Error("round trip changed the subset")
	}
	for _, bad := range [][]byte{nil, []byte("not gzip"), buf.Bytes()[:100]} {
		if _, err := DecodeSubset(bad); err == nil {
			t.Errorf("DecodeSubset(%d bytes) accepted damaged data", len(bad))
		}
	}
}

func tiny() Settings {
	st := DefaultSettings()
	st.NGF, st.Images, st.Epochs = 8, 256, 1
	return st
}

func TestMNISTSplit(t *testing.T) {
	d, err := MNISTData(loadSubset(t), DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	tr, val, nn, na := d.Counts()
	// 4500 normals: 3600 train pool (360 held out), 900 test normals; 500 twos.
	if tr != 3000 || val != 360 || nn != 900 || na != 500 {
		t.Errorf("split train %d val %d test normals %d anomalies %d, want 3000 360 900 500", tr, val, nn, na)
	}
	if strings.Join(d.Dataset.AbnormalClasses, ",") != "2" || d.Dataset.Name != "mnist" {
		t.Errorf("dataset %+v", d.Dataset)
	}
	for _, bad := range [][]int{{}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {11}} {
		st := DefaultSettings()
		st.Normal = bad
		if _, err := MNISTData(loadSubset(t), st); err == nil {
			t.Errorf("normal digits %v accepted", bad)
		}
	}
}

// TestTinyRun trains a tiny model for one epoch, evaluates it and exports
// it: the exported file's scores are the engine's for the same images.
func TestTinyRun(t *testing.T) {
	st := tiny()
	j := mnistJob(t, loadSubset(t), st)
	var first, last float64
	for !j.Done() {
		ls, err := j.Step()
		if err != nil {
			t.Fatal(err)
		}
		if j.Steps() == 1 {
			first = ls.ErrGCon
		}
		last = ls.ErrGCon
	}
	if j.Steps() != 4 || j.Epoch() != 1 {
		t.Errorf("%d steps, epoch %d: want 4 steps of 64 in one epoch of 256", j.Steps(), j.Epoch())
	}
	if !(last < first) {
		t.Errorf("reconstruction loss did not fall: %v then %v", first, last)
	}
	ev, err := j.Evaluate()
	if err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(ev.AUROC) || len(ev.Normals) != HistBins || len(ev.StripX) != 8 || math.IsNaN(ev.Threshold) {
		t.Errorf("evaluation: AUROC %v, %d bins, strip %d, threshold %v", ev.AUROC, len(ev.Normals), len(ev.StripX), ev.Threshold)
	}
	for _, dt := range []string{engine.DTypeF32, engine.DTypeI8} {
		b, err := j.Export(dt)
		if err != nil {
			t.Fatal(err)
		}
		f, err := modelfile.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if f.Meta.Calibration == nil || f.Meta.Calibration.Test == nil || f.Meta.Dataset.AbnormalClasses[0] != "2" {
			t.Fatalf("%s: exported metadata lacks calibration, test result or classes: %+v", dt, f.Meta)
		}
		if dt == engine.DTypeF32 && math.Abs(f.Meta.Calibration.Test.AUROC-ev.AUROC) > 1e-9 {
			t.Errorf("F32 export AUROC %v, evaluation %v", f.Meta.Calibration.Test.AUROC, ev.AUROC)
		}
	}
	if _, err := j.Step(); err == nil {
		t.Error("a finished run took another step")
	}
}

func TestFolderData(t *testing.T) {
	st := tiny()
	st.Batch = 16
	sub := loadSubset(t)
	var files []File
	png := func(i int) []byte {
		var buf bytes.Buffer
		if err := encodeGrayPNG(&buf, sub.Images[i]); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for i := 0; i < 40; i++ {
		files = append(files, File{Name: "normals/" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".png", Bytes: png(i)})
	}
	files = append(files, File{Name: "normals/notes.txt", Bytes: []byte("hello")}, File{Name: "normals/broken.png", Bytes: []byte("\x89PNG broken")})
	files = append(files, File{Name: "test/0.normal/a.png", Bytes: png(100)}, File{Name: "test/1.abnormal/b.png", Bytes: png(101)})
	d, err := FolderData(files, st, "")
	if err != nil {
		t.Fatal(err)
	}
	tr, val, nn, na := d.Counts()
	if tr != 30 || val != 10 || nn != 1 || na != 1 || len(d.Skipped) != 2 {
		t.Errorf("folder split %d %d %d %d, skipped %q", tr, val, nn, na, d.Skipped)
	}
	// The same pixels as the single-image view's preprocessing.
	want, _ := preprocess.LoadBytes(files[0].Bytes, st.ISize, st.NC, modelfile.DefaultNorm(1))
	found := false
	for _, e := range append(d.Train, d.Val...) {
		if e.Name == files[0].Name {
			found = bytes.Equal(f32bytes(e.X), f32bytes(want))
		}
	}
	if !found {
		t.Error("a folder image was not preprocessed as preprocess.LoadBytes does")
	}
	_, err = FolderData(files[:20], st, "")
	if err == nil || !strings.Contains(err.Error(), "at least") {
		t.Errorf("20 images: %v, want a too-few message", err)
	}
}

func TestRefusals(t *testing.T) {
	st := DefaultSettings()
	st.NGF, st.ISize, st.Batch = 128, 64, 512
	if err := st.Validate(); err == nil || !strings.Contains(err.Error(), "MiB") {
		t.Errorf("a model far too large for a tab: %v", err)
	}
	st = DefaultSettings()
	st.ISize = 48
	if err := st.Validate(); err == nil {
		t.Error("isize 48 accepted")
	}
}

// TestDivergedStepKeepsWeights: a batch that makes the losses NaN stops the
// step with train.ErrDiverged and leaves the model as it was.
func TestDivergedStepKeepsWeights(t *testing.T) {
	st := tiny()
	d, err := MNISTData(loadSubset(t), st)
	if err != nil {
		t.Fatal(err)
	}
	j, err := New(st, d)
	if err != nil {
		t.Fatal(err)
	}
	before, err := j.Export(engine.DTypeF32)
	if err != nil {
		t.Fatal(err)
	}
	saved := make([]float32, len(d.Train))
	for i, e := range d.Train {
		saved[i], e.X[0] = e.X[0], float32(math.NaN())
	}
	if _, err := j.Step(); !errors.Is(err, train.ErrDiverged) {
		t.Fatalf("a NaN batch: %v, want train.ErrDiverged", err)
	}
	for i, e := range d.Train { // the export recomputes BatchNorm statistics on them
		e.X[0] = saved[i]
	}
	after, err := j.Export(engine.DTypeF32)
	if err != nil {
		t.Fatal(err)
	}
	if j.Steps() != 0 || !bytes.Equal(stripDate(before), stripDate(after)) {
		t.Error("a diverged step changed the model")
	}
}

func stripDate(b []byte) []byte {
	f, _ := modelfile.Parse(b)
	var ws []byte
	for _, ts := range f.Tensors() {
		ws = append(ws, ts.Data...)
	}
	return ws
}
