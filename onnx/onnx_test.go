package onnx

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/onnx/onnxpb"
	"github.com/ganomaly-go/ganomaly/spec"
)

var small = modelfile.Arch{ISize: 16, NC: 3, NZ: 8, NGF: 4, ExtraLayers: 1}

// model returns a folded model file of arch with weights stored as dtype.
func model(t *testing.T, arch modelfile.Arch, dtype modelfile.DType) *modelfile.File {
	t.Helper()
	folded, err := engine.Fold(engine.Init(arch, 3))
	if err != nil {
		t.Fatal(err)
	}
	out := modelfile.New(folded.Meta)
	for _, s := range spec.GeneratorLayers(arch) {
		w, shape, err := folded.Float32s(s.Key() + ".weight")
		if err != nil {
			t.Fatal(err)
		}
		switch dtype {
		case modelfile.F32:
			out.Add(modelfile.NewF32(s.Key()+".weight", shape, w))
		case modelfile.F16:
			out.Add(modelfile.NewF16(s.Key()+".weight", shape, w))
		case modelfile.I8:
			q, sc := modelfile.Quantize(s.Key()+".weight", shape, w, s.OutputAxis())
			out.Add(q)
			out.Add(sc)
		}
		out.Add(folded.Tensor(s.Key() + ".bias"))
	}
	return out
}

func TestBuildRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		src   func(t *testing.T) *modelfile.File
		ops   []string // ops that must appear
		noOps []string // ops that must not
	}{
		{"checkpoint", func(*testing.T) *modelfile.File { return engine.Init(small, 1) }, []string{"Conv", "ConvTranspose", "LeakyRelu", "Relu", "Tanh"}, []string{"BatchNormalization", "Cast", "DequantizeLinear"}},
		{"f32", func(t *testing.T) *modelfile.File { return model(t, small, modelfile.F32) }, []string{"Conv"}, []string{"Cast", "DequantizeLinear"}},
		{"f16", func(t *testing.T) *modelfile.File { return model(t, small, modelfile.F16) }, []string{"Cast"}, []string{"DequantizeLinear"}},
		{"i8", func(t *testing.T) *modelfile.File { return model(t, small, modelfile.I8) }, []string{"DequantizeLinear"}, []string{"Cast"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src(t)
			b, err := Marshal(src, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var m onnxpb.ModelProto
			if err := proto.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if m.GetOpsetImport()[0].GetVersion() != Opset || m.GetIrVersion() != IRVersion {
				t.Errorf("opset %v, IR %d", m.GetOpsetImport(), m.GetIrVersion())
			}
			g := m.GetGraph()
			var outs []string
			for _, o := range g.GetOutput() {
				outs = append(outs, o.GetName())
			}
			if want := []string{OutputScore, OutputXHat, OutputLatentI, OutputLatentO, OutputDiff}; !slices.Equal(outs, want) {
				t.Errorf("outputs %v, want %v", outs, want)
			}
			in := g.GetInput()[0].GetType().GetTensorType().GetShape().GetDim()
			if g.GetInput()[0].GetName() != InputX || in[0].GetDimParam() != "N" || in[1].GetDimValue() != 3 || in[3].GetDimValue() != 16 {
				t.Errorf("input %v", g.GetInput()[0])
			}
			ops := map[string]int{}
			produced := map[string]bool{InputX: true}
			for _, init := range g.GetInitializer() {
				produced[init.GetName()] = true
			}
			for _, n := range g.GetNode() {
				ops[n.GetOpType()]++
				for _, i := range n.GetInput() {
					if !produced[i] {
						t.Fatalf("node %s reads %s before anything produces it", n.GetName(), i)
					}
				}
				produced[n.GetOutput()[0]] = true
			}
			for _, o := range outs {
				if !produced[o] {
					t.Errorf("output %s is never produced", o)
				}
			}
			nLayers := len(spec.GeneratorLayers(small))
			if ops["Conv"]+ops["ConvTranspose"] != nLayers {
				t.Errorf("%d convolutions, want %d", ops["Conv"]+ops["ConvTranspose"], nLayers)
			}
			for _, op := range tc.ops {
				if ops[op] == 0 {
					t.Errorf("no %s node", op)
				}
			}
			for _, op := range tc.noOps {
				if ops[op] != 0 {
					t.Errorf("%d %s nodes", ops[op], op)
				}
			}
			props := map[string]string{}
			for _, p := range m.GetMetadataProps() {
				props[p.GetKey()] = p.GetValue()
			}
			var meta modelfile.Metadata
			if err := json.Unmarshal([]byte(props[modelfile.MetaKeyJSON]), &meta); err != nil {
				t.Fatal(err)
			}
			if meta.Arch != small || props[MetaKeyInput] != InputNormalized || props[MetaKeyMean] != "[0.5,0.5,0.5]" {
				t.Errorf("metadata %+v, props %v", meta, props)
			}
		})
	}
}

func TestPixelsAndThreshold(t *testing.T) {
	f := model(t, small, modelfile.F32)
	f.Meta.Calibration = &modelfile.Calibration{Threshold: 0.125, ThresholdFPR: 0.05}
	m, err := Build(f, Options{Pixels: true})
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]string{}
	for _, p := range m.GetMetadataProps() {
		props[p.GetKey()] = p.GetValue()
	}
	if props[MetaKeyInput] != InputPixels || props[MetaKeyThreshold] != "0.125" || props[MetaKeyThresholdFPR] != "0.05" {
		t.Errorf("props %v", props)
	}
	first := m.GetGraph().GetNode()[0]
	if first.GetOpType() != "Sub" || first.GetInput()[0] != InputX {
		t.Errorf("first node %v, want the normalisation", first)
	}
}

func TestUnsupported(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(f *modelfile.File)
		want   string
	}{
		{"newer format", func(f *modelfile.File) { f.Meta.FormatVersion = modelfile.FormatVersion + 1 }, "newer than this program understands"},
		{"bf16 weight", func(f *modelfile.File) {
			t := f.Tensor("encoder1.main.initial-conv-3-4.weight")
			t.DType = "BF16"
		}, "weights must be F32, F16 or I8"},
		{"missing bias", func(f *modelfile.File) {
			g := modelfile.New(f.Meta)
			for _, t := range f.Tensors() {
				if t.Name != "decoder.main.final-4-3-convt.bias" {
					g.Add(t)
				}
			}
			*f = *g
		}, "no folded bias"},
		{"wrong shape", func(f *modelfile.File) {
			f.Tensor("encoder2.main.final-8-1-conv.weight").Shape = []int{8, 8, 2, 8}
		}, "has shape [8 8 2 8]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := model(t, small, modelfile.F32)
			tc.break_(f)
			_, err := Marshal(f, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	f := model(t, small, modelfile.I8)
	g := modelfile.New(f.Meta)
	for _, tt := range f.Tensors() {
		if !strings.HasSuffix(tt.Name, modelfile.ScaleSuffix) {
			g.Add(tt)
		}
	}
	var ue *UnsupportedError
	if _, err := Build(g, Options{}); !errors.As(err, &ue) || !strings.Contains(err.Error(), "no scale tensor") {
		t.Errorf("I8 without scales: %v", err)
	}
}
