// Package gan is GANomaly's generator and discriminator on libtorch (through
// gotch), with the original PyTorch state-dict names, the reference
// initialisation, the training step of the authors' current code and Adam.
//
// The layer lists, state-dict names and initialisation come from package
// spec, the single definition shared with the pure-Go engine and trainer, so
// a checkpoint written here is read by engine.Load without any renaming.
package gan

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/ganomaly-go/ganomaly/modelfile"
	"github.com/ganomaly-go/ganomaly/spec"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

const (
	bnEps      = spec.BNEps
	bnMomentum = spec.BNMomentum
)

// BNMode selects how BatchNorm normalises.
type BNMode int

const (
	// Train uses the batch statistics and updates the running statistics.
	Train BNMode = iota
	// Eval uses the running statistics (what the engine folds).
	Eval
	// BatchStats uses the batch statistics without touching the running
	// statistics: the original code's test-time behaviour (it never calls
	// eval()), without letting test batches leak into the model.
	BatchStats
)

// Param is a named tensor of a network. Trainable parameters require grad;
// running statistics do not. num_batches_tracked, a 0-d int64 tensor in
// PyTorch, is kept as a Go counter (T is nil): gotch cannot make 0-d tensors
// and nothing on the device reads it.
type Param struct {
	Name      string
	Shape     []int64
	T         *ts.Tensor
	Trainable bool
	Kind      spec.Kind
	Count     int64 // num_batches_tracked
}

// IsCounter reports whether the parameter is a num_batches_tracked counter.
func (p *Param) IsCounter() bool { return p.T == nil }

// layer is one convolution with its optional BatchNorm and activation.
type layer struct {
	spec                   spec.LayerSpec
	w                      *Param
	bnW, bnB, bnRM, bnRV   *Param
	bnTracked              *Param // num_batches_tracked (I64 scalar)
	stride, pad, outputPad []int64
}

// Net is a sequence of layers with its parameters in state-dict order.
type Net struct {
	params []*Param
	byName map[string]*Param
	device gotch.Device
}

// Params returns every tensor of the network in state-dict order.
func (n *Net) Params() []*Param { return n.params }

// Param returns the named tensor or nil.
func (n *Net) Param(name string) *Param { return n.byName[name] }

// Trainable returns the tensors the optimiser updates.
func (n *Net) Trainable() []*Param {
	var out []*Param
	for _, p := range n.params {
		if p.Trainable {
			out = append(out, p)
		}
	}
	return out
}

func (n *Net) add(st spec.Tensor) *Param {
	s := make([]int64, len(st.Shape))
	for i, v := range st.Shape {
		s[i] = int64(v)
	}
	p := &Param{Name: st.Name, Shape: s, Trainable: st.Kind.Trainable(), Kind: st.Kind}
	n.params = append(n.params, p)
	n.byName[st.Name] = p
	if st.Kind == spec.NumBatchesTracked {
		return p
	}
	p.T = ts.MustZeros(s, gotch.Float, n.device)
	if p.Trainable {
		p.T = p.T.MustSetRequiresGrad(true, true)
	}
	return p
}

func (n *Net) newLayer(s spec.LayerSpec) *layer {
	l := &layer{spec: s,
		stride: []int64{int64(s.S), int64(s.S)}, pad: []int64{int64(s.P), int64(s.P)}, outputPad: []int64{0, 0}}
	for _, st := range s.Tensors() {
		p := n.add(st)
		switch st.Kind {
		case spec.Weight:
			l.w = p
		case spec.BNWeight:
			l.bnW = p
		case spec.BNBias:
			l.bnB = p
		case spec.RunningMean:
			l.bnRM = p
		case spec.RunningVar:
			l.bnRV = p
		case spec.NumBatchesTracked:
			l.bnTracked = p
		}
	}
	return l
}

var one = []int64{1, 1}

// forward runs the layer: convolution, BatchNorm, activation.
func (l *layer) forward(x *ts.Tensor, mode BNMode) *ts.Tensor {
	var y *ts.Tensor
	if l.spec.Op == spec.ConvT {
		y = ts.MustConvTranspose2d(x, l.w.T, ts.None, l.stride, l.pad, l.outputPad, 1, one)
	} else {
		y = ts.MustConv2d(x, l.w.T, ts.None, l.stride, l.pad, one, 1)
	}
	if l.bnW != nil {
		var z *ts.Tensor
		switch mode {
		case Train:
			z = ts.MustBatchNorm(y, l.bnW.T, l.bnB.T, l.bnRM.T, l.bnRV.T, true, bnMomentum, bnEps, true)
			l.bnTracked.Count++
		case Eval:
			z = ts.MustBatchNorm(y, l.bnW.T, l.bnB.T, l.bnRM.T, l.bnRV.T, false, bnMomentum, bnEps, true)
		default:
			z = ts.MustBatchNorm(y, l.bnW.T, l.bnB.T, ts.None, ts.None, true, bnMomentum, bnEps, true)
		}
		y.MustDrop()
		y = z
	}
	// In place, as the original's LeakyReLU(0.2, inplace=True) and
	// ReLU(True): neither a convolution's nor a BatchNorm's backward needs
	// its output, and both activations' backward read their own result.
	switch l.spec.Act {
	case spec.LeakyReLU:
		if err := y.LeakyReluSlope_(spec.LeakySlope); err != nil {
			panic(err) // only on a libtorch failure, like gotch's Must ops
		}
	case spec.ReLU:
		y.MustRelu_()
	case spec.Tanh:
		z := y.MustTanh(false)
		y.MustDrop()
		y = z
	}
	return y
}

// LeakyReLU is nn.LeakyReLU(0.2): torch's leaky_relu kernel with GANomaly's
// slope. gotch v0.9.1's LeakyRelu has PyTorch's default slope 0.01 and takes
// no argument, so scripts/gotch-env.sh adds LeakyReluSlope to its generated
// copy (composing max(x, 0.2·x) gives the same values but trains 30 % slower:
// the maximum's backward takes several kernels).
func LeakyReLU(x *ts.Tensor) *ts.Tensor {
	y, err := x.LeakyReluSlope(spec.LeakySlope)
	if err != nil {
		// only on a libtorch failure (out of memory ...), like gotch's Must ops
		panic(err)
	}
	return y
}

func runLayers(ls []*layer, x *ts.Tensor, mode BNMode) *ts.Tensor {
	y := x
	for i, l := range ls {
		z := l.forward(y, mode)
		if i > 0 {
			y.MustDrop()
		}
		y = z
	}
	return y
}

// Generator is GANomaly's G: encoder1 → decoder → encoder2.
type Generator struct {
	Net
	Arch            modelfile.Arch
	enc1, dec, enc2 []*layer
}

// NewGenerator makes a generator with zero weights on the device; call
// InitWeights or load a state dict.
func NewGenerator(a modelfile.Arch, device gotch.Device) (*Generator, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	g := &Generator{Net: Net{byName: map[string]*Param{}, device: device}, Arch: a}
	build := func(specs []spec.LayerSpec) []*layer {
		var ls []*layer
		for _, s := range specs {
			ls = append(ls, g.newLayer(s))
		}
		return ls
	}
	gs := spec.NewGenerator(a)
	g.enc1, g.dec, g.enc2 = build(gs.Encoder1), build(gs.Decoder), build(gs.Encoder2)
	return g, nil
}

// Forward returns x̂, latentI (B×nz×1×1) and latentO.
func (g *Generator) Forward(x *ts.Tensor, mode BNMode) (xhat, latentI, latentO *ts.Tensor) {
	latentI = runLayers(g.enc1, x, mode)
	xhat = runLayers(g.dec, latentI, mode)
	latentO = runLayers(g.enc2, xhat, mode)
	return xhat, latentI, latentO
}

// Discriminator is GANomaly's D (spec.Discriminator): features, then the
// classifier's conv and sigmoid.
type Discriminator struct {
	Net
	features   []*layer
	classifier *layer
}

// NewDiscriminator makes a discriminator for images of arch (ndf wide).
func NewDiscriminator(a modelfile.Arch, ndf int, device gotch.Device) (*Discriminator, error) {
	ds, err := spec.NewDiscriminator(a, ndf)
	if err != nil {
		return nil, err
	}
	d := &Discriminator{Net: Net{byName: map[string]*Param{}, device: device}}
	for _, s := range ds.Features {
		d.features = append(d.features, d.newLayer(s))
	}
	d.classifier = d.newLayer(ds.Classifier)
	return d, nil
}

// Forward returns the sigmoid prediction (B) and the features (B×c×4×4).
func (d *Discriminator) Forward(x *ts.Tensor, mode BNMode) (pred, features *ts.Tensor) {
	features = d.Features(x, mode)
	logit := d.classifier.forward(features, mode)
	p := logit.MustSigmoid(true)
	pred = p.MustView([]int64{-1}, true)
	return pred, features
}

// Features runs the feature layers only (the adversarial loss's input).
func (d *Discriminator) Features(x *ts.Tensor, mode BNMode) *ts.Tensor {
	return runLayers(d.features, x, mode)
}

// InitWeights sets every tensor to its reference initial value
// (spec.Tensor.Init: the original's weights_init), drawing from rng in
// state-dict order so a seed gives the same network on any device and in the
// pure-Go trainer. Running statistics are reset only when resetStats is true:
// the original's D re-initialisation keeps them.
func (n *Net) InitWeights(rng *rand.Rand, resetStats bool) error {
	for _, p := range n.params {
		stat := p.Kind == spec.RunningMean || p.Kind == spec.RunningVar || p.Kind == spec.NumBatchesTracked
		if stat && !resetStats {
			continue
		}
		shape := make([]int, len(p.Shape))
		for i, s := range p.Shape {
			shape[i] = int(s)
		}
		vals := spec.Tensor{Name: p.Name, Shape: shape, Kind: p.Kind}.Init(rng)
		if p.IsCounter() {
			p.Count = 0
			continue
		}
		if err := n.SetFloat32(p, vals); err != nil {
			return err
		}
	}
	return nil
}

// SetFloat32 copies values into a float parameter in place (no autograd).
func (n *Net) SetFloat32(p *Param, vals []float32) error {
	src, err := FromFloat32(vals, p.Shape, n.device)
	if err != nil {
		return fmt.Errorf("%s: %w", p.Name, err)
	}
	noGrad(func() { p.T.Copy_(src) })
	src.MustDrop()
	return ts.TorchErr()
}

// FromFloat32 makes a float tensor of the given shape on the device.
func FromFloat32(vals []float32, shape []int64, device gotch.Device) (*ts.Tensor, error) {
	want := int64(1)
	for _, s := range shape {
		want *= s
	}
	if int64(len(vals)) != want {
		return nil, fmt.Errorf("have %d values for shape %v", len(vals), shape)
	}
	if len(vals) == 0 {
		return ts.MustZeros(shape, gotch.Float, device), nil
	}
	t, err := ts.OfDataSize(float32Bytes(vals), shape, gotch.Float)
	if err != nil {
		return nil, err
	}
	if device != gotch.CPU {
		t = t.MustTo(device, true)
	}
	return t, nil
}

// Float32s copies a float tensor to a new Go slice.
func Float32s(t *ts.Tensor) ([]float32, error) {
	c := t
	if t.MustDevice() != gotch.CPU || !t.MustIsContiguous() {
		c = t.MustToDevice(gotch.CPU, gotch.Float, false, true, false).MustContiguous(true)
		defer c.MustDrop()
	}
	n := 1
	for _, s := range c.MustSize() {
		n *= int(s)
	}
	out := make([]float32, n)
	if n == 0 {
		return out, nil
	}
	if err := c.CopyData(out, uint(n)); err != nil {
		return nil, err
	}
	return out, nil
}

// Scalar returns a one-element float tensor's value.
func Scalar(t *ts.Tensor) float64 {
	v := t.MustFloat64Value([]int64{})
	return v
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// noGrad runs fn with autograd off. LibTorch's grad mode is thread-local and
// a goroutine may change OS thread between cgo calls, so the goroutine is
// locked to its thread for the duration.
func noGrad(fn func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ts.NoGrad(fn)
}
