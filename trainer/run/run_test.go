package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/trainer/gan"
)

// tiny is a fast configuration on a small MNIST subset.
func tiny(t *testing.T, name string) Config {
	c := Defaults()
	c.OutF = t.TempDir()
	c.Name = name
	c.NGF, c.NDF = 8, 8
	c.NIter = 2
	c.MaxImages = 256
	c.MaxTest = 300
	c.Device = "cpu"
	c.Report = false
	c.Command = "go test " + name
	return c
}

// train runs c to the end, on the torch thread as the trainer command does.
func train(t *testing.T, c Config) (mf *MetricsFile) {
	t.Helper()
	gan.OnTorchThread(func() {
		r, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		mf = res.Metrics
	})
	return mf
}

func TestResumeContinuesWhereItStopped(t *testing.T) {
	straight := train(t, tiny(t, "straight"))

	c := tiny(t, "interrupted")
	c.NIter = 1
	train(t, c) // as if killed during epoch 2: only epoch 1's state is on disk
	c.NIter, c.Resume = 2, true
	resumed := train(t, c)

	if len(resumed.Epochs) != 2 || resumed.Epochs[0].Epoch != 1 || resumed.Epochs[1].Epoch != 2 {
		t.Fatalf("resumed run has epochs %+v", resumed.Epochs)
	}
	a, b := straight.Epochs[1], resumed.Epochs[1]
	// same data order, weights, Adam moments and step counts: the losses
	// agree up to libtorch's multi-threaded summation order
	for _, p := range [][2]float64{{a.Loss.ErrG, b.Loss.ErrG}, {a.Loss.ErrD, b.Loss.ErrD}, {a.ValLoss, b.ValLoss}} {
		if math.Abs(p[0]-p[1]) > 1e-3*math.Abs(p[0]) {
			t.Errorf("epoch 2 after resume: %+v, uninterrupted %+v", b.Loss, a.Loss)
		}
	}
	if math.Abs(a.AUROCEval-b.AUROCEval) > 0.01 {
		t.Errorf("epoch 2 AUROC after resume %v, uninterrupted %v", b.AUROCEval, a.AUROCEval)
	}
	// resuming a finished run trains nothing and keeps the numbers
	again := train(t, c)
	if len(again.Epochs) != 2 || again.Epochs[1].Loss != b.Loss {
		t.Errorf("resuming a finished run changed it: %+v", again.Epochs)
	}
	// another configuration is refused
	c.NGF = 16
	if _, err := New(c); err == nil || !strings.Contains(err.Error(), "another configuration") {
		t.Errorf("resume with another --ngf: err = %v", err)
	}
}

// cancelAt is a progress writer that cancels the run when the progress bar
// first shows the given text (as Ctrl-C would at that moment).
type cancelAt struct {
	text   string
	cancel context.CancelFunc
}

func (c cancelAt) Write(p []byte) (int, error) {
	if strings.Contains(string(p), c.text) {
		c.cancel()
	}
	return len(p), nil
}

// TestInterruptKeepsTheLastEpoch: a run stopped during epoch 2 (Ctrl-C)
// says so and how to go on, records the error in metrics.json, keeps epoch
// 1's checkpoint, and --resume finishes it.
func TestInterruptKeepsTheLastEpoch(t *testing.T) {
	c := tiny(t, "ctrl-c")
	c.NIter = 3
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Progress = cancelAt{"epoch 2/3", cancel}
	var err error
	gan.OnTorchThread(func() {
		r, nerr := New(c)
		if nerr != nil {
			t.Fatal(nerr)
		}
		_, err = r.Run(ctx)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: err = %v, want context.Canceled", err)
	}
	for _, want := range []string{"interrupted during epoch 2", "checkpoint of epoch 1 is kept", "--resume"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	var mf MetricsFile
	raw, rerr := os.ReadFile(filepath.Join(c.Dir(), FileMetrics))
	if rerr != nil {
		t.Fatal(rerr)
	}
	if err := json.Unmarshal(raw, &mf); err != nil {
		t.Fatal(err)
	}
	if mf.Status != "failed" || !strings.Contains(mf.Error, "interrupted") || len(mf.Epochs) != 1 {
		t.Errorf("metrics.json after the interrupt: status %q, error %q, %d epochs; want failed, the message, 1", mf.Status, mf.Error, len(mf.Epochs))
	}
	c.Progress, c.Resume = nil, true
	if done := train(t, c); len(done.Epochs) != 3 || done.Status != "finished" {
		t.Errorf("after --resume: %d epochs, status %q", len(done.Epochs), done.Status)
	}
}

// TestBatchStatsScoredInSeededRandomOrder: with batch statistics a batch
// of anomalies only would tell the network what it sees, so the test set,
// here put in label order (normals, then anomalies, as the full test sets
// come), is scored in a seeded random order whose batches mix both labels.
func TestBatchStatsScoredInSeededRandomOrder(t *testing.T) {
	c := tiny(t, "order")
	gan.OnTorchThread(func() {
		r, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		test := r.ds.Test
		sort.SliceStable(test, func(i, j int) bool { return !test[i].Anomalous && test[j].Anomalous })
		full := 0
		for b := range r.loader.Batches(ctx, test, r.cfg.EvalBatch, r.scoreOrder(gan.BatchStats), false) {
			if b.N < r.cfg.EvalBatch {
				continue
			}
			full++
			var anomalies int
			for _, k := range b.Indices {
				if test[k].Anomalous {
					anomalies++
				}
			}
			if anomalies == 0 || anomalies == b.N {
				t.Errorf("a batch-statistics batch of %d images holds %d anomalies: not mixed", b.N, anomalies)
			}
		}
		if full < 3 {
			t.Fatalf("only %d full batches: the test proves nothing", full)
		}
		a, err := r.ScoreSet(ctx, test, gan.BatchStats)
		if err != nil {
			t.Fatal(err)
		}
		b, err := r.ScoreSet(ctx, test, gan.BatchStats)
		if err != nil {
			t.Fatal(err)
		}
		// Label-ordered batches, scored by hand: ScoreSet must not give these.
		labelOrder := make([]float64, len(test))
		for bt := range r.loader.Batches(ctx, test, r.cfg.EvalBatch, nil, false) {
			x, err := r.toTensor(bt)
			if err != nil {
				t.Fatal(err)
			}
			mode := gan.BatchStats
			if bt.N == 1 {
				mode = gan.Eval
			}
			s, _, _, _, err := r.model.Scores(x, mode, false)
			x.MustDrop()
			if err != nil {
				t.Fatal(err)
			}
			for i, k := range bt.Indices {
				labelOrder[k] = s[i]
			}
		}
		same := 0
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("image %d: batch-statistics score %v, then %v: the order is not seeded", i, a[i], b[i])
			}
			if a[i] == labelOrder[i] {
				same++
			}
		}
		if same == len(a) {
			t.Error("ScoreSet's batch-statistics scores equal the label-ordered ones")
		}
	})
}

func TestRunFolderContents(t *testing.T) {
	c := tiny(t, "folder")
	c.NIter = 1
	c.Report = true
	mf := train(t, c)
	dir := c.Dir()
	for _, f := range []string{FileState, FileGLast, FileGVal, FileMetrics, FileReport, FileGrid, FileROC, FileLosses, FileAUROC} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("run folder lacks %s (%v)", f, err)
		}
	}
	// metrics.json is the documented schema
	b, err := os.ReadFile(filepath.Join(dir, FileMetrics))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	ep := raw["epochs"].([]any)[0].(map[string]any)
	for _, k := range []string{"epoch", "images_per_s", "loss", "auroc_eval", "auroc_batchstats", "auprc", "f1", "threshold", "val_loss"} {
		if _, ok := ep[k]; !ok {
			t.Errorf("metrics.json epoch record lacks %q", k)
		}
	}
	sum := raw["summary"].(map[string]any)
	for _, k := range []string{"last", "validation_selected", "test_selected"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("metrics.json summary lacks %q", k)
		}
	}
	if seed, ok := raw["config"].(map[string]any)["batchstats_order_seed"]; !ok || seed != float64(c.ManualSeed) {
		t.Errorf("metrics.json config: batchstats_order_seed %v, want the run's seed %d", seed, c.ManualSeed)
	}
	if mf.Status != "finished" {
		t.Errorf("status %q", mf.Status)
	}
	// the generator checkpoint opens in the engine with its calibration
	f, err := modelfile.Open(filepath.Join(dir, FileGLast))
	if err != nil {
		t.Fatal(err)
	}
	if f.Meta.Kind != modelfile.KindCheckpoint || f.Meta.Calibration == nil || f.Meta.Calibration.Test == nil || f.Meta.Training == nil {
		t.Fatalf("checkpoint metadata incomplete: %+v", f.Meta)
	}
	if f.Meta.Calibration.ValCount != mf.Sizes.Val {
		t.Errorf("calibration from %d scores, validation split has %d", f.Meta.Calibration.ValCount, mf.Sizes.Val)
	}
	if got, want := f.Meta.Calibration.Test.AUROC, mf.Epochs[0].AUROCEval; math.Abs(got-want) > 1e-12 {
		t.Errorf("checkpoint test AUROC %v, metrics.json %v", got, want)
	}
	if _, err := engine.Load(f); err != nil {
		t.Errorf("engine.Load(checkpoint): %v", err)
	}
	rep, _ := os.ReadFile(filepath.Join(dir, FileReport))
	if !strings.Contains(string(rep), c.Command) || !strings.Contains(string(rep), "optimistic") {
		t.Error("report.md lacks the command or the optimistic label")
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"isize not a power of two", func(c *Config) { c.ISize = 80 }, "power of two"},
		{"unknown dataset", func(c *Config) { c.Dataset = "imagenet" }, "--dataset"},
		{"folder without root", func(c *Config) { c.Dataset = "folder" }, "--dataroot"},
		{"mnist in colour", func(c *Config) { c.NC = 3 }, "--nc"},
		{"batch of one", func(c *Config) { c.BatchSize = 1 }, "--batchsize"},
		{"no validation", func(c *Config) { c.ValFraction = 0 }, "--val_fraction"},
		{"bad device", func(c *Config) { c.Device = "tpu" }, "--device"},
		{"fewer images than a batch", func(c *Config) { c.MaxImages = 10 }, "--max_images"},
		{"zero epochs", func(c *Config) { c.NIter = 0 }, "--niter"},
	}
	for _, tc := range tests {
		c := Defaults()
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	c := Defaults()
	if err := c.Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

// TestLearnsMNIST is the real learning test: a short training on an MNIST
// subset with a fixed seed must separate the abnormal digit with the honest
// eval-mode AUROC ≥ 0.8. Digit 2 is one GANomaly separates well (a sweep of
// all digits at this size: 0 → 0.92, 2 → 0.93, 1 → 0.64 after 3 epochs).
func TestLearnsMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test skipped in -short mode")
	}
	c := Defaults()
	c.OutF = t.TempDir()
	c.Name = "learn"
	c.AbnormalClass = "2"
	c.NGF, c.NDF = 32, 32
	c.NIter = 3
	c.MaxImages = 4000
	c.MaxTest = 2000
	c.ManualSeed = 0
	c.Device = "cpu"
	c.Report = false
	mf := train(t, c)
	last := mf.Epochs[len(mf.Epochs)-1]
	t.Logf("epochs: %d, last: AUROC eval %.4f, batch-stats %.4f, AUPRC %.4f, F1 %.4f, %.0f img/s",
		len(mf.Epochs), last.AUROCEval, last.AUROCBatch, last.AUPRC, last.F1, last.ImagesPerS)
	if last.AUROCEval < 0.8 {
		t.Errorf("eval-mode AUROC %.4f after %d epochs, want ≥ 0.8", last.AUROCEval, c.NIter)
	}
	if mf.Epochs[0].Loss.ErrGCon <= last.Loss.ErrGCon {
		t.Errorf("reconstruction loss did not fall: %v → %v", mf.Epochs[0].Loss.ErrGCon, last.Loss.ErrGCon)
	}
}

// TestFolderDatasetColour trains one epoch on a custom colour folder
// (train/0.normal, test/0.normal, test/1.abnormal), isize 16, nc 3.
func TestFolderDatasetColour(t *testing.T) {
	root := t.TempDir()
	write := func(sub string, i int, c color.NRGBA) {
		m := image.NewNRGBA(image.Rect(0, 0, 24, 20))
		for y := 0; y < 20; y++ {
			for x := 0; x < 24; x++ {
				cc := c
				cc.R += uint8((x + i) % 7 * 5)
				m.SetNRGBA(x, y, cc)
			}
		}
		p := filepath.Join(root, sub, fmt.Sprintf("%03d.png", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, m)
		f.Close()
	}
	for i := 0; i < 80; i++ {
		write("train/0.normal", i, color.NRGBA{40, 120, 200, 255})
	}
	for i := 0; i < 10; i++ {
		write("test/0.normal", i, color.NRGBA{40, 120, 200, 255})
		write("test/1.abnormal", i, color.NRGBA{220, 30, 30, 255})
	}
	c := Defaults()
	c.Dataset, c.DataRoot, c.NC, c.ISize = "folder", root, 3, 16
	c.OutF, c.Name = t.TempDir(), "folder"
	c.NGF, c.NDF, c.NIter, c.BatchSize = 8, 8, 1, 16
	c.Device, c.Report = "cpu", true
	mf := train(t, c)
	if mf.Sizes.Train != 72 || mf.Sizes.Val != 8 || mf.Sizes.TestNormal != 10 || mf.Sizes.TestAnomalous != 10 {
		t.Errorf("sizes %+v", mf.Sizes)
	}
	if mf.Epochs[0].Steps != 4 {
		t.Errorf("%d steps, want 72/16 = 4 (last partial batch dropped)", mf.Epochs[0].Steps)
	}
	f, err := modelfile.Open(filepath.Join(c.Dir(), FileGVal))
	if err != nil {
		t.Fatal(err)
	}
	if f.Meta.Arch.NC != 3 || f.Meta.Arch.ISize != 16 || len(f.Meta.Norm.Mean) != 3 {
		t.Errorf("checkpoint arch %+v norm %+v", f.Meta.Arch, f.Meta.Norm)
	}
}
