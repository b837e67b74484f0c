package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/preprocess"
)

// small keeps the models of these tests fast: the CLI does not care about
// the size.
var small = []string{"-isize", "16", "-nz", "8", "-ngf", "8"}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

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

// labelledFolder writes root/test/0.normal (flat grey images),
// root/test/1.abnormal (noise), a corrupt PNG among the anomalies and a
// text file the walk must skip.
func labelledFolder(t *testing.T, root string) {
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range 3 {
		flat := image.NewGray(image.Rect(0, 0, 20, 24))
		for j := range flat.Pix {
			flat.Pix[j] = uint8(100 + 20*i)
		}
		writePNG(t, filepath.Join(root, "test", "0.normal", "flat"+string(rune('a'+i))+".png"), flat)
		noise := image.NewRGBA(image.Rect(0, 0, 24, 20))
		for j := range noise.Pix {
			noise.Pix[j] = uint8(rng.IntN(256))
		}
		writePNG(t, filepath.Join(root, "test", "1.abnormal", "noise"+string(rune('a'+i))+".png"), noise)
	}
	if err := os.WriteFile(filepath.Join(root, "test", "1.abnormal", "zz-corrupt.png"), []byte("\x89PNG\r\n\x1a\nnot really"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "test", "README.txt"), []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.safetensors")
	if code, _, stderr := runCLI(t, append([]string{"init", "-out", model}, small...)...); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	junk := filepath.Join(dir, "junk.safetensors")
	os.WriteFile(junk, []byte("definitely not safetensors"), 0o644)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no command", nil, exitUsage, "Usage:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"score without model", []string{"score", dir}, exitUsage, "-model FILE is required"},
		{"score without paths", []string{"score", "-model", model}, exitUsage, "at least one image"},
		{"score bad format", []string{"score", "-model", model, "-format", "xml", dir}, exitUsage, `-format "xml"`},
		{"score bad flag", []string{"score", "-nope", dir}, exitUsage, "flag provided but not defined"},
		{"score bad threshold", []string{"score", "-model", model, "-threshold", "abc", dir}, exitUsage, "not a finite number"},
		{"score infinite threshold", []string{"score", "-model", model, "-threshold", "inf", dir}, exitUsage, "not a finite number"},
		{"score missing model", []string{"score", "-model", filepath.Join(dir, "missing"), dir}, exitUsage, "no such file"},
		{"score corrupt model", []string{"score", "-model", junk, dir}, exitUsage, "modelfile"},
		{"inspect two files", []string{"inspect", model, model}, exitUsage, "exactly one"},
		{"inspect corrupt file", []string{"inspect", junk}, exitFail, "modelfile"},
		{"init without out", []string{"init"}, exitUsage, "-out FILE is required"},
		{"init bad isize", []string{"init", "-out", model, "-isize", "20"}, exitUsage, "power of two"},
		{"init bad nc", []string{"init", "-out", model, "-nc", "2"}, exitUsage, "nc 2"},
		{"init bad dtype", []string{"init", "-out", model, "-dtype", "f8"}, exitUsage, `-dtype "f8"`},
		{"init bad std", []string{"init", "-out", model, "-std", "0"}, exitUsage, "std[0]"},
		{"init bad mean count", []string{"init", "-out", model, "-nc", "3", "-mean", "1,2"}, exitUsage, "want 1 or 3"},
		{"init stray argument", []string{"init", "-out", model, "extra"}, exitUsage, "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			// Lower case: the wasm port spells errno texts differently.
			if code != tc.code || !strings.Contains(strings.ToLower(stderr), strings.ToLower(tc.stderr)) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
}

func TestHelpExplainsEveryFlag(t *testing.T) {
	tests := []struct {
		cmd   string
		flags []string
	}{
		{"score", []string{"-model", "-format", "-heatmaps", "-threshold", "-workers"}},
		{"inspect", []string{"-json"}},
		{"init", []string{"-out", "-isize", "-nc", "-nz", "-ngf", "-extralayers", "-seed", "-dtype", "-mean", "-std"}},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, tc.cmd, "-h")
		if code != exitOK {
			t.Errorf("%s -h: exit %d", tc.cmd, code)
		}
		for _, f := range tc.flags {
			if !strings.Contains(stderr, "  "+f+" ") && !strings.Contains(stderr, "  "+f+"\n") {
				t.Errorf("%s -h does not explain %s:\n%s", tc.cmd, f, stderr)
			}
		}
		if !strings.Contains(stderr, "Usage: ganomaly "+tc.cmd) {
			t.Errorf("%s -h has no usage line", tc.cmd)
		}
	}
	if code, stdout, _ := runCLI(t, "help"); code != 0 || !strings.Contains(stdout, "ganomaly score") {
		t.Errorf("help: %d %q", code, stdout)
	}
}

// scoreRow mirrors the JSON output, a summary element included.
type scoreRow struct {
	Path      *string      `json:"path"`
	Score     *float64     `json:"score"`
	Verdict   string       `json:"verdict"`
	Threshold float64      `json:"threshold"`
	Error     *string      `json:"error"`
	Label     string       `json:"label"`
	Heatmap   string       `json:"heatmap"`
	Summary   *jsonSummary `json:"summary"`
}

func decodeRows(t *testing.T, stdout string) ([]scoreRow, map[string]any) {
	t.Helper()
	var raw []map[string]any
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("output is not a JSON array: %v\n%s", err, stdout)
	}
	var rows []scoreRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatal(err)
	}
	var sum map[string]any
	if last := raw[len(raw)-1]; last["summary"] != nil {
		sum = last["summary"].(map[string]any)
		rows = rows[:len(rows)-1]
	}
	return rows, sum
}

// TestInitInspectScore writes random models in every dtype, inspects them
// and scores a labelled folder with each.
func TestInitInspectScore(t *testing.T) {
	dir := t.TempDir()
	labelledFolder(t, dir)
	test := filepath.Join(dir, "test")
	for _, tc := range []struct {
		dtype, nc  string
		weightType string
	}{{"f32", "1", "F32"}, {"f16", "1", "F16"}, {"i8", "3", "I8"}} {
		t.Run(tc.dtype, func(t *testing.T) {
			model := filepath.Join(dir, tc.dtype+".safetensors")
			args := append([]string{"init", "-out", model, "-seed", "7", "-dtype", tc.dtype, "-nc", tc.nc}, small...)
			if code, stdout, stderr := runCLI(t, args...); code != 0 || !strings.Contains(stdout, "meaningless") {
				t.Fatalf("init: exit %d\n%s\n%s", code, stdout, stderr)
			}

			code, stdout, stderr := runCLI(t, "inspect", model, "-json")
			if code != 0 {
				t.Fatalf("inspect: exit %d: %s", code, stderr)
			}
			var rep inspectReport
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatal(err)
			}
			m := rep.Metadata
			if m.Kind != modelfile.KindModel || m.Arch.ISize != 16 || m.Arch.NZ != 8 || m.Calibration == nil || m.Calibration.Threshold <= 0 || rep.EngineError != "" || rep.MACs <= 0 {
				t.Errorf("inspect report %+v", rep)
			}
			weights, scales := 0, 0
			for _, tn := range rep.Tensors {
				if strings.HasSuffix(tn.Name, ".weight") {
					weights++
					if tn.DType != tc.weightType {
						t.Errorf("%s stored as %s, want %s", tn.Name, tn.DType, tc.weightType)
					}
				}
				if strings.HasSuffix(tn.Name, ".weight_scale") {
					scales++
				}
				if strings.Contains(tn.Name, "batchnorm") {
					t.Errorf("BatchNorm tensor %s left in a model file", tn.Name)
				}
			}
			if (tc.dtype == "i8") != (scales == weights) || weights == 0 {
				t.Errorf("%d weights, %d scales", weights, scales)
			}
			code, text, _ := runCLI(t, "inspect", model)
			if code != 0 || !strings.Contains(text, "isize 16") || !strings.Contains(text, "NAME") || !strings.Contains(text, "engine         loads") {
				t.Errorf("inspect text: exit %d\n%s", code, text)
			}

			// Flags after the paths work too.
			code, stdout, stderr = runCLI(t, "score", test, "-model", model, "-format", "json")
			if code != exitFail {
				t.Fatalf("score with a corrupt file: exit %d, want 1\n%s", code, stderr)
			}
			rows, sum := decodeRows(t, stdout)
			if len(rows) != 7 {
				t.Fatalf("%d rows, want 6 images + 1 corrupt (README.txt skipped):\n%s", len(rows), stdout)
			}
			f, err := modelfile.Open(model)
			if err != nil {
				t.Fatal(err)
			}
			eng, err := engine.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.Path == nil || r.Error == nil {
					t.Fatalf("row without path or error field: %+v", r)
				}
				if r.Threshold != m.Calibration.Threshold {
					t.Errorf("%s: threshold %v, want the model's %v", *r.Path, r.Threshold, m.Calibration.Threshold)
				}
				wantLabel := "normal"
				if strings.Contains(*r.Path, "1.abnormal") {
					wantLabel = "anomalous"
				}
				if r.Label != wantLabel {
					t.Errorf("%s: label %q, want %q", *r.Path, r.Label, wantLabel)
				}
				if strings.HasSuffix(*r.Path, "zz-corrupt.png") {
					if r.Score != nil || r.Verdict != "" || !strings.Contains(*r.Error, "png") {
						t.Errorf("corrupt row %+v", r)
					}
					continue
				}
				if *r.Error != "" || r.Score == nil {
					t.Fatalf("%s: not scored: %s", *r.Path, *r.Error)
				}
				// The score is exactly the engine's on the preprocessed file.
				x, err := preprocess.LoadFile(*r.Path, 16, eng.Arch().NC, eng.Meta().Norm)
				if err != nil {
					t.Fatal(err)
				}
				res, err := eng.Forward(x)
				if err != nil {
					t.Fatal(err)
				}
				if *r.Score != res.Score {
					t.Errorf("%s: score %v, engine %v", *r.Path, *r.Score, res.Score)
				}
				if want := map[bool]string{true: "anomalous", false: "normal"}[res.Score > r.Threshold]; r.Verdict != want {
					t.Errorf("%s: verdict %q, want %q", *r.Path, r.Verdict, want)
				}
			}
			if sum == nil {
				t.Fatalf("no summary element:\n%s", stdout)
			}
			auroc := sum["auroc"].(float64)
			if sum["normals"].(float64) != 3 || sum["anomalies"].(float64) != 3 || sum["failed"].(float64) != 1 ||
				!(auroc >= 0 && auroc <= 1) || sum["auprc"] == nil {
				t.Errorf("summary %v", sum)
			}
			if sk, _ := sum["skipped"].([]any); len(sk) != 1 || sk[0] != filepath.Join(test, "README.txt") {
				t.Errorf("summary skipped %v, want the README", sum["skipped"])
			}
			if !strings.Contains(stderr, "README.txt") || !strings.Contains(stderr, "not an image") {
				t.Errorf("stderr does not name the skipped README and why:\n%s", stderr)
			}
		})
	}
}

func TestInitIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	read := func(name, seed string) []byte {
		path := filepath.Join(dir, name)
		// Same command line (the file records it), different output folder.
		if code, _, stderr := runCLI(t, append([]string{"init", "-out", path, "-seed", seed}, small...)...); code != 0 {
			t.Fatal(stderr)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := read("a.safetensors", "1")
	os.Rename(filepath.Join(dir, "a.safetensors"), filepath.Join(dir, "first.safetensors"))
	b := read("a.safetensors", "1")
	if !bytes.Equal(a, b) {
		t.Error("the same init command wrote different files")
	}
	c := read("a.safetensors", "2")
	if bytes.Equal(a, c) {
		t.Error("different seeds wrote the same file")
	}
}

func TestScoreFormatsAndOptions(t *testing.T) {
	dir := t.TempDir()
	labelledFolder(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	if code, _, stderr := runCLI(t, append([]string{"init", "-out", model}, small...)...); code != 0 {
		t.Fatal(stderr)
	}
	normals := filepath.Join(dir, "test", "0.normal")
	flat := filepath.Join(normals, "flata.png")

	t.Run("table", func(t *testing.T) {
		code, stdout, _ := runCLI(t, "score", "-model", model, filepath.Join(dir, "test"))
		if code != exitFail {
			t.Errorf("exit %d, want 1 (corrupt file)", code)
		}
		for _, want := range []string{"PATH", "SCORE", "VERDICT", "THRESHOLD", "LABEL", "ERROR", "7 images: 6 scored, 1 failed", "AUROC", "AUPRC"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("table lacks %q:\n%s", want, stdout)
			}
		}
	})
	t.Run("csv", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "score", "-model", model, "-format", "csv", normals)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 4 || strings.Join(recs[0], ",") != "path,score,verdict,threshold,label,error" {
			t.Fatalf("csv %v", recs)
		}
		for _, r := range recs[1:] {
			if r[2] != "normal" && r[2] != "anomalous" || r[4] != "normal" || r[5] != "" {
				t.Errorf("csv row %v", r)
			}
		}
	})
	t.Run("threshold override", func(t *testing.T) {
		for _, tc := range []struct{ threshold, verdict string }{{"0", "anomalous"}, {"1e9", "normal"}} {
			_, stdout, _ := runCLI(t, "score", "-model", model, "-format", "json", "-threshold", tc.threshold, normals)
			rows, sum := decodeRows(t, stdout)
			if sum != nil {
				t.Error("summary without anomalies")
			}
			for _, r := range rows {
				if r.Verdict != tc.verdict {
					t.Errorf("threshold %s: %s is %s", tc.threshold, *r.Path, r.Verdict)
				}
			}
		}
	})
	t.Run("missing path and empty folder", func(t *testing.T) {
		empty := filepath.Join(dir, "empty")
		os.Mkdir(empty, 0o755)
		code, stdout, _ := runCLI(t, "score", "-model", model, "-format", "json", flat, filepath.Join(dir, "nope.png"), empty, flat)
		if code != exitFail {
			t.Errorf("exit %d, want 1", code)
		}
		rows, _ := decodeRows(t, stdout)
		if len(rows) != 3 || *rows[0].Error != "" || !strings.Contains(strings.ToLower(*rows[1].Error), "no such file") || !strings.Contains(*rows[2].Error, "no image files") {
			t.Errorf("rows %+v (the repeated file is scored once)", rows)
		}
	})
	t.Run("workers do not change results", func(t *testing.T) {
		_, one, _ := runCLI(t, "score", "-model", model, "-format", "json", "-workers", "1", filepath.Join(dir, "test"))
		_, four, _ := runCLI(t, "score", "-model", model, "-format", "json", "-workers", "4", filepath.Join(dir, "test"))
		if one != four {
			t.Error("-workers 1 and -workers 4 give different output")
		}
	})
	t.Run("heatmaps", func(t *testing.T) {
		heat := filepath.Join(dir, "heat")
		code, stdout, _ := runCLI(t, "score", "-model", model, "-format", "json", "-heatmaps", heat, normals, flat)
		if code != exitOK {
			t.Fatalf("exit %d", code)
		}
		rows, _ := decodeRows(t, stdout)
		for _, r := range rows {
			if r.Heatmap == "" {
				t.Fatalf("%s: no heatmap", *r.Path)
			}
			f, err := os.Open(r.Heatmap)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			// A result card: three 128-pixel panels side by side, text below.
			if b := img.Bounds(); b.Dx() < 3*128 || b.Dy() < 128 {
				t.Errorf("%s: %v", r.Heatmap, img.Bounds())
			}
		}
		if !strings.HasPrefix(rows[0].Heatmap, filepath.Join(heat, "0.normal")+string(filepath.Separator)) {
			t.Errorf("folder structure not mirrored: %s", rows[0].Heatmap)
		}
	})
}

// TestInspectForeignSafetensors: a valid safetensors file that is not a
// ganomaly model file shows its tensors and says what it is not.
func TestInspectForeignSafetensors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "other.safetensors")
	var b bytes.Buffer
	if err := modelfile.Encode(&b, []*modelfile.Tensor{modelfile.NewF32("encoder.0.weight", []int{2, 3}, make([]float32, 6))}, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, b.Bytes(), 0o644)
	code, stdout, stderr := runCLI(t, "inspect", path)
	if code != exitFail || !strings.Contains(stdout, "encoder.0.weight") || !strings.Contains(stdout, "[2 3]") ||
		!strings.Contains(stdout, "NOT a ganomaly model file") || !strings.Contains(stdout, "format = pt") ||
		!strings.Contains(stderr, "not a ganomaly model file") {
		t.Errorf("inspect of a foreign safetensors: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "inspect", "-json", path)
	var rep inspectReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != exitFail || rep.Metadata != nil || rep.NotGanomaly == "" ||
		len(rep.Tensors) != 1 || rep.Parameters != 6 || rep.RawMetadata["format"] != "pt" {
		t.Errorf("inspect -json: exit %d, %+v (%v)", code, rep, err)
	}
}

// TestErrorsNameThePathOnce: "ganomaly inspect: F: F: ..." says F twice.
func TestErrorsNameThePathOnce(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.safetensors")
	os.WriteFile(junk, []byte("definitely not safetensors"), 0o644)
	for _, args := range [][]string{{"inspect", junk}, {"score", "-model", junk, dir}} {
		_, _, stderr := runCLI(t, args...)
		if n := strings.Count(stderr, junk); n != 1 {
			t.Errorf("%v: the path appears %d times:\n%s", args, n, stderr)
		}
	}
}

// TestScoreFolderRules: a folder scan takes images by extension or content,
// and names what it skipped and why on stderr and in the JSON summary.
func TestScoreFolderRules(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.safetensors")
	if code, _, stderr := runCLI(t, append([]string{"init", "-out", model}, small...)...); code != 0 {
		t.Fatal(stderr)
	}
	imgs := filepath.Join(dir, "imgs")
	flat := image.NewGray(image.Rect(0, 0, 16, 16))
	for _, name := range []string{"a.png", "no-extension", "wrong.txt", ".hidden.png", ".cache/b.png"} {
		writePNG(t, filepath.Join(imgs, name), flat)
	}
	os.WriteFile(filepath.Join(imgs, "logo.svg"), []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"), 0o644)
	os.WriteFile(filepath.Join(imgs, "notes.md"), []byte("# notes"), 0o644)

	for _, format := range []string{"json", "table", "csv"} {
		code, stdout, stderr := runCLI(t, "score", "-model", model, "-threshold", "1", "-format", format, imgs)
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s", format, code, stderr)
		}
		for _, want := range []string{".cache", ".hidden.png", "hidden", "logo.svg", "SVG", "notes.md", "not an image"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", format, want, stderr)
			}
		}
		if format != "json" {
			continue
		}
		rows, sum := decodeRows(t, stdout)
		var got []string
		for _, r := range rows {
			got = append(got, filepath.Base(*r.Path))
			if r.Score == nil {
				t.Errorf("%s not scored: %s", *r.Path, *r.Error)
			}
		}
		if strings.Join(got, " ") != "a.png no-extension wrong.txt" {
			t.Errorf("scored %v, want the three PNGs (one without, one with a wrong extension)", got)
		}
		if sum == nil {
			t.Fatalf("no summary element although files were skipped:\n%s", stdout)
		}
		var skipped []string
		for _, p := range sum["skipped"].([]any) {
			skipped = append(skipped, filepath.Base(p.(string)))
		}
		if strings.Join(skipped, " ") != ".cache .hidden.png logo.svg notes.md" {
			t.Errorf("skipped %v", skipped)
		}
		reasons := sum["skip_reasons"].(map[string]any)
		if r, _ := reasons[filepath.Join(imgs, "logo.svg")].(string); !strings.Contains(r, "SVG") {
			t.Errorf("skip_reasons %v", reasons)
		}
		if _, ok := sum["auroc"]; ok {
			t.Errorf("an unlabelled summary has an AUROC: %v", sum)
		}
	}
}

// TestCheckpointFiles covers a training checkpoint (BatchNorm unfolded, no
// calibration): inspect shows it, score needs -threshold.
func TestCheckpointFiles(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "netG.safetensors")
	if err := engine.Init(modelfile.Arch{ISize: 16, NC: 1, NZ: 8, NGF: 8}, 3).Save(ckpt); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "inspect", ckpt)
	if code != exitOK || !strings.Contains(stdout, "kind checkpoint") || !strings.Contains(stdout, "batchnorm.running_var") ||
		!strings.Contains(stdout, "not calibrated") {
		t.Errorf("inspect checkpoint: exit %d\n%s\n%s", code, stdout, stderr)
	}
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	path := filepath.Join(dir, "a.png")
	writePNG(t, path, img)
	if code, _, stderr := runCLI(t, "score", "-model", ckpt, path); code != exitUsage || !strings.Contains(stderr, "-threshold") {
		t.Errorf("score with an uncalibrated checkpoint: exit %d, %s", code, stderr)
	}
	code, stdout, stderr = runCLI(t, "score", "-model", ckpt, "-threshold", "0.5", "-format", "json", path)
	rows, _ := decodeRows(t, stdout)
	if code != exitOK || len(rows) != 1 || rows[0].Score == nil || rows[0].Threshold != 0.5 || rows[0].Verdict != "normal" {
		t.Errorf("score with -threshold: exit %d %s %+v", code, stderr, rows)
	}
}

// TestScoreGolden pins the scores of a random model (init) on fixture
// images, end to end: init, the model file, preprocessing and the engine,
// exactly, natively and under GOOS=js GOARCH=wasm alike: this is the
// end-to-end proof that the CLI and the browser (same code in wasm) agree to
// the last bit. The scores of a random model are tiny (latentI ≈ latentO), so
// a change of the engine's summation order moves them in the 7th digit: such
// a change must update these values together with the engine's golden hash
// (engine/engine_test.go), after checking that native and wasm still agree.
func TestScoreGolden(t *testing.T) {
	dir := t.TempDir()
	images := []string{
		filepath.Join("..", "..", "preprocess", "testdata", "orient_6.jpg"),
		filepath.Join("..", "..", "preprocess", "testdata", "cmyk.jpg"),
		filepath.Join("..", "..", "preprocess", "testdata", "gray16.tiff"),
	}
	tests := []struct {
		dtype, nc string
		want      []string // strconv 'g' -1 of each score
	}{
		{"f32", "1", []string{"1.7715304826714019e-06", "1.2529247628724104e-06", "2.1070193291330426e-06"}},
		{"f16", "3", []string{"9.768693956148166e-06", "4.261143340558678e-06", "8.230018150473958e-06"}},
		{"i8", "3", []string{"9.657375971939865e-06", "4.292133862587386e-06", "8.332664829591379e-06"}},
	}
	for _, tc := range tests {
		model := filepath.Join(dir, tc.dtype+tc.nc+".safetensors")
		if code, _, stderr := runCLI(t, append([]string{"init", "-out", model, "-seed", "11", "-dtype", tc.dtype, "-nc", tc.nc}, small...)...); code != 0 {
			t.Fatal(stderr)
		}
		code, stdout, stderr := runCLI(t, append([]string{"score", "-model", model, "-format", "csv"}, images...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range tc.want {
			got, err := strconv.ParseFloat(recs[i+1][1], 64)
			w, _ := strconv.ParseFloat(want, 64)
			if err != nil || got != w {
				t.Errorf("%s nc %s, %s: score %s, want %s", tc.dtype, tc.nc, filepath.Base(images[i]), recs[i+1][1], want)
			}
		}
	}
}

// TestDTypeRoundTrip scores the same images with the same random weights
// stored as F32, F16 and I8: the reduced precisions stay close to F32.
// Tolerances: F16 rounds each weight to 11 significant bits (relative error
// up to 4.9e-4, averaging out over a layer), I8 to 127 levels per output
// channel (0.4 % of the channel's largest weight); scores are squared
// latent differences, so their relative error is about twice the latents'.
func TestDTypeRoundTrip(t *testing.T) {
	dir := t.TempDir()
	images := []string{
		filepath.Join("..", "..", "preprocess", "testdata", "orient_6.jpg"),
		filepath.Join("..", "..", "preprocess", "testdata", "cmyk.jpg"),
		filepath.Join("..", "..", "preprocess", "testdata", "resize_src_rgb.png"),
	}
	scores := map[string][]float64{}
	for _, dtype := range []string{"f32", "f16", "i8"} {
		model := filepath.Join(dir, dtype+".safetensors")
		if code, _, stderr := runCLI(t, append([]string{"init", "-out", model, "-seed", "5", "-dtype", dtype, "-nc", "3"}, small...)...); code != 0 {
			t.Fatal(stderr)
		}
		_, stdout, _ := runCLI(t, append([]string{"score", "-model", model, "-format", "json"}, images...)...)
		rows, _ := decodeRows(t, stdout)
		for _, r := range rows {
			if r.Score == nil {
				t.Fatalf("%s: %s not scored: %s", dtype, *r.Path, *r.Error)
			}
			scores[dtype] = append(scores[dtype], *r.Score)
		}
	}
	for _, tc := range []struct {
		dtype string
		tol   float64
	}{{"f16", 2e-3}, {"i8", 5e-2}} {
		for i, want := range scores["f32"] {
			got := scores[tc.dtype][i]
			if rel := math.Abs(got-want) / want; !(rel <= tc.tol) {
				t.Errorf("%s %s: score %v vs f32 %v (relative %.2g > %v)", tc.dtype, filepath.Base(images[i]), got, want, rel, tc.tol)
			}
		}
	}
}

// TestInspectWords: the words a model file carries, and the defaults from
// its dataset where it carries none, in the text and the -json output.
func TestInspectWords(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		about *modelfile.About
		text  []string
		json  modelfile.About
	}{
		{"chosen", &modelfile.About{Title: "Fabric", Description: "Finds scratches.", NormalName: "good part", AbnormalName: "scratched"},
			[]string{"title             Fabric\n", "normal means      good part\n", "anomaly means     scratched\n", "about             Finds scratches.\n"},
			modelfile.About{Title: "Fabric", NormalName: "good part", AbnormalName: "scratched"}},
		{"defaults", nil,
			[]string{"title             GANomaly model (default)", "normal means      normal (default)", "anomaly means     abnormal (default)"},
			modelfile.About{Title: "GANomaly model", NormalName: "normal", AbnormalName: "abnormal"}},
	}
	for _, tc := range tests {
		f, err := engine.Fold(engine.Init(modelfile.Arch{ISize: 16, NC: 1, NZ: 8, NGF: 8}, 3))
		if err != nil {
			t.Fatal(err)
		}
		f.Meta.Dataset = &modelfile.Dataset{Name: "folder", NormalClasses: []string{"0.normal"}, AbnormalClasses: []string{"1.abnormal"}}
		f.Meta.About = tc.about
		path := filepath.Join(dir, tc.name+".safetensors")
		if err := f.Save(path); err != nil {
			t.Fatal(err)
		}
		_, text, _ := runCLI(t, "inspect", path)
		for _, want := range tc.text {
			if !strings.Contains(text, want) {
				t.Errorf("%s: inspect text lacks %q:\n%s", tc.name, want, text)
			}
		}
		_, js, _ := runCLI(t, "inspect", "-json", path)
		var rep inspectReport
		if err := json.Unmarshal([]byte(js), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Words == nil {
			t.Fatalf("%s: -json has no words", tc.name)
		}
		got := *rep.Words
		got.Description = ""
		if got != tc.json || rep.Words.Description == "" {
			t.Errorf("%s: -json words %+v, want %+v and a description", tc.name, rep.Words, tc.json)
		}
	}
}
