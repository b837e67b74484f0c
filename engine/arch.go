package engine

import (
	"fmt"

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
)

func (a Act) String() string {
	return [...]string{"none", "LeakyReLU(0.2)", "ReLU", "Tanh"}[a]
}

// LeakySlope is the negative slope of every LeakyReLU in GANomaly.
const LeakySlope = 0.2

// LayerSpec describes one convolution of the generator together with its
// BatchNorm and activation, with names that match the original PyTorch
// state-dict keys.
type LayerSpec struct {
	Part      string // "encoder1", "decoder" or "encoder2"
	Name      string // module name of the convolution, e.g. "pyramid-64-128-conv"
	BatchNorm string // module name of its BatchNorm, "" when it has none
	Op        Op
	InC, OutC int
	K, S, P   int
	InH, OutH int // square feature maps
	Act       Act
}

// Key returns the state-dict prefix of the convolution, e.g.
// "encoder1.main.pyramid-64-128-conv".
func (l LayerSpec) Key() string { return l.Part + ".main." + l.Name }

// BNKey returns the state-dict prefix of the BatchNorm, or "".
func (l LayerSpec) BNKey() string {
	if l.BatchNorm == "" {
		return ""
	}
	return l.Part + ".main." + l.BatchNorm
}

// WeightShape is the PyTorch shape of the layer's weight.
func (l LayerSpec) WeightShape() []int {
	if l.Op == ConvT {
		return []int{l.InC, l.OutC, l.K, l.K}
	}
	return []int{l.OutC, l.InC, l.K, l.K}
}

// MACs is the number of multiply-adds of the layer for one image.
func (l LayerSpec) MACs() int64 {
	if l.Op == ConvT {
		return int64(l.InC) * int64(l.OutC) * int64(l.K*l.K) * int64(l.InH*l.InH)
	}
	return int64(l.InC) * int64(l.OutC) * int64(l.K*l.K) * int64(l.OutH*l.OutH)
}

// EncoderSpecs lists the layers of one GANomaly encoder (REFERENCE.md):
// initial conv, extra layers, pyramid, final conv to nz×1×1.
func EncoderSpecs(part string, a modelfile.Arch) []LayerSpec {
	var ls []LayerSpec
	size, c := a.ISize/2, a.NGF
	ls = append(ls, LayerSpec{Part: part, Name: fmt.Sprintf("initial-conv-%d-%d", a.NC, a.NGF),
		Op: Conv, InC: a.NC, OutC: c, K: 4, S: 2, P: 1, InH: a.ISize, OutH: size, Act: LeakyReLU})
	for t := 0; t < a.ExtraLayers; t++ {
		ls = append(ls, LayerSpec{Part: part, Name: fmt.Sprintf("extra-layers-%d-%d-conv", t, c),
			BatchNorm: fmt.Sprintf("extra-layers-%d-%d-batchnorm", t, c),
			Op:        Conv, InC: c, OutC: c, K: 3, S: 1, P: 1, InH: size, OutH: size, Act: LeakyReLU})
	}
	for size > 4 {
		ls = append(ls, LayerSpec{Part: part, Name: fmt.Sprintf("pyramid-%d-%d-conv", c, 2*c),
			BatchNorm: fmt.Sprintf("pyramid-%d-batchnorm", 2*c),
			Op:        Conv, InC: c, OutC: 2 * c, K: 4, S: 2, P: 1, InH: size, OutH: size / 2, Act: LeakyReLU})
		c *= 2
		size /= 2
	}
	// The original names the final conv with a literal 1 whatever nz is.
	ls = append(ls, LayerSpec{Part: part, Name: fmt.Sprintf("final-%d-1-conv", c),
		Op: Conv, InC: c, OutC: a.NZ, K: 4, S: 1, P: 0, InH: 4, OutH: 1, Act: None})
	return ls
}

// DecoderSpecs lists the layers of the GANomaly decoder (REFERENCE.md).
func DecoderSpecs(a modelfile.Arch) []LayerSpec {
	var ls []LayerSpec
	c := a.NGF * a.ISize / 8
	ls = append(ls, LayerSpec{Part: "decoder", Name: fmt.Sprintf("initial-%d-%d-convt", a.NZ, c),
		BatchNorm: fmt.Sprintf("initial-%d-batchnorm", c),
		Op:        ConvT, InC: a.NZ, OutC: c, K: 4, S: 1, P: 0, InH: 1, OutH: 4, Act: ReLU})
	size := 4
	for size < a.ISize/2 {
		ls = append(ls, LayerSpec{Part: "decoder", Name: fmt.Sprintf("pyramid-%d-%d-convt", c, c/2),
			BatchNorm: fmt.Sprintf("pyramid-%d-batchnorm", c/2),
			Op:        ConvT, InC: c, OutC: c / 2, K: 4, S: 2, P: 1, InH: size, OutH: 2 * size, Act: ReLU})
		c /= 2
		size *= 2
	}
	for t := 0; t < a.ExtraLayers; t++ {
		ls = append(ls, LayerSpec{Part: "decoder", Name: fmt.Sprintf("extra-layers-%d-%d-conv", t, c),
			BatchNorm: fmt.Sprintf("extra-layers-%d-%d-batchnorm", t, c),
			Op:        Conv, InC: c, OutC: c, K: 3, S: 1, P: 1, InH: size, OutH: size, Act: ReLU})
	}
	ls = append(ls, LayerSpec{Part: "decoder", Name: fmt.Sprintf("final-%d-%d-convt", c, a.NC),
		Op: ConvT, InC: c, OutC: a.NC, K: 4, S: 2, P: 1, InH: size, OutH: 2 * size, Act: Tanh})
	return ls
}

// GeneratorSpecs lists every layer of G in execution order: E1, decoder, E2.
func GeneratorSpecs(a modelfile.Arch) []LayerSpec {
	ls := EncoderSpecs("encoder1", a)
	ls = append(ls, DecoderSpecs(a)...)
	return append(ls, EncoderSpecs("encoder2", a)...)
}
