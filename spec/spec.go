// Package spec is the one definition of GANomaly's networks (the generator's
// encoder1 → decoder → encoder2 and the discriminator's features and
// classifier) as lists of layers, with the original PyTorch state-dict names,
// the BatchNorm constants and the reference initialisation. Every backend (the
// inference engine, the libtorch trainer, the pure-Go trainer, the exporter)
// builds its networks from these lists, so a checkpoint written by one is read
// by the others without renaming.
package spec

import (
	"fmt"
	"math/rand/v2"

	"github.com/ganomaly-go/ganomaly/modelfile"
)

// Op is the kind of a layer's linear operation.
type Op int

// Layer operations.
const (
	Conv  Op = iota // nn.Conv2d, weight [out, in, k, k]
	ConvT           // nn.ConvTranspose2d, weight [in, out, k, k]
)

func (o Op) String() string {
	if o == ConvT {
		return "ConvTranspose2d"
	}
	return "Conv2d"
}

// Act is the activation that follows a layer (after its BatchNorm, if any).
type Act int

// Activations.
const (
	None Act = iota
	LeakyReLU
	ReLU
	Tanh
	Sigmoid // the discriminator's classifier
)

func (a Act) String() string {
	return [...]string{"none", "LeakyReLU(0.2)", "ReLU", "Tanh", "Sigmoid"}[a]
}

// Constants of the original networks (PyTorch's defaults where it has them).
const (
	LeakySlope = 0.2  // negative slope of every LeakyReLU
	BNEps      = 1e-5 // BatchNorm2d eps
	BNMomentum = 0.1  // BatchNorm2d momentum of the running statistics
	InitStd    = 0.02 // weights_init: convolutions N(0, 0.02), BatchNorm weights N(1, 0.02)
)

// LayerSpec describes one convolution together with its BatchNorm and
// activation, with names that match the original PyTorch state-dict keys.
type LayerSpec struct {
	Part      string // "encoder1", "decoder", "encoder2" or "netD"
	Module    string // state-dict prefix of its nn.Sequential: "encoder1.main", "features", "classifier" ...
	Name      string // module name of the convolution, e.g. "pyramid-64-128-conv" or "2"
	BatchNorm string // module name of its BatchNorm, "" when it has none
	Op        Op
	InC, OutC int
	K, S, P   int
	InH, OutH int // square feature maps
	Act       Act
}

// Key returns the state-dict prefix of the convolution, e.g.
// "encoder1.main.pyramid-64-128-conv".
func (l LayerSpec) Key() string { return l.Module + "." + l.Name }

// BNKey returns the state-dict prefix of the BatchNorm, or "".
func (l LayerSpec) BNKey() string {
	if l.BatchNorm == "" {
		return ""
	}
	return l.Module + "." + l.BatchNorm
}

// WeightShape is the PyTorch shape of the layer's weight.
func (l LayerSpec) WeightShape() []int {
	if l.Op == ConvT {
		return []int{l.InC, l.OutC, l.K, l.K}
	}
	return []int{l.OutC, l.InC, l.K, l.K}
}

// OutputAxis is the axis of the weight that indexes output channels: 0 for
// Conv2d [out, in, k, k], 1 for ConvTranspose2d [in, out, k, k].
func (l LayerSpec) OutputAxis() int {
	if l.Op == ConvT {
		return 1
	}
	return 0
}

// MACs is the number of multiply-adds of the layer for one image.
func (l LayerSpec) MACs() int64 {
	if l.Op == ConvT {
		return int64(l.InC) * int64(l.OutC) * int64(l.K*l.K) * int64(l.InH*l.InH)
	}
	return int64(l.InC) * int64(l.OutC) * int64(l.K*l.K) * int64(l.OutH*l.OutH)
}

// Kind is the role of one tensor of a layer.
type Kind int

// Tensor kinds, in state-dict order within a layer.
const (
	Weight            Kind = iota // convolution weight
	BNWeight                      // BatchNorm γ
	BNBias                        // BatchNorm β
	RunningMean                   // BatchNorm running mean
	RunningVar                    // BatchNorm running variance
	NumBatchesTracked             // BatchNorm counter, a 0-d int64 tensor
)

// Suffix is the state-dict suffix of the kind ("weight", "running_mean" ...).
func (k Kind) Suffix() string {
	return [...]string{"weight", "weight", "bias", "running_mean", "running_var", "num_batches_tracked"}[k]
}

// Trainable reports whether the optimiser updates tensors of this kind.
func (k Kind) Trainable() bool { return k <= BNBias }

// Tensor is one state-dict entry of a layer.
type Tensor struct {
	Name  string // full state-dict key, e.g. "decoder.main.initial-256-batchnorm.running_var"
	Shape []int  // PyTorch shape ([] for num_batches_tracked)
	Kind  Kind
}

// Len is the number of values of the tensor.
func (t Tensor) Len() int {
	n := 1
	for _, s := range t.Shape {
		n *= s
	}
	return n
}

// Tensors lists the layer's state-dict entries in PyTorch's order: the
// convolution's weight, then its BatchNorm's weight, bias, running_mean,
// running_var and num_batches_tracked.
func (l LayerSpec) Tensors() []Tensor {
	ts := []Tensor{{Name: l.Key() + ".weight", Shape: l.WeightShape(), Kind: Weight}}
	if l.BatchNorm == "" {
		return ts
	}
	for k := BNWeight; k <= NumBatchesTracked; k++ {
		shape := []int{l.OutC}
		if k == NumBatchesTracked {
			shape = []int{}
		}
		ts = append(ts, Tensor{Name: l.BNKey() + "." + k.Suffix(), Shape: shape, Kind: k})
	}
	return ts
}

// Init returns the reference initial values of a float tensor (the
// original's weights_init, plus PyTorch's fresh running statistics):
// convolution weights ~ N(0, 0.02), BatchNorm weights ~ N(1, 0.02), biases
// and running means 0, running variances 1. Only the two kinds of weight draw
// from rng, one value after another in memory order, so drawing every tensor
// of a network in state-dict order gives the same network on every backend.
// NumBatchesTracked returns one 0.
func (t Tensor) Init(rng *rand.Rand) []float32 {
	v := make([]float32, t.Len())
	switch t.Kind {
	case Weight:
		normal(rng, v, 0)
	case BNWeight:
		normal(rng, v, 1)
	case RunningVar:
		for i := range v {
			v[i] = 1
		}
	}
	return v
}

func normal(rng *rand.Rand, v []float32, mean float64) {
	for i := range v {
		v[i] = float32(mean + float64(InitStd*rng.NormFloat64()))
	}
}

// Encoder lists the layers of one GANomaly encoder (REFERENCE.md): initial
// conv, extra layers, pyramid, final conv to nz×1×1. part names it in the
// generator ("encoder1" or "encoder2").
func Encoder(part string, a modelfile.Arch) []LayerSpec {
	var ls []LayerSpec
	m := part + ".main"
	size, c := a.ISize/2, a.NGF
	ls = append(ls, LayerSpec{Part: part, Module: m, Name: fmt.Sprintf("initial-conv-%d-%d", a.NC, a.NGF),
		Op: Conv, InC: a.NC, OutC: c, K: 4, S: 2, P: 1, InH: a.ISize, OutH: size, Act: LeakyReLU})
	for t := 0; t < a.ExtraLayers; t++ {
		ls = append(ls, LayerSpec{Part: part, Module: m, Name: fmt.Sprintf("extra-layers-%d-%d-conv", t, c),
			BatchNorm: fmt.Sprintf("extra-layers-%d-%d-batchnorm", t, c),
			Op:        Conv, InC: c, OutC: c, K: 3, S: 1, P: 1, InH: size, OutH: size, Act: LeakyReLU})
	}
	for size > 4 {
		ls = append(ls, LayerSpec{Part: part, Module: m, Name: fmt.Sprintf("pyramid-%d-%d-conv", c, 2*c),
			BatchNorm: fmt.Sprintf("pyramid-%d-batchnorm", 2*c),
			Op:        Conv, InC: c, OutC: 2 * c, K: 4, S: 2, P: 1, InH: size, OutH: size / 2, Act: LeakyReLU})
		c *= 2
		size /= 2
	}
	// The original names the final conv with a literal 1 whatever nz is.
	ls = append(ls, LayerSpec{Part: part, Module: m, Name: fmt.Sprintf("final-%d-1-conv", c),
		Op: Conv, InC: c, OutC: a.NZ, K: 4, S: 1, P: 0, InH: 4, OutH: 1, Act: None})
	return ls
}

// Decoder lists the layers of the GANomaly decoder (REFERENCE.md).
func Decoder(a modelfile.Arch) []LayerSpec {
	var ls []LayerSpec
	const part, m = "decoder", "decoder.main"
	c := a.NGF * a.ISize / 8
	ls = append(ls, LayerSpec{Part: part, Module: m, Name: fmt.Sprintf("initial-%d-%d-convt", a.NZ, c),
		BatchNorm: fmt.Sprintf("initial-%d-batchnorm", c),
		Op:        ConvT, InC: a.NZ, OutC: c, K: 4, S: 1, P: 0, InH: 1, OutH: 4, Act: ReLU})
	size := 4
	for size < a.ISize/2 {
		ls = append(ls, LayerSpec{Part: part, Module: m, Name: fmt.Sprintf("pyramid-%d-%d-convt", c, c/2),
			BatchNorm: fmt.Sprintf("pyramid-%d-batchnorm", c/2),
			Op:        ConvT, InC: c, OutC: c / 2, K: 4, S: 2, P: 1, InH: size, OutH: 2 * size, Act: ReLU})
		c /= 2
		size *= 2
	}
	for t := 0; t < a.ExtraLayers; t++ {
		ls = append(ls, LayerSpec{Part: part, Module: m, Name: fmt.Sprintf("extra-layers-%d-%d-conv", t, c),
			BatchNorm: fmt.Sprintf("extra-layers-%d-%d-batchnorm", t, c),
			Op:        Conv, InC: c, OutC: c, K: 3, S: 1, P: 1, InH: size, OutH: size, Act: ReLU})
	}
	ls = append(ls, LayerSpec{Part: part, Module: m, Name: fmt.Sprintf("final-%d-%d-convt", c, a.NC),
		Op: ConvT, InC: c, OutC: a.NC, K: 4, S: 2, P: 1, InH: size, OutH: 2 * size, Act: Tanh})
	return ls
}

// Generator is G's three parts, each in execution order.
type Generator struct {
	Encoder1, Decoder, Encoder2 []LayerSpec
}

// NewGenerator lists G's layers for arch a.
func NewGenerator(a modelfile.Arch) Generator {
	return Generator{Encoder1: Encoder("encoder1", a), Decoder: Decoder(a), Encoder2: Encoder("encoder2", a)}
}

// Layers lists every layer of G in execution order (and state-dict order):
// encoder1, decoder, encoder2.
func (g Generator) Layers() []LayerSpec {
	ls := append([]LayerSpec(nil), g.Encoder1...)
	ls = append(ls, g.Decoder...)
	return append(ls, g.Encoder2...)
}

// GeneratorLayers is NewGenerator(a).Layers().
func GeneratorLayers(a modelfile.Arch) []LayerSpec { return NewGenerator(a).Layers() }

// Discriminator is D: an encoder with nz = 1 whose layers up to the last
// LeakyReLU are `features` and whose final conv, followed by a sigmoid, is
// `classifier`.
type Discriminator struct {
	Features   []LayerSpec
	Classifier LayerSpec
}

// NewDiscriminator lists D's layers for images of arch a and width ndf
// (the original builds D with opt.ngf; its options set ndf = ngf by default).
// Keys follow the nn.Sequential numbering of the original: features.0 is
// the initial conv (features.1 its LeakyReLU), then every extra or pyramid
// block takes three indices (conv, BatchNorm, LeakyReLU); classifier.0 is
// the final conv.
func NewDiscriminator(a modelfile.Arch, ndf int) (Discriminator, error) {
	da := a
	da.NZ, da.NGF = 1, ndf
	if err := da.Validate(); err != nil {
		return Discriminator{}, fmt.Errorf("discriminator: %w", err)
	}
	enc := Encoder("netD", da)
	var d Discriminator
	idx := 0
	for i, s := range enc {
		if i == len(enc)-1 {
			s.Module, s.Name, s.Act = "classifier", "0", Sigmoid
			d.Classifier = s
			break
		}
		s.Module, s.Name = "features", fmt.Sprint(idx)
		if s.BatchNorm != "" {
			s.BatchNorm = fmt.Sprint(idx + 1)
			idx += 3
		} else {
			idx += 2
		}
		d.Features = append(d.Features, s)
	}
	return d, nil
}

// Layers lists every layer of D in execution and state-dict order.
func (d Discriminator) Layers() []LayerSpec {
	return append(append([]LayerSpec(nil), d.Features...), d.Classifier)
}

// Tensors lists the state dict of a network made of layers, in order.
func Tensors(layers []LayerSpec) []Tensor {
	var ts []Tensor
	for _, l := range layers {
		ts = append(ts, l.Tensors()...)
	}
	return ts
}
