// Package onnx writes a GANomaly generator as an ONNX model, so that
// onnxruntime (server, mobile, web), OpenVINO or TensorRT can run it.
//
// The graph is built from the one layer spec (spec.GeneratorLayers): E1, the
// decoder and E2 as Conv / ConvTranspose nodes with the BatchNorm already
// folded into their weights and biases, exactly the weights the engine runs,
// followed by the score and the heat map:
//
//	input   x         float32 [N, nc, isize, isize]
//	output  score     float32 [N]                  mean over nz of (latent_i − latent_o)²
//	output  x_hat     float32 [N, nc, isize, isize] the reconstruction, normalised units
//	output  latent_i  float32 [N, nz]              E1(x)
//	output  latent_o  float32 [N, nz]              E2(x̂)
//	output  diff      float32 [N, isize, isize]    |x − x̂| averaged over channels
//
// x is normalised as the model's metadata says, (p − mean[c]) / std[c] of
// pixels p in [0, 1]; with Options.Pixels the graph does that itself and x
// is the pixels. Weights keep the model file's storage: F32 as float
// initializers, F16 through a Cast to float, I8 through a per-channel
// DequantizeLinear, each computing exactly the float32 values the engine
// computes. The model file's metadata travels in metadata_props.
package onnx

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/ganomaly-go/ganomaly/engine"
	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/onnx/onnxpb"
	"github.com/ganomaly-go/ganomaly/spec"
)

// Opset is the ONNX operator set version the graph uses: 13 is the oldest
// with per-channel DequantizeLinear and is read by every current runtime.
const Opset = 13

// IRVersion is the ONNX IR version that goes with Opset 13.
const IRVersion = 7

// Names of the graph's input and outputs.
const (
	InputX        = "x"
	OutputScore   = "score"
	OutputXHat    = "x_hat"
	OutputLatentI = "latent_i"
	OutputLatentO = "latent_o"
	OutputDiff    = "diff"
)

// Metadata keys in metadata_props besides the model file's own
// (modelfile.MetaKeyFormat, MetaKeyVersion, MetaKeyJSON).
const (
	MetaKeyInput        = "input"         // InputNormalized or InputPixels
	MetaKeyThreshold    = "threshold"     // decimal; absent when the model has no calibration
	MetaKeyThresholdFPR = "threshold_fpr" // false-positive rate on the validation normals
	MetaKeyMean         = "mean"          // JSON array, per channel
	MetaKeyStd          = "std"           // JSON array, per channel
)

// Values of MetaKeyInput.
const (
	InputNormalized = "normalized" // x = (p − mean) / std, p in [0, 1]
	InputPixels     = "pixels"     // x = p in [0, 1]; the graph normalises
)

// Options change how the graph is built.
type Options struct {
	// Pixels puts the normalisation into the graph: callers feed pixels in
	// [0, 1]. x_hat and diff stay in normalised units, as the engine's.
	Pixels bool
}

// UnsupportedError reports a model that this package cannot express.
type UnsupportedError struct {
	What string
}

func (e *UnsupportedError) Error() string { return "onnx: cannot express the model: " + e.What }

// Build returns the ONNX model of f's generator. f is a checkpoint (its
// BatchNorm is folded with engine.Fold, as the engine does) or a model file
// (F32, F16 or I8 weights, biases F32).
func Build(f *modelfile.File, opt Options) (*onnxpb.ModelProto, error) {
	if err := f.Meta.Validate(); err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	if f.Meta.Kind == modelfile.KindCheckpoint {
		folded, err := engine.Fold(f)
		if err != nil {
			return nil, fmt.Errorf("onnx: folding BatchNorm: %w", err)
		}
		f = folded
	}
	b := &builder{f: f, arch: f.Meta.Arch}
	if err := b.graph(opt); err != nil {
		return nil, err
	}
	props, err := metadataProps(f.Meta, opt)
	if err != nil {
		return nil, err
	}
	return &onnxpb.ModelProto{
		IrVersion:       proto.Int64(IRVersion),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(Opset)}},
		ProducerName:    proto.String("ganomaly-go exporter"),
		ProducerVersion: proto.String(strconv.Itoa(modelfile.FormatVersion)),
		Domain:          proto.String("ganomaly-go"),
		DocString:       proto.String(docString(f.Meta, opt)),
		Graph:           b.g,
		MetadataProps:   props,
	}, nil
}

// Marshal is Build followed by the protobuf encoding: the bytes of a .onnx
// file.
func Marshal(f *modelfile.File, opt Options) ([]byte, error) {
	m, err := Build(f, opt)
	if err != nil {
		return nil, err
	}
	out, err := proto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("onnx: encoding: %w", err)
	}
	return out, nil
}

func docString(m modelfile.Metadata, opt Options) string {
	in := "x = (p - mean[c]) / std[c] of pixels p in [0, 1], NCHW"
	if opt.Pixels {
		in = "x = pixels in [0, 1], NCHW (normalised inside the graph)"
	}
	return fmt.Sprintf("GANomaly generator (isize %d, nc %d, nz %d, ngf %d, extralayers %d), BatchNorm folded. Input %s. "+
		"Outputs: score [N] = mean over nz of (latent_i - latent_o)^2 (higher is more anomalous; compare with metadata threshold), "+
		"x_hat [N,nc,isize,isize], latent_i [N,nz], latent_o [N,nz], diff [N,isize,isize] = |x - x_hat| averaged over channels (normalised units).",
		m.Arch.ISize, m.Arch.NC, m.Arch.NZ, m.Arch.NGF, m.Arch.ExtraLayers, in)
}

// metadataProps carries the model file's __metadata__ unchanged (so the
// JSON under modelfile.MetaKeyJSON parses as modelfile.Metadata) plus flat
// keys a deployment reads without parsing it.
func metadataProps(m modelfile.Metadata, opt Options) ([]*onnxpb.StringStringEntryProto, error) {
	js, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("onnx: metadata: %w", err)
	}
	mean, _ := json.Marshal(m.Norm.Mean)
	std, _ := json.Marshal(m.Norm.Std)
	input := InputNormalized
	if opt.Pixels {
		input = InputPixels
	}
	kv := [][2]string{
		{modelfile.MetaKeyFormat, "ganomaly"},
		{modelfile.MetaKeyVersion, strconv.Itoa(m.FormatVersion)},
		{modelfile.MetaKeyJSON, string(js)},
		{MetaKeyInput, input},
		{MetaKeyMean, string(mean)},
		{MetaKeyStd, string(std)},
	}
	if c := m.Calibration; c != nil {
		kv = append(kv,
			[2]string{MetaKeyThreshold, strconv.FormatFloat(c.Threshold, 'g', -1, 64)},
			[2]string{MetaKeyThresholdFPR, strconv.FormatFloat(c.ThresholdFPR, 'g', -1, 64)})
	}
	out := make([]*onnxpb.StringStringEntryProto, len(kv))
	for i, p := range kv {
		out[i] = &onnxpb.StringStringEntryProto{Key: proto.String(p[0]), Value: proto.String(p[1])}
	}
	return out, nil
}

// builder accumulates the graph's nodes and initializers.
type builder struct {
	f    *modelfile.File
	arch modelfile.Arch
	g    *onnxpb.GraphProto
}

func (b *builder) node(op, out string, in []string, attrs ...*onnxpb.AttributeProto) string {
	b.g.Node = append(b.g.Node, &onnxpb.NodeProto{
		OpType: proto.String(op), Name: proto.String(out), Input: in, Output: []string{out}, Attribute: attrs,
	})
	return out
}

func (b *builder) init(name string, dt onnxpb.TensorProto_DataType, shape []int, raw []byte) string {
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	b.g.Initializer = append(b.g.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), DataType: proto.Int32(int32(dt)), Dims: dims, RawData: raw,
	})
	return name
}

func (b *builder) floats(name string, shape []int, v []float32) string {
	return b.init(name, onnxpb.TensorProto_FLOAT, shape, modelfile.NewF32(name, shape, v).Data)
}

func ints(name string, v ...int) *onnxpb.AttributeProto {
	a := &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum()}
	for _, x := range v {
		a.Ints = append(a.Ints, int64(x))
	}
	return a
}

func integer(name string, v int) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(int64(v))}
}

func float(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

// valueInfo describes a float tensor; a dimension of -1 is the batch N.
func valueInfo(name string, shape ...int) *onnxpb.ValueInfoProto {
	dims := make([]*onnxpb.TensorShapeProto_Dimension, len(shape))
	for i, d := range shape {
		if d < 0 {
			dims[i] = &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}}
		} else {
			dims[i] = &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}}
		}
	}
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
			Shape:    &onnxpb.TensorShapeProto{Dim: dims},
		}}},
	}
}

func (b *builder) graph(opt Options) error {
	a := b.arch
	b.g = &onnxpb.GraphProto{
		Name:  proto.String(fmt.Sprintf("ganomaly_generator_%dx%dx%d", a.ISize, a.ISize, a.NC)),
		Input: []*onnxpb.ValueInfoProto{valueInfo(InputX, -1, a.NC, a.ISize, a.ISize)},
		Output: []*onnxpb.ValueInfoProto{
			valueInfo(OutputScore, -1),
			valueInfo(OutputXHat, -1, a.NC, a.ISize, a.ISize),
			valueInfo(OutputLatentI, -1, a.NZ),
			valueInfo(OutputLatentO, -1, a.NZ),
			valueInfo(OutputDiff, -1, a.ISize, a.ISize),
		},
	}
	x := InputX
	if opt.Pixels {
		mean := make([]float32, a.NC)
		std := make([]float32, a.NC)
		for c := range mean {
			mean[c], std[c] = float32(b.f.Meta.Norm.Mean[c]), float32(b.f.Meta.Norm.Std[c])
		}
		shape := []int{1, a.NC, 1, 1}
		x = b.node("Sub", "x_centred", []string{x, b.floats("norm.mean", shape, mean)})
		x = b.node("Div", "x_normalized", []string{x, b.floats("norm.std", shape, std)})
	}
	specs := spec.GeneratorLayers(a)
	nEnc := len(spec.Encoder("encoder1", a))
	h := x
	var latentI string
	for i, s := range specs {
		var err error
		if h, err = b.layer(s, h); err != nil {
			return err
		}
		switch i {
		case nEnc - 1:
			latentI = h
		case len(specs) - nEnc - 1:
			b.node("Identity", OutputXHat, []string{h})
		}
	}
	b.node("Flatten", OutputLatentI, []string{latentI}, integer("axis", 1))
	b.node("Flatten", OutputLatentO, []string{h}, integer("axis", 1))
	d := b.node("Sub", "latent_diff", []string{OutputLatentI, OutputLatentO})
	sq := b.node("Mul", "latent_diff_sq", []string{d, d})
	b.node("ReduceMean", OutputScore, []string{sq}, ints("axes", 1), integer("keepdims", 0))
	r := b.node("Sub", "residual", []string{x, OutputXHat})
	r = b.node("Abs", "residual_abs", []string{r})
	b.node("ReduceMean", OutputDiff, []string{r}, ints("axes", 1), integer("keepdims", 0))
	return nil
}

// layer appends one convolution (its weight as stored) and its activation.
func (b *builder) layer(s spec.LayerSpec, in string) (string, error) {
	key := s.Key()
	w, err := b.weight(s)
	if err != nil {
		return "", err
	}
	bias, shape, err := b.f.Float32s(key + ".bias")
	if err != nil {
		return "", &UnsupportedError{What: fmt.Sprintf("layer %s has no folded bias (%v): export it from a checkpoint or a model file", key, err)}
	}
	if !slices.Equal(shape, []int{s.OutC}) {
		return "", &UnsupportedError{What: fmt.Sprintf("%s.bias has shape %v, want [%d]", key, shape, s.OutC)}
	}
	op := "Conv"
	if s.Op == spec.ConvT {
		op = "ConvTranspose"
	}
	out := b.node(op, key, []string{in, w, b.floats(key+".bias", shape, bias)},
		ints("kernel_shape", s.K, s.K), ints("strides", s.S, s.S), ints("pads", s.P, s.P, s.P, s.P),
		ints("dilations", 1, 1), integer("group", 1))
	switch s.Act {
	case spec.LeakyReLU:
		return b.node("LeakyRelu", key+".act", []string{out}, float("alpha", spec.LeakySlope)), nil
	case spec.ReLU:
		return b.node("Relu", key+".act", []string{out}), nil
	case spec.Tanh:
		return b.node("Tanh", key+".act", []string{out}), nil
	case spec.None:
		return out, nil
	}
	return "", &UnsupportedError{What: fmt.Sprintf("layer %s: activation %v", key, s.Act)}
}

// weight adds a layer's weight in its stored type and returns the name of
// the float tensor the convolution reads.
func (b *builder) weight(s spec.LayerSpec) (string, error) {
	name := s.Key() + ".weight"
	t := b.f.Tensor(name)
	if t == nil {
		return "", &UnsupportedError{What: fmt.Sprintf("tensor %s is missing for architecture %+v", name, b.arch)}
	}
	if !slices.Equal(t.Shape, s.WeightShape()) {
		return "", &UnsupportedError{What: fmt.Sprintf("%s has shape %v, want %v for architecture %+v", name, t.Shape, s.WeightShape(), b.arch)}
	}
	if t.DType.Size() == 0 {
		return "", &UnsupportedError{What: fmt.Sprintf("%s is stored as %s; weights must be F32, F16 or I8", name, t.DType)}
	}
	if len(t.Data) != t.NumElements()*t.DType.Size() {
		return "", &UnsupportedError{What: fmt.Sprintf("%s holds %d bytes, want %d", name, len(t.Data), t.NumElements()*t.DType.Size())}
	}
	switch t.DType {
	case modelfile.F32:
		return b.init(name, onnxpb.TensorProto_FLOAT, t.Shape, t.Data), nil
	case modelfile.F16:
		// float16 → float32 is exact, as in modelfile.Tensor.Float32s.
		h := b.init(name+".f16", onnxpb.TensorProto_FLOAT16, t.Shape, t.Data)
		return b.node("Cast", name, []string{h}, integer("to", int(onnxpb.TensorProto_FLOAT))), nil
	case modelfile.I8:
		return b.dequantize(s, t)
	}
	return "", &UnsupportedError{What: fmt.Sprintf("%s is stored as %s; weights must be F32, F16 or I8", name, t.DType)}
}

// dequantize adds an I8 weight and its scale behind a DequantizeLinear:
// float32(q) · scale per output channel, the product modelfile.File.Float32s
// computes (the zero point is 0).
func (b *builder) dequantize(s spec.LayerSpec, t *modelfile.Tensor) (string, error) {
	name := t.Name
	st := b.f.Tensor(name + modelfile.ScaleSuffix)
	if st == nil {
		return "", &UnsupportedError{What: fmt.Sprintf("I8 tensor %s has no scale tensor %s", name, name+modelfile.ScaleSuffix)}
	}
	scale, err := st.Float32s()
	if err != nil || st.DType != modelfile.F32 {
		return "", &UnsupportedError{What: fmt.Sprintf("%s must be F32 (%s, %v)", st.Name, st.DType, err)}
	}
	for i, v := range scale {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return "", &UnsupportedError{What: fmt.Sprintf("%s[%d] = %v is not a finite scale", st.Name, i, v)}
		}
	}
	axis := s.OutputAxis()
	perTensor := len(scale) == 1
	want := make([]int, len(t.Shape))
	for i := range want {
		want[i] = 1
	}
	if !perTensor {
		want[axis] = t.Shape[axis]
	}
	if !slices.Equal(st.Shape, want) && !(perTensor && len(st.Shape) == len(t.Shape)) {
		return "", &UnsupportedError{What: fmt.Sprintf("%s has shape %v, want %v (one scale per output channel)", st.Name, st.Shape, want)}
	}
	q := b.init(name+".i8", onnxpb.TensorProto_INT8, t.Shape, t.Data)
	var sc, zp string
	attrs := []*onnxpb.AttributeProto{}
	if perTensor {
		sc = b.floats(st.Name, nil, scale)
		zp = b.init(name+".zero_point", onnxpb.TensorProto_INT8, nil, []byte{0})
	} else {
		sc = b.floats(st.Name, []int{len(scale)}, scale)
		zp = b.init(name+".zero_point", onnxpb.TensorProto_INT8, []int{len(scale)}, make([]byte, len(scale)))
		attrs = append(attrs, integer("axis", axis))
	}
	return b.node("DequantizeLinear", name, []string{q, sc, zp}, attrs...), nil
}
