package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/onnx"
	"github.com/ganomaly-go/ganomaly/onnx/onnxpb"
)

func readONNX(t *testing.T, path string) (*onnxpb.ModelProto, map[string]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	props := map[string]string{}
	for _, p := range m.GetMetadataProps() {
		props[p.GetKey()] = p.GetValue()
	}
	return &m, props
}

func opTypes(m *onnxpb.ModelProto) map[string]bool {
	ops := map[string]bool{}
	for _, n := range m.GetGraph().GetNode() {
		ops[n.GetOpType()] = true
	}
	return ops
}

// TestONNXFromEveryInput exports a checkpoint, the original code's netG.pth
// and quantised model files to ONNX: the metadata travels, a model file keeps
// its storage and calibration unless -dtype says otherwise.
func TestONNXFromEveryInput(t *testing.T) {
	a := modelfile.Arch{ISize: 16, NC: 1, NZ: 10, NGF: 8}
	cal := &modelfile.Calibration{Threshold: 0.25, ThresholdFPR: 0.05, ValCount: 20}
	ckpt := testCheckpoint(t, a, 2, cal)
	dir := t.TempDir()
	i8 := filepath.Join(dir, "model-i8.safetensors")
	mustExport(t, "-checkpoint", ckpt, "-out", i8, "-dtype", "i8", "-keep-calibration")
	pth := filepath.Join("testdata", "original-tiny", "netG.pth")

	for _, c := range []struct {
		name      string
		args      []string
		ops, noOp string
		threshold string // "" = no calibration
		input     string
	}{
		{"checkpoint", []string{"-checkpoint", ckpt}, "Conv", "DequantizeLinear", "0.25", onnx.InputNormalized},
		{"checkpoint f16", []string{"-checkpoint", ckpt, "-dtype", "f16", "-keep-calibration"}, "Cast", "DequantizeLinear", "0.25", onnx.InputNormalized},
		{"i8 model file as stored", []string{"-checkpoint", i8}, "DequantizeLinear", "Cast", "0.25", onnx.InputNormalized},
		{"i8 model file to f32", []string{"-checkpoint", i8, "-dtype", "f32", "-pixels"}, "Sub", "DequantizeLinear", "0.25", onnx.InputPixels},
		{"netG.pth", []string{"-checkpoint", pth, "-mean", "0.5", "-std", "0.5"}, "ConvTranspose", "BatchNormalization", "", onnx.InputNormalized},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m.onnx")
			mustExport(t, append([]string{"-format", "onnx", "-out", out}, c.args...)...)
			m, props := readONNX(t, out)
			ops := opTypes(m)
			if !ops[c.ops] || ops[c.noOp] {
				t.Errorf("ops %v: want %s and no %s", ops, c.ops, c.noOp)
			}
			if props[onnx.MetaKeyThreshold] != c.threshold || props[onnx.MetaKeyInput] != c.input {
				t.Errorf("threshold %q input %q, want %q %q", props[onnx.MetaKeyThreshold], props[onnx.MetaKeyInput], c.threshold, c.input)
			}
			var meta modelfile.Metadata
			if err := json.Unmarshal([]byte(props[modelfile.MetaKeyJSON]), &meta); err != nil {
				t.Fatal(err)
			}
			if meta.Kind != modelfile.KindModel || meta.Arch.NZ == 0 {
				t.Errorf("metadata %+v", meta)
			}
		})
	}
}

func TestONNXErrorsWriteNothing(t *testing.T) {
	a := modelfile.Arch{ISize: 16, NC: 1, NZ: 10, NGF: 8}
	ckpt := testCheckpoint(t, a, 1, nil)
	dir := t.TempDir()
	future := filepath.Join(dir, "future.safetensors")
	f, err := modelfile.Open(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	f.Meta.FormatVersion = modelfile.FormatVersion + 1
	ts := f.Tensors()
	kv := map[string]string{modelfile.MetaKeyFormat: "ganomaly", modelfile.MetaKeyVersion: "2"}
	js, _ := json.Marshal(f.Meta)
	kv[modelfile.MetaKeyJSON] = string(js)
	if err := modelfile.WriteFileAtomic(future, func(w io.Writer) error { return modelfile.Encode(w, ts, kv) }); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.onnx")
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown format", []string{"-format", "tflite", "-checkpoint", ckpt, "-out", out}, 2, "want safetensors or onnx"},
		{"onnx name without -format", []string{"-checkpoint", ckpt, "-out", out}, 2, "add -format onnx"},
		{"pixels without onnx", []string{"-pixels", "-checkpoint", ckpt, "-out", filepath.Join(dir, "m.safetensors")}, 2, "-pixels"},
		{"newer model file", []string{"-format", "onnx", "-checkpoint", future, "-out", out}, 1, "newer than this program understands"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, msg := runExporter(t, c.args...)
			if code != c.code || !strings.Contains(msg, c.msg) {
				t.Errorf("exit %d with\n%s\nwant exit %d and a message containing %q", code, msg, c.code, c.msg)
			}
		})
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.onnx*"))
	left2, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left)+len(left2) > 0 || fileExists(filepath.Join(dir, "m.safetensors")) {
		t.Errorf("a failed export left files behind: %v %v", left, left2)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
