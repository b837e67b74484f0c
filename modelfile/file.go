package modelfile

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// ScaleSuffix names the per-output-channel scale of an I8 weight: tensor
// "X.weight" (I8) has "X.weight_scale" (F32) whose shape broadcasts against
// the weight, [out,1,1,1] for Conv2d and [1,out,1,1] for ConvTranspose2d, so
// that weight = int8 * scale in numpy as well.
const ScaleSuffix = "_scale"

// File is a parsed model file or checkpoint.
type File struct {
	Meta    Metadata
	tensors map[string]*Tensor
	order   []string
}

// New makes an empty file with the given metadata.
func New(meta Metadata) *File {
	if meta.FormatVersion == 0 {
		meta.FormatVersion = FormatVersion
	}
	return &File{Meta: meta, tensors: map[string]*Tensor{}}
}

// Add adds or replaces a tensor.
func (f *File) Add(t *Tensor) {
	if _, ok := f.tensors[t.Name]; !ok {
		f.order = append(f.order, t.Name)
	}
	f.tensors[t.Name] = t
}

// Tensor returns the named tensor or nil.
func (f *File) Tensor(name string) *Tensor { return f.tensors[name] }

// Names returns the tensor names in file order.
func (f *File) Names() []string { return append([]string(nil), f.order...) }

// Tensors returns the tensors in file order.
func (f *File) Tensors() []*Tensor {
	out := make([]*Tensor, len(f.order))
	for i, n := range f.order {
		out[i] = f.tensors[n]
	}
	return out
}

// Float32s returns the named tensor as float32 values with its shape. An I8
// tensor is multiplied by its broadcast scale tensor (name+ScaleSuffix).
func (f *File) Float32s(name string) ([]float32, []int, error) {
	t := f.tensors[name]
	if t == nil {
		return nil, nil, fmt.Errorf("modelfile: tensor %q is missing", name)
	}
	v, err := t.Float32s()
	if err != nil {
		return nil, nil, err
	}
	if t.DType != I8 {
		return v, t.Shape, nil
	}
	st := f.tensors[name+ScaleSuffix]
	if st == nil {
		return nil, nil, fmt.Errorf("modelfile: I8 tensor %q has no scale tensor %q", name, name+ScaleSuffix)
	}
	scale, err := st.Float32s()
	if err != nil {
		return nil, nil, err
	}
	axis, err := broadcastAxis(t.Shape, st.Shape)
	if err != nil {
		return nil, nil, fmt.Errorf("modelfile: scale of %q: %w", name, err)
	}
	if axis < 0 {
		for i := 0; i < len(v); i += convChunk {
			scaleRun(v[i:min(i+convChunk, len(v))], scale[0])
		}
		return v, t.Shape, nil
	}
	inner := 1
	for _, d := range t.Shape[axis+1:] {
		inner *= d
	}
	// One scale per run of inner values, no division per element: this
	// runs at every model load, in the page too.
	n := t.Shape[axis]
	for i := 0; i < len(v); i += inner {
		scaleRun(v[i:i+inner], scale[(i/inner)%n])
	}
	return v, t.Shape, nil
}

// scaleRun multiplies run by s (a call per run: see Tensor.Float32s).
//
//go:noinline
func scaleRun(run []float32, s float32) {
	for j := range run {
		run[j] *= s
	}
}

// broadcastAxis finds the single axis along which a scale of shape s varies.
func broadcastAxis(w, s []int) (int, error) {
	if len(s) != len(w) {
		return 0, fmt.Errorf("scale shape %v must have the rank of weight shape %v", s, w)
	}
	axis := -1
	for i := range s {
		switch {
		case s[i] == w[i] && w[i] != 1 && axis < 0:
			axis = i
		case s[i] == 1:
		default:
			return 0, fmt.Errorf("scale shape %v does not broadcast against weight shape %v along one axis", s, w)
		}
	}
	return axis, nil // -1: one scale for the whole tensor
}

// Quantize quantises w (shape, output channels along axis) to int8 with one
// symmetric scale per output channel: q = round(w / scale), scale = max|w|/127.
// It returns the I8 tensor and its broadcast F32 scale tensor.
func Quantize(name string, shape []int, w []float32, axis int) (*Tensor, *Tensor) {
	inner := 1
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	n := shape[axis]
	maxAbs := make([]float32, n)
	for i, x := range w {
		c := (i / inner) % n
		if x < 0 {
			x = -x
		}
		if x > maxAbs[c] {
			maxAbs[c] = x
		}
	}
	scale := make([]float32, n)
	for c, m := range maxAbs {
		scale[c] = m / 127
		if scale[c] == 0 {
			scale[c] = 1
		}
	}
	q := make([]int8, len(w))
	for i, x := range w {
		v := x / scale[(i/inner)%n]
		r := float32(int32(v + 0.5))
		if v < 0 {
			r = -float32(int32(-v + 0.5))
		}
		if r > 127 {
			r = 127
		} else if r < -127 {
			r = -127
		}
		q[i] = int8(r)
	}
	sshape := make([]int, len(shape))
	for i := range sshape {
		sshape[i] = 1
	}
	sshape[axis] = n
	return NewI8(name, shape, q), NewF32(name+ScaleSuffix, sshape, scale)
}

// Encode writes the file in safetensors format. Tensors are written in
// sorted name order so the output is deterministic.
func (f *File) Encode(w io.Writer) error {
	if f.Meta.FormatVersion == 0 {
		f.Meta.FormatVersion = FormatVersion
	}
	if err := f.Meta.Validate(); err != nil {
		return fmt.Errorf("modelfile: %w", err)
	}
	kv, err := encodeMetadata(&f.Meta)
	if err != nil {
		return err
	}
	names := append([]string(nil), f.order...)
	sort.Strings(names)
	ts := make([]*Tensor, len(names))
	for i, n := range names {
		ts[i] = f.tensors[n]
	}
	return Encode(w, ts, kv)
}

// Save writes the file atomically to path.
func (f *File) Save(path string) error {
	if err := WriteFileAtomic(path, f.Encode); err != nil {
		return fmt.Errorf("modelfile: saving %s: %w", path, err)
	}
	return nil
}

// Parse reads a model file held in memory.
func Parse(b []byte) (*File, error) {
	ts, kv, err := Decode(b)
	if err != nil {
		return nil, err
	}
	return fromParts(ts, kv)
}

// Open reads a model file from disk.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("modelfile: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("modelfile: %w", err)
	}
	ts, kv, err := ReadFrom(fh, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, err := fromParts(ts, kv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

func fromParts(ts []*Tensor, kv map[string]string) (*File, error) {
	m, err := decodeMetadata(kv)
	if err != nil {
		return nil, err
	}
	f := New(*m)
	for _, t := range ts {
		f.Add(t)
	}
	return f, nil
}
