package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/calibration"
	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/metrics"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
)

// Tolerances, each with where it comes from.
const (
	// torchTol bounds |engine − PyTorch| for x̂ and the latents: the issue's
	// parity bar (max abs difference ≤ 1e-4). Measured: under 1e-6.
	torchTol = 1e-4
	// torchScoreTol bounds the relative score difference (the 1e-3).
	torchScoreTol = 1e-3
	// f16Tol bounds the output difference of F16 weights, relative to the
	// output's magnitude: F16 keeps 11 significant bits (relative rounding
	// ≤ 2^-11 ≈ 4.9e-4 per weight); errors of the ~10 layers partly add up
	// (measured: up to 7e-4).
	f16Tol = 3e-3
	// i8Tol is the same for I8 weights: per-channel symmetric rounding costs
	// up to 1/254 of a channel's largest weight, about 1 % of a typical one.
	// Measured: up to 2e-2.
	i8Tol = 6e-2
	// aurocLoss is the bar for I8: at most 0.005 AUROC lost.
	aurocLoss = 0.005
)

var testArchs = []modelfile.Arch{
	{ISize: 16, NC: 1, NZ: 10, NGF: 8},
	{ISize: 32, NC: 3, NZ: 16, NGF: 8, ExtraLayers: 1},
}

// testCheckpoint is engine.Init with non-trivial BatchNorm statistics and
// affine parameters, saved as a trainer checkpoint would be.
func testCheckpoint(t *testing.T, a modelfile.Arch, seed int64, cal *modelfile.Calibration) string {
	t.Helper()
	f := engine.Init(a, seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	for _, s := range spec.GeneratorLayers(a) {
		if s.BatchNorm == "" {
			continue
		}
		rnd := func(lo, hi float64) []float32 {
			v := make([]float32, s.OutC)
			for i := range v {
				v[i] = float32(lo + (hi-lo)*rng.Float64())
			}
			return v
		}
		f.Add(modelfile.NewF32(s.BNKey()+".running_mean", []int{s.OutC}, rnd(-0.1, 0.1)))
		f.Add(modelfile.NewF32(s.BNKey()+".running_var", []int{s.OutC}, rnd(0.001, 0.05)))
		f.Add(modelfile.NewF32(s.BNKey()+".bias", []int{s.OutC}, rnd(-0.2, 0.2)))
	}
	f.Meta.Calibration = cal
	f.Meta.Dataset = &modelfile.Dataset{Name: "synthetic", NormalClasses: []string{"blob"}}
	f.Meta.Training = &modelfile.Training{Epochs: 3, Epoch: 2, Seed: seed, Command: "make train ARGS=test", Selected: "validation"}
	p := filepath.Join(t.TempDir(), "ckpt.safetensors")
	if err := f.Save(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func randomInput(n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	return x
}

// runExporter runs the command in-process and returns its exit status and
// everything it wrote to stderr.
func runExporter(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	code := run(args, &stderr)
	return code, stderr.String()
}

func mustExport(t *testing.T, args ...string) {
	t.Helper()
	if code, out := runExporter(t, args...); code != 0 {
		t.Fatalf("exporter %v: exit %d\n%s", args, code, out)
	}
}

func loadModel(t *testing.T, path string) *engine.Model {
	t.Helper()
	f, err := modelfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// outputs copies a forward pass's results (they belong to the model).
type outputs struct {
	xhat, latentI, latentO []float32
	score                  float64
}

func forward(t *testing.T, m *engine.Model, x []float32) outputs {
	t.Helper()
	r, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	return outputs{append([]float32(nil), r.XHat...), append([]float32(nil), r.LatentI...),
		append([]float32(nil), r.LatentO...), r.Score}
}

// relDiff is max |a−b| over the largest |b| (at least 1e-3).
func relDiff(a, b []float32) float64 {
	var scale, worst float64
	for _, v := range b {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	scale = math.Max(scale, 1e-3)
	for i := range a {
		worst = math.Max(worst, math.Abs(float64(a[i])-float64(b[i])))
	}
	return worst / scale
}

func TestF32ExportMatchesCheckpointBitForBit(t *testing.T) {
	for _, a := range testArchs {
		t.Run(archName(a), func(t *testing.T) {
			ckpt := testCheckpoint(t, a, 3, nil)
			out := filepath.Join(t.TempDir(), "model.safetensors")
			mustExport(t, "-checkpoint", ckpt, "-out", out, "-dtype", "f32")
			f, err := modelfile.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			if f.Meta.Kind != modelfile.KindModel {
				t.Errorf("kind %q, want %q", f.Meta.Kind, modelfile.KindModel)
			}
			for _, tn := range f.Tensors() {
				if strings.Contains(tn.Name, "batchnorm") {
					t.Errorf("BatchNorm tensor %s left in a folded model", tn.Name)
				}
				if tn.DType != modelfile.F32 {
					t.Errorf("%s is %s, want F32", tn.Name, tn.DType)
				}
			}
			if f.Meta.Dataset == nil || f.Meta.Dataset.Name != "synthetic" || f.Meta.Training == nil || f.Meta.Training.Command != "make train ARGS=test" {
				t.Errorf("dataset/training metadata not carried over: %+v %+v", f.Meta.Dataset, f.Meta.Training)
			}
			want, got := loadModel(t, ckpt), loadModel(t, out)
			for seed := uint64(0); seed < 3; seed++ {
				x := randomInput(want.InputLen(), seed)
				w, g := forward(t, want, x), forward(t, got, x)
				for _, c := range []struct {
					name string
					a, b []float32
				}{{"xhat", g.xhat, w.xhat}, {"latentI", g.latentI, w.latentI}, {"latentO", g.latentO, w.latentO}} {
					for i := range c.a {
						if math.Float32bits(c.a[i]) != math.Float32bits(c.b[i]) {
							t.Fatalf("seed %d: %s[%d] = %v, checkpoint gives %v (want bit-identical)", seed, c.name, i, c.a[i], c.b[i])
						}
					}
				}
				if g.score != w.score {
					t.Fatalf("seed %d: score %v, checkpoint gives %v", seed, g.score, w.score)
				}
			}
		})
	}
}

func archName(a modelfile.Arch) string {
	b, _ := json.Marshal(a)
	return strings.NewReplacer(`"`, "", "{", "", "}", "", ":", "=", ",", "_").Replace(string(b))
}

func TestQuantisedExportsAreClose(t *testing.T) {
	for _, a := range testArchs {
		for _, c := range []struct {
			dtype string
			want  modelfile.DType
			tol   float64
		}{{"f16", modelfile.F16, f16Tol}, {"i8", modelfile.I8, i8Tol}} {
			t.Run(archName(a)+"/"+c.dtype, func(t *testing.T) {
				ckpt := testCheckpoint(t, a, 5, nil)
				out := filepath.Join(t.TempDir(), "model.safetensors")
				mustExport(t, "-checkpoint", ckpt, "-out", out, "-dtype", c.dtype)
				f, err := modelfile.Open(out)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range spec.GeneratorLayers(a) {
					w := f.Tensor(s.Key() + ".weight")
					b := f.Tensor(s.Key() + ".bias")
					if w == nil || w.DType != c.want || b == nil || b.DType != modelfile.F32 {
						t.Fatalf("%s: weight %v / bias %v, want %s weight and F32 bias", s.Key(), w, b, c.want)
					}
					if sc := f.Tensor(s.Key() + ".weight" + modelfile.ScaleSuffix); (sc != nil) != (c.want == modelfile.I8) {
						t.Errorf("%s: scale tensor present = %v for %s", s.Key(), sc != nil, c.want)
					} else if sc != nil && sc.Shape[s.OutputAxis()] != s.OutC {
						t.Errorf("%s: scale shape %v does not run along output axis %d", s.Key(), sc.Shape, s.OutputAxis())
					}
				}
				ref, got := loadModel(t, ckpt), loadModel(t, out)
				for seed := uint64(0); seed < 3; seed++ {
					x := randomInput(ref.InputLen(), seed)
					w, g := forward(t, ref, x), forward(t, got, x)
					for _, d := range []struct {
						name string
						v    float64
					}{{"xhat", relDiff(g.xhat, w.xhat)}, {"latentI", relDiff(g.latentI, w.latentI)}, {"latentO", relDiff(g.latentO, w.latentO)}} {
						if d.v > c.tol {
							t.Errorf("seed %d: %s differs from F32 by %.3g (relative), tolerance %.3g", seed, d.name, d.v, c.tol)
						}
					}
				}
			})
		}
	}
}

// writePNG writes a grey or RGB image.
func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// syntheticImage is a smooth blob (normal) or a blob with a bright bar and
// noise (abnormal), size×size grey.
func syntheticImage(rng *rand.Rand, size int, abnormal bool) image.Image {
	img := image.NewGray(image.Rect(0, 0, size, size))
	cx, cy := 0.3+0.4*rng.Float64(), 0.3+0.4*rng.Float64()
	r := 0.15 + 0.15*rng.Float64()
	bar := rng.IntN(size - size/4)
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			dx, dy := float64(x)/float64(size)-cx, float64(y)/float64(size)-cy
			v := math.Exp(-(dx*dx + dy*dy) / (2 * r * r))
			if abnormal {
				if x >= bar && x < bar+size/8 {
					v = 1
				}
				v += 0.5 * rng.Float64()
			}
			img.SetGray(x, y, color.Gray{Y: uint8(math.Min(255, v*255+0.5))})
		}
	}
	return img
}

// syntheticFolders writes calib/ (normal images) and test/0.normal,
// test/1.abnormal below dir.
func syntheticFolders(t *testing.T, dir string, size, nCalib, nTest int) (string, string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(11, 12))
	calib, test := filepath.Join(dir, "calib"), filepath.Join(dir, "test")
	for i := 0; i < nCalib; i++ {
		writePNG(t, filepath.Join(calib, "sub", fmt.Sprintf("c%03d.png", i)), syntheticImage(rng, size, false))
	}
	for i := 0; i < nTest; i++ {
		writePNG(t, filepath.Join(test, "0.normal", fmt.Sprintf("n%03d.png", i)), syntheticImage(rng, size, false))
		writePNG(t, filepath.Join(test, "1.abnormal", fmt.Sprintf("a%03d.png", i)), syntheticImage(rng, size, true))
	}
	return calib, test
}

// TestI8CalibrationAndAUROC exports F32 and I8 with -calibrate and -test on
// the same folders and checks that the I8 calibration was recomputed on the
// I8 model, that the metrics equal what the metrics package computes from
// the engine's own scores, and that I8 loses at most aurocLoss AUROC.
func TestI8CalibrationAndAUROC(t *testing.T) {
	a := modelfile.Arch{ISize: 16, NC: 1, NZ: 16, NGF: 16}
	dir := t.TempDir()
	calib, test := syntheticFolders(t, dir, 20, 40, 40)
	ckpt := testCheckpoint(t, a, 9, nil)
	cals := map[string]*modelfile.Calibration{}
	for _, dt := range []string{"f32", "i8"} {
		out := filepath.Join(dir, dt+".safetensors")
		mustExport(t, "-checkpoint", ckpt, "-out", out, "-dtype", dt, "-calibrate", calib, "-test", test, "-fpr", "0.1", "-workers", "2")
		f, err := modelfile.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		c := f.Meta.Calibration
		if c == nil || c.Test == nil {
			t.Fatalf("%s: no calibration or test result: %+v", dt, c)
		}
		if c.ValCount != 40 || c.Test.Normals != 40 || c.Test.Anomalies != 40 {
			t.Errorf("%s: counts val %d normals %d anomalies %d, want 40/40/40", dt, c.ValCount, c.Test.Normals, c.Test.Anomalies)
		}
		if math.Abs(c.ThresholdFPR-0.1) > 1e-9 {
			t.Errorf("%s: threshold FPR %v, want 0.1 (40 distinct scores)", dt, c.ThresholdFPR)
		}
		// Recompute from the exported model's own scores.
		m := loadModel(t, out)
		calibPaths, _ := calibration.ListImages(calib)
		valScores, err := calibration.Score(m, calibPaths, 1)
		if err != nil {
			t.Fatal(err)
		}
		if want := metrics.Calibrate(valScores, 0.1); want.Threshold != c.Threshold {
			t.Errorf("%s: threshold %v, want %v from the exported model's scores", dt, c.Threshold, want.Threshold)
		}
		testPaths, labels, _ := calibration.ListLabelled(test)
		testScores, err := calibration.Score(m, testPaths, 1)
		if err != nil {
			t.Fatal(err)
		}
		if want := metrics.AUROC(testScores, labels); want != c.Test.AUROC {
			t.Errorf("%s: AUROC %v, want %v from the exported model's scores", dt, c.Test.AUROC, want)
		}
		cals[dt] = c
	}
	if cals["i8"].Threshold == cals["f32"].Threshold {
		t.Errorf("the I8 threshold equals the F32 one (%v): it was not recomputed on the I8 model", cals["i8"].Threshold)
	}
	if loss := cals["f32"].Test.AUROC - cals["i8"].Test.AUROC; loss > aurocLoss {
		t.Errorf("I8 loses %.4f AUROC (f32 %.4f, i8 %.4f), more than %.3f", loss, cals["f32"].Test.AUROC, cals["i8"].Test.AUROC, aurocLoss)
	}
	t.Logf("AUROC f32 %.4f i8 %.4f; threshold f32 %.6g i8 %.6g", cals["f32"].Test.AUROC, cals["i8"].Test.AUROC, cals["f32"].Threshold, cals["i8"].Threshold)
}

// TestCalibrationRules checks which calibration the exported file carries
// when none is recomputed (see docs/exporter.md).
func TestCalibrationRules(t *testing.T) {
	stored := &modelfile.Calibration{Threshold: 0.25, ThresholdFPR: 0.05, ValCount: 100,
		ScoreScale: modelfile.ScoreScale{Min: 0.1, Max: 0.9},
		Test:       &modelfile.TestResult{AUROC: 0.9, AUPRC: 0.8, F1: 0.7, Normals: 10, Anomalies: 10}}
	a := modelfile.Arch{ISize: 16, NC: 1, NZ: 10, NGF: 8}
	ckpt := testCheckpoint(t, a, 4, stored)
	dir := t.TempDir()
	calib, _ := syntheticFolders(t, dir, 16, 10, 0)

	out := filepath.Join(dir, "f32.safetensors")
	mustExport(t, "-checkpoint", ckpt, "-out", out)
	f, err := modelfile.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if c := f.Meta.Calibration; c == nil || c.Threshold != 0.25 || c.Test == nil || c.Test.F1 != 0.7 {
		t.Errorf("f32 without -calibrate: calibration %+v, want the checkpoint's kept whole", c)
	}

	code, msg := runExporter(t, "-checkpoint", ckpt, "-out", filepath.Join(dir, "i8.safetensors"), "-dtype", "i8")
	if code != 1 || !strings.Contains(msg, "-calibrate") {
		t.Errorf("i8 with a stored calibration and no -calibrate: exit %d, %q; want exit 1 asking for -calibrate", code, msg)
	}

	out = filepath.Join(dir, "i8-keep.safetensors")
	mustExport(t, "-checkpoint", ckpt, "-out", out, "-dtype", "i8", "-keep-calibration")
	f, err = modelfile.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if c := f.Meta.Calibration; c == nil || c.Threshold != 0.25 || c.Test == nil || c.Test.F1 != 0.7 {
		t.Errorf("i8 with -keep-calibration: calibration %+v, want the checkpoint's kept whole", c)
	}

	out = filepath.Join(dir, "f32-recal.safetensors")
	mustExport(t, "-checkpoint", ckpt, "-out", out, "-calibrate", calib)
	f, err = modelfile.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if c := f.Meta.Calibration; c == nil || c.ValCount != 10 || c.Test == nil || c.Test.AUROC != 0.9 || c.Test.F1 != 0 {
		t.Errorf("f32 with -calibrate: %+v; want 10 new validation scores, the stored AUROC kept and its F1 dropped", c)
	}

	out = filepath.Join(dir, "i8-recal.safetensors")
	mustExport(t, "-checkpoint", ckpt, "-out", out, "-dtype", "i8", "-calibrate", calib)
	f, err = modelfile.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if c := f.Meta.Calibration; c == nil || c.ValCount != 10 || c.Test != nil {
		t.Errorf("i8 with -calibrate: %+v; want 10 new validation scores and the F32 test numbers dropped", c)
	}
}

func TestFlagAndInputErrors(t *testing.T) {
	a := modelfile.Arch{ISize: 16, NC: 1, NZ: 10, NGF: 8}
	ckpt := testCheckpoint(t, a, 1, nil)
	ckptCal := testCheckpoint(t, a, 1, &modelfile.Calibration{Threshold: 1, ValCount: 1})
	dir := t.TempDir()
	out := filepath.Join(dir, "out.safetensors")
	calib, _ := syntheticFolders(t, dir, 16, 3, 0)
	if err := os.MkdirAll(filepath.Join(dir, "onlynormal", "0.normal"), 0o755); err != nil {
		t.Fatal(err)
	}
	writePNG(t, filepath.Join(dir, "onlynormal", "0.normal", "x.png"), image.NewGray(image.Rect(0, 0, 16, 16)))
	empty := filepath.Join(dir, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	notImage := filepath.Join(dir, "bad", "x.png")
	if err := os.MkdirAll(filepath.Dir(notImage), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notImage, []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.bin")
	if err := os.WriteFile(garbage, []byte("hello, this is not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	pth := filepath.Join("testdata", "original-tiny", "netG.pth")

	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no checkpoint", []string{"-out", out}, 2, "-checkpoint is required"},
		{"no out", []string{"-checkpoint", ckpt}, 2, "-out is required"},
		{"bad dtype", []string{"-checkpoint", ckpt, "-out", out, "-dtype", "int4"}, 2, "want f32, f16 or i8"},
		{"bad fpr", []string{"-checkpoint", ckpt, "-out", out, "-fpr", "1.5"}, 2, "-fpr"},
		{"negative fpr", []string{"-checkpoint", ckpt, "-out", out, "-fpr", "-0.1"}, 2, "-fpr"},
		{"mean without std", []string{"-checkpoint", pth, "-out", out, "-mean", "0.5"}, 2, "together"},
		{"mean not a number", []string{"-checkpoint", pth, "-out", out, "-mean", "x", "-std", "1"}, 2, "not a number"},
		{"zero std", []string{"-checkpoint", pth, "-out", out, "-mean", "0.5", "-std", "0"}, 2, "positive"},
		{"unknown flag", []string{"-checkpoint", ckpt, "-out", out, "-bogus"}, 2, "bogus"},
		{"keep and recalibrate", []string{"-checkpoint", ckpt, "-out", out, "-keep-calibration", "-calibrate", calib}, 2, "contradict"},
		{"extra argument", []string{"-checkpoint", ckpt, "-out", out, "more"}, 2, "unexpected arguments"},
		{"out overwrites checkpoint", []string{"-checkpoint", ckpt, "-out", ckpt}, 2, "overwrite"},
		{"missing checkpoint", []string{"-checkpoint", filepath.Join(dir, "nope"), "-out", out}, 1, "no such file"},
		{"not a model", []string{"-checkpoint", garbage, "-out", out}, 1, "invalid file"},
		{"checkpoint arch mismatch", []string{"-checkpoint", ckpt, "-out", out, "-isize", "32"}, 1, "-isize 32 but the weights have 16"},
		{"checkpoint norm change", []string{"-checkpoint", ckpt, "-out", out, "-mean", "0.1307", "-std", "0.3081"}, 1, "drop -mean/-std"},
		{"pth arch mismatch", []string{"-checkpoint", pth, "-out", out, "-nz", "100", "-ngf", "64"}, 1, "-nz 100 but the weights have 8"},
		{"pth norm channels", []string{"-checkpoint", pth, "-out", out, "-mean", "0.5,0.5", "-std", "0.5,0.5"}, 1, "need 3 mean"},
		{"discriminator", []string{"-checkpoint", filepath.Join("testdata", "original-tiny", "netD.pth"), "-out", out}, 1, "discriminator"},
		{"i8 with stored calibration", []string{"-checkpoint", ckptCal, "-out", out, "-dtype", "i8"}, 1, "-calibrate DIR"},
		{"test without threshold", []string{"-checkpoint", ckpt, "-out", out, "-test", calib}, 1, "-test needs a threshold"},
		{"calibrate missing dir", []string{"-checkpoint", ckpt, "-out", out, "-calibrate", filepath.Join(dir, "nope")}, 1, "no such file"},
		{"calibrate empty dir", []string{"-checkpoint", ckpt, "-out", out, "-calibrate", empty}, 1, "holds no images"},
		{"calibrate bad image", []string{"-checkpoint", ckpt, "-out", out, "-calibrate", filepath.Dir(notImage)}, 1, "x.png"},
		{"test without abnormal", []string{"-checkpoint", ckpt, "-out", out, "-calibrate", calib, "-test", filepath.Join(dir, "onlynormal")}, 1, "1.abnormal"},
		{"class names and normal name", []string{"-checkpoint", ckpt, "-out", out, "-class_names", "a,b", "-normal_name", "a"}, 2, "not both"},
		{"one class name", []string{"-checkpoint", ckpt, "-out", out, "-class_names", "good part"}, 2, "want two names"},
		{"title too long", []string{"-checkpoint", ckpt, "-out", out, "-title", strings.Repeat("x", 121)}, 2, "at most 120"},
		{"restamp without words", []string{"-checkpoint", ckpt, "-out", out, "-restamp"}, 2, "needs at least one"},
		{"restamp with dtype", []string{"-checkpoint", ckpt, "-out", out, "-restamp", "-title", "t", "-dtype", "i8"}, 2, "-dtype would change the model"},
		{"restamp a pth", []string{"-checkpoint", pth, "-out", out, "-restamp", "-title", "t"}, 1, "PyTorch file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, msg := runExporter(t, c.args...)
			// Case-insensitive: the OS words "no such file" differently
			// (Linux: "no such file", node's fs under wasm: "No such file").
			if code != c.code || !strings.Contains(strings.ToLower(msg), strings.ToLower(c.msg)) {
				t.Errorf("exit %d with\n%s\nwant exit %d and a message containing %q", code, msg, c.code, c.msg)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed export left %s behind (err %v)", out, err)
	}
}

func TestHelpExitsZero(t *testing.T) {
	code, msg := runExporter(t, "-h")
	if code != 0 || !strings.Contains(msg, "-calibrate") || !strings.Contains(msg, "netG.pth") {
		t.Errorf("-h: exit %d, %q", code, msg)
	}
}

func TestWordsAreStoredAndMerged(t *testing.T) {
	a := modelfile.Arch{ISize: 16, NC: 1, NZ: 10, NGF: 8}
	ckpt := testCheckpoint(t, a, 1, nil)
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.safetensors"), filepath.Join(dir, "second.safetensors")
	mustExport(t, "-checkpoint", ckpt, "-out", first, "-title", " Fabric inspection ", "-description", "Finds scratches.", "-class_names", "good part,scratched")
	mustExport(t, "-checkpoint", first, "-out", second, "-normal_name", "flawless")
	tests := []struct {
		file string
		want modelfile.About
	}{
		{first, modelfile.About{Title: "Fabric inspection", Description: "Finds scratches.", NormalName: "good part", AbnormalName: "scratched"}},
		// Words not given again are carried over from the input.
		{second, modelfile.About{Title: "Fabric inspection", Description: "Finds scratches.", NormalName: "flawless", AbnormalName: "scratched"}},
	}
	for _, tc := range tests {
		f, err := modelfile.Open(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		if f.Meta.About == nil || *f.Meta.About != tc.want {
			t.Errorf("%s: about %+v, want %+v", filepath.Base(tc.file), f.Meta.About, tc.want)
		}
	}
}

func TestRestampKeepsTensorsAndScores(t *testing.T) {
	a := modelfile.Arch{ISize: 16, NC: 1, NZ: 10, NGF: 8}
	ckpt := testCheckpoint(t, a, 3, nil)
	dir := t.TempDir()
	calib, _ := syntheticFolders(t, dir, 16, 8, 0)
	model := filepath.Join(dir, "m.safetensors")
	mustExport(t, "-checkpoint", ckpt, "-out", model, "-dtype", "i8", "-calibrate", calib)
	before, err := modelfile.Open(model)
	if err != nil {
		t.Fatal(err)
	}
	// In place: -out is the input.
	mustExport(t, "-checkpoint", model, "-out", model, "-restamp", "-title", "Blobs", "-abnormal_name", "a bright square")
	after, err := modelfile.Open(model)
	if err != nil {
		t.Fatal(err)
	}
	if w := after.Meta.Words(); w.Title != "Blobs" || w.AbnormalName != "a bright square" || w.NormalName != "blob" {
		t.Errorf("words after restamp: %+v", w)
	}
	if !reflect.DeepEqual(before.Meta.Calibration, after.Meta.Calibration) || before.Meta.Calibration == nil {
		t.Error("the calibration changed")
	}
	if fmt.Sprint(before.Names()) != fmt.Sprint(after.Names()) {
		t.Fatalf("tensor names changed: %v -> %v", before.Names(), after.Names())
	}
	for _, tn := range before.Tensors() {
		got := after.Tensor(tn.Name)
		if got.DType != tn.DType || fmt.Sprint(got.Shape) != fmt.Sprint(tn.Shape) || !bytes.Equal(got.Data, tn.Data) {
			t.Errorf("%s changed", tn.Name)
		}
	}
	mb, _ := engine.Load(before)
	ma, _ := engine.Load(after)
	x := randomInput(16*16, 5)
	rb, _ := mb.Forward(x)
	ra, _ := ma.Forward(x)
	if rb.Score != ra.Score {
		t.Errorf("score %v before, %v after", rb.Score, ra.Score)
	}
}
